package sqlrows

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

// Each format of a small hand-made result, whole and cut at a row cap.
func TestWrite(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const q = `SELECT * FROM (VALUES (1, 'a', NULL, TIMESTAMP '2026-03-09 10:00:00'), (2, 'b,c', 1.5, NULL), (3, 'd', 2.0, NULL)) t(n, s, f, ts) ORDER BY n`
	tests := []struct {
		format string
		max    int
		want   string
		cut    bool
	}{
		{Table, 0, "n  s    f     ts\n1  a    NULL  2026-03-09T10:00:00Z\n2  b,c  1.5   NULL\n3  d    2     NULL\n", false},
		{CSV, 0, "n,s,f,ts\n1,a,NULL,2026-03-09T10:00:00Z\n2,\"b,c\",1.5,NULL\n3,d,2,NULL\n", false},
		{CSV, 2, "n,s,f,ts\n1,a,NULL,2026-03-09T10:00:00Z\n2,\"b,c\",1.5,NULL\n", true},
		{CSV, 3, "n,s,f,ts\n1,a,NULL,2026-03-09T10:00:00Z\n2,\"b,c\",1.5,NULL\n3,d,2,NULL\n", false},
		{JSONL, 1, `{"f":null,"n":1,"s":"a","ts":"2026-03-09T10:00:00Z"}` + "\n", true},
	}
	for _, tt := range tests {
		rows, err := db.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		cut, err := Write(&b, rows, tt.format, tt.max)
		rows.Close()
		if err != nil {
			t.Fatalf("%s: %v", tt.format, err)
		}
		if b.String() != tt.want || cut != tt.cut {
			t.Errorf("%s max %d: got %q cut %v\nwant %q cut %v", tt.format, tt.max, b.String(), cut, tt.want, tt.cut)
		}
	}
}

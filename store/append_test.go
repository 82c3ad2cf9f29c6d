package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/store"
)

// TestAppendMatchesAppender writes the same rows through WriteBatch (the
// Arrow path in builds with -tags duckdb_arrow, as make builds, else the
// Appender) and through AppendBare (always the duckdb-go Appender, the
// reference) and requires identical rows, column by column: every field
// set, every optional field empty, a responder zone with DST, labels.
func TestAppendMatchesAppender(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.DB().ExecContext(ctx, `CREATE TABLE bare AS SELECT * FROM events LIMIT 0`); err != nil {
		t.Fatal(err)
	}
	started := time.Date(2026, 3, 29, 0, 58, 59, 123456000, time.UTC)
	full := store.Row{Event: event.Event{
		ID: "full", Source: "pagerduty", Type: event.IncidentTriggered,
		Time: time.Date(2026, 3, 29, 1, 2, 3, 456789000, time.UTC), // 03:02 in Berlin, just after the DST change
		Data: event.Data{
			IncidentID: "I1", AlertKey: "k1", AlertName: "HighLatency", Title: "Checkout \"slow\" — ünïcode ✓",
			Service: "checkout", Team: "payments", Severity: "SEV1", Urgency: "high",
			Responder: "ana", ResponderTZ: "Europe/Berlin", Channel: "phone", Schedule: "primary",
			StartedAt: &started, DetectedBy: "alert", ResolvedBy: "human", Role: "commander",
			Audience: "public", ActionID: "A1",
			Labels: map[string]string{"z": "last", "a": "first", "quote": `"x"`, "nl": "a\nb"},
		},
	}, Topic: "events", Partition: 7, Offset: 1 << 40}
	minimal := store.Row{Event: event.Event{
		ID: "min", Source: "s", Type: event.AlertTriggered,
		Time: time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC),
	}, Topic: "", Partition: 0, Offset: 0}
	zone := store.Row{Event: event.Event{
		ID: "zone", Source: "s", Type: event.PageNotified,
		Time: time.Date(2026, 1, 4, 23, 30, 0, 0, time.UTC), // Monday 2026-01-05 08:30 in Tokyo
		Data: event.Data{Responder: "kenji", ResponderTZ: "Asia/Tokyo", Labels: map[string]string{}},
	}, Topic: "file:x.jsonl", Partition: -1, Offset: 42}
	rows := []store.Row{full, minimal, zone}

	if err := s.AppendBare(ctx, "bare", rows); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteBatch(ctx, store.Batch{Rows: rows}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`SELECT * EXCLUDE (ingested_at) FROM events EXCEPT ALL SELECT * EXCLUDE (ingested_at) FROM bare`,
		`SELECT * EXCLUDE (ingested_at) FROM bare EXCEPT ALL SELECT * EXCLUDE (ingested_at) FROM events`,
	} {
		var n int
		if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM (`+q+`)`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d rows differ between WriteBatch and the Appender: %s", n, q)
		}
	}
	// And the values themselves, where a shared mistake would hide.
	var hour, dow int
	var date, labels string
	var startedAt time.Time
	err := s.DB().QueryRowContext(ctx, `SELECT local_hour, local_dow, CAST(local_date AS VARCHAR), CAST(labels AS VARCHAR), started_at
		FROM events WHERE id = 'full'`).Scan(&hour, &dow, &date, &labels, &startedAt)
	if err != nil {
		t.Fatal(err)
	}
	if hour != 3 || dow != 7 || date != "2026-03-29" || !startedAt.Equal(started) {
		t.Errorf("full: local %d/%d/%s started_at %s; want 3/7/2026-03-29 %s", hour, dow, date, startedAt, started)
	}
	if want := `{"a":"first","nl":"a\nb","quote":"\"x\"","z":"last"}`; labels != want {
		t.Errorf("labels = %s, want %s", labels, want)
	}
	var nulls int
	err = s.DB().QueryRowContext(ctx, `SELECT count(*) FROM events WHERE id = 'min' AND incident_id IS NULL AND labels IS NULL
		AND local_hour IS NULL AND started_at IS NULL AND kafka_topic IS NULL`).Scan(&nulls)
	if err != nil || nulls != 1 {
		t.Errorf("minimal row: optional fields not NULL (%d, %v)", nulls, err)
	}
	err = s.DB().QueryRowContext(ctx, `SELECT local_hour, local_dow, CAST(local_date AS VARCHAR) FROM events WHERE id = 'zone'`).Scan(&hour, &dow, &date)
	if err != nil || hour != 8 || dow != 1 || date != "2026-01-05" {
		t.Errorf("zone: local %d/%d/%s (%v); want 8/1/2026-01-05", hour, dow, date, err)
	}
}

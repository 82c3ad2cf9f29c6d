package api

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pagerlens/pagerlens/internal/sqlrows"
	"github.com/pagerlens/pagerlens/store"
)

// maxQueryBytes bounds a SQL request body.
const maxQueryBytes = 1 << 20

// TruncatedHeader is set to "true" on a SQL answer cut at max_rows (the
// json format says so in its body too).
const TruncatedHeader = "Pagerlens-Truncated"

// sandbox runs ad-hoc SQL so that it can only read the store. Each layer
// holds on its own:
//
//  1. The statement is parsed by DuckDB's own parser (json_serialize_sql,
//     which serialises SELECT statements only and reports anything else
//     as an error): exactly one statement, and a SELECT (a query, VALUES,
//     FROM-first, SHOW, DESCRIBE, SUMMARIZE), or it is refused with the
//     reason. DELETE, UPDATE, INSERT, CREATE, DROP, ATTACH, DETACH, COPY,
//     INSTALL, LOAD, SET, RESET, PRAGMA, CALL, CHECKPOINT and a CTE around
//     a write all fail here; so do several statements in one body. Table
//     functions with side effects (checkpoint) are refused by name.
//  2. It runs in a READ ONLY transaction on its own connection, rolled
//     back after: a write that got past 1 is refused by DuckDB.
//  3. The database instance is locked down (store.Lockdown): no file other
//     than the store's own can be read or written (read_csv, read_text,
//     glob, COPY, ATTACH, INSTALL/LOAD) and no setting can change.
//  4. At most maxRows rows are returned (the answer says it was cut), and
//     a query running past timeout is interrupted (DuckDB's interrupt,
//     through the context).
type sandbox struct {
	st      *store.Store
	maxRows int
	timeout time.Duration
}

func newSandbox(st *store.Store, maxRows int, timeout time.Duration) (*sandbox, error) {
	if err := st.Lockdown(context.Background()); err != nil {
		return nil, fmt.Errorf("api: sql: %w", err)
	}
	return &sandbox{st: st, maxRows: maxRows, timeout: timeout}, nil
}

// deniedFunctions are table functions a SELECT can call that do more than
// read. File readers need no entry: layer 3 refuses them.
var deniedFunctions = map[string]string{
	"checkpoint":       "it writes the store's WAL into the file",
	"force_checkpoint": "it writes the store's WAL into the file",
}

// refused is a statement the sandbox does not run, with why.
func refused(format string, args ...any) error {
	return badRequest("refused: "+format, args...)
}

// check parses query with DuckDB's parser on conn and refuses what is
// not a single read-only SELECT.
func (s *sandbox) check(ctx context.Context, conn *sql.Conn, query string) error {
	var out string
	if err := conn.QueryRowContext(ctx, `SELECT json_serialize_sql(?::VARCHAR)::VARCHAR`, query).Scan(&out); err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	var parsed struct {
		Error      bool              `json:"error"`
		Type       string            `json:"error_type"`
		Message    string            `json:"error_message"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(out), &parsed); err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	switch {
	case parsed.Error && parsed.Type == "not implemented":
		return refused("only a single SELECT statement is allowed (DuckDB: %s)", parsed.Message)
	case parsed.Error:
		return refused("only a single SELECT statement is allowed; DuckDB's parser says: %s", parsed.Message)
	case len(parsed.Statements) == 0:
		return badRequest("empty query: POST one SELECT statement as the body")
	case len(parsed.Statements) > 1:
		return refused("%d statements in one body: send one SELECT statement", len(parsed.Statements))
	}
	var tree any
	if err := json.Unmarshal(parsed.Statements[0], &tree); err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	if name, why := deniedFunction(tree); name != "" {
		return refused("function %s: %s", name, why)
	}
	return nil
}

// deniedFunction walks a serialised statement for a function_name in
// deniedFunctions.
func deniedFunction(n any) (name, why string) {
	switch v := n.(type) {
	case map[string]any:
		if f, ok := v["function_name"].(string); ok {
			if why, ok := deniedFunctions[strings.ToLower(f)]; ok {
				return f, why
			}
		}
		for _, c := range v {
			if name, why := deniedFunction(c); name != "" {
				return name, why
			}
		}
	case []any:
		for _, c := range v {
			if name, why := deniedFunction(c); name != "" {
				return name, why
			}
		}
	}
	return "", ""
}

// result is the json format of a SQL answer.
type result struct {
	Columns   []string `json:"columns"`
	Rows      [][]any  `json:"rows"`
	RowCount  int      `json:"row_count"`
	Truncated bool     `json:"truncated"`
}

// run checks and runs query, writing its result in format to w.
func (s *sandbox) run(ctx context.Context, query, format string, w io.Writer) (truncated bool, err error) {
	conn, err := s.st.DB().Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	if err := s.check(ctx, conn, query); err != nil {
		return false, err
	}
	return s.exec(ctx, conn, query, format, w)
}

// exec runs query on conn in a READ ONLY transaction, rolled back after,
// with the row cap and the timeout (layers 2 and 4; check is layer 1).
func (s *sandbox) exec(ctx context.Context, conn *sql.Conn, query, format string, w io.Writer) (truncated bool, err error) {
	if _, err := conn.ExecContext(ctx, `BEGIN TRANSACTION READ ONLY`); err != nil {
		return false, err
	}
	defer func() {
		// The connection goes back to the store's pool: it must not keep
		// a transaction. One that cannot roll back is closed.
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`); rerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	qctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	rows, err := conn.QueryContext(qctx, query)
	if err == nil {
		defer rows.Close()
		if format == "json" {
			truncated, err = writeJSON(w, rows, s.maxRows)
		} else {
			truncated, err = sqlrows.Write(w, rows, format, s.maxRows)
		}
	}
	if err != nil {
		if errors.Is(qctx.Err(), context.DeadlineExceeded) {
			return false, badRequest("query cancelled: it ran past %s (api.timeout)", s.timeout)
		}
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		// DuckDB's message: a bad column, a type error, a refused write.
		return false, badRequest("%s", strings.TrimPrefix(err.Error(), "query: "))
	}
	return truncated, nil
}

func writeJSON(w io.Writer, rows *sql.Rows, max int) (bool, error) {
	cols, err := rows.Columns()
	if err != nil {
		return false, err
	}
	res := result{Columns: cols, Rows: [][]any{}}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if len(res.Rows) == max {
			res.Truncated = true
			break
		}
		if err := rows.Scan(ptrs...); err != nil {
			return false, err
		}
		row := make([]any, len(cols))
		for i, v := range vals {
			row[i] = sqlrows.JSONValue(v)
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	res.RowCount = len(res.Rows)
	enc := json.NewEncoder(w)
	return res.Truncated, enc.Encode(res)
}

// sqlQuery answers POST /api/v1/sql?format=json|csv|table|jsonl (body:
// the query). The answer is built whole first: a query that fails or is
// cancelled half-way is a 400, never a partial 200.
func (a *API) sqlQuery(w http.ResponseWriter, r *http.Request) error {
	p, err := newParams(r, "format")
	if err != nil {
		return err
	}
	format := p.get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && !sqlrows.ValidFormat(format) {
		return badRequest("format=%q: want json, csv, table or jsonl", format)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxQueryBytes))
	if err != nil {
		return badRequest("read the query: %v (at most %d bytes)", err, maxQueryBytes)
	}
	var b bytes.Buffer
	truncated, err := a.sql.run(r.Context(), string(body), format, &b)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType(format))
	w.Header().Set(TruncatedHeader, strconv.FormatBool(truncated))
	_, err = b.WriteTo(w)
	return err
}

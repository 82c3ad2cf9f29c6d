//go:build duckdb_arrow

package store

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// The Arrow C data and C stream interfaces (a stable ABI, declared as the
// specification asks: guarded, so that any other declaration of it wins).
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE
struct ArrowSchema {
	const char* format;
	const char* name;
	const char* metadata;
	int64_t flags;
	int64_t n_children;
	struct ArrowSchema** children;
	struct ArrowSchema* dictionary;
	void (*release)(struct ArrowSchema*);
	void* private_data;
};
struct ArrowArray {
	int64_t length;
	int64_t null_count;
	int64_t offset;
	int64_t n_buffers;
	int64_t n_children;
	const void** buffers;
	struct ArrowArray** children;
	struct ArrowArray* dictionary;
	void (*release)(struct ArrowArray*);
	void* private_data;
};
#endif
#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE
struct ArrowArrayStream {
	int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
	int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
	const char* (*get_last_error)(struct ArrowArrayStream*);
	void (*release)(struct ArrowArrayStream*);
	void* private_data;
};
#endif

// A borrowed schema: its memory stays with the stream that handed it out.
static void pl_borrowed_schema_release(struct ArrowSchema* s) { s->release = NULL; }

// pl_stream is a stream that owns an inner stream and that stream's schema,
// fetched once. Each get_schema hands out a borrowed copy of it.
struct pl_stream {
	struct ArrowArrayStream inner;
	struct ArrowSchema schema;
	int schema_err;
};

static int pl_get_schema(struct ArrowArrayStream* s, struct ArrowSchema* out) {
	struct pl_stream* p = (struct pl_stream*)s->private_data;
	if (p->schema_err != 0) {
		return p->schema_err;
	}
	*out = p->schema;
	out->release = pl_borrowed_schema_release;
	return 0;
}

static int pl_get_next(struct ArrowArrayStream* s, struct ArrowArray* out) {
	struct pl_stream* p = (struct pl_stream*)s->private_data;
	return p->inner.get_next(&p->inner, out);
}

static const char* pl_get_last_error(struct ArrowArrayStream* s) {
	struct pl_stream* p = (struct pl_stream*)s->private_data;
	return p->inner.get_last_error(&p->inner);
}

static void pl_release(struct ArrowArrayStream* s) {
	struct pl_stream* p = (struct pl_stream*)s->private_data;
	if (p->schema.release != NULL) {
		p->schema.release(&p->schema);
	}
	if (p->inner.release != NULL) {
		p->inner.release(&p->inner);
	}
	free(p);
	s->private_data = NULL;
	s->release = NULL;
}

// pl_borrowing_stream moves *inner into a new stream (inner is left
// released, as the C stream interface moves structs) whose schemas are
// borrowed. Returns NULL when out of memory (inner is then untouched).
static struct ArrowArrayStream* pl_borrowing_stream(struct ArrowArrayStream* inner) {
	struct ArrowArrayStream* s = calloc(1, sizeof(struct ArrowArrayStream));
	struct pl_stream* p = calloc(1, sizeof(struct pl_stream));
	if (s == NULL || p == NULL) {
		free(s);
		free(p);
		return NULL;
	}
	p->inner = *inner;
	inner->release = NULL;
	p->schema_err = p->inner.get_schema(&p->inner, &p->schema);
	s->get_schema = pl_get_schema;
	s->get_next = pl_get_next;
	s->get_last_error = pl_get_last_error;
	s->release = pl_release;
	s->private_data = p;
	return s;
}

static void pl_release_stream(struct ArrowArrayStream* s) {
	if (s->release != NULL) {
		s->release(s);
	}
	free(s);
}

static struct ArrowArrayStream* pl_new_stream(void) {
	return calloc(1, sizeof(struct ArrowArrayStream));
}
*/
import "C"

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/cdata"
	"github.com/duckdb/duckdb-go/v2/arrowmapping"
	"github.com/duckdb/duckdb-go/v2/mapping"
)

// Why this file: duckdb-go's Arrow.RegisterView hands DuckDB's
// duckdb_arrow_scan a stream exported by arrow-go, whose get_schema exports
// the schema anew (C.malloc'd structs and strings, ~100 B a column) on each
// call, for the caller to release. DuckDB (C API, arrow-c.cpp, through at
// least v1.5.6) calls get_schema in duckdb_arrow_scan and again each time
// the view is bound (FactoryGetSchema) and releases none of them: ~25 KiB of
// native memory lost per batch with the 30-column events schema, invisible
// to duckdb_memory() and to the Go heap (issue 23: serve's RSS grew 2.7 MiB/s
// under 200 webhook requests/s). The stream below fetches the schema once
// and hands out borrowed copies (what DuckDB's own duckdb_arrow_array_scan
// does), and frees it once with the stream: whatever DuckDB does with a copy,
// nothing is allocated for it.

// registerArrowView registers rdr as the view name on the DuckDB connection
// dc (a *duckdb.Conn) and returns the function that releases the stream,
// to be called after the view is dropped.
func registerArrowView(dc driver.Conn, rdr array.RecordReader, name string) (release func(), err error) {
	conn, err := rawConnection(dc)
	if err != nil {
		return nil, err
	}
	exported := C.pl_new_stream()
	if exported == nil {
		return nil, errors.New("arrow stream: out of memory")
	}
	cdata.ExportRecordReader(rdr, (*cdata.CArrowArrayStream)(unsafe.Pointer(exported)))
	stream := C.pl_borrowing_stream(exported)
	if stream == nil {
		C.pl_release_stream(exported)
		return nil, errors.New("arrow stream: out of memory")
	}
	C.free(unsafe.Pointer(exported)) // moved into stream
	release = func() { C.pl_release_stream(stream) }
	if arrowmapping.ArrowScan(conn, name, arrowmapping.ArrowStream{Ptr: unsafe.Pointer(stream)}) == mapping.StateError {
		release()
		return nil, fmt.Errorf("arrow scan of %s failed", name)
	}
	return release, nil
}

// rawConnection is the C connection behind a duckdb-go connection. duckdb-go
// keeps it unexported (its RegisterView is the one way in, and it leaks, see
// above); go.mod pins the version whose layout this reads, and
// TestArrowStreamFreesSchemas fails if a new version moves it.
func rawConnection(dc driver.Conn) (mapping.Connection, error) {
	v := reflect.ValueOf(dc)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return mapping.Connection{}, fmt.Errorf("arrow append: connection is a %T, not a duckdb-go *Conn", dc)
	}
	f := v.Elem().FieldByName("conn")
	if !f.IsValid() || f.Type() != reflect.TypeOf(mapping.Connection{}) {
		return mapping.Connection{}, fmt.Errorf("arrow append: %T has no conn field of type mapping.Connection (duckdb-go changed; see store/arrow_stream.go)", dc)
	}
	c := *(*mapping.Connection)(unsafe.Pointer(f.UnsafeAddr()))
	if c.Ptr == nil {
		return mapping.Connection{}, errors.New("arrow append: connection is closed")
	}
	return c, nil
}

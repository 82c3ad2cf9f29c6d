package store_test

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/store"
)

// TestImportState: the state is written with the batch, read back, replaced
// by the next, and a batch that fails leaves neither its events nor its
// state.
func TestImportState(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, ok, err := s.ImportState(ctx, "pagerduty"); err != nil || ok {
		t.Fatalf("fresh store: ok=%v err=%v, want no state", ok, err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st := store.ImportState{Source: "pagerduty", Origin: t0, Cursor: t0.Add(24 * time.Hour), Pending: []string{"P1", "P2"}}
	res, err := s.WriteBatch(ctx, store.Batch{Rows: rows(ev("a", event.IncidentTriggered, "2026-01-01T01:00:00Z", event.Data{IncidentID: "P1"})), State: &st})
	if err != nil || res.Stored != 1 {
		t.Fatalf("write: %+v %v", res, err)
	}
	got, ok, err := s.ImportState(ctx, "pagerduty")
	if err != nil || !ok || !got.Origin.Equal(st.Origin) || !got.Cursor.Equal(st.Cursor) || !slices.Equal(got.Pending, st.Pending) {
		t.Fatalf("read back %+v ok=%v err=%v, want %+v", got, ok, err, st)
	}
	// A state alone (a window with nothing in it) is written too.
	st2 := store.ImportState{Source: "pagerduty", Origin: t0, Cursor: t0.Add(48 * time.Hour)}
	if _, err := s.WriteBatch(ctx, store.Batch{State: &st2}); err != nil {
		t.Fatal(err)
	}
	if got, _, _ = s.ImportState(ctx, "pagerduty"); !got.Cursor.Equal(st2.Cursor) || len(got.Pending) != 0 {
		t.Fatalf("after empty batch: %+v, want cursor %s and no pending", got, st2.Cursor)
	}
	// Invalid state (cursor before origin): the batch fails whole.
	bad := store.ImportState{Source: "pagerduty", Origin: t0, Cursor: t0.Add(-time.Hour)}
	if _, err := s.WriteBatch(ctx, store.Batch{Rows: rows(ev("b", event.IncidentTriggered, "2026-01-02T01:00:00Z", event.Data{IncidentID: "P3"})), State: &bad}); err == nil {
		t.Fatal("a cursor before its origin was accepted")
	}
	var n int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM events WHERE id = 'b'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("failed batch stored its event (n=%d, err=%v)", n, err)
	}
	if got, _, _ = s.ImportState(ctx, "pagerduty"); !got.Cursor.Equal(st2.Cursor) {
		t.Fatalf("failed batch moved the cursor to %s", got.Cursor)
	}
}

// TestPagerDutyIDMigration: a store of schema version 3 holding PagerDuty
// events under the old id rule ("pagerduty-" + the webhook event id) is
// migrated to the rule of decode.PagerDutyID: every rewritten id equals the
// Go function's, role assignments keep theirs, other sources are untouched,
// two old events that are one transition by the new rule keep one row, and
// the derived tables are marked stale.
func TestPagerDutyIDMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.duckdb")
	old, err := store.OpenAtVersion(ctx, path, 3)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339Nano, s); return tm }
	pd := func(id string, typ event.Type, tm string, d event.Data) event.Event {
		return event.Event{ID: id, Source: decode.PagerDuty, Type: typ, Time: at(tm), Data: d}
	}
	inc := event.Data{IncidentID: "Q2WXYZ", Team: "Payments", Severity: "SEV2"}
	withResp := func(d event.Data, r string) event.Data { d.Responder = r; return d }
	evs := []event.Event{
		pd("pagerduty-01A", event.IncidentTriggered, "2026-03-04T02:11:03.210Z", inc),
		pd("pagerduty-01B", event.IncidentAcknowledged, "2026-03-04T02:17:45.120Z", withResp(inc, "PUSR12")),
		// reassigned and delegated at one instant: one transition now.
		pd("pagerduty-01C", event.IncidentReassigned, "2026-03-04T02:25:00.100Z", withResp(inc, "PUSR31")),
		pd("pagerduty-01D", event.IncidentReassigned, "2026-03-04T02:25:00.400Z", withResp(inc, "PUSR31")),
		pd("pagerduty-01E", event.PageNotified, "2026-03-04T02:12:00Z", event.Data{IncidentID: "Q2WXYZ", Responder: "PUSR12"}),
		pd("pagerduty-01F", event.IncidentStatusUpdate, "2026-03-04T02:40:00Z", event.Data{IncidentID: "Q2WXYZ", Responder: "PUSR31", Audience: "stakeholders"}),
		pd("pagerduty-ddf0a6a12b2d024369b5b24540298272", event.IncidentRoleAssigned, "2026-03-04T02:19:30Z",
			event.Data{IncidentID: "Q2WXYZ", Role: "commander", Responder: "PUSR31"}),
		{ID: "am-1", Source: "alertmanager", Type: event.AlertTriggered, Time: at("2026-03-04T02:10:00Z"), Data: event.Data{AlertKey: "k"}},
	}
	if _, err := old.WriteBatch(ctx, store.Batch{Rows: rows(evs...)}); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := store.Open(ctx, path, store.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := map[string]bool{}
	for i, e := range evs {
		if i == 3 { // the second of the two reassignments is dropped
			continue
		}
		id := e.ID
		if e.Source == decode.PagerDuty {
			id = decode.PagerDutyID(&e)
		}
		want[id] = true
	}
	r, err := s.DB().QueryContext(ctx, `SELECT id FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for r.Next() {
		var id string
		if err := r.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got[id] = true
	}
	r.Close()
	if len(got) != len(want) {
		t.Errorf("%d events after migration, want %d: %v", len(got), len(want), got)
	}
	for id := range want {
		if !got[id] {
			t.Errorf("missing %s after migration (have %v)", id, got)
		}
	}
	var stale int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM store_flags WHERE name = 'derived_stale'`).Scan(&stale); err != nil || stale != 1 {
		t.Errorf("derived_stale flag: %d (%v), want set", stale, err)
	}
	// The same transitions decoded again are all duplicates, each one on its
	// own (the store's duplicate check looks from the earliest time of a
	// batch on, so one batch per event is the strict case).
	again := make([]event.Event, len(evs))
	for i, e := range evs {
		if e.Source == decode.PagerDuty { // as the decoder makes them now
			e.ID = decode.PagerDutyID(&e)
			e.Time = e.Time.Truncate(time.Second)
		}
		again[i] = e
	}
	for _, e := range again {
		res, err := s.WriteBatch(ctx, store.Batch{Rows: rows(e)})
		if err != nil || res.Stored != 0 {
			t.Fatalf("after migration %s %s stored %d new (%v), want 0", e.Type, e.Time, res.Stored, err)
		}
	}
}

// TestOpsgenieIDMigration: a store of schema version 5 holding Opsgenie
// events under the old id rule (type, alertId, action and the
// createdAt/updatedAt stamp) is migrated to decode.OpsgenieID for the
// triggered, acknowledged and resolved types: every rewritten id equals the
// Go function's, times are whole seconds, the other Opsgenie types (pages,
// escalations) and other sources are untouched, two old events that are one
// transition by the new rule keep one row, and the derived tables are
// marked stale. The same transitions decoded again are duplicates.
func TestOpsgenieIDMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.duckdb")
	old, err := store.OpenAtVersion(ctx, path, 5)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339Nano, s); return tm }
	og := func(id string, typ event.Type, tm string, d event.Data) event.Event {
		return event.Event{ID: id, Source: decode.Opsgenie, Type: typ, Time: at(tm), Data: d}
	}
	alert := event.Data{AlertKey: "ledger:ReplicationLag", Team: "f3e2d1c0", Severity: "SEV3"}
	inc := alert
	inc.IncidentID = "5b1d0f3e-82bb-4d2f-9c1f-3e6a9b7d2c88"
	withResp := func(d event.Data, r string) event.Data { d.Responder = r; return d }
	evs := []event.Event{
		og("opsgenie-old01", event.AlertTriggered, "2026-03-04T03:00:00Z", alert),
		og("opsgenie-old02", event.IncidentTriggered, "2026-03-04T03:00:00Z", inc),
		og("opsgenie-old03", event.AlertAcknowledged, "2026-03-04T03:09:00.25Z", withResp(alert, "chidi@example.com")),
		og("opsgenie-old04", event.IncidentAcknowledged, "2026-03-04T03:09:00.25Z", withResp(inc, "chidi@example.com")),
		// acknowledged again within the same second (after an unack): one
		// transition by the new rule.
		og("opsgenie-old05", event.IncidentAcknowledged, "2026-03-04T03:09:00.75Z", withResp(inc, "chidi@example.com")),
		og("opsgenie-old06", event.IncidentResolved, "2026-03-04T03:30:00.5Z", withResp(inc, "chidi@example.com")),
		og("opsgenie-old07", event.PageNotified, "2026-03-04T03:01:00.5Z", event.Data{IncidentID: inc.IncidentID, Responder: "chidi@example.com"}),
		og("opsgenie-old08", event.IncidentEscalated, "2026-03-04T03:05:00.5Z", inc),
		{ID: "am-1", Source: "alertmanager", Type: event.AlertTriggered, Time: at("2026-03-04T02:10:00.5Z"), Data: event.Data{AlertKey: "k"}},
	}
	if _, err := old.WriteBatch(ctx, store.Batch{Rows: rows(evs...)}); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := store.Open(ctx, path, store.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// now is each event as the decoder makes it today.
	now := func(e event.Event) event.Event {
		if e.Source == decode.Opsgenie && decode.OpsgenieByTransition(e.Type) {
			e.Time = e.Time.Truncate(time.Second)
			e.ID = decode.OpsgenieID(&e)
		}
		return e
	}
	want := map[string]string{}
	for i, e := range evs {
		if i == 4 { // the second acknowledgement within the second is dropped
			continue
		}
		e = now(e)
		want[e.ID] = e.Time.UTC().Format(time.RFC3339Nano)
	}
	r, err := s.DB().QueryContext(ctx, `SELECT id, time FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for r.Next() {
		var id string
		var tm time.Time
		if err := r.Scan(&id, &tm); err != nil {
			t.Fatal(err)
		}
		got[id] = tm.UTC().Format(time.RFC3339Nano)
	}
	r.Close()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after migration:\n got %v\nwant %v", got, want)
	}
	var stale int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM store_flags WHERE name = 'derived_stale'`).Scan(&stale); err != nil || stale != 1 {
		t.Errorf("derived_stale flag: %d (%v), want set", stale, err)
	}
	for i, e := range evs {
		if e.Source != decode.Opsgenie || !decode.OpsgenieByTransition(e.Type) {
			continue
		}
		e = now(evs[i])
		res, err := s.WriteBatch(ctx, store.Batch{Rows: rows(e)})
		if err != nil || res.Stored != 0 {
			t.Fatalf("after migration %s %s stored %d new (%v), want 0", e.Type, e.Time, res.Stored, err)
		}
	}
}

// TestIncidentIOIDMigration: incident.io events stored under the old rule
// (the webhook-id header and the canonical type; role assignments without
// their time) get decode.IncidentIOID's id and, but for the trigger, their
// time in whole seconds; events that are one by the new rule keep one row;
// a webhook redelivered after the upgrade stores nothing.
func TestIncidentIOIDMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.duckdb")
	old, err := store.OpenAtVersion(ctx, path, 6)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339Nano, s); return tm }
	io := func(id string, typ event.Type, tm string, d event.Data) event.Event {
		return event.Event{ID: id, Source: decode.IncidentIO, Type: typ, Time: at(tm), Data: d}
	}
	inc := event.Data{IncidentID: "01KB0R8X", Title: "Checkout errors", Severity: "SEV2", Labels: map[string]string{"reference": "INC-318"}}
	upd := inc
	upd.Audience = "internal"
	role := event.Data{IncidentID: "01KB0R8X", Role: "commander", Responder: "01HA"}
	// The old rule's role id: incident, role and responder; one id at two
	// times (the created webhook's and a later one's).
	oldRoleID := decode.DerivedID(decode.IncidentIO, string(event.IncidentRoleAssigned), "01KB0R8X", "commander", "01HA")
	roleEv := io(oldRoleID, event.IncidentRoleAssigned, "2026-03-04T02:12:00.125Z", role)
	roleLater := io(oldRoleID, event.IncidentRoleAssigned, "2026-03-04T02:20:30.75Z", role)
	sev := io("", event.IncidentSeverityChanged, "2026-03-04T02:20:30.75Z", func() event.Data { d := inc; d.Severity = "SEV1"; return d }())
	sev.ID = decode.IncidentIOID(&sev)
	evs := []event.Event{
		io("incidentio-msg_1-incident.triggered", event.IncidentTriggered, "2026-03-04T02:12:00.125Z", inc),
		roleEv,
		sev,
		roleLater,
		io("incidentio-msg_2-incident.mitigated", event.IncidentMitigated, "2026-03-04T02:50:00.5Z", inc),
		io("incidentio-msg_2-incident.status_update", event.IncidentStatusUpdate, "2026-03-04T02:50:00.5Z", upd),
		io("incidentio-msg_3-incident.resolved", event.IncidentResolved, "2026-03-04T03:05:10.25Z", inc),
		io("incidentio-msg_3-incident.status_update", event.IncidentStatusUpdate, "2026-03-04T03:05:10.25Z", upd),
		// The same status change delivered again under another webhook-id
		// within the second: one event by the new rule.
		io("incidentio-msg_4-incident.status_update", event.IncidentStatusUpdate, "2026-03-04T03:05:10.5Z", upd),
		io("incidentio-msg_5-incident.reopened", event.IncidentReopened, "2026-03-04T04:00:00Z", inc),
		{ID: "am-1", Source: "alertmanager", Type: event.AlertTriggered, Time: at("2026-03-04T02:10:00.5Z"), Data: event.Data{AlertKey: "k"}},
	}
	// One batch a delivery, as the webhook intake writes them: the later
	// observation of the role, one id at another time, was stored again.
	for _, e := range evs {
		if _, err := old.WriteBatch(ctx, store.Batch{Rows: rows(e)}); err != nil {
			t.Fatal(err)
		}
	}
	var before int
	if err := old.DB().QueryRowContext(ctx, `SELECT count(*) FROM events WHERE id = '`+oldRoleID+`'`).Scan(&before); err != nil || before != 2 {
		t.Fatalf("the old rule stored the role %d times (%v), want 2", before, err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(ctx, path, store.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// now is each event as the decoder makes it today.
	now := func(e event.Event) event.Event {
		if e.Source != decode.IncidentIO {
			return e
		}
		if e.Type != event.IncidentTriggered {
			e.Time = e.Time.Truncate(time.Second)
		}
		e.ID = decode.IncidentIOID(&e)
		return e
	}
	want := map[string]string{}
	for i, e := range evs {
		if i == 8 { // the second status update within the second is dropped
			continue
		}
		e = now(e)
		want[e.ID] = e.Time.UTC().Format(time.RFC3339Nano)
	}
	got := map[string]string{}
	r, err := s.DB().QueryContext(ctx, `SELECT id, time FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var id string
		var tm time.Time
		if err := r.Scan(&id, &tm); err != nil {
			t.Fatal(err)
		}
		got[id] = tm.UTC().Format(time.RFC3339Nano)
	}
	r.Close()
	if len(want) != 10 || !reflect.DeepEqual(got, want) {
		t.Errorf("after migration:\n got %v\nwant %v (%d)", got, want, len(want))
	}
	var stale int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM store_flags WHERE name = 'derived_stale'`).Scan(&stale); err != nil || stale != 1 {
		t.Errorf("derived_stale flag: %d (%v), want set", stale, err)
	}
	for _, e := range evs {
		if e.Source != decode.IncidentIO {
			continue
		}
		e = now(e)
		res, err := s.WriteBatch(ctx, store.Batch{Rows: rows(e)})
		if err != nil || res.Stored != 0 {
			t.Fatalf("after migration %s %s stored %d new (%v), want 0", e.Type, e.Time, res.Stored, err)
		}
	}
}

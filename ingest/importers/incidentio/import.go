// Package incidentio imports history from incident.io's REST API: incidents
// and their updates as the incident events the webhook decoder makes (same
// ids, same mapping: decode.IncidentIOMapper), escalations as pages and
// acknowledgements, schedules' final entries as shift events, written to
// the store window by window with the cursor in the same transaction.
// docs/import.md describes what is read and how, and what the API does not
// give (when a role was assigned; users' time zones).
package incidentio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/store"
)

// Source is the events' source and the import state's key.
const Source = decode.IncidentIO

// Topic is the store topic of imported events and dead letters.
const Topic = "import/incidentio"

// DeadLetterFormat is the format of the dead letters (an API item).
const DeadLetterFormat = "incidentio-api"

// DefaultAPIURL is incident.io's API (the spec's servers).
const DefaultAPIURL = "https://api.incident.io"

// DefaultWindow is the time window each listing covers: a week keeps a
// cursor step small.
const DefaultWindow = 7 * 24 * time.Hour

// DefaultPageSize is the page size asked (each list's documented maximum
// caps it).
const DefaultPageSize = 100

// Options configure one import run.
type Options struct {
	// APIURL is the API URL (DefaultAPIURL when empty).
	APIURL string
	// Token is the incident.io API key; TokenFile, where it was read from,
	// is named in errors (the token itself never is).
	Token, TokenFile string
	// Since and Until bound the incidents' and escalations' creation and
	// the shifts; Until defaults to now.
	Since, Until time.Time
	Mappings     decode.Mappings
	Limits       event.Limits
	// Zones maps a responder (as the mapping names them) to an IANA zone:
	// a roster's. incident.io users carry no time zone; without the roster
	// the zone of a schedule the user is on is taken.
	Zones map[string]string
	// Window is the window size (DefaultWindow); PageSize the page size
	// asked (DefaultPageSize). Tests make them small.
	Window   time.Duration
	PageSize int
	Retry    importers.RetryPolicy
	// Base is the HTTP transport under the retrying one (nil: default).
	Base     http.RoundTripper
	Observer importers.Observer
	// Now is the clock (time.Now).
	Now func() time.Time
}

// ReadToken reads a token file: its content without surrounding space.
// Errors name the file, never its content.
func ReadToken(path string) (string, error) { return importers.ReadToken(Source, path) }

// Pending items are kept in the import state with a kind prefix.
const (
	pendingIncident   = "incident:"
	pendingEscalation = "escalation:"
)

// run is one import in progress.
type run struct {
	o         Options
	api       *api
	tr        *importers.Transport
	st        *store.Store
	mp        decode.IncidentIOMapper
	schedules []apiSchedule
	userZone  map[string]string // user id → the zone of the first schedule that has the user
	problems  importers.Problems
	sum       importers.Summary
	prog      importers.Progress
}

// Import reads [o.Since, o.Until) from incident.io into s and returns what
// it did. It resumes from the stored cursor: windows already complete are
// not read again (a Since before the stored origin reads the older part
// too), and incidents and escalations left open by the last run are read
// again first. Each window is one store transaction with its cursor, so a
// run killed at any point and started again stores every event once. An
// error ends the run (a refused token, an API that keeps failing); what was
// committed stays.
func Import(ctx context.Context, s *store.Store, o Options) (importers.Summary, error) {
	r, err := newRun(s, o)
	if err != nil {
		return importers.Summary{Source: Source}, err
	}
	start := time.Now()
	err = r.run(ctx)
	r.sum.Requests, r.sum.Retries = int(r.tr.Requests.Load()), int(r.tr.Retries.Load())
	r.sum.Elapsed = time.Since(start)
	return r.sum, err
}

func newRun(s *store.Store, o Options) (*run, error) {
	if o.Token == "" {
		return nil, errors.New("incidentio: no API key")
	}
	base, err := CheckAPIURL(o.APIURL)
	if err != nil {
		return nil, err
	}
	since, until, _, err := importers.Range(Source, o.Since, o.Until, o.Now)
	if err != nil {
		return nil, err
	}
	o.Since, o.Until = since, until
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.Limits == (event.Limits{}) {
		o.Limits = event.DefaultLimits()
	}
	mp, err := decode.NewIncidentIOMapper(o.Mappings, o.Limits)
	if err != nil {
		return nil, fmt.Errorf("incidentio: %w", err)
	}
	tr := importers.NewTransport(o.Base, o.Retry)
	tr.RateLimitBody = retryAfterBody
	r := &run{o: o, tr: tr, st: s, mp: mp, problems: importers.Problems{Source: Source, Topic: Topic, Format: DeadLetterFormat}, userZone: map[string]string{},
		sum: importers.Summary{Source: Source, Since: o.Since, Until: o.Until}}
	r.api = &api{hc: &http.Client{Transport: tr}, base: base, token: o.Token, tokenFile: o.TokenFile,
		pageSize: o.PageSize, maxBody: 64 << 20, onPage: r.onPage}
	r.prog.Source = Source
	return r, nil
}

// CheckAPIURL checks an API URL ("" is DefaultAPIURL) and returns it
// without a trailing slash.
func CheckAPIURL(s string) (string, error) {
	if s == "" {
		s = DefaultAPIURL
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return "", fmt.Errorf("incidentio: API URL %q: want http(s)://host[/path]", s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func (r *run) onPage(n int) {
	r.prog.Items += n
	if r.o.Observer != nil {
		r.o.Observer.Progress(r.prog)
	}
}

func (r *run) run(ctx context.Context) error {
	state, have, err := r.st.ImportState(ctx, Source)
	if err != nil {
		return err
	}
	plan := importers.NewPlan(state, have, r.o.Since, r.o.Until, r.o.Window)
	r.sum.Windows = plan.Windows()
	r.prog.WindowsTotal = r.sum.Windows
	r.sum.Cursor = plan.Cursor

	// The schedules come first: a refused token ends the run before
	// anything is written.
	if err := r.readSchedules(ctx); err != nil {
		return err
	}
	return importers.Walk{Source: Source, Store: r.st, Summary: &r.sum, Progress: &r.prog, Observer: r.o.Observer,
		ReadPending: r.pendingItem, ReadWindow: r.window}.Run(ctx, plan)
}

// readSchedules reads the schedules (their names, zones and rotations'
// users). A page of the wrong shape ends the run (dead-lettered) before any
// event is written: without the schedules no shift could be read.
func (r *run) readSchedules(ctx context.Context) error {
	var b importers.Batch
	raws, err := r.api.list(ctx, "/v2/schedules", "schedules", nil, maxPageSchedules)
	if err != nil {
		var bp *badPage
		if !errors.As(err, &bp) {
			return err
		}
		r.problem(&b, "schedules", bp.path, bp.reason, bp.msg, bp.raw)
		if werr := r.deadLetters(ctx, &b); werr != nil {
			return werr
		}
		return fmt.Errorf("incidentio: %s answered a page of the wrong shape (%s; dead-lettered): nothing imported", bp.path, bp.msg)
	}
	r.sum.AddItems("schedules", len(raws))
	for _, raw := range raws {
		var s apiSchedule
		if json.Unmarshal(raw, &s) != nil || s.ID == "" {
			r.problem(&b, "schedule", idOf(raw), event.ReasonWrongType, "not a schedule object", raw)
			continue
		}
		if _, err := event.Location(s.Timezone); err != nil {
			s.Timezone = ""
		}
		r.schedules = append(r.schedules, s)
		if s.Config == nil || s.Timezone == "" {
			continue
		}
		for _, rot := range s.Config.Rotations {
			for _, u := range rot.Users {
				if _, ok := r.userZone[u.ID]; !ok && u.ID != "" {
					r.userZone[u.ID] = s.Timezone
				}
			}
		}
	}
	return r.deadLetters(ctx, &b)
}

// deadLetters writes b's dead letters alone (no events, the state as it is).
func (r *run) deadLetters(ctx context.Context, b *importers.Batch) error {
	if len(b.DeadLetters) == 0 {
		return nil
	}
	res, err := r.st.WriteBatch(ctx, store.Batch{DeadLetters: b.DeadLetters})
	if err != nil {
		return fmt.Errorf("incidentio: %w", err)
	}
	r.sum.DeadLettered += res.DeadLettered
	return nil
}

// problem records an item that cannot be imported (importers.Problems).
func (r *run) problem(b *importers.Batch, kind, id string, reason event.Reason, msg string, raw []byte) {
	r.problems.Add(&r.sum, b, kind, id, reason, msg, raw)
}

// pageError records a page of the wrong shape in b and marks the window
// incomplete; other errors are returned.
func (r *run) pageError(b *importers.Batch, kind string, err error) error {
	var bp *badPage
	if !errors.As(err, &bp) {
		return err
	}
	b.Bad = true
	r.problem(b, kind, bp.path, bp.reason, bp.msg, bp.raw)
	return nil
}

// created asks the list endpoints for items created in w: dates around it
// (the filter takes dates), the items then kept by their created_at.
func created(w importers.Window) url.Values {
	return url.Values{
		"created_at[gte]": {filterDate(w.Start)},
		"created_at[lte]": {filterDate(w.End.Add(24 * time.Hour))},
	}
}

// window reads the incidents and escalations created in w and every
// schedule's entries over w.
func (r *run) window(ctx context.Context, w importers.Window) (importers.Batch, error) {
	var b importers.Batch
	r.prog.Window = w
	raws, err := r.api.list(ctx, "/v2/incidents", "incidents", created(w), maxPageIncidents)
	if err != nil {
		return b, r.pageError(&b, "incidents", err)
	}
	r.sum.AddItems("incidents", len(raws))
	seen := map[string]bool{}
	for _, raw := range raws {
		inc, at, ok := r.decodeIncident(&b, raw)
		if !ok || at.Before(w.Start) || !at.Before(w.End) || seen[inc.ID] {
			continue // another window's (or listed twice: pages moved under the listing)
		}
		seen[inc.ID] = true
		if err := r.incident(ctx, &inc, at, raw, &b); err != nil {
			return b, err
		}
	}
	raws, err = r.api.list(ctx, "/v2/escalations", "escalations", created(w), maxPageEscalations)
	if err != nil {
		if perr := r.pageError(&b, "escalations", err); perr != nil {
			return b, perr
		}
	} else {
		r.sum.AddItems("escalations", len(raws))
		for _, raw := range raws {
			esc, at, ok := r.decodeEscalation(&b, raw)
			if !ok || at.Before(w.Start) || !at.Before(w.End) || seen["esc:"+esc.ID] {
				continue
			}
			seen["esc:"+esc.ID] = true
			r.escalation(&esc, raw, &b)
		}
	}
	if err := r.shifts(ctx, w, &b); err != nil {
		return b, err
	}
	return b, nil
}

// decodeIncident reads one incident item; a problem if it cannot be read.
func (r *run) decodeIncident(b *importers.Batch, raw json.RawMessage) (decode.IncidentIOIncident, time.Time, bool) {
	var inc decode.IncidentIOIncident
	if err := json.Unmarshal(raw, &inc); err != nil || inc.ID == "" {
		msg := "not an incident object"
		if err != nil {
			msg += ": " + err.Error()
		}
		r.problem(b, "incident", idOf(raw), event.ReasonWrongType, msg, raw)
		return inc, time.Time{}, false
	}
	at, err := parseTime(inc.CreatedAt)
	if err != nil {
		r.problem(b, "incident", inc.ID, event.ReasonBadTime, fmt.Sprintf("created_at %q is not an RFC 3339 time", inc.CreatedAt), raw)
		return inc, time.Time{}, false
	}
	return inc, at, true
}

// decodeEscalation reads one escalation item; a problem if it cannot be read.
func (r *run) decodeEscalation(b *importers.Batch, raw json.RawMessage) (apiEscalation, time.Time, bool) {
	var esc apiEscalation
	if err := json.Unmarshal(raw, &esc); err != nil || esc.ID == "" {
		msg := "not an escalation object"
		if err != nil {
			msg += ": " + err.Error()
		}
		r.problem(b, "escalation", idOf(raw), event.ReasonWrongType, msg, raw)
		return esc, time.Time{}, false
	}
	at, err := parseTime(esc.CreatedAt)
	if err != nil {
		r.problem(b, "escalation", esc.ID, event.ReasonBadTime, fmt.Sprintf("created_at %q is not an RFC 3339 time", esc.CreatedAt), raw)
		return esc, time.Time{}, false
	}
	return esc, at, true
}

// pendingItem reads an incident or escalation left open by the last run
// again.
func (r *run) pendingItem(ctx context.Context, p string, b *importers.Batch) error {
	kind, id, path, key := "incident", strings.TrimPrefix(p, pendingIncident), "/v2/incidents/", "incident"
	if strings.HasPrefix(p, pendingEscalation) {
		kind, id, path, key = "escalation", strings.TrimPrefix(p, pendingEscalation), "/v2/escalations/", "escalation"
	} else if !strings.HasPrefix(p, pendingIncident) {
		return nil // not ours: dropped
	}
	raw, err := r.api.one(ctx, path+url.PathEscape(id), key)
	if errors.Is(err, errNotFound) {
		return nil // deleted since
	}
	if err != nil {
		if perr := r.pageError(b, kind, err); perr != nil {
			return perr
		}
		b.Open = append(b.Open, p) // read again next run
		return nil
	}
	if kind == "escalation" {
		r.sum.AddItems("escalations", 1)
		if esc, _, ok := r.decodeEscalation(b, raw); ok {
			r.escalation(&esc, raw, b)
		}
		return nil
	}
	r.sum.AddItems("incidents", 1)
	inc, at, ok := r.decodeIncident(b, raw)
	if !ok {
		return nil
	}
	return r.incident(ctx, &inc, at, raw, b)
}

// zone is the responder's zone: the roster's, else the zone of the first
// schedule whose rotations have the user (incident.io users carry none).
func (r *run) zone(who, userID string) string {
	if z, ok := r.o.Zones[who]; ok && z != "" {
		return z
	}
	return r.userZone[userID]
}

func (r *run) add(b *importers.Batch, kind, id string, raw []byte, evs ...event.Event) {
	for i := range evs {
		if err := event.Validate(&evs[i], r.o.Limits); err != nil {
			r.problem(b, kind, id, reasonOf(err), fmt.Sprintf("%s: %v", evs[i].Type, err), raw)
			continue
		}
		b.Rows = append(b.Rows, store.Row{Event: evs[i], Topic: Topic})
		r.sum.Events++
	}
}

func reasonOf(err error) event.Reason {
	var e *event.Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return event.ReasonBadValue
}

// Package oncall imports history from Grafana OnCall's public API (/api/v1):
// alert groups as the incident events the outgoing-webhook decoder makes
// (same ids, same mapping: decode.OnCallMapper), schedules' final shifts as
// shift events, users' time zones, written to the store window by window
// with the cursor in the same transaction. docs/import.md describes what
// is read and how, and what the API does not give (notifications).
package oncall

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/store"
)

// Source is the events' source and the import state's key.
const Source = decode.OnCall

// Topic is the store topic of imported events and dead letters.
const Topic = "import/oncall"

// DeadLetterFormat is the format of the dead letters (an API item).
const DeadLetterFormat = "oncall-api"

// DefaultWindow is the time window each listing covers: a week keeps a
// cursor step small. final_shifts takes at most 365 days (MaxWindow).
const DefaultWindow = 7 * 24 * time.Hour

// MaxWindow is the longest window: final_shifts refuses a period of more
// than 365 days (FinalShiftQueryParamsSerializer), and a window's shifts
// are asked with a minute of margin on each side.
const MaxWindow = 364 * 24 * time.Hour

// DefaultPageSize is the page size asked (perpage): the public API's
// paginators' max_page_size.
const DefaultPageSize = 100

// Options configure one import run.
type Options struct {
	// APIURL is the OnCall API URL (OnCall → Settings; for Grafana Cloud
	// e.g. https://oncall-prod-us-central-0.grafana.net/oncall), without
	// /api/v1. Required: every stack has its own.
	APIURL string
	// Token is the OnCall API key; TokenFile, where it was read from, is
	// named in errors (the token itself never is).
	Token, TokenFile string
	// Since and Until bound the alert groups' creation and the shifts;
	// Until defaults to now.
	Since, Until time.Time
	Mappings     decode.Mappings
	Limits       event.Limits
	// Zones maps a responder (as the mapping names them) to an IANA zone
	// that wins over the user's OnCall timezone: a roster's.
	Zones map[string]string
	// Window is the window size (DefaultWindow, at most MaxWindow);
	// PageSize the page size asked (DefaultPageSize). Tests make them small.
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

// run is one import in progress.
type run struct {
	o            Options
	api          *api
	tr           *importers.Transport
	st           *store.Store
	mp           decode.OnCallMapper
	users        map[string]apiUser
	teams        map[string]string // id → name
	integrations map[string]apiIntegration
	schedules    []apiSchedule
	// needPayload: the mapping reads label: selectors, which fall back to
	// the first alert's payload (as the webhook's alert_payload).
	needPayload bool
	// problems records what could not be imported, each item once.
	problems importers.Problems
	sum      importers.Summary
	now      time.Time
	prog     importers.Progress
}

// Import reads [o.Since, o.Until) from Grafana OnCall into s and returns
// what it did. It resumes from the stored cursor: windows already complete
// are not read again (a Since before the stored origin reads the older part
// too), and alert groups left unresolved by the last run are read again
// first. Each window is one store transaction with its cursor, so a run
// killed at any point and started again stores every event once. An error
// ends the run (a refused token, an API that keeps failing); what was
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
		return nil, errors.New("oncall: no API token")
	}
	base, err := CheckAPIURL(o.APIURL)
	if err != nil {
		return nil, err
	}
	since, until, now, err := importers.Range(Source, o.Since, o.Until, o.Now)
	if err != nil {
		return nil, err
	}
	o.Since, o.Until = since, until
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	o.Window = min(o.Window, MaxWindow)
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.Limits == (event.Limits{}) {
		o.Limits = event.DefaultLimits()
	}
	mp, err := decode.NewOnCallMapper(o.Mappings)
	if err != nil {
		return nil, fmt.Errorf("oncall: %w", err)
	}
	tr := importers.NewTransport(o.Base, o.Retry)
	r := &run{o: o, tr: tr, st: s, mp: mp, problems: importers.Problems{Source: Source, Topic: Topic, Format: DeadLetterFormat}, now: now,
		sum: importers.Summary{Source: Source, Since: o.Since, Until: o.Until}}
	m := o.Mappings.For(decode.OnCall)
	for _, sel := range slices.Concat(m.TeamFrom, m.ServiceFrom, m.SeverityFrom) {
		if strings.HasPrefix(sel, "label:") {
			r.needPayload = true
		}
	}
	r.api = &api{hc: &http.Client{Transport: tr}, base: base, token: o.Token, tokenFile: o.TokenFile,
		pageSize: o.PageSize, maxBody: 64 << 20, onPage: r.onPage}
	r.prog.Source = Source
	return r, nil
}

// CheckAPIURL checks an API URL and returns it without a trailing slash or
// /api/v1 (which the request paths add).
func CheckAPIURL(s string) (string, error) {
	if s == "" {
		return "", errors.New("oncall: no API URL (--api-url: OnCall → Settings, e.g. https://oncall-prod-us-central-0.grafana.net/oncall)")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return "", fmt.Errorf("oncall: API URL %q: want http(s)://host[/path]", s)
	}
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/api/v1")
	u.RawPath = ""
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

	// The reference lists come first: a refused token ends the run before
	// anything is written.
	if err := r.readReferences(ctx); err != nil {
		return err
	}
	return importers.Walk{Source: Source, Store: r.st, Summary: &r.sum, Progress: &r.prog, Observer: r.o.Observer,
		ReadPending: r.pendingGroup, ReadWindow: r.window}.Run(ctx, plan)
}

// readReferences reads users (time zones, user names), teams (names),
// integrations (type, name) and schedules. Without them alert groups would
// be mapped otherwise than the webhook maps them, so a page of the wrong
// shape here ends the run (dead-lettered) before any event is written.
func (r *run) readReferences(ctx context.Context) error {
	r.users, r.teams, r.integrations = map[string]apiUser{}, map[string]string{}, map[string]apiIntegration{}
	lists := []struct {
		path, kind string
		add        func(raw json.RawMessage) (id string, ok bool)
	}{
		{"/api/v1/users/", "user", func(raw json.RawMessage) (string, bool) {
			var u apiUser
			if json.Unmarshal(raw, &u) != nil || u.ID == "" {
				return idOf(raw), false
			}
			r.users[u.ID] = u
			return u.ID, true
		}},
		{"/api/v1/teams/", "team", func(raw json.RawMessage) (string, bool) {
			var t apiTeam
			if json.Unmarshal(raw, &t) != nil || t.ID == "" {
				return idOf(raw), false
			}
			r.teams[t.ID] = t.Name
			return t.ID, true
		}},
		{"/api/v1/integrations/", "integration", func(raw json.RawMessage) (string, bool) {
			var in apiIntegration
			if json.Unmarshal(raw, &in) != nil || in.ID == "" {
				return idOf(raw), false
			}
			r.integrations[in.ID] = in
			return in.ID, true
		}},
		{"/api/v1/schedules/", "schedule", func(raw json.RawMessage) (string, bool) {
			var s apiSchedule
			if json.Unmarshal(raw, &s) != nil || s.ID == "" {
				return idOf(raw), false
			}
			r.schedules = append(r.schedules, s)
			return s.ID, true
		}},
	}
	var b importers.Batch
	for _, l := range lists {
		raws, err := r.api.list(ctx, l.path, nil)
		if err != nil {
			var bp *badPage
			if !errors.As(err, &bp) {
				return err
			}
			r.problem(&b, l.kind+"s", bp.path, bp.reason, bp.msg, bp.raw)
			if werr := r.deadLetters(ctx, &b); werr != nil {
				return werr
			}
			return fmt.Errorf("oncall: %s answered a page of the wrong shape (%s; dead-lettered): nothing imported", l.path, bp.msg)
		}
		r.sum.AddItems(l.kind+"s", len(raws))
		for _, raw := range raws {
			if id, ok := l.add(raw); !ok {
				r.problem(&b, l.kind, id, event.ReasonWrongType, "not a "+l.kind+" object", raw)
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
		return fmt.Errorf("oncall: %w", err)
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

// window reads the alert groups created in w and every schedule's final
// shifts over w.
func (r *run) window(ctx context.Context, w importers.Window) (importers.Batch, error) {
	var b importers.Batch
	r.prog.Window = w
	// started_at takes whole seconds, both ends inclusive, and started_at
	// has microseconds: a group at w.End exactly is listed by this window
	// and the next, and kept by the next ([start, end) here).
	q := url.Values{"started_at": {filterTime(w.Start) + "_" + filterTime(w.End)}}
	raws, err := r.api.list(ctx, "/api/v1/alert_groups/", q)
	if err != nil {
		return b, r.pageError(&b, "alert_groups", err)
	}
	r.sum.AddItems("alert_groups", len(raws))
	seen := map[string]bool{}
	for _, raw := range raws {
		g, created, ok := r.decodeGroup(&b, raw)
		if !ok {
			continue
		}
		if created.Before(w.Start) || !created.Before(w.End) || seen[g.ID] {
			continue // another window's (or listed twice: pages moved under the listing)
		}
		seen[g.ID] = true
		if err := r.group(ctx, &g, created, raw, &b); err != nil {
			return b, err
		}
	}
	if err := r.shifts(ctx, w, &b); err != nil {
		return b, err
	}
	return b, nil
}

// decodeGroup reads one alert group item; a problem if it cannot be read.
func (r *run) decodeGroup(b *importers.Batch, raw json.RawMessage) (apiAlertGroup, time.Time, bool) {
	var g apiAlertGroup
	if err := json.Unmarshal(raw, &g); err != nil || g.ID == "" {
		msg := "not an alert group object"
		if err != nil {
			msg += ": " + err.Error()
		}
		r.problem(b, "alert_group", idOf(raw), event.ReasonWrongType, msg, raw)
		return g, time.Time{}, false
	}
	created, err := parseTime(g.CreatedAt)
	if err != nil {
		r.problem(b, "alert_group", g.ID, event.ReasonBadTime, fmt.Sprintf("created_at %q is not an ISO 8601 time", g.CreatedAt), raw)
		return g, time.Time{}, false
	}
	return g, created, true
}

// pendingGroup reads an alert group left unresolved by the last run again.
func (r *run) pendingGroup(ctx context.Context, id string, b *importers.Batch) error {
	raw, err := r.api.alertGroup(ctx, id)
	if errors.Is(err, errNotFound) {
		return nil // deleted since
	}
	if err != nil {
		if perr := r.pageError(b, "alert_group", err); perr != nil {
			return perr
		}
		b.Open = append(b.Open, id) // read again next run
		return nil
	}
	r.sum.AddItems("alert_groups", 1)
	g, created, ok := r.decodeGroup(b, raw)
	if !ok {
		return nil
	}
	return r.group(ctx, &g, created, raw, b)
}

// zone is the responder's zone: the override (a roster), else the user's
// OnCall timezone if it is an IANA zone.
func (r *run) zone(who, userID string) string {
	if z, ok := r.o.Zones[who]; ok && z != "" {
		return z
	}
	u, ok := r.users[userID]
	if !ok || u.Timezone == nil || *u.Timezone == "" {
		return ""
	}
	if _, err := event.Location(*u.Timezone); err != nil {
		return ""
	}
	return *u.Timezone
}

func reasonOf(err error) event.Reason {
	var e *event.Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return event.ReasonBadValue
}

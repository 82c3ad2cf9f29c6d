// Package pagerduty imports history from PagerDuty's REST API v2: incidents
// and their log entries, on-call entries and users' time zones, as the
// canonical events the Webhooks V3 decoder makes (same ids, same mapping),
// written to the store window by window with the cursor in the same
// transaction. docs/import.md describes what is read and how.
package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/ingest/decode"
	"github.com/pagerlens/pagerlens/ingest/importers"
	"github.com/pagerlens/pagerlens/store"
)

// Source is the events' source and the import state's key.
const Source = decode.PagerDuty

// Topic is the store topic of imported events and dead letters.
const Topic = "import/pagerduty"

// DeadLetterFormat is the format of the dead letters (an API item).
const DeadLetterFormat = "pagerduty-api"

// DefaultAPIURL is PagerDuty's REST API.
const DefaultAPIURL = "https://api.pagerduty.com"

// OffsetCap is PagerDuty's pagination cap: offset+limit may not exceed
// 10000 (developer docs, REST API "Pagination", "Maximum upper limit of
// classic pagination").
const OffsetCap = 10000

// DefaultWindow is the time window each listing starts with. /incidents
// takes at most 6 months between since and until (API reference); a week
// keeps a cursor step small, and a busier week is split further.
const DefaultWindow = 7 * 24 * time.Hour

// Options configure one import run.
type Options struct {
	APIURL string // DefaultAPIURL if empty
	// Token is the REST API key; TokenFile, where it was read from, is
	// named in errors (the token itself never is).
	Token, TokenFile string
	// Since and Until bound the incidents' creation and the on-call
	// entries; Until defaults to now.
	Since, Until time.Time
	// TeamIDs restricts incidents (team_ids[]) and on-call shifts (their
	// schedule's teams) to these teams; empty means all.
	TeamIDs  []string
	Mappings decode.Mappings
	Limits   event.Limits
	// Zones maps a responder (as the mapping names them) to an IANA zone
	// that wins over the user's PagerDuty time_zone: a roster's.
	Zones map[string]string
	// Window is the first window size (DefaultWindow); PageLimit the page
	// size asked for (100, PagerDuty's maximum); OffsetCap the pagination
	// cap (OffsetCap). Tests make them small.
	Window    time.Duration
	PageLimit int
	OffsetCap int
	Retry     importers.RetryPolicy
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
	o     Options
	api   *api
	tr    *importers.Transport
	st    *store.Store
	mp    decode.PagerDutyMapper
	users map[string]pd.User
	gone  map[string]bool // user ids the API does not know
	// problems records what could not be imported, each item once.
	problems importers.Problems
	teams    map[string]bool
	sum      importers.Summary
	now      time.Time
	prog     importers.Progress
}

// Import reads [o.Since, o.Until) from PagerDuty into s and returns what it
// did. It resumes from the stored cursor: windows already complete are not
// read again (a Since before the stored origin reads the older part too),
// and incidents left open by the last run are read again first. Each window
// is one store transaction with its cursor, so a run killed at any point
// and started again stores every event once. An error ends the run (a
// refused token, an API that keeps failing); what was committed stays.
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
		return nil, errors.New("pagerduty: no API token")
	}
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	u, err := url.Parse(o.APIURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("pagerduty: API URL %q: want http(s)://host", o.APIURL)
	}
	since, until, now, err := importers.Range(Source, o.Since, o.Until, o.Now)
	if err != nil {
		return nil, err
	}
	o.Since, o.Until = since, until
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.PageLimit <= 0 || o.PageLimit > 100 {
		o.PageLimit = 100
	}
	if o.OffsetCap <= 0 {
		o.OffsetCap = OffsetCap
	}
	if o.Limits == (event.Limits{}) {
		o.Limits = event.DefaultLimits()
	}
	mp, err := decode.NewPagerDutyMapper(o.Mappings)
	if err != nil {
		return nil, fmt.Errorf("pagerduty: %w", err)
	}
	tr := importers.NewTransport(o.Base, o.Retry)
	c := pd.NewClient(o.Token, pd.WithAPIEndpoint(strings.TrimRight(o.APIURL, "/")))
	c.HTTPClient = &http.Client{Transport: tr}
	r := &run{o: o, tr: tr, st: s, mp: mp, gone: map[string]bool{}, problems: importers.Problems{Source: Source, Topic: Topic, Format: DeadLetterFormat}, now: now,
		sum: importers.Summary{Source: Source, Since: o.Since, Until: o.Until}}
	r.api = &api{c: c, base: strings.TrimRight(o.APIURL, "/"), tokenFile: o.TokenFile, pageLimit: o.PageLimit,
		offsetCap: o.OffsetCap, maxBody: 64 << 20, onPage: r.onPage}
	if len(o.TeamIDs) > 0 {
		r.teams = map[string]bool{}
		for _, t := range o.TeamIDs {
			r.teams[t] = true
		}
	}
	r.prog.Source = Source
	return r, nil
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

	r.users, err = r.readUsers(ctx)
	if err != nil {
		return err
	}
	return importers.Walk{Source: Source, Store: r.st, Summary: &r.sum, Progress: &r.prog, Observer: r.o.Observer,
		ReadPending: r.pendingIncident, ReadWindow: r.window}.Run(ctx, plan)
}

func (r *run) readUsers(ctx context.Context) (map[string]pd.User, error) {
	users, bad, err := r.api.users(ctx)
	if err != nil {
		var bp *badPage
		if errors.As(err, &bp) {
			// Without the list, users are read one by one as they are met.
			r.problem(nil, "users", "", bp.reason, bp.Error(), bp.raw)
			return map[string]pd.User{}, nil
		}
		return nil, err
	}
	r.sum.AddItems("users", len(users)+len(bad))
	for _, raw := range bad {
		r.problem(nil, "user", idOf(raw), event.ReasonWrongType, "not a User object", raw)
	}
	return users, nil
}

// problem records an item that cannot be imported (importers.Problems).
func (r *run) problem(b *importers.Batch, kind, id string, reason event.Reason, msg string, raw []byte) {
	r.problems.Add(&r.sum, b, kind, id, reason, msg, raw)
}

// badPage records a page of the wrong shape in b and marks the window
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

// window reads the incidents created in w (with their log entries) and the
// on-call entries overlapping w.
func (r *run) window(ctx context.Context, w importers.Window) (importers.Batch, error) {
	var b importers.Batch
	r.prog.Window = w
	q := url.Values{"time_zone": {"UTC"}}
	for _, t := range r.o.TeamIDs {
		q.Add("team_ids[]", t)
	}
	// since/until are padded by a second and the incidents filtered here by
	// created_at: PagerDuty does not document whether the bounds are
	// inclusive, and an incident on a window's edge must be in exactly one.
	raws, _, err := r.api.listSplit(ctx, "/incidents", q, "incidents", w, func(q url.Values, w importers.Window) {
		q.Set("since", apiTime(w.Start.Add(-time.Second)))
		q.Set("until", apiTime(w.End.Add(time.Second)))
	})
	if err != nil {
		return b, r.pageError(&b, "incidents", err)
	}
	r.sum.AddItems("incidents", len(raws))
	seen := map[string]bool{}
	for _, raw := range raws {
		var inc apiIncident
		if err := json.Unmarshal(raw, &inc); err != nil || inc.ID == "" {
			r.problem(&b, "incident", idOf(raw), event.ReasonWrongType, "not an Incident object", raw)
			continue
		}
		created, err := time.Parse(time.RFC3339Nano, inc.CreatedAt)
		if err != nil {
			r.problem(&b, "incident", inc.ID, event.ReasonBadTime, fmt.Sprintf("created_at %q is not an RFC 3339 time", inc.CreatedAt), raw)
			continue
		}
		if created.Before(w.Start) || !created.Before(w.End) || seen[inc.ID] {
			continue // another window's (or listed twice)
		}
		seen[inc.ID] = true
		if err := r.incident(ctx, &inc, created, raw, &b); err != nil {
			return b, err
		}
	}
	if err := r.onCalls(ctx, w, &b); err != nil {
		return b, err
	}
	return b, nil
}

// pendingIncident reads an incident left open by the last run again.
func (r *run) pendingIncident(ctx context.Context, id string, b *importers.Batch) error {
	raw, ok, err := r.api.incident(ctx, id)
	if err != nil {
		return r.pageError(b, "incident", err)
	}
	if !ok {
		return nil // deleted, or merged into another
	}
	r.sum.AddItems("incidents", 1)
	var inc apiIncident
	if err := json.Unmarshal(raw, &inc); err != nil || inc.ID == "" {
		r.problem(b, "incident", id, event.ReasonWrongType, "not an Incident object", raw)
		return nil
	}
	created, err := time.Parse(time.RFC3339Nano, inc.CreatedAt)
	if err != nil {
		r.problem(b, "incident", id, event.ReasonBadTime, fmt.Sprintf("created_at %q is not an RFC 3339 time", inc.CreatedAt), raw)
		return nil
	}
	return r.incident(ctx, &inc, created, raw, b)
}

// incident reads the log entries of inc and maps them.
func (r *run) incident(ctx context.Context, inc *apiIncident, created time.Time, raw json.RawMessage, b *importers.Batch) error {
	if inc.Status != "resolved" {
		b.Open = append(b.Open, inc.ID)
	}
	span := importers.Window{Start: created.Add(-time.Minute).Truncate(time.Second), End: r.now.Add(time.Minute)}
	entries, _, err := r.api.listSplit(ctx, "/incidents/"+url.PathEscape(inc.ID)+"/log_entries", url.Values{"time_zone": {"UTC"}}, "log_entries", span,
		func(q url.Values, w importers.Window) {
			q.Set("since", apiTime(w.Start))
			q.Set("until", apiTime(w.End))
		})
	if err != nil {
		if perr := r.pageError(b, "log_entries", err); perr != nil {
			return perr
		}
		b.Open = append(b.Open, inc.ID) // read again next run
		return nil
	}
	r.sum.AddItems("log_entries", len(entries))
	evs := r.mapIncident(ctx, inc, created, entries, b)
	for i := range evs {
		if err := event.Validate(&evs[i], r.o.Limits); err != nil {
			r.problem(b, "incident", inc.ID, reasonOf(err), fmt.Sprintf("%s: %v", evs[i].Type, err), raw)
			continue
		}
		b.Rows = append(b.Rows, store.Row{Event: evs[i], Topic: Topic})
		r.sum.Events++
	}
	return nil
}

func reasonOf(err error) event.Reason {
	var e *event.Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return event.ReasonBadValue
}

// zone is the responder's zone: the override (a roster), else the user's
// PagerDuty time_zone if it is an IANA zone.
func (r *run) zone(ctx context.Context, who string, userID string) string {
	if z, ok := r.o.Zones[who]; ok && z != "" {
		return z
	}
	u, ok := r.users[userID]
	if !ok && userID != "" && !r.gone[userID] {
		var err error
		if u, ok, err = r.api.user(ctx, userID); err != nil || !ok {
			r.gone[userID] = true
		} else {
			r.users[userID] = u
			r.sum.AddItems("users", 1)
		}
	}
	if u.Timezone == "" {
		return ""
	}
	if _, err := event.Location(u.Timezone); err != nil {
		return ""
	}
	return u.Timezone
}

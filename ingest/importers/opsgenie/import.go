// Package opsgenie imports history from Opsgenie's REST API: alerts (with
// their acknowledgement and close from the alert's report), the users each
// alert was sent to (its recipients), users' time zones and the final
// timeline of every schedule, as the canonical events the outgoing-webhook
// decoder makes (same ids for the same transitions, same mapping), written
// to the store window by window with the cursor in the same transaction.
// docs/import.md describes what is read and how.
package opsgenie

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
const Source = decode.Opsgenie

// Topic is the store topic of imported events and dead letters.
const Topic = "import/opsgenie"

// DeadLetterFormat is the format of the dead letters (an API item).
const DeadLetterFormat = "opsgenie-api"

// DefaultAPIURL is Opsgenie's API; accounts in the EU region use
// EUAPIURL (the SDK's client.API_URL and API_URL_EU).
const (
	DefaultAPIURL = "https://api.opsgenie.com"
	EUAPIURL      = "https://api.eu.opsgenie.com"
)

// OffsetCap bounds offset+limit of one alerts listing; a window with more
// alerts is halved. It is pagerlens's own bound, not a documented limit of
// Opsgenie's (the OpenAPI spec states none): it keeps a listing short, and
// a deep offset into a search that changes under it unlikely.
const OffsetCap = 10000

// DefaultWindow is the time window each listing starts with: a day keeps
// a cursor step small (each alert costs two more requests), and a busier
// day is split further.
const DefaultWindow = 24 * time.Hour

// Options configure one import run.
type Options struct {
	APIURL string // DefaultAPIURL if empty; EUAPIURL for the EU region
	// Token is the API key; TokenFile, where it was read from, is named in
	// errors (the key itself never is).
	Token, TokenFile string
	// Since and Until bound the alerts' creation and the schedules'
	// timelines; Until defaults to now.
	Since, Until time.Time
	Mappings     decode.Mappings
	Limits       event.Limits
	// Zones maps a responder (as the mapping names them) to an IANA zone
	// that wins over the user's Opsgenie timeZone: a roster's.
	Zones map[string]string
	// Window is the first window size (DefaultWindow); PageLimit the page
	// size asked for (100, Opsgenie's maximum); OffsetCap the listing cap
	// (OffsetCap). Tests make them small.
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
	o      Options
	api    *api
	tr     *importers.Transport
	st     *store.Store
	mp     decode.OpsgenieMapper
	users  map[string]apiUser // by id
	byName map[string]apiUser // by username
	// problems records what could not be imported, each item once.
	problems importers.Problems
	sum      importers.Summary
	now      time.Time
	prog     importers.Progress
}

// Import reads [o.Since, o.Until) from Opsgenie into s and returns what it
// did. It resumes from the stored cursor: windows already complete are not
// read again (a Since before the stored origin reads the older part too),
// and alerts left open by the last run are read again first. Each window
// is one store transaction with its cursor, so a run killed at any point
// and started again stores every event once. An error ends the run (a
// refused key, an API that keeps failing); what was committed stays.
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
		return nil, errors.New("opsgenie: no API key")
	}
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	u, err := url.Parse(o.APIURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("opsgenie: API URL %q: want http(s)://host, e.g. %s or %s", o.APIURL, DefaultAPIURL, EUAPIURL)
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
	mp, err := decode.NewOpsgenieMapper(o.Mappings)
	if err != nil {
		return nil, fmt.Errorf("opsgenie: %w", err)
	}
	base := o.Base
	if base == nil {
		base = http.DefaultTransport
	}
	tr := importers.NewTransport(periodHint{base: base}, o.Retry)
	r := &run{o: o, tr: tr, st: s, mp: mp, problems: importers.Problems{Source: Source, Topic: Topic, Format: DeadLetterFormat}, now: now,
		sum: importers.Summary{Source: Source, Since: o.Since, Until: o.Until}}
	r.api = &api{hc: &http.Client{Transport: tr}, base: strings.TrimRight(o.APIURL, "/"), token: o.Token,
		tokenFile: o.TokenFile, pageLimit: o.PageLimit, offsetCap: o.OffsetCap, maxBody: 64 << 20, onPage: r.onPage}
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

	if err := r.readUsers(ctx); err != nil {
		return err
	}
	schedules, err := r.readSchedules(ctx)
	if err != nil {
		return err
	}
	return importers.Walk{Source: Source, Store: r.st, Summary: &r.sum, Progress: &r.prog, Observer: r.o.Observer,
		ReadPending: r.pendingAlert, ReadWindow: func(ctx context.Context, w importers.Window) (importers.Batch, error) {
			return r.window(ctx, w, schedules)
		}}.Run(ctx, plan)
}

// readUsers reads every user's id, username and time zone (GET /v2/users).
// Without the list (an answer of the wrong shape) the run goes on: users
// are then named as the alerts name them, and have no zone from Opsgenie.
func (r *run) readUsers(ctx context.Context) error {
	r.users, r.byName = map[string]apiUser{}, map[string]apiUser{}
	items, err := r.api.list(ctx, "/v2/users", url.Values{})
	if errors.Is(err, errCap) {
		return nil
	}
	if err != nil {
		var bp *badPage
		if errors.As(err, &bp) {
			r.problem(nil, "users", "", bp.reason, bp.Error(), bp.raw)
			return nil
		}
		return err
	}
	r.sum.AddItems("users", len(items))
	for _, raw := range items {
		var u apiUser
		if err := json.Unmarshal(raw, &u); err != nil || u.ID == "" {
			r.problem(nil, "user", idOf(raw), event.ReasonWrongType, "not a User object", raw)
			continue
		}
		r.users[u.ID] = u
		if u.Username != "" {
			r.byName[strings.ToLower(u.Username)] = u
		}
	}
	return nil
}

// readSchedules lists the schedules whose timelines are read per window.
func (r *run) readSchedules(ctx context.Context) ([]apiSchedule, error) {
	items, err := r.api.schedules(ctx)
	if err != nil {
		var bp *badPage
		if errors.As(err, &bp) {
			r.problem(nil, "schedules", "", bp.reason, bp.Error(), bp.raw)
			return nil, nil
		}
		return nil, err
	}
	r.sum.AddItems("schedules", len(items))
	var out []apiSchedule
	for _, raw := range items {
		var s apiSchedule
		if err := json.Unmarshal(raw, &s); err != nil || s.ID == "" {
			r.problem(nil, "schedule", idOf(raw), event.ReasonWrongType, "not a Schedule object", raw)
			continue
		}
		out = append(out, s)
	}
	return out, nil
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

// window reads the alerts created in w (each in full, with its recipients)
// and the schedules' timelines over w.
func (r *run) window(ctx context.Context, w importers.Window, schedules []apiSchedule) (importers.Batch, error) {
	var b importers.Batch
	r.prog.Window = w
	raws, err := r.api.listAlerts(ctx, w)
	if err != nil {
		return b, r.pageError(&b, "alerts", err)
	}
	r.sum.AddItems("alerts", len(raws))
	seen := map[string]bool{}
	for _, raw := range raws {
		var a apiAlert
		if err := json.Unmarshal(raw, &a); err != nil || a.ID == "" {
			r.problem(&b, "alert", idOf(raw), event.ReasonWrongType, "not an Alert object", raw)
			continue
		}
		created, err := time.Parse(time.RFC3339Nano, a.CreatedAt)
		if err != nil {
			r.problem(&b, "alert", a.ID, event.ReasonBadTime, fmt.Sprintf("createdAt %q is not an RFC 3339 time", a.CreatedAt), raw)
			continue
		}
		if created.Before(w.Start) || !created.Before(w.End) || seen[a.ID] {
			continue // another window's (or listed twice)
		}
		seen[a.ID] = true
		// The list has no entity (the service): read the alert itself.
		full, ok, err := r.api.alert(ctx, a.ID)
		if err != nil {
			if perr := r.pageError(&b, "alert", err); perr != nil {
				return b, perr
			}
			b.Open = append(b.Open, a.ID) // read again next run
			continue
		}
		if !ok {
			continue // deleted since it was listed
		}
		if err := r.alert(ctx, full, &b); err != nil {
			return b, err
		}
	}
	for _, s := range schedules {
		if err := r.timeline(ctx, s, w, &b); err != nil {
			return b, err
		}
	}
	return b, nil
}

// pendingAlert reads an alert left open by the last run again.
func (r *run) pendingAlert(ctx context.Context, id string, b *importers.Batch) error {
	raw, ok, err := r.api.alert(ctx, id)
	if err != nil {
		if perr := r.pageError(b, "alert", err); perr != nil {
			return perr
		}
		return nil
	}
	if !ok {
		return nil // deleted
	}
	r.sum.AddItems("alerts", 1)
	return r.alert(ctx, raw, b)
}

// alert maps one alert (GET /v2/alerts/{id}) and its recipients.
func (r *run) alert(ctx context.Context, raw json.RawMessage, b *importers.Batch) error {
	var a apiAlert
	if err := json.Unmarshal(raw, &a); err != nil || a.ID == "" {
		r.problem(b, "alert", idOf(raw), event.ReasonWrongType, "not an Alert object", raw)
		return nil
	}
	created, err := time.Parse(time.RFC3339Nano, a.CreatedAt)
	if err != nil {
		r.problem(b, "alert", a.ID, event.ReasonBadTime, fmt.Sprintf("createdAt %q is not an RFC 3339 time", a.CreatedAt), raw)
		return nil
	}
	closed := a.Status == "closed"
	if !closed {
		b.Open = append(b.Open, a.ID)
	}
	rcps, err := r.api.recipients(ctx, a.ID)
	if err != nil {
		if perr := r.pageError(b, "recipients", err); perr != nil {
			return perr
		}
		if closed {
			b.Open = append(b.Open, a.ID) // read again next run
		}
		rcps = nil
	}
	r.sum.AddItems("recipients", len(rcps))
	evs := r.mapAlert(&a, created.UTC(), raw, rcps, b)
	for i := range evs {
		if err := event.Validate(&evs[i], r.o.Limits); err != nil {
			r.problem(b, "alert", a.ID, reasonOf(err), fmt.Sprintf("%s: %v", evs[i].Type, err), raw)
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
// Opsgenie timeZone if it is an IANA zone.
func (r *run) zone(who, userID string) string {
	if z, ok := r.o.Zones[who]; ok && z != "" {
		return z
	}
	u, ok := r.users[userID]
	if !ok || u.TimeZone == "" {
		return ""
	}
	if _, err := event.Location(u.TimeZone); err != nil {
		return ""
	}
	return u.TimeZone
}

package analytics

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pagerlens/pagerlens/event"
	"github.com/pagerlens/pagerlens/store"
)

// ---- interruption channels and the fold window: PagerDuty's definition ----

// ocChannelPage is ocPage on a channel ("" unknown).
func ocChannelPage(tb testing.TB, at, responder, incident, channel string) event.Event {
	tb.Helper()
	e := ocPage(tb, at, responder, "Europe/Berlin", incident)
	e.Data.Channel = channel
	return e
}

// TestInterruptChannels: only pages on the interruption channels count, in
// every figure built on interruptions. Window 7d ending Mon 2026-03-09
// 00:00Z, i.e. (Mon 03-02 00:00Z, Mon 03-09 00:00Z]; both responders in
// Berlin (CET = UTC+1 all week), team payments, default hours (business
// 08–18 Mon–Fri, sleep 22–08), weights 1/2/4, fold 2 min, limit 2.
//
// ana is on call from Mon 03-02 00:00Z with no end (an open shift: to Now,
// 604800 s = 1 week). Her pages, each incident its own fold key:
//
//	1  Tue 03-03 01:00:00Z  email    A  Tue 02:00 local: sleep, night of Mon 03-02
//	2  Tue 03-03 01:01:00Z  push     A  60 s after 1
//	3  Wed 03-04 23:30:00Z  email    B  Thu 00:30 local: sleep, night of Wed 03-04
//	4  Thu 03-05 09:00:00Z  push     G  Thu 10:00: business
//	5  Thu 03-05 10:00:00Z  sms      C  Thu 11:00: business
//	6  Thu 03-05 10:05:00Z  email    D  Thu 11:05: business
//	7  Fri 03-06 18:00:00Z  unknown  E  Fri 19:00: off hours
//	8  Sat 03-07 12:00:00Z  chat     F  Sat 13:00: off hours (weekend)
//
// bo has no shift (every page outside: rated per week of the window):
// Thu 03-05 14:00Z push H, 15:00Z email I, 16:00Z email J (15:00, 16:00,
// 17:00 local: business).
//
// Pages 4–6 fall in ana's 12-hour block [Thu 00:00Z, 12:00Z) (block 6 from
// her shift's start).
//
// Default channels (phone, sms, push, unknown): pages 1, 3, 6 (email) and 8
// (chat) are left out as if never sent.
//   - ana: A from page 2 (01:01Z: the e-mail does not start it), G, C, E:
//     business 2, off 1, sleep 1 = 4; 1 night; block 6 has G, C = 2
//     incidents, not over 2 → 0 over the limit; fatigue 2 + 2×1 + 4×1 = 8
//     ÷ 1 week on call = 8; per 12 h 4 ÷ 14.
//   - bo: H: business 1, outside; fatigue 1 ÷ 1 window week = 1.
//   - team: 5 interruptions; gini of (1, 4): 2(1·1 + 2·4) ÷ (2·5) − 3/2 =
//     0.3; max/median 4 ÷ 2.5 = 1.6; fatigue (2 + 2 + 4) ÷ 1 + 1 ÷ 1 = 9.
//
// With email as well (phone, sms, push, unknown, email):
//   - ana: A from page 1 (01:00Z; page 2 60 s later folds into it), B, G,
//     C, D, E: business 3, off 1, sleep 2 = 6; 2 nights; block 6 has G, C,
//     D = 3 > 2 → 1 over the limit; fatigue 3 + 2 + 8 = 13; per 12 h 6/14.
//   - bo: H, I, J: business 3, outside; fatigue 3.
//   - team: 9; gini of (3, 6): 2(3 + 12) ÷ (2·9) − 3/2 = 1/6; max/median
//     6 ÷ 4.5 = 4/3; fatigue 13 + 3 = 16.
//
// Every channel (phone, sms, push, email, chat, other, unknown): ana also F
// (off hours): business 3, off 2, sleep 2 = 7, fatigue 15, per 12 h 7/14;
// bo as with email; team 10, gini of (3, 7): 2(3 + 14) ÷ 20 − 3/2 = 0.2,
// max/median 7 ÷ 5 = 1.4, fatigue 18.
//
// Email only: ana A (01:00Z), B, D: business 1, sleep 2 = 3, 2 nights,
// block 6 only D → 0; fatigue 1 + 8 = 9; per 12 h 3/14. bo: I, J: business
// 2, fatigue 2. Team 5, gini of (2, 3): 2(2 + 6) ÷ 10 − 3/2 = 0.1,
// max/median 3 ÷ 2.5 = 1.2, fatigue 11.
func TestInterruptChannels(t *testing.T) {
	s := ocStore(t)
	ocWrite(t, s,
		ocChannelPage(t, "2026-03-03T01:00:00Z", "ana", "A", "email"),
		ocChannelPage(t, "2026-03-03T01:01:00Z", "ana", "A", "push"),
		ocChannelPage(t, "2026-03-04T23:30:00Z", "ana", "B", "email"),
		ocChannelPage(t, "2026-03-05T09:00:00Z", "ana", "G", "push"),
		ocChannelPage(t, "2026-03-05T10:00:00Z", "ana", "C", "sms"),
		ocChannelPage(t, "2026-03-05T10:05:00Z", "ana", "D", "email"),
		ocChannelPage(t, "2026-03-06T18:00:00Z", "ana", "E", ""),
		ocChannelPage(t, "2026-03-07T12:00:00Z", "ana", "F", "chat"),
		ocShift(t, event.ShiftStarted, "2026-03-02T00:00:00Z", "ana", "primary"),
		ocChannelPage(t, "2026-03-05T14:00:00Z", "bo", "H", "push"),
		ocChannelPage(t, "2026-03-05T15:00:00Z", "bo", "I", "email"),
		ocChannelPage(t, "2026-03-05T16:00:00Z", "bo", "J", "email"),
	)
	type who struct {
		intr      Interruptions
		nights    int64
		overLimit int64
		fatigue   float64
		per12h    float64 // ana only (bo has no on-call time)
		firstAt   string  // ana's first interruption
	}
	cases := []struct {
		name     string
		channels []string // nil: the default
		ana      who
		bo       Interruptions
		boScore  float64
		team     int64
		gini     float64
		maxMed   float64
		teamFat  float64
	}{
		{"default: phone, sms, push, unknown", nil,
			who{intr: Interruptions{Business: 2, OffHours: 1, Sleep: 1}, nights: 1, fatigue: 8, per12h: 4.0 / 14, firstAt: "2026-03-03T01:01:00Z"},
			Interruptions{Business: 1}, 1, 5, 0.3, 1.6, 9},
		{"with email", []string{"phone", "sms", "push", "unknown", "email"},
			who{intr: Interruptions{Business: 3, OffHours: 1, Sleep: 2}, nights: 2, overLimit: 1, fatigue: 13, per12h: 6.0 / 14, firstAt: "2026-03-03T01:00:00Z"},
			Interruptions{Business: 3}, 3, 9, 1.0 / 6, 4.0 / 3, 16},
		{"every channel", []string{"phone", "sms", "push", "email", "chat", "other", "unknown"},
			who{intr: Interruptions{Business: 3, OffHours: 2, Sleep: 2}, nights: 2, overLimit: 1, fatigue: 15, per12h: 7.0 / 14, firstAt: "2026-03-03T01:00:00Z"},
			Interruptions{Business: 3}, 3, 10, 0.2, 1.4, 18},
		{"email only", []string{"email"},
			who{intr: Interruptions{Business: 1, Sleep: 2}, nights: 2, fatigue: 9, per12h: 3.0 / 14, firstAt: "2026-03-03T01:00:00Z"},
			Interruptions{Business: 2}, 2, 5, 0.1, 1.2, 11},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := ocConfig(t, "2026-03-09T00:00:00Z", "7d")
			cfg.InterruptionChannels = c.channels
			snap := &Snapshot{}
			if err := computeOnCall(context.Background(), s.DB(), cfg, snap); err != nil {
				t.Fatal(err)
			}
			rows := map[string]ResponderLoad{}
			for _, r := range snap.Responders {
				rows[r.Responder] = r
			}
			ana, bo := rows["ana"], rows["bo"]
			if ana.Interruptions != c.ana.intr || ana.InterruptionsOutsideShifts != (Interruptions{}) ||
				ana.NightsInterrupted != c.ana.nights || ana.ShiftsOverLimit != c.ana.overLimit ||
				!ocNear(ana.FatigueScore, c.ana.fatigue) || ana.InterruptionsPer12h == nil || !ocNear(*ana.InterruptionsPer12h, c.ana.per12h) {
				t.Errorf("ana: %+v outside %+v nights %d over limit %d fatigue %v per 12 h %v; want %+v, none, %d, %d, %v, %v",
					ana.Interruptions, ana.InterruptionsOutsideShifts, ana.NightsInterrupted, ana.ShiftsOverLimit, ana.FatigueScore,
					ana.InterruptionsPer12h, c.ana.intr, c.ana.nights, c.ana.overLimit, c.ana.fatigue, c.ana.per12h)
			}
			if bo.Interruptions != c.bo || bo.InterruptionsOutsideShifts != c.bo || !ocNear(bo.FatigueScore, c.boScore) {
				t.Errorf("bo: %+v outside %+v fatigue %v; want %+v all outside, %v", bo.Interruptions, bo.InterruptionsOutsideShifts, bo.FatigueScore, c.bo, c.boScore)
			}
			if len(snap.Teams) != 1 {
				t.Fatalf("teams %+v", snap.Teams)
			}
			tl := snap.Teams[0]
			if tl.Interruptions != c.team || !ocNear(tl.Gini, c.gini) || tl.MaxOverMedian == nil || !ocNear(*tl.MaxOverMedian, c.maxMed) || !ocNear(tl.FatigueScore, c.teamFat) {
				t.Errorf("team: %d interruptions, gini %v, max/median %v, fatigue %v; want %d, %v, %v, %v",
					tl.Interruptions, tl.Gini, tl.MaxOverMedian, tl.FatigueScore, c.team, c.gini, c.maxMed, c.teamFat)
			}
			// The first interruption of A starts at the first page on an
			// interruption channel.
			var first string
			for _, i := range ocInterruptions(t, s.DB(), cfg, cfg.Now.Add(-7*24*time.Hour)) {
				if i.Responder == "ana" {
					first = i.At
					break
				}
			}
			if first != c.ana.firstAt {
				t.Errorf("ana's first interruption at %s, want %s", first, c.ana.firstAt)
			}
			// The heat map counts the same interruptions.
			hm, err := InterruptionHeatmap(context.Background(), s.DB(), cfg, cfg.Windows[0], "payments")
			if err != nil {
				t.Fatal(err)
			}
			var cells int64
			for _, cell := range hm.Cells {
				cells += cell.Interruptions
			}
			if cells != c.team {
				t.Errorf("heat map: %d interruptions, want %d", cells, c.team)
			}
			// Read from events (no derived tables) the figures are the same.
			ocSourcesAgree(t, s, cfg)
		})
	}
}

// TestInterruptFoldWindow: the same pages folded with pagerlens's default
// (2 min, chained) and with interruption_fold: 60s, PagerDuty's window.
// ana, Berlin, push; offsets in seconds from Wed 2026-03-04 12:00:00Z
// (13:00 local, business): incident A at 0, 50, 100, 170, 300 (gaps 50, 50,
// 70, 130), incident B at 20.
//   - 2 min: A's gaps 50, 50, 70 ≤ 120 chain; 130 > 120 starts another:
//     A 2, B 1 → 3.
//   - 60 s: 50, 50 ≤ 60 chain; 70 and 130 > 60 start new ones: A 3, B 1
//     → 4.
//   - 30 s: every gap > 30: A 5, B 1 → 6.
//
// PagerDuty's wording ("notifications that arrive within 60 seconds of each
// other") names no incident, so it would presumably also fold B's page at
// 20 s into A's (3 in all); pagerlens folds per incident (docs/metrics.md).
func TestInterruptFoldWindow(t *testing.T) {
	s := ocStore(t)
	base := ocTime(t, "2026-03-04T12:00:00Z")
	var evs []event.Event
	for _, p := range []struct {
		off int
		inc string
	}{{0, "A"}, {20, "B"}, {50, "A"}, {100, "A"}, {170, "A"}, {300, "A"}} {
		evs = append(evs, ocChannelPage(t, base.Add(time.Duration(p.off)*time.Second).Format(time.RFC3339), "ana", p.inc, "push"))
	}
	ocWrite(t, s, evs...)
	for _, c := range []struct {
		fold time.Duration
		want int64
	}{{2 * time.Minute, 3}, {time.Minute, 4}, {30 * time.Second, 6}} {
		cfg := ocConfig(t, "2026-03-09T00:00:00Z", "7d")
		cfg.InterruptionFold = c.fold
		r := ocLoads(t, s, cfg)["7d/payments/ana"]
		if r.Interruptions != (Interruptions{Business: c.want}) {
			t.Errorf("fold %s: %+v, want %d business", c.fold, r.Interruptions, c.want)
		}
	}
}

// ---- stored channels: normalised in SQL as in Go ----

// TestChannelSQL: channelSQL, which responder_events applies to stored
// channels, gives event.NormalizeChannel's answer (NULL for unknown).
func TestChannelSQL(t *testing.T) {
	s := ocStore(t)
	inputs := []string{"", " ", "unknown", "UNKNOWN", "phone", " Phone ", "VOICE", "phone-call", "Phone Call",
		"SMS", "text_message", "Push-Notification", "mobile app", "E-Mail", "mail", "Slack", "MS Teams",
		"msteams", "fax", "other", "\tphone", "phöne", "push\n"}
	for _, a := range event.ChannelAliases() {
		inputs = append(inputs, a.Name, strings.ToUpper(a.Name))
	}
	for _, in := range inputs {
		var got sql.NullString
		if err := s.DB().QueryRow(`SELECT `+channelSQL("c")+` FROM (SELECT CAST($1 AS VARCHAR) AS c)`, in).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := event.NormalizeChannel(in); got.String != want || got.Valid != (want != "") {
			t.Errorf("channel %q: SQL %v, Go %q", in, got, want)
		}
	}
	var got sql.NullString
	if err := s.DB().QueryRow(`SELECT ` + channelSQL("c") + ` FROM (SELECT CAST(NULL AS VARCHAR) AS c)`).Scan(&got); err != nil || got.Valid {
		t.Errorf("NULL channel: %v %v, want NULL", got, err)
	}
}

// TestStoredChannelsNormalised: events stored with a channel as a producer
// spelled it before the decoders normalised it ("Voice", "E-Mail") are
// read by their normalised channel: by default the call interrupts and the
// e-mail does not. Wed 2026-03-04 09:00Z and 10:00Z, Berlin: business.
func TestStoredChannelsNormalised(t *testing.T) {
	s := ocStore(t)
	ocWrite(t, s,
		ocChannelPage(t, "2026-03-04T09:00:00Z", "ana", "A", "Voice"),
		ocChannelPage(t, "2026-03-04T10:00:00Z", "ana", "B", "E-Mail"),
	)
	var chans []string
	rows, err := s.DB().Query(`SELECT channel FROM responder_events ORDER BY time`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		chans = append(chans, c)
	}
	if !reflect.DeepEqual(chans, []string{"phone", "email"}) {
		t.Errorf("responder_events channels %v, want [phone email]", chans)
	}
	cfg := ocConfig(t, "2026-03-09T00:00:00Z", "7d")
	if r := ocLoads(t, s, cfg)["7d/payments/ana"]; r.Interruptions != (Interruptions{Business: 1}) {
		t.Errorf("default channels: %+v, want business 1 (the call)", r.Interruptions)
	}
}

// ---- a store from before responder_events had channel ----

// responderEventsV1 is responder_events as pagerlens created it before the
// channel column.
const responderEventsV1 = `CREATE TABLE responder_events (
	id VARCHAR NOT NULL, type VARCHAR NOT NULL, time TIMESTAMP NOT NULL, responder VARCHAR NOT NULL,
	incident_id VARCHAR, alert_key VARCHAR, team VARCHAR, responder_tz VARCHAR,
	local_hour TINYINT, local_dow TINYINT, local_date DATE)`

// TestAttachRecreatesOutdatedTable: a store whose responder_events has no
// channel column (an older pagerlens) is refused read-only with a hint to
// run pagerlens rebuild, and re-created and filled read-write, after which
// batches are derived into it again. Pages Wed 2026-03-04 (Berlin,
// business): push A 09:00Z, email B 10:00Z, then sms C 11:00Z written
// after the upgrade; by default A and C interrupt (2), with email 3.
func TestAttachRecreatesOutdatedTable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.duckdb")
	s, err := store.Open(ctx, path, store.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := Attach(ctx, s); err != nil {
		t.Fatal(err)
	}
	ocWrite(t, s,
		ocChannelPage(t, "2026-03-04T09:00:00Z", "ana", "A", "push"),
		ocChannelPage(t, "2026-03-04T10:00:00Z", "ana", "B", "email"),
	)
	for _, q := range []string{`DROP TABLE responder_events`, responderEventsV1,
		`INSERT INTO responder_events SELECT id, type, time, responder, incident_id, alert_key, team, responder_tz, local_hour, local_dow, local_date
		FROM events WHERE responder IS NOT NULL AND type IN (` + responderEventTypes + `)`} {
		if _, err := s.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	ro, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := Attach(ctx, ro); err == nil || !strings.Contains(err.Error(), "pagerlens rebuild") || !strings.Contains(err.Error(), "channel") {
		t.Errorf("read-only Attach with the old responder_events: err = %v, want a hint to run pagerlens rebuild", err)
	}
	// Without Attach, on-call load reads events instead of the old table.
	cfg := ocConfig(t, "2026-03-09T00:00:00Z", "7d")
	if r := ocLoads(t, ro, cfg)["7d/payments/ana"]; r.Interruptions != (Interruptions{Business: 1}) {
		t.Errorf("read-only, not attached: %+v, want business 1", r.Interruptions)
	}
	ro.Close()

	s, err = store.Open(ctx, path, store.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := Attach(ctx, s); err != nil {
		t.Fatal(err)
	}
	if ok, err := responderEventsCurrent(ctx, s.DB()); err != nil || !ok {
		t.Fatalf("responder_events after Attach: current %v (%v)", ok, err)
	}
	ocWrite(t, s, ocChannelPage(t, "2026-03-04T11:00:00Z", "ana", "C", "sms"))
	var n int
	if err := s.DB().QueryRow(`SELECT count(*) FROM responder_events WHERE channel IS NOT NULL`).Scan(&n); err != nil || n != 3 {
		t.Errorf("responder_events: %d rows with a channel (%v), want 3", n, err)
	}
	if r := ocLoads(t, s, cfg)["7d/payments/ana"]; r.Interruptions != (Interruptions{Business: 2}) {
		t.Errorf("default channels: %+v, want business 2", r.Interruptions)
	}
	cfg.InterruptionChannels = []string{"push", "sms", "email"}
	if r := ocLoads(t, s, cfg)["7d/payments/ana"]; r.Interruptions != (Interruptions{Business: 3}) {
		t.Errorf("with email: %+v, want business 3", r.Interruptions)
	}
}

// TestCheckInterruptionChannels: the names config validation accepts.
func TestCheckInterruptionChannels(t *testing.T) {
	for _, tt := range []struct {
		cs  []string
		err string
	}{
		{DefaultInterruptionChannels, ""},
		{[]string{"phone", "sms", "push", "email", "chat", "other", "unknown"}, ""},
		{nil, "empty"},
		{[]string{"phone", "Phone"}, `"Phone" is not a channel`},
		{[]string{""}, `"" is not a channel`},
		{[]string{"sms", "sms"}, `"sms" listed twice`},
	} {
		err := CheckInterruptionChannels(tt.cs)
		if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%q: %v, want %q", tt.cs, err, tt.err)
		}
	}
}

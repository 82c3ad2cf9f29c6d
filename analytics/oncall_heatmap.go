package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"
)

// HeatmapCell counts the interruptions of one responder at one local hour of
// one local weekday. A team's heat map is the sum of its responders' cells.
type HeatmapCell struct {
	Team          string `json:"team"`
	Responder     string `json:"responder"`
	Weekday       int    `json:"weekday"` // ISO: 1 = Monday … 7 = Sunday, local
	Hour          int    `json:"hour"`    // 0..23, local
	Interruptions int64  `json:"interruptions"`
}

// WeeklyLoad is one responder's interruptions in one local ISO week (the
// fatigue trend).
type WeeklyLoad struct {
	Team          string        `json:"team"`
	Responder     string        `json:"responder"`
	Week          time.Time     `json:"week"` // the local Monday that starts the week
	Interruptions Interruptions `json:"interruptions"`
}

// Heatmap is the input of the pager-fatigue report's heat map and trend.
type Heatmap struct {
	Window string        `json:"window"`
	Cells  []HeatmapCell `json:"cells"`
	Weeks  []WeeklyLoad  `json:"weeks"`
}

// InterruptionHeatmap returns the interruptions of window w (ending at
// cfg.Now) by local weekday × hour and by local ISO week, per responder, for
// team (all teams when team is ""). Interruptions, their zones and buckets
// are exactly those of ResponderLoads.
func InterruptionHeatmap(ctx context.Context, db *sql.DB, cfg Config, w Window, team string) (*Heatmap, error) {
	hm := &Heatmap{Window: w.Name, Cells: []HeatmapCell{}, Weeks: []WeeklyLoad{}}
	a := &queryArgs{}
	lo := cfg.Now.UTC().Add(-w.Duration)
	responders := "responder_events"
	if ok, err := responderEventsCurrent(ctx, db); err != nil {
		return nil, fmt.Errorf("interruption heat map %s: %w", w.Name, err)
	} else if !ok {
		responders = responderEventsFromEvents
	}
	base := "WITH " + rosterCTEs(cfg, a) + interruptionCTEs(cfg, a, lo, responders)
	teamArg := a.add(ocNullIfEmpty(team))
	filter := fmt.Sprintf("(CAST(%[1]s AS VARCHAR) IS NULL OR team = CAST(%[1]s AS VARCHAR))", teamArg)

	// One pass: the finest grouping both views need; Go folds it into
	// cells and weeks (a few thousand rows per responder at most), which
	// halves the cost of running the interruption CTEs twice.
	q := base + fmt.Sprintf(`
SELECT team, responder, date_trunc('week', d) AS week, dow, h, bucket, count(*)
FROM interruptions WHERE %s
GROUP BY ALL ORDER BY team, responder, week`, filter)
	type cellKey struct {
		team, responder string
		dow, hour       int
	}
	cellIdx := map[cellKey]int{}
	if err := ocQueryEach(ctx, db, q, a.vals, func(rows *sql.Rows) error {
		var k cellKey
		var week time.Time
		var bucket string
		var n int64
		if err := rows.Scan(&k.team, &k.responder, &week, &k.dow, &k.hour, &bucket, &n); err != nil {
			return err
		}
		i, ok := cellIdx[k]
		if !ok {
			i = len(hm.Cells)
			cellIdx[k] = i
			hm.Cells = append(hm.Cells, HeatmapCell{Team: k.team, Responder: k.responder, Weekday: k.dow, Hour: k.hour})
		}
		hm.Cells[i].Interruptions += n
		// Rows arrive ordered by team, responder, week: a new week starts
		// a new trend point.
		last := len(hm.Weeks) - 1
		if last < 0 || hm.Weeks[last].Team != k.team || hm.Weeks[last].Responder != k.responder || !hm.Weeks[last].Week.Equal(week) {
			hm.Weeks = append(hm.Weeks, WeeklyLoad{Team: k.team, Responder: k.responder, Week: week})
			last++
		}
		switch bucket {
		case "business":
			hm.Weeks[last].Interruptions.Business += n
		case "off_hours":
			hm.Weeks[last].Interruptions.OffHours += n
		case "sleep":
			hm.Weeks[last].Interruptions.Sleep += n
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("interruption heat map %s: %w", w.Name, err)
	}
	sort.Slice(hm.Cells, func(i, j int) bool {
		a, b := hm.Cells[i], hm.Cells[j]
		if a.Team != b.Team {
			return a.Team < b.Team
		}
		if a.Responder != b.Responder {
			return a.Responder < b.Responder
		}
		if a.Weekday != b.Weekday {
			return a.Weekday < b.Weekday
		}
		return a.Hour < b.Hour
	})
	return hm, nil
}

// ocQueryEach runs q and calls f for each row.
func ocQueryEach(ctx context.Context, db *sql.DB, q string, args []any, f func(*sql.Rows) error) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

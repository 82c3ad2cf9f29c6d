package analytics

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pagerlens/pagerlens/event"
)

// The roster file (YAML) fills in what events do not say: a responder's team
// and time zone, a team's time zone and working hours. Example:
//
//	responders:
//	  - name: ana
//	    team: payments
//	    timezone: Europe/Berlin
//	teams:
//	  - name: payments
//	    timezone: Europe/Berlin
//	    hours:                 # optional; omitted fields take the defaults
//	      business_start: 9    # 08
//	      business_end: 17     # 18
//	      sleep_start: 23      # 22
//	      sleep_end: 7         # 08
//	      working_days: [mon, tue, wed, thu, sun]   # mon..fri
//
// Names of responders and teams must be unique; time zones are IANA names
// (checked with the same embedded tz database that ingest uses).

// rosterFile is the file's shape. It differs from Roster only where YAML
// needs help: hour fields are pointers so that an omitted field can take the
// default rather than 0, and working days are names, not time.Weekday ints
// whose 0 = Sunday would be an easy mistake to make in a hand-written file.
type rosterFile struct {
	Responders []RosterResponder `yaml:"responders"`
	Teams      []rosterFileTeam  `yaml:"teams"`
}

type rosterFileTeam struct {
	Name     string           `yaml:"name"`
	Timezone string           `yaml:"timezone"`
	Hours    *rosterFileHours `yaml:"hours"`
}

type rosterFileHours struct {
	BusinessStart *int     `yaml:"business_start"`
	BusinessEnd   *int     `yaml:"business_end"`
	SleepStart    *int     `yaml:"sleep_start"`
	SleepEnd      *int     `yaml:"sleep_end"`
	WorkingDays   []string `yaml:"working_days"`
}

// LoadRoster reads and checks the roster file at path.
func LoadRoster(path string) (*Roster, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("roster: %w", err)
	}
	r, err := ParseRoster(b)
	if err != nil {
		return nil, fmt.Errorf("roster %s: %w", path, err)
	}
	return r, nil
}

// ParseRoster reads a roster from YAML bytes. Unknown keys are errors: a
// misspelt "timezone" would otherwise silently put a person in UTC.
func ParseRoster(b []byte) (*Roster, error) {
	var f rosterFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parse: %w", err)
	}
	r := &Roster{Responders: f.Responders}
	seen := map[string]bool{}
	for i, p := range r.Responders {
		where := fmt.Sprintf("responders[%d]", i)
		if strings.TrimSpace(p.Name) == "" {
			return nil, fmt.Errorf("%s: name is empty", where)
		}
		where = fmt.Sprintf("responder %q", p.Name)
		if seen[p.Name] {
			return nil, fmt.Errorf("%s: listed twice", where)
		}
		seen[p.Name] = true
		if err := checkZone(p.Timezone); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
	}
	seen = map[string]bool{}
	for i, t := range f.Teams {
		where := fmt.Sprintf("teams[%d]", i)
		if strings.TrimSpace(t.Name) == "" {
			return nil, fmt.Errorf("%s: name is empty", where)
		}
		where = fmt.Sprintf("team %q", t.Name)
		if seen[t.Name] {
			return nil, fmt.Errorf("%s: listed twice", where)
		}
		seen[t.Name] = true
		if err := checkZone(t.Timezone); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		rt := RosterTeam{Name: t.Name, Timezone: t.Timezone}
		if t.Hours != nil {
			h, err := t.Hours.resolve()
			if err != nil {
				return nil, fmt.Errorf("%s: hours: %w", where, err)
			}
			rt.Hours = &h
		}
		r.Teams = append(r.Teams, rt)
	}
	return r, nil
}

// checkZone accepts "" (not given) or an IANA zone name.
func checkZone(tz string) error {
	if tz == "" {
		return nil
	}
	if _, err := event.Location(tz); err != nil {
		return fmt.Errorf("timezone %q is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)", tz)
	}
	return nil
}

// resolve fills omitted fields with metrics.md's defaults (not Config.Hours:
// the roster is read before, and independently of, the rest of the config).
func (h *rosterFileHours) resolve() (Hours, error) {
	out := DefaultConfig(time.Time{}).Hours
	for _, f := range []struct{ v, dst *int }{
		{h.BusinessStart, &out.BusinessStart},
		{h.BusinessEnd, &out.BusinessEnd},
		{h.SleepStart, &out.SleepStart},
		{h.SleepEnd, &out.SleepEnd},
	} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	// The defaults are valid, so the first invalid field is one the file gave.
	if err := out.Validate(); err != nil {
		return Hours{}, err
	}
	if h.WorkingDays != nil {
		days, err := ParseWorkingDays(h.WorkingDays)
		if err != nil {
			return Hours{}, err
		}
		out.WorkingDays = days
	}
	return out, nil
}

// Validate checks that the four hours are hours of the day (0..24) and that
// business hours do not end before they start (sleep hours may wrap
// midnight). The roster file and pagerlens.yaml both check hours with it,
// so a value valid in one is valid in the other.
func (h Hours) Validate() error {
	var errs []error
	for _, f := range []struct {
		key string
		v   int
	}{
		{"business_start", h.BusinessStart}, {"business_end", h.BusinessEnd},
		{"sleep_start", h.SleepStart}, {"sleep_end", h.SleepEnd},
	} {
		if f.v < 0 || f.v > 24 {
			errs = append(errs, fmt.Errorf("%s %d: want an hour 0..24", f.key, f.v))
		}
	}
	if h.BusinessStart > h.BusinessEnd {
		errs = append(errs, fmt.Errorf("business_start %d is after business_end %d", h.BusinessStart, h.BusinessEnd))
	}
	// Every problem at once (errors.Join), so that a config is fixed in
	// one edit.
	return errors.Join(errs...)
}

// ParseWorkingDays reads working-day names (mon..sun or monday..sunday, any
// case; see rosterFile for why names). The result is never nil: an empty
// list means no working days, not "the default". pagerlens.yaml reads its
// working days with it too, for the same reason as Validate.
func ParseWorkingDays(names []string) ([]time.Weekday, error) {
	out := []time.Weekday{}
	for _, s := range names {
		d, ok := parseWeekday(s)
		if !ok {
			return nil, fmt.Errorf("working_days: %q is not a weekday (mon..sun or monday..sunday)", s)
		}
		out = append(out, d)
	}
	return out, nil
}

func parseWeekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for d := time.Sunday; d <= time.Saturday; d++ {
		full := strings.ToLower(d.String())
		if s == full || s == full[:3] {
			return d, true
		}
	}
	return 0, false
}

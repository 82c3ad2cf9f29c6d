// Package export writes metric exports to files: by hand (pagerlens
// export) or on a schedule inside serve (docs/reports.md, "Scheduled
// exports"). Every figure comes from analytics; this package only flattens
// it into rows and writes them, atomically, inside one directory per job.
package export

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/pagerlens/pagerlens/analytics"
	"github.com/pagerlens/pagerlens/exporters/deliver"
	"github.com/pagerlens/pagerlens/exporters/report"
)

// What is the content of an export.
type What string

// What can be exported.
const (
	MTTx          What = "mttx"           // snapshot incidents rows: counts and MTTx per team, service, severity
	AlertQuality  What = "alert_quality"  // snapshot alerts rows per team, service, alert name
	OnCallLoad    What = "oncall_load"    // snapshot responders rows per team and responder
	Incidents     What = "incidents"      // the incident timeline table, incidents triggered in the window
	FatigueReport What = "fatigue_report" // the pager-fatigue report (exporters/report)
	Handover      What = "handover"       // the on-call handover digest (exporters/handover)
)

// Formats of the tabular exports; a fatigue report or a handover digest
// takes html, md or json.
const (
	CSV     = "csv"
	Parquet = "parquet"
	JSONL   = "jsonl"
)

// DefaultFilename is the file name pattern when a job sets none.
const DefaultFilename = "{what}-{window}-{date}.{ext}"

// DefaultRetention is the number of files a job keeps when it sets none.
const DefaultRetention = 12

// Job is one export: serve's config "exports" entry, and what pagerlens
// export builds from its flags.
type Job struct {
	Name string `yaml:"name"`
	// Schedule is a standard 5-field cron spec or a descriptor (@daily),
	// optionally prefixed by CRON_TZ=Zone. Without a zone it runs in
	// Timezone, else in the server's local time.
	Schedule string `yaml:"schedule"`
	Timezone string `yaml:"timezone"`
	What     What   `yaml:"what"`
	Window   string `yaml:"window"` // default 30d
	Format   string `yaml:"format"`
	// Team limits a fatigue report to one team.
	Team string `yaml:"team"`
	Dir  string `yaml:"dir"`
	// Filename is a pattern of {name}, {what}, {window}, {date}
	// (2006-01-02), {time} (20060102T150405Z) and {ext}; it must be a bare
	// file name (no directory part). Default DefaultFilename.
	Filename string `yaml:"filename"`
	// Retention is how many of the job's files are kept (the newest): 0
	// means DefaultRetention, a negative value keeps all.
	Retention int `yaml:"retention"`
	// Deliver sends each written file to these targets (exporters/deliver):
	// email, Slack, webhook. A failed delivery never fails the run nor
	// touches the file.
	Deliver []deliver.Target `yaml:"deliver"`
}

// withDefaults fills the optional fields.
func (j Job) withDefaults() Job {
	if j.Window == "" {
		j.Window = "30d"
	}
	if j.Filename == "" {
		j.Filename = DefaultFilename
	}
	if j.Retention == 0 {
		j.Retention = DefaultRetention
	}
	if j.Name == "" {
		j.Name = string(j.What)
	}
	return j
}

// Validate checks everything that can be checked before the first run, so
// that a bad config stops serve at start instead of failing every night.
// The schedule is checked by ParseSchedule.
func (j Job) Validate() error {
	j = j.withDefaults()
	if err := j.validate(); err != nil {
		return fmt.Errorf("export %q: %w", j.Name, err)
	}
	return nil
}

func (j Job) validate() error {
	switch j.What {
	case MTTx, AlertQuality, OnCallLoad, Incidents:
		if j.Format != CSV && j.Format != Parquet && j.Format != JSONL {
			return fmt.Errorf("format %q: %s exports as csv, parquet or jsonl", j.Format, j.What)
		}
	case FatigueReport, Handover:
		if _, err := report.ParseFormat(j.Format); err != nil {
			return fmt.Errorf("format %q: a %s is html, md or json", j.Format, j.What)
		}
	default:
		return fmt.Errorf("what %q: want mttx, alert_quality, oncall_load, incidents, fatigue_report or handover", j.What)
	}
	if _, err := analytics.ParseWindow(j.Window); err != nil {
		return err
	}
	if j.Dir == "" {
		return errors.New("dir is empty")
	}
	if _, err := j.fileName(time.Unix(0, 0).UTC()); err != nil {
		return err
	}
	return nil
}

// DeliverProblems checks the job's deliver: entries (the config names
// their keys itself; Scheduler.New calls this for jobs built in code).
func (j Job) DeliverProblems() error {
	var errs []error
	for i, t := range j.Deliver {
		for _, p := range t.Problems() {
			key := fmt.Sprintf("deliver[%d]", i)
			if p.Key != "" {
				key += "." + p.Key
			}
			errs = append(errs, fmt.Errorf("export %q: %s: %s", j.Name, key, p.Msg))
		}
	}
	return errors.Join(errs...)
}

// ext is the file extension of the job's format.
func (j Job) ext() string {
	if j.What == FatigueReport || j.What == Handover {
		f, _ := report.ParseFormat(j.Format)
		return f.Ext()
	}
	return j.Format
}

var placeholder = regexp.MustCompile(`\{[^{}]*\}`)

// fileName renders the pattern for a run at t. The result is always one
// plain name inside Dir: a pattern or a value (a job name, a window) that
// would put a path separator or a ".." in it is an error, so no export can
// escape its directory by naming.
func (j Job) fileName(t time.Time) (string, error) {
	var bad error
	name := placeholder.ReplaceAllStringFunc(j.Filename, func(p string) string {
		switch p {
		case "{name}":
			return j.Name
		case "{what}":
			return string(j.What)
		case "{window}":
			return j.Window
		case "{date}":
			return t.Format("2006-01-02")
		case "{time}":
			return t.UTC().Format("20060102T150405Z")
		case "{ext}":
			return j.ext()
		}
		bad = fmt.Errorf("filename %q: unknown placeholder %s (want {name} {what} {window} {date} {time} {ext})", j.Filename, p)
		return p
	})
	if bad != nil {
		return "", bad
	}
	if err := plainName(name); err != nil {
		return "", fmt.Errorf("filename %q: %w", j.Filename, err)
	}
	return name, nil
}

// plainName accepts only a single, visible path element.
func plainName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("%q is not a file name", name)
	case filepath.IsAbs(name) || strings.ContainsAny(name, `/\`) || name != filepath.Base(name):
		return fmt.Errorf("%q has a directory part: files are written only directly in dir", name)
	case strings.Contains(name, ".."):
		return fmt.Errorf("%q contains \"..\"", name)
	case strings.HasPrefix(name, "."):
		// Temp files are dot files; an export must never look like one.
		return fmt.Errorf("%q starts with a dot", name)
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("%q contains a NUL byte", name)
	}
	return nil
}

// namePattern matches the names fileName produces for this job at any
// time: retention prunes only those, never another job's or a person's
// files in the same directory.
func (j Job) namePattern() (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, loc := range placeholder.FindAllStringIndex(j.Filename, -1) {
		b.WriteString(regexp.QuoteMeta(j.Filename[last:loc[0]]))
		switch j.Filename[loc[0]:loc[1]] {
		case "{name}":
			b.WriteString(regexp.QuoteMeta(j.Name))
		case "{what}":
			b.WriteString(regexp.QuoteMeta(string(j.What)))
		case "{window}":
			b.WriteString(regexp.QuoteMeta(j.Window))
		case "{date}":
			b.WriteString(`\d{4}-\d{2}-\d{2}`)
		case "{time}":
			b.WriteString(`\d{8}T\d{6}Z`)
		case "{ext}":
			b.WriteString(regexp.QuoteMeta(j.ext()))
		}
		last = loc[1]
	}
	b.WriteString(regexp.QuoteMeta(j.Filename[last:]))
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// ParseSchedule parses the job's cron spec in its time zone.
func (j Job) ParseSchedule() (cron.Schedule, error) {
	spec := strings.TrimSpace(j.Schedule)
	if spec == "" {
		return nil, fmt.Errorf("export %q: schedule is empty", j.Name)
	}
	hasTZ := strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=")
	if j.Timezone != "" {
		if hasTZ {
			return nil, fmt.Errorf("export %q: both timezone and a CRON_TZ= prefix; set one", j.Name)
		}
		if _, err := time.LoadLocation(j.Timezone); err != nil {
			return nil, fmt.Errorf("export %q: timezone: %w", j.Name, err)
		}
		spec = "CRON_TZ=" + j.Timezone + " " + spec
	}
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("export %q: schedule %q: %w", j.Name, j.Schedule, err)
	}
	return s, nil
}

// location is where {date} is read: the job's zone, else UTC.
func (j Job) location() *time.Location {
	spec := strings.TrimSpace(j.Schedule)
	tz := j.Timezone
	for _, p := range []string{"CRON_TZ=", "TZ="} {
		if rest, ok := strings.CutPrefix(spec, p); ok {
			tz, _, _ = strings.Cut(rest, " ")
		}
	}
	if tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			return loc
		}
	}
	return time.UTC
}

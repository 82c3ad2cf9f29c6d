package deliver

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Written is one run of an export, as its targets need it: the file the
// run wrote (attached or inlined by email), a summary (the Slack message
// and the plain-text part of the email) and the JSON machine format (the
// webhook's body). The export package builds it; this package only sends.
type Written struct {
	Export string    // the job's name
	What   string    // fatigue_report, handover, mttx, ...
	Format string    // the file's format: html, md, json, csv, parquet, jsonl
	Window string    // "7d"
	Now    time.Time // the end of the window
	Path   string    // the file written; never modified here
	// Summary is the per-team digest shown in chat and in the email's text.
	Summary Summary
	// JSON is the machine format POSTed by the webhook target.
	JSON []byte
	// EmailHTML, when set, is the HTML part of the email in place of the
	// file's bytes: the report with its charts as Inline images (mail
	// clients mostly drop inline SVG).
	EmailHTML []byte
	Inline    []InlineImage
}

// InlineImage is an image part of the email, referred to from EmailHTML as
// cid:<Name>.
type InlineImage struct {
	Name        string // also the Content-ID
	ContentType string // image/png
	Data        []byte
}

// Summary is what a reader sees first: a title and a few figures per team.
type Summary struct {
	Title string
	Teams []TeamSummary
	// Lines are shown after the teams (e.g. what a tabular export holds).
	Lines []string
}

// TeamSummary is one team's figures (short label/value pairs) and notes
// (a heading over lines: the noisiest alert and its advice, the open
// incidents handed over).
type TeamSummary struct {
	Team   string
	Fields []Field
	Notes  []Note
}

// Field is one figure.
type Field struct{ Label, Value string }

// Note is a heading over lines of text.
type Note struct {
	Heading string
	Lines   []string
}

// Text renders the summary as plain text: the email's text part and what
// --dry-run prints.
func (s Summary) Text() string {
	var b strings.Builder
	b.WriteString(s.Title + "\n")
	for _, t := range s.Teams {
		fmt.Fprintf(&b, "\n%s\n", t.Team)
		for _, f := range t.Fields {
			fmt.Fprintf(&b, "  %s: %s\n", f.Label, f.Value)
		}
		for _, n := range t.Notes {
			fmt.Fprintf(&b, "  %s:\n", n.Heading)
			for _, l := range n.Lines {
				fmt.Fprintf(&b, "    %s\n", l)
			}
		}
	}
	if len(s.Lines) > 0 {
		b.WriteString("\n")
		for _, l := range s.Lines {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// subject is the email subject: the configured one or the summary title.
func (w Written) subject(e Email) string {
	if e.Subject != "" {
		return e.Subject
	}
	return "pagerlens: " + w.Summary.Title
}

// fileName is the written file's base name.
func (w Written) fileName() string { return filepath.Base(w.Path) }

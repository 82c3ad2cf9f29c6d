package deliver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Slack's Block Kit limits for a message (docs/sources.md, "Slack"): a
// message holds at most 50 blocks; a header's plain text at most 150
// characters; a section's text at most 3000, its fields at most 10 of at
// most 2000 each; a context at most 10 elements.
const (
	slackMaxBlocks      = 50
	slackHeaderMax      = 150
	slackSectionTextMax = 3000
	slackMaxFields      = 10
	slackFieldTextMax   = 2000
	// slackFallbackMax bounds the top-level text, which notifications and
	// clients without blocks show: a title, not the report.
	slackFallbackMax = 300
)

// slackMessage is the incoming webhook's body.
type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"` // plain_text or mrkdwn
	Text string `json:"text"`
}

func mrkdwn(s string) slackText { return slackText{Type: "mrkdwn", Text: s} }

// SlackPayload is the Block Kit message for w: a header, a context line
// (window and file), and per team a section of figures, a section per note
// and a divider. Teams that do not fit in the 50 blocks are named in a
// last "and N more teams" line; notes longer than a section are cut with
// "and N more".
func SlackPayload(w Written) ([]byte, error) {
	m := slackMessage{Text: truncate(slackEscape(w.Summary.Title), slackFallbackMax)}
	m.Blocks = append(m.Blocks,
		slackBlock{Type: "header", Text: &slackText{Type: "plain_text", Text: truncate(w.Summary.Title, slackHeaderMax)}},
		slackBlock{Type: "context", Elements: []slackText{mrkdwn(truncate(slackEscape(contextLine(w)), slackSectionTextMax))}})
	tail := 0
	if len(w.Summary.Lines) > 0 {
		tail = 1
	}
	teams := w.Summary.Teams
	for i, t := range teams {
		bs := teamBlocks(t)
		// Keep one block for the "and N more teams" line unless this is
		// the last team.
		reserve := tail
		if i < len(teams)-1 {
			reserve++
		}
		if len(m.Blocks)+len(bs)+reserve > slackMaxBlocks {
			m.Blocks = append(m.Blocks, slackBlock{Type: "context", Elements: []slackText{mrkdwn(
				fmt.Sprintf("…and %d more %s: see %s", len(teams)-i, plural(len(teams)-i, "team", "teams"), slackEscape(w.fileName())))}})
			break
		}
		m.Blocks = append(m.Blocks, bs...)
	}
	if tail > 0 {
		m.Blocks = append(m.Blocks, slackBlock{Type: "section", Text: ptr(mrkdwn(linesWithin("", w.Summary.Lines, slackSectionTextMax)))})
	}
	// Slack reads the text's own escapes (&lt;): JSON's \u003c for them
	// would be the same string but harder to read in --dry-run.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func contextLine(w Written) string {
	return fmt.Sprintf("%s · window %s ending %s · %s", w.Export, w.Window, w.Now.UTC().Format("2006-01-02 15:04 UTC"), w.fileName())
}

// teamBlocks is one team's section of figures, its notes and a divider.
func teamBlocks(t TeamSummary) []slackBlock {
	name := t.Team
	if name == "" {
		name = "(no team)"
	}
	head := slackBlock{Type: "section", Text: ptr(mrkdwn(truncate("*"+slackEscape(name)+"*", slackSectionTextMax)))}
	for i, f := range t.Fields {
		if i == slackMaxFields {
			break
		}
		head.Fields = append(head.Fields, mrkdwn(truncate("*"+slackEscape(f.Label)+"*\n"+slackEscape(f.Value), slackFieldTextMax)))
	}
	out := []slackBlock{head}
	for _, n := range t.Notes {
		esc := make([]string, len(n.Lines))
		for i, l := range n.Lines {
			esc[i] = slackEscape(l)
		}
		out = append(out, slackBlock{Type: "section", Text: ptr(mrkdwn(linesWithin("*"+slackEscape(n.Heading)+"*", esc, slackSectionTextMax)))})
	}
	return append(out, slackBlock{Type: "divider"})
}

// linesWithin joins head and lines with newlines within max characters:
// the lines that do not fit are replaced by "…and N more".
func linesWithin(head string, lines []string, max int) string {
	var b strings.Builder
	b.WriteString(head)
	n := utf8.RuneCountInString(head)
	for i, l := range lines {
		rest := len(lines) - i - 1
		more := ""
		if rest > 0 {
			more = fmt.Sprintf("\n…and %d more", rest)
		}
		sep := "\n"
		if b.Len() == 0 {
			sep = ""
		}
		line := truncate(l, max/2) // one long line must not crowd out the rest
		if n+utf8.RuneCountInString(sep+line)+utf8.RuneCountInString(more) > max {
			b.WriteString(fmt.Sprintf("%s…and %d more", sep, len(lines)-i))
			return b.String()
		}
		b.WriteString(sep + line)
		n += utf8.RuneCountInString(sep + line)
	}
	return b.String()
}

// slackEscape escapes the three characters Slack's text formatting
// reserves, so that a team or alert name cannot mention a channel or
// break a link.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// truncate cuts s to at most max characters (runes), ending in "…" when
// it cut.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func ptr[T any](v T) *T { return &v }

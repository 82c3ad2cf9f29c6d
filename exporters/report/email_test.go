package report_test

import (
	"bytes"
	"image/png"
	"strings"
	"testing"

	"github.com/pagerlens/pagerlens/exporters/report"
	"github.com/pagerlens/pagerlens/internal/testkit"
)

// The email rendering swaps each inline SVG chart for a PNG part referred
// to by cid:, and is otherwise the HTML rendering.
func TestEmailHTML(t *testing.T) {
	r := build(t, testkit.SynthStore(t, fixedNow), "")
	html, imgs, err := r.EmailHTML()
	if err != nil {
		t.Fatal(err)
	}
	// Two charts per team (heat map, trend); the synthetic world has 2 teams.
	if len(imgs) != 2*len(r.Teams) || len(r.Teams) != 2 {
		t.Fatalf("%d images for %d teams", len(imgs), len(r.Teams))
	}
	for _, im := range imgs {
		cfg, err := png.DecodeConfig(bytes.NewReader(im.PNG))
		if err != nil {
			t.Fatalf("%s: %v", im.Name, err)
		}
		// 720 pt at 96 dpi.
		if cfg.Width != 960 {
			t.Errorf("%s: %d px wide, want 960", im.Name, cfg.Width)
		}
		if !bytes.Contains(html, []byte(`src="cid:`+im.Name+`"`)) {
			t.Errorf("the HTML does not refer to %s", im.Name)
		}
	}
	if bytes.Contains(html, []byte("<svg")) {
		t.Error("the email HTML still holds an inline SVG")
	}
	file := string(render(t, r, report.HTML))
	if strings.Count(file, "<svg") != len(imgs) {
		t.Errorf("the file's HTML has %d SVG charts, the email %d images", strings.Count(file, "<svg"), len(imgs))
	}
	// Everything but the charts is the same: the heat map table, findings.
	for _, s := range []string{`data-section="heatmap"`, "Recommendation rules"} {
		if strings.Contains(file, s) != bytes.Contains(html, []byte(s)) {
			t.Errorf("%q in the file but not in the email (or the reverse)", s)
		}
	}
	// The file rendering still works after an email rendering (templates
	// are not shared).
	if again := string(render(t, r, report.HTML)); again != file {
		t.Error("the HTML rendering changed after EmailHTML")
	}
}

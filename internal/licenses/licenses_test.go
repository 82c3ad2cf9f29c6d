package licenses

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite docs/licenses.md")

// listFile is the generated list, from this package's directory.
const listFile = "../../docs/licenses.md"

// TestThirdPartyLicenses is the gate: every module the pagerlens binary
// links has an allowed (or reviewed) licence, and docs/licenses.md lists
// exactly them. It reads the module cache (go mod download fills it).
func TestThirdPartyLicenses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	mods, err := List(ctx, "github.com/pagerlens/pagerlens/cmd/pagerlens")
	if err != nil {
		t.Fatal(err)
	}
	// A listing that lost the platforms or the cgo build would still
	// "pass" with fewer modules: pin what must be there.
	for _, want := range []string{
		"github.com/duckdb/duckdb-go/v2",
		"github.com/duckdb/duckdb-go-bindings/lib/linux-amd64",
		"github.com/duckdb/duckdb-go-bindings/lib/darwin-arm64",
		"github.com/duckdb/duckdb-go-bindings/lib/windows-amd64",
		"github.com/apache/arrow-go/v18", // with -tags duckdb_arrow only
		"github.com/segmentio/kafka-go",
	} {
		if !slices.ContainsFunc(mods, func(m Module) bool { return m.Path == want }) {
			t.Errorf("go list found no module %s", want)
		}
	}
	std, err := StdlibModule(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var entries []Entry
	for _, m := range append([]Module{std}, mods...) {
		e, err := Classify(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range e.Problems {
			t.Errorf("module %s %s: %s", m.Path, m.Version, p)
		}
		entries = append(entries, e)
	}
	if t.Failed() {
		return
	}
	got := Render(entries)
	if *update {
		if err := os.WriteFile(listFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(listFile)
	if err != nil {
		t.Fatalf("%v (run make licenses)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/licenses.md is stale: the modules or their licences changed; review the difference and run make licenses\n%s", firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first line where two texts differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < max(len(al), len(bl)); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n  file:      " + x + "\n  generated: " + y
		}
	}
	return ""
}

// The MIT License, as published (opensource.org), with a copyright line.
const mitText = `Copyright (c) 2026 Example Authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`

// The notice the GPL asks each source file to carry: enough for the
// classifier to name GPL-3.0-or-later.
const gplNotice = `Copyright (C) 2026 Example Authors

This program is free software: you can redistribute it and/or modify it under
the terms of the GNU General Public License as published by the Free Software
Foundation, either version 3 of the License, or (at your option) any later
version.
`

// Conditions added to a permissive licence change its terms; the
// classifier still finds the MIT text, but it no longer covers the file.
const extraTerms = `
Additional terms: the Software may be used only by organisations with fewer
than ten employees, and any organisation that uses it in production must
publish the source of every program that links it, notify the authors in
writing within thirty days of first use, pay the annual fee listed on the
authors' website, and refrain from using it for any service that competes
with a product of the authors, under penalty of termination of every right
granted above, retroactively, without notice and in every jurisdiction, and
these terms survive the termination of this licence for any reason whatever.
`

func TestClassify(t *testing.T) {
	tests := []struct {
		name   string
		path   string            // module path (selects an Exception)
		files  map[string]string // relative path → content
		want   []string          // licences
		probs  []string          // substrings, one per expected problem
		notice string            // a NOTICE file expected in Notices
	}{
		{name: "MIT", path: "example.com/mit", files: map[string]string{"LICENSE": mitText}, want: []string{"MIT"}},
		{name: "MIT as LICENSE.md, with a NOTICE", path: "example.com/mitmd",
			files: map[string]string{"LICENSE.md": mitText, "NOTICE": "Example\nCopyright 2026 Example Authors\n"},
			want:  []string{"MIT"}, notice: "NOTICE"},
		{name: "GPL is not allowed", path: "example.com/gpl", files: map[string]string{"COPYING": gplNotice},
			want: []string{"GPL-3.0-or-later"}, probs: []string{"licence GPL-3.0-or-later is not allowed"}},
		{name: "one allowed, one not", path: "example.com/dual", files: map[string]string{"LICENSE": mitText, "LICENSE-GPL": gplNotice},
			want: []string{"GPL-3.0-or-later", "MIT"}, probs: []string{"licence GPL-3.0-or-later is not allowed"}},
		{name: "no licence file", path: "example.com/none", files: map[string]string{"README": "hello"},
			probs: []string{"no licence file"}},
		{name: "unknown text", path: "example.com/custom", files: map[string]string{"LICENSE": "You may do whatever the author says on Tuesdays.\n"},
			probs: []string{"LICENSE: matches no known licence"}},
		{name: "MIT with extra terms", path: "example.com/extra", files: map[string]string{"LICENSE": mitText + extraTerms},
			want: []string{"MIT"}, probs: []string{"LICENSE: known licences cover only"}},
		{name: "exception: chosen file of a dual licence", path: "github.com/golang/freetype",
			files: map[string]string{"LICENSE": "Choose one of two licences: licenses/ftl.txt or licenses/gpl.txt.\n", "licenses/ftl.txt": mitText},
			want:  []string{"MIT"}},
		{name: "exception allows only its own licence", path: "github.com/ajstarks/svgo", files: map[string]string{"LICENSE": gplNotice},
			want: []string{"GPL-3.0-or-later"}, probs: []string{"licence GPL-3.0-or-later is not allowed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			e, err := Classify(Module{Path: tt.path, Version: "v1.0.0", Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(e.Licenses, tt.want) {
				t.Errorf("licences %v, want %v", e.Licenses, tt.want)
			}
			if len(e.Problems) != len(tt.probs) {
				t.Fatalf("problems %q, want %d matching %q", e.Problems, len(tt.probs), tt.probs)
			}
			for i, p := range tt.probs {
				if !strings.Contains(e.Problems[i], p) {
					t.Errorf("problem %q, want it to contain %q", e.Problems[i], p)
				}
			}
			if tt.notice != "" && e.Notices[tt.notice] == "" {
				t.Errorf("notice %s not collected: %v", tt.notice, e.Notices)
			}
		})
	}
}

// Every exception says why, allows nothing Allowed already allows, and
// does something (allows a licence, or names the module's licence files).
func TestExceptions(t *testing.T) {
	for path, ex := range Exceptions {
		if len(ex.Allow) == 0 && len(ex.Files) == 0 {
			t.Errorf("%s: an exception that allows nothing and names no licence file", path)
		}
		for id, why := range ex.Allow {
			if slices.Contains(Allowed, id) {
				t.Errorf("%s: %s is allowed for every module already", path, id)
			}
			if len(why) < 40 {
				t.Errorf("%s: %s: the reason %q is too short to review", path, id, why)
			}
		}
	}
}

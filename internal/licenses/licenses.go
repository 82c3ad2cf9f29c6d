// Package licenses checks the licences of the Go modules linked into the
// pagerlens binary and renders the list of them (docs/licenses.md).
//
// pagerlens is Apache-2.0. A module may be linked in when its licence files
// classify (github.com/google/licensecheck) as one of the Allowed licences,
// or as one reviewed for that module alone (Exceptions, each with its
// reason). Anything else — no licence file, a text that matches no known
// licence, a known licence with enough extra text to change its terms, a
// licence outside the list — is a Problem naming the module, so that a new
// or upgraded dependency is reviewed before it ships rather than after.
//
// The test of this package is the gate and the generator: it fails when a
// module has a Problem or when docs/licenses.md is not what Render writes,
// and `make licenses` (go test ./internal/licenses -update) rewrites it.
package licenses

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/google/licensecheck"
)

// Allowed are the licences any module may have: permissive licences whose
// terms an Apache-2.0 binary meets by shipping their texts and notices, and
// MPL-2.0, whose file-level copyleft applies only to the MPL files
// themselves (unmodified, as modules from the proxy are).
var Allowed = []string{"Apache-2.0", "MIT", "BSD-2-Clause", "BSD-3-Clause", "ISC", "MPL-2.0"}

// Exception allows licences outside Allowed for one module, after review.
type Exception struct {
	// Files, when set, are the only files classified (paths relative to
	// the module root), e.g. the one licence chosen of a dual licence.
	Files []string
	// Allow maps each further licence id to why it is acceptable.
	Allow map[string]string
	// Credit is text the licence asks the product's documentation to
	// carry; Render prints it.
	Credit string
}

// Exceptions are the reviewed modules, by module path. A new version of a
// module keeps its exception; a changed licence changes docs/licenses.md,
// which the test then reports as stale.
var Exceptions = map[string]Exception{
	// The PagerDuty importer's client (ingest/importers/pagerduty): its
	// licence is LICENSE.txt (Apache-2.0); license.go and license_test.go
	// are Go source for PagerDuty's licenses API, not licences.
	"github.com/PagerDuty/go-pagerduty": {Files: []string{"LICENSE.txt"}},
	// gonum.org/v1/plot (the fatigue report's charts) embeds the Liberation
	// fonts for text metrics.
	"codeberg.org/go-fonts/liberation": {Allow: map[string]string{
		"OFL-1.1": "the SIL Open Font License covers the Liberation font files the package embeds (its Go code is BSD-3-Clause); " +
			"the OFL lets the fonts be bundled with software under any licence, provided they keep their licence and are not sold on their own",
	}},
	// gonum.org/v1/plot/vg/vgsvg writes the report's SVG charts with it.
	"github.com/ajstarks/svgo": {Files: []string{"LICENSE"}, Allow: map[string]string{
		"CC-BY-4.0": "a permissive licence whose condition is attribution: the author, the licence and its link, and whether the work was modified, " +
			"which the credit below gives; LICENSE-link.txt only points to LICENSE",
	}, Credit: "SVGo (github.com/ajstarks/svgo), by its author github.com/ajstarks, is used unmodified under the " +
		"Creative Commons Attribution 4.0 International licence, https://creativecommons.org/licenses/by/4.0/; " +
		"it is provided as is, without warranties."},
	// gonum.org/v1/plot rasterises through it (git.sr.ht/~sbinet/gg).
	"github.com/golang/freetype": {Files: []string{"licenses/ftl.txt"}, Allow: map[string]string{
		"FTL": "dual-licensed, at the user's choice, under the FreeType License or GPL-2.0-or-later (its LICENSE); " +
			"pagerlens takes the FreeType License, a BSD-style licence that asks for a credit in the documentation",
	}, Credit: "Portions of this software are copyright © 2006 The FreeType Project (www.freetype.org). All rights reserved."},
}

// MinCoverage is the share of a licence file (percent) that known licence
// texts must cover. Below it the file says more than the licence it
// matched — a changed clause, an added condition — and needs a reader.
// yaml.v3's LICENSE, which explains which files are MIT and which
// Apache-2.0 before quoting both, is covered 85%.
const MinCoverage = 80

// Platforms are the GOOS/GOARCH pairs the modules are listed for: those
// DuckDB ships a library for (github.com/duckdb/duckdb-go-bindings), each of
// which links its own library module.
var Platforms = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64"}

// BuildTags are the tags the binary is built with (the Makefile's TAGS).
const BuildTags = "duckdb_arrow"

// Module is one module linked into the binary.
type Module struct {
	Path, Version string
	// Dir is the module's directory in the module cache.
	Dir string
}

// Entry is a module with its classified licences.
type Entry struct {
	Module
	// Licenses are the licence ids found, sorted.
	Licenses []string
	// Files are the licence files classified, relative to Dir.
	Files []string
	// Notices are the module's NOTICE files (Apache-2.0 §4(d) asks
	// redistributions to carry them), file name → text.
	Notices map[string]string
	// Problems say why the module may not be linked in; empty when it may.
	Problems []string
}

// List returns the modules of the packages pkg imports, on every platform
// of Platforms, built as `make` builds (BuildTags, cgo on), sorted by path;
// the main module is left out. It runs `go list`, whose modules must be in
// the module cache (go mod download).
func List(ctx context.Context, pkg string) ([]Module, error) {
	seen := map[string]Module{}
	for _, p := range Platforms {
		goos, goarch, _ := strings.Cut(p, "/")
		cmd := exec.CommandContext(ctx, "go", "list", "-deps", "-tags="+BuildTags, "-json=Module", pkg)
		cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("go list %s for %s: %w: %s", pkg, p, err, strings.TrimSpace(stderr.String()))
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		for {
			var lp struct {
				Module *struct {
					Path, Version, Dir string
					Main               bool
					Replace            *struct{ Path, Version, Dir string }
				}
			}
			if err := dec.Decode(&lp); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return nil, fmt.Errorf("go list %s for %s: decode: %w", pkg, p, err)
			}
			m := lp.Module
			if m == nil || m.Main {
				continue // the standard library, or pagerlens itself
			}
			mod := Module{Path: m.Path, Version: m.Version, Dir: m.Dir}
			if r := m.Replace; r != nil {
				// The code linked in is the replacement's.
				mod = Module{Path: r.Path, Version: r.Version, Dir: r.Dir}
			}
			if mod.Dir == "" {
				return nil, fmt.Errorf("module %s@%s is not in the module cache: run go mod download", mod.Path, mod.Version)
			}
			seen[mod.Path+"@"+mod.Version] = mod
		}
	}
	out := make([]Module, 0, len(seen))
	for _, m := range seen {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Version < out[j].Version
	})
	return out, nil
}

// StdlibModule is the Go standard library and runtime, which every Go
// binary links: its licence is the toolchain's (GOROOT/LICENSE). Its
// version is left out so that the list does not depend on the Go release
// that generated it.
func StdlibModule(ctx context.Context) (Module, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
	if err != nil {
		return Module{}, fmt.Errorf("go env GOROOT: %w", err)
	}
	return Module{Path: "Go standard library", Dir: strings.TrimSpace(string(out))}, nil
}

// isLicenseFile says whether a file name in a module's root names a licence:
// LICENSE, LICENCE, COPYING and their variants (LICENSE.txt, LICENSE-SIL,
// LICENSE.libyaml, …).
func isLicenseFile(name string) bool {
	n := strings.ToUpper(name)
	return strings.HasPrefix(n, "LICENSE") || strings.HasPrefix(n, "LICENCE") || strings.HasPrefix(n, "COPYING")
}

func isNoticeFile(name string) bool { return strings.HasPrefix(strings.ToUpper(name), "NOTICE") }

// Classify reads m's licence and notice files and classifies them under
// Allowed and m's Exception.
func Classify(m Module) (Entry, error) {
	e := Entry{Module: m, Notices: map[string]string{}}
	ex := Exceptions[m.Path]
	files := ex.Files
	ents, err := os.ReadDir(m.Dir)
	if err != nil {
		return e, fmt.Errorf("module %s: %w", m.Path, err)
	}
	for _, de := range ents {
		if de.IsDir() {
			continue
		}
		if len(ex.Files) == 0 && isLicenseFile(de.Name()) {
			files = append(files, de.Name())
		}
		if isNoticeFile(de.Name()) {
			b, err := os.ReadFile(filepath.Join(m.Dir, de.Name()))
			if err != nil {
				return e, fmt.Errorf("module %s: %w", m.Path, err)
			}
			e.Notices[de.Name()] = string(b)
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		e.Problems = append(e.Problems, "no licence file (LICENSE, LICENCE or COPYING) in the module")
	}
	ids := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(m.Dir, filepath.FromSlash(f)))
		if err != nil {
			return e, fmt.Errorf("module %s: %w", m.Path, err)
		}
		e.Files = append(e.Files, f)
		cov := licensecheck.Scan(b)
		if len(cov.Match) == 0 {
			e.Problems = append(e.Problems, fmt.Sprintf("%s: matches no known licence", f))
			continue
		}
		if cov.Percent < MinCoverage {
			e.Problems = append(e.Problems, fmt.Sprintf("%s: known licences cover only %.0f%% of it (want %d%%): read what the rest says", f, cov.Percent, MinCoverage))
		}
		for _, mt := range cov.Match {
			ids[mt.ID] = true
		}
	}
	for id := range ids {
		e.Licenses = append(e.Licenses, id)
		if !slices.Contains(Allowed, id) && ex.Allow[id] == "" {
			e.Problems = append(e.Problems, fmt.Sprintf("licence %s is not allowed (allowed: %s; or review it and add an exception)", id, strings.Join(Allowed, ", ")))
		}
	}
	sort.Strings(e.Licenses)
	sort.Strings(e.Problems)
	return e, nil
}

// Render writes docs/licenses.md for entries (which Classify found without
// problems), in their order.
func Render(entries []Entry) []byte {
	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# Third-party licences\n\n")
	p("<!-- Generated by `make licenses` (internal/licenses); do not edit. -->\n\n")
	p("pagerlens is licensed under the Apache License 2.0 ([LICENSE](../LICENSE)).\n\n")
	p("The `pagerlens` binary links the Go standard library and the Go modules below: those of\n")
	p("`go list -deps -tags=%s ./cmd/pagerlens` on each platform DuckDB ships a library for\n", BuildTags)
	p("(%s), each of which links its own\n", strings.Join(Platforms, ", "))
	p("`duckdb-go-bindings/lib/…` module. Modules that only tests use are not shipped and not listed.\n\n")
	p("Each module's licence files (LICENSE, LICENCE, COPYING and their variants, in the module's\n")
	p("root in the Go module cache) are classified with github.com/google/licensecheck. Allowed:\n")
	p("%s. `go test ./internal/licenses` fails, naming the module, on a\n", strings.Join(Allowed, ", "))
	p("module without a licence file, on a file that matches no known licence or that known licence\n")
	p("texts cover less than %d%% of, and on any other licence unless it was reviewed for that module\n", MinCoverage)
	p("(below); it also fails when this file is not what `make licenses` writes.\n\n")
	p("| module | version | licence | files |\n| --- | --- | --- | --- |\n")
	for _, e := range entries {
		v := e.Version
		if v == "" {
			v = "—"
		}
		p("| %s | %s | %s | %s |\n", e.Path, v, strings.Join(e.Licenses, ", "), strings.Join(e.Files, ", "))
	}
	paths := make([]string, 0, len(Exceptions))
	for path := range Exceptions {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	p("\n## Reviewed exceptions\n\n")
	for _, path := range paths {
		ex := Exceptions[path]
		ids := make([]string, 0, len(ex.Allow))
		for id := range ex.Allow {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			p("- **%s**, %s: %s.\n", path, id, ex.Allow[id])
		}
	}
	p("\n## Credits\n\n")
	for _, path := range paths {
		if c := Exceptions[path].Credit; c != "" {
			p("- %s: %s\n", path, c)
		}
	}
	p("\n## Notices\n\n")
	p("The NOTICE files of the modules that have one, as the Apache License 2.0 (section 4(d))\n")
	p("asks a redistribution to carry them.\n")
	for _, e := range entries {
		names := make([]string, 0, len(e.Notices))
		for n := range e.Notices {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			p("\n### %s (%s)\n\n```\n%s\n```\n", e.Path, n, strings.TrimRight(e.Notices[n], "\n"))
		}
	}
	p("\n## Not checked here\n\n")
	p("DuckDB's static library (the `duckdb-go-bindings/lib/…` modules, MIT) compiles in third-party\n")
	p("libraries of its own (e.g. fmt, re2, zstd, Mbed TLS, utf8proc, ICU; the `libduckdb_*.a` files\n")
	p("name them), under their own licences, which DuckDB's source tree (`third_party/`) carries. They\n")
	p("are not in the modules' licence files, so this check does not see them.\n")
	return b.Bytes()
}

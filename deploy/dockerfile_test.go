package deploy

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The Dockerfile keeps the properties the deployment docs promise: a
// builder with cgo and the duckdb_arrow tag, a glibc runtime of the same
// Debian release, a non-root user, the store on a volume, the port, and a
// HEALTHCHECK that needs nothing but pagerlens. (Building it needs a
// container builder and base images: docs/operations.md#container.)
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	// Instructions, with continuation lines joined and comments dropped.
	var ins []string
	for _, l := range strings.Split(strings.ReplaceAll(string(b), "\\\n", " "), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			ins = append(ins, l)
		}
	}
	has := func(re string) bool {
		r := regexp.MustCompile(re)
		for _, l := range ins {
			if r.MatchString(l) {
				return true
			}
		}
		return false
	}
	for _, want := range []struct{ re, why string }{
		{`^ARG GO_IMAGE=golang:1\.26-bookworm$`, "the builder: Go 1.26 on Debian 12"},
		{`^ARG RUNTIME_IMAGE=gcr\.io/distroless/cc-debian12:nonroot$`, "a glibc + libstdc++ runtime of the builder's Debian release"},
		{`^FROM \$\{GO_IMAGE\} AS build$`, "a build stage"},
		{`^RUN CGO_ENABLED=1 go build -tags duckdb_arrow .*\./cmd/pagerlens`, "cgo and the Makefile's tag"},
		{`^FROM \$\{RUNTIME_IMAGE\}$`, "a runtime stage"},
		{`^USER 65532:65532$`, "non-root"},
		{`^VOLUME \["/var/lib/pagerlens"\]$`, "the store on a volume"},
		{`^WORKDIR /var/lib/pagerlens$`, "the default --db lands on the volume"},
		{`^EXPOSE 9464$`, "serve's default port"},
		{`^HEALTHCHECK .*CMD \["/usr/bin/pagerlens", "healthcheck"\]$`, "a probe without curl"},
		{`^ENTRYPOINT \["/usr/bin/pagerlens"\]$`, "the binary as entrypoint"},
	} {
		if !has(want.re) {
			t.Errorf("Dockerfile lacks %s (%s)", want.re, want.why)
		}
	}
	if has(`^USER (root|0)`) {
		t.Errorf("Dockerfile switches to root")
	}
	ignore, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".git", "**/*.duckdb", "bin/"} {
		if !strings.Contains(string(ignore), "\n"+want+"\n") && !strings.HasPrefix(string(ignore), want+"\n") {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
}

package layers

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/pagerlens/pagerlens"

// goList runs `go list` from the repository root.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list %v: %v\n%s", args, err, stderr)
	}
	return strings.Fields(string(out))
}

// TestBinaryLinksNoTestCode: the production binary links neither the
// testing package nor any of the project's test support.
func TestBinaryLinksNoTestCode(t *testing.T) {
	for _, dep := range goList(t, "-deps", "./cmd/pagerlens") {
		switch {
		case dep == "testing", strings.HasPrefix(dep, "testing/"):
			t.Errorf("pagerlens links %s", dep)
		case testSupport[strings.TrimPrefix(dep, module+"/")]:
			t.Errorf("pagerlens links the test support %s", dep)
		}
	}
}

// testSupport are the packages for tests only.
var testSupport = map[string]bool{
	"internal/testkit":   true,
	"internal/fixtures":  true,
	"internal/kafkatest": true,
	"test/e2e/e2eutil":   true,
}

// TestImportRules: each rule names a package and what its non-test files
// must not import (a prefix of the module-relative path).
func TestImportRules(t *testing.T) {
	rules := []struct {
		pkg, forbidden, why string
	}{
		{"analytics", "ingest", "analytics reads the store, whatever brought the events"},
		{"exporters/prometheus", "ingest", "the exporter takes a prometheus.Registerer; each component registers its own self-metrics"},
		{"", "cmd", "nothing imports cmd"},
	}
	imports := map[string][]string{}
	for _, line := range goList(t, "-f", "{{.ImportPath}}:{{join .Imports \",\"}}", "./...") {
		pkg, deps, _ := strings.Cut(line, ":")
		imports[strings.TrimPrefix(pkg, module+"/")] = strings.Split(deps, ",")
	}
	if len(imports) < 10 {
		t.Fatalf("go list found only %d packages", len(imports))
	}
	for pkg, deps := range imports {
		for _, d := range deps {
			rel, ok := strings.CutPrefix(d, module+"/")
			if !ok {
				continue
			}
			if testSupport[rel] && !testSupport[pkg] {
				t.Errorf("%s imports the test support %s outside its _test.go files", pkg, rel)
			}
			for _, r := range rules {
				if (r.pkg == "" || pkg == r.pkg || strings.HasPrefix(pkg, r.pkg+"/")) &&
					(rel == r.forbidden || strings.HasPrefix(rel, r.forbidden+"/")) {
					t.Errorf("%s imports %s: %s", pkg, rel, r.why)
				}
			}
		}
	}
}

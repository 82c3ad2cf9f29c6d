package dashboards

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// FolderUID is the uid of the Grafana folder of the pagerlens dashboards,
// used by both the file provider and Push so that either way of loading
// them ends in the same folder.
const FolderUID = "pagerlens"

// DatasourceUID and DatasourceName are the uid and name of the Prometheus
// data source WriteProvisioning declares. The dashboards' datasource
// variable defaults to it, so that a Grafana whose default Prometheus is
// another one still opens them on pagerlens's.
const (
	DatasourceUID  = "pagerlens-prometheus"
	DatasourceName = "pagerlens Prometheus"
)

// Paths written by WriteProvisioning, relative to its directory.
const (
	ProviderFile   = "provisioning/dashboards/pagerlens.yaml"
	DatasourceFile = "provisioning/datasources/pagerlens.yaml"
	DashboardsDir  = "dashboards"
)

// WriteProvisioning writes a Grafana provisioning tree under dir: a file
// provider for the dashboards, a Prometheus data source, and the dashboard
// JSON files. Point Grafana's paths.provisioning at dir/provisioning.
// Existing files are replaced; other files are left alone.
func WriteProvisioning(dir string, opts Options) error {
	o, err := opts.withDefaults()
	if err != nil {
		return fmt.Errorf("dashboard options: %w", err)
	}
	ds, err := Build(o)
	if err != nil {
		return err
	}
	jsonDir := filepath.Join(dir, DashboardsDir)
	providerPath := o.ProvisionedPath
	if providerPath == "" {
		// Grafana resolves a relative path against its own working
		// directory, not this tree: write an absolute one.
		if providerPath, err = filepath.Abs(jsonDir); err != nil {
			return fmt.Errorf("resolve %s: %w", jsonDir, err)
		}
	}
	for _, d := range ds {
		b, err := d.JSON()
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(jsonDir, d.FileName()), b); err != nil {
			return err
		}
	}
	if err := writeFile(filepath.Join(dir, ProviderFile), providerYAML(o.Folder, providerPath)); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, DatasourceFile), datasourceYAML(o.PrometheusURL))
}

// q quotes a string for YAML: a JSON string is a valid YAML double-quoted
// scalar, so paths and URLs with ':' or '#' cannot break the document.
func q(s string) string {
	b, _ := json.Marshal(s) // a string always encodes
	return string(b)
}

func providerYAML(folder, path string) []byte {
	var b strings.Builder
	b.WriteString("# Written by `pagerlens dashboards write`; regenerate rather than edit.\n")
	b.WriteString("apiVersion: 1\n")
	b.WriteString("providers:\n")
	b.WriteString("  - name: pagerlens\n")
	b.WriteString("    orgId: 1\n")
	fmt.Fprintf(&b, "    folder: %s\n", q(folder))
	fmt.Fprintf(&b, "    folderUid: %s\n", q(FolderUID))
	b.WriteString("    type: file\n")
	b.WriteString("    disableDeletion: false\n")
	// The files are the source of truth: edits in the UI would be lost at
	// the next regeneration, so Grafana refuses them.
	b.WriteString("    allowUiUpdates: false\n")
	b.WriteString("    updateIntervalSeconds: 30\n")
	b.WriteString("    options:\n")
	fmt.Fprintf(&b, "      path: %s\n", q(path))
	b.WriteString("      foldersFromFilesStructure: false\n")
	return []byte(b.String())
}

func datasourceYAML(url string) []byte {
	var b strings.Builder
	b.WriteString("# Written by `pagerlens dashboards write`; regenerate rather than edit.\n")
	b.WriteString("apiVersion: 1\n")
	b.WriteString("datasources:\n")
	fmt.Fprintf(&b, "  - name: %s\n", DatasourceName)
	fmt.Fprintf(&b, "    uid: %s\n", q(DatasourceUID))
	b.WriteString("    type: prometheus\n")
	b.WriteString("    access: proxy\n")
	fmt.Fprintf(&b, "    url: %s\n", q(url))
	b.WriteString("    editable: true\n")
	b.WriteString("    jsonData:\n")
	// POST keeps long dashboard queries out of URL length limits.
	b.WriteString("      httpMethod: POST\n")
	return []byte(b.String())
}

// writeFile writes through a temporary file and a rename, so that Grafana,
// which rescans the folder every 30 s, never reads a half-written dashboard.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

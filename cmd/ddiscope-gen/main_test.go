package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ddiscope/ddiscope/rules"
)

// repoRoot is where the committed files are, seen from this package.
const repoRoot = "../.."

// TestCommittedFilesAreUpToDate fails when `make generate` would change a
// committed file, or leave a runbook of an alert that no longer exists.
func TestCommittedFilesAreUpToDate(t *testing.T) {
	files, err := generate("")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range files {
		t.Run(path, func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(path)))
			if err != nil {
				t.Fatalf("%s is not committed: run make generate (%v)", path, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s is out of date: run make generate", path)
			}
		})
	}
	pages, err := filepath.Glob(filepath.Join(repoRoot, rules.RunbookDir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		rel := rules.RunbookDir + "/" + filepath.Base(p)
		if _, ok := files[rel]; !ok {
			t.Errorf("%s is no longer generated (its alert is gone): delete it", rel)
		}
	}
}

// TestRulesConfigChangesTheGeneratedRules: a user's YAML file reaches the
// rules and the docs; a bad one writes nothing and names the file.
func TestRulesConfigChangesTheGeneratedRules(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "my-rules.yml")
	os.WriteFile(conf, []byte("thresholds:\n  utilization-critical: 0.97\nlinks:\n  configui: https://kea-admin.example.net\n"), 0o644)
	out := filepath.Join(dir, "out")
	if err := run(out, conf); err != nil {
		t.Fatal(err)
	}
	alerts, err := os.ReadFile(filepath.Join(out, rules.AlertingRulesFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"> 0.97", "https://kea-admin.example.net/servers/"} {
		if !strings.Contains(string(alerts), want) {
			t.Errorf("the generated alerts lack %q", want)
		}
	}
	for _, p := range []string{rules.RecordingRulesFile, rules.AlertmanagerFile, rules.AlertingDoc, rules.RunbookDir + "/KeaDaemonDown.md", "docs/metrics.md"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("%s not written: %v", p, err)
		}
	}

	os.WriteFile(conf, []byte("thresholds:\n  utilization-critical: 2\n"), 0o644)
	bad := filepath.Join(dir, "bad")
	err = run(bad, conf)
	if err == nil || !strings.Contains(err.Error(), "my-rules.yml") {
		t.Errorf("a bad rules config: error %v, want one naming the file", err)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("a bad rules config still wrote files (%v)", err)
	}
}

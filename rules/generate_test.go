package rules_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/rules"
)

// generate writes every file rules.Files makes for c into a temporary
// directory and returns it.
func generate(t testing.TB, c *rules.Config) string {
	t.Helper()
	cat, err := catalog.New(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	files, err := rules.Files(c, cat)
	if err != nil {
		t.Fatalf("rules.Files: %v", err)
	}
	dir := t.TempDir()
	for p, b := range files {
		path := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func defaultAlerts(t testing.TB) []rules.Alert {
	t.Helper()
	groups, err := rules.Build(rules.Default())
	if err != nil {
		t.Fatal(err)
	}
	return rules.Alerts(groups)
}

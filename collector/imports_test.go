package collector

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Every import points down: the Kea control client is the Kea poller's
// business alone, so neither the poll loop, the BIND poller nor the
// exporters import it, and nothing below a binary imports its wiring.
func TestImportsPointDown(t *testing.T) {
	const mod = "github.com/ddiscope/ddiscope/"
	forbidden := map[string][]string{
		".":                       {"internal/keactl", "collector/kea", "collector/bind", "exporters/", "cmd/"},
		"bind":                    {"internal/keactl", "collector/kea", "exporters/", "cmd/"},
		"kea":                     {"collector/bind", "exporters/", "cmd/"},
		"../exporters/prometheus": {"internal/keactl", "collector/kea", "collector/bind", "cmd/"},
		"../exporters/otlp":       {"internal/keactl", "collector/kea", "collector/bind", "cmd/"},
		"../internal/keactl":      {"collector", "exporters/", "cmd/"},
		"../internal/config":      {"collector", "exporters/", "cmd/"},
		"../catalog":              {"collector", "exporters/", "cmd/", "internal/"},
		"../configui/config":      {"collector", "exporters/", "cmd/"},
		"../configui/store":       {"collector", "exporters/", "cmd/"},
		"../configui/web":         {"collector", "exporters/", "cmd/"},
		"../configui/inbox":       {"collector", "exporters/", "cmd/", "configui/store", "configui/web"},
		"../configui/form":        {"collector", "exporters/", "cmd/", "configui/store", "configui/web"},
		"../configui/auth":        {"collector", "exporters/", "cmd/", "configui/"},
	}
	for dir, banned := range forbidden {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range file.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				rel, ok := strings.CutPrefix(path, mod)
				if !ok {
					continue
				}
				for _, b := range banned {
					if rel == strings.TrimSuffix(b, "/") || strings.HasPrefix(rel, strings.TrimSuffix(b, "/")+"/") {
						t.Errorf("%s imports %s: that points up or sideways", f, path)
					}
				}
			}
		}
	}
}

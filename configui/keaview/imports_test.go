package keaview

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The editor is its own binary: keaview reads Kea through internal/keactl
// and never imports the collector, the exporters or a binary's packages.
func TestImportsPointDown(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatal(err)
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
			rel, ok := strings.CutPrefix(path, "github.com/ddiscope/ddiscope/")
			if !ok {
				continue
			}
			for _, banned := range []string{"collector", "exporters", "cmd", "configui"} {
				if rel == banned || strings.HasPrefix(rel, banned+"/") {
					t.Errorf("%s imports %s: keaview must not", f, path)
				}
			}
		}
	}
}

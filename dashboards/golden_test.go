package dashboards

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ddiscope/ddiscope/rules"
)

var update = flag.Bool("update", false, "rewrite the committed files under deploy/grafana")

// repoRoot is where ddiscope-gen writes the committed copies.
const repoRoot = ".."

// The committed dashboards and provisioning files are what `make generate`
// writes: a change to the generator without regenerating fails here.
// `go test ./dashboards -update` rewrites them.
func TestCommittedFilesAreGenerated(t *testing.T) {
	if *update {
		if err := Write(repoRoot, rules.Default()); err != nil {
			t.Fatal(err)
		}
	}
	tmp := t.TempDir()
	if err := Write(tmp, rules.Default()); err != nil {
		t.Fatal(err)
	}
	files, err := Files(rules.Default())
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for path := range files {
		want = append(want, path)
		generated, err := os.ReadFile(filepath.Join(tmp, path))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(filepath.Join(repoRoot, path))
		if err != nil {
			t.Errorf("%s is not committed (go test ./dashboards -update): %v", path, err)
			continue
		}
		if !bytes.Equal(generated, committed) {
			t.Errorf("%s differs from what make generate writes; run go test ./dashboards -update (or make generate):\n%s", path, firstDifference(committed, generated))
		}
	}
	// A dashboard removed from the generator must not linger in Grafana.
	entries, err := os.ReadDir(filepath.Join(repoRoot, DashboardsDir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if p := DashboardsDir + "/" + e.Name(); !slices.Contains(want, p) {
			t.Errorf("%s is committed but no longer generated: delete it", p)
		}
	}
}

// firstDifference shows the first line that differs, for a readable failure.
func firstDifference(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return "line " + strconv.Itoa(i+1) + ":\n  committed: " + al[i] + "\n  generated: " + bl[i]
		}
	}
	return "lengths differ: committed " + strconv.Itoa(len(al)) + " lines, generated " + strconv.Itoa(len(bl))
}

package catalog

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite ../docs/metrics.md from the catalog")

const metricsDoc = "../docs/metrics.md"

// TestMarkdown keeps docs/metrics.md in step with the catalog.
func TestMarkdown(t *testing.T) {
	c, err := New(All())
	if err != nil {
		t.Fatal(err)
	}
	got := Markdown(c)
	if !bytes.Equal(got, Markdown(c)) {
		t.Fatal("Markdown is not deterministic")
	}
	if *update {
		if err := os.WriteFile(metricsDoc, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(metricsDoc)
	if err != nil {
		t.Fatalf("%v; run `make generate` (or go test ./catalog -update)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("docs/metrics.md is out of date with the catalog; run `make generate` (or go test ./catalog -update).\nfirst difference, line %d:\n  committed: %s\n  catalog:   %s", i+1, w, g)
			}
		}
	}
}

func TestMarkdownCoversCatalog(t *testing.T) {
	c, err := New(All())
	if err != nil {
		t.Fatal(err)
	}
	md := string(Markdown(c))
	for _, m := range c.Metrics {
		if !strings.Contains(md, "| `"+m.Name+"` | `"+OTelName(m)+"` |") {
			t.Errorf("%s is not in the Markdown beside its OTel name %s", m.Name, OTelName(m))
		}
		for _, s := range m.Source {
			if !strings.Contains(md, "`"+s.Stat+"`") {
				t.Errorf("%s: statistic %s is not in the Markdown", m.Name, s.Stat)
			}
		}
	}
}

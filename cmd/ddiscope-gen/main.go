// Command ddiscope-gen writes the files generated from package catalog
// (docs/metrics.md) and package rules (Prometheus rules, Alertmanager
// configuration, runbooks, docs/alerting.md).
//
//	go run ./cmd/ddiscope-gen -out.dir .
//	ddiscope-gen -rules.config my-rules.yml -out.dir /tmp/out
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/dashboards"
	"github.com/ddiscope/ddiscope/rules"
)

func main() {
	outDir := flag.String("out.dir", ".", "repository root to write the generated files under")
	rulesConfig := flag.String("rules.config", "", "YAML file overriding the rules' selector, thresholds, links and alerts (docs/alerting.md); default: the built-in defaults")
	flag.Parse()
	if err := run(*outDir, *rulesConfig); err != nil {
		fmt.Fprintln(os.Stderr, "ddiscope-gen:", err)
		os.Exit(1)
	}
}

func run(outDir, rulesConfig string) error {
	files, err := generate(rulesConfig)
	if err != nil {
		return err
	}
	return writeAll(outDir, files)
}

// generate returns every generated file by its path. Each family of
// artifacts is one entry of the list.
func generate(rulesConfig string) (map[string][]byte, error) {
	c, err := catalog.New(catalog.All())
	if err != nil {
		return nil, err
	}
	rc, err := loadRulesConfig(rulesConfig)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, family := range []func() (map[string][]byte, error){
		func() (map[string][]byte, error) {
			return map[string][]byte{"docs/metrics.md": catalog.Markdown(c)}, nil
		},
		func() (map[string][]byte, error) { return rules.Files(rc, c) },
		func() (map[string][]byte, error) { return dashboards.Files(rc) },
	} {
		fs, err := family()
		if err != nil {
			return nil, err
		}
		for p, b := range fs {
			if _, dup := files[p]; dup {
				return nil, fmt.Errorf("%s is generated twice", p)
			}
			files[p] = b
		}
	}
	return files, nil
}

func loadRulesConfig(path string) (*rules.Config, error) {
	if path == "" {
		return rules.Default(), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return rules.Load(path, f)
}

// writeAll writes the files in a stable order, so that a failure leaves
// the same files behind every time.
func writeAll(outDir string, files map[string][]byte) error {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if err := write(filepath.Join(outDir, filepath.FromSlash(p)), files[p]); err != nil {
			return err
		}
	}
	return nil
}

func write(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

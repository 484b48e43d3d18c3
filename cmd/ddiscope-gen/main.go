// Command ddiscope-gen writes the files generated from package catalog:
// docs/metrics.md now; alerting rules and dashboards will follow.
//
//	go run ./cmd/ddiscope-gen -out.dir .
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ddiscope/ddiscope/catalog"
)

func main() {
	outDir := flag.String("out.dir", ".", "repository root to write the generated files under")
	flag.Parse()
	if err := run(*outDir); err != nil {
		fmt.Fprintln(os.Stderr, "ddiscope-gen:", err)
		os.Exit(1)
	}
}

func run(outDir string) error {
	c, err := catalog.New(catalog.All())
	if err != nil {
		return err
	}
	return write(filepath.Join(outDir, "docs", "metrics.md"), catalog.Markdown(c))
}

func write(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	return nil
}

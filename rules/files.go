package rules

import (
	"fmt"

	"github.com/ddiscope/ddiscope/catalog"
)

// Files builds the rules for c, checks them against the catalog and
// returns every generated file by its path under the repository root:
// Prometheus rules and an example configuration, alertmanager.yml, the
// runbooks, docs/alerting.md, and the migration rules for kea-exporter and
// Stork with docs/migrating.md. Nothing is returned if a check fails.
func Files(c *Config, cat *catalog.Catalog) (map[string][]byte, error) {
	groups, err := Build(c)
	if err != nil {
		return nil, err
	}
	if err := Check(c, groups, cat); err != nil {
		return nil, fmt.Errorf("the rules do not match the metric catalog:\n%w", err)
	}
	files := map[string][]byte{}
	for path, gen := range map[string]func() ([]byte, error){
		RecordingRulesFile: func() ([]byte, error) { return c.RecordingRules(groups) },
		AlertingRulesFile:  func() ([]byte, error) { return c.AlertingRules(groups) },
		PrometheusFile:     c.PrometheusConfig,
		AlertmanagerFile:   func() ([]byte, error) { return c.AlertmanagerYAML(groups) },
		AlertingDoc:        func() ([]byte, error) { return c.Doc(groups) },
	} {
		b, err := gen()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		files[path] = b
	}
	if err := Check(c, c.CompatGroups(), cat); err != nil {
		return nil, fmt.Errorf("the migration rules do not match the metric catalog:\n%w", err)
	}
	compat, err := c.compatFiles()
	if err != nil {
		return nil, err
	}
	for p, b := range compat {
		files[p] = b
	}
	runbooks, err := c.Runbooks(groups)
	if err != nil {
		return nil, err
	}
	for p, b := range runbooks {
		files[p] = b
	}
	return files, nil
}

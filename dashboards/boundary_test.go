package dashboards

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The dashboards' heavy dependency stays out of the daemon: only this
// package, ddiscope-gen and tests import grafana-foundation-sdk.
func TestDaemonDoesNotLinkTheGrafanaSDK(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "list", "-deps", "../cmd/ddiscope").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/ddiscope: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/grafana/grafana-foundation-sdk") || pkg == "github.com/ddiscope/ddiscope/dashboards" {
			t.Errorf("the daemon imports %s", pkg)
		}
	}
}

package kea

import (
	"errors"
	"slices"
	"testing"

	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/internal/keactl"
)

// Every reason the Kea client gives a failure is one the self-metrics count,
// so a Kea failure is never counted as "malformed" by accident.
func TestEveryKeaClientReasonIsAPollReason(t *testing.T) {
	for _, r := range keactl.Reasons {
		if !slices.Contains(collector.Reasons, collector.Reason(r)) {
			t.Errorf("keactl reason %q is not in collector.Reasons", r)
		}
		err := fmtErr(&keactl.Error{Target: "kea1", Command: "statistic-get-all", Reason: r})
		if got := collector.ReasonOf(err); got != collector.Reason(r) {
			t.Errorf("ReasonOf(wrapped keactl error with %q) = %q", r, got)
		}
	}
	if got := collector.ReasonOf(errors.New("plain")); got != collector.ReasonMalformed {
		t.Errorf("ReasonOf(plain error) = %q, want malformed", got)
	}
}

func fmtErr(err error) error { return errors.Join(errors.New("poll"), err) }

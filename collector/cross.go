package collector

import "github.com/ddiscope/ddiscope/catalog"

// CrossDeriver computes samples from several targets' snapshots at once:
// facts no single target knows, such as how far a secondary's zone serial is
// behind its primary's, or whether two HA peers agree. It reads snapshots
// only (no I/O) and returns samples of catalog metrics, in any order.
type CrossDeriver func(snaps []*Snapshot) []Sample

// Cross runs the derivers over the up targets' snapshots and returns their
// samples grouped by metric, as a renderer needs them.
func Cross(cat *catalog.Catalog, targets []*TargetStatus, derivers []CrossDeriver) []Sample {
	if len(derivers) == 0 {
		return nil
	}
	snaps := make([]*Snapshot, 0, len(targets))
	for _, t := range targets {
		if t.Snapshot != nil {
			snaps = append(snaps, t.Snapshot)
		}
	}
	var out Snapshot
	for _, d := range derivers {
		out.Samples = append(out.Samples, d(snaps)...)
	}
	out.Group(len(cat.Metrics))
	return out.Samples
}

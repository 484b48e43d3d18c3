package bind

import (
	"testing"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

// zoneSnap is a BIND target's snapshot holding only its zones: each zone is
// view, name, type and serial (a negative serial: none).
func zoneSnap(cat *catalog.Catalog, target string, zones ...[4]any) *collector.Snapshot {
	id := collector.NewIdentity(catalog.ScopeGlobal, target)
	s := &collector.Snapshot{Target: target, Kind: "bind"}
	for _, z := range zones {
		view, name, typ, serial := z[0].(string), z[1].(string), z[2].(string), z[3].(int)
		s.Samples = append(s.Samples, collector.Sample{Metric: cat.Metric("bind_zone_info"), ID: id, Extra: &[]string{view, name, typ, "IN"}, Value: 1})
		if serial >= 0 {
			s.Samples = append(s.Samples, collector.Sample{Metric: cat.Metric("bind_zone_serial"), ID: id, Extra: &[]string{view, name}, Value: float64(serial)})
		}
	}
	return s
}

type driftKey struct{ server, view, zone, primary string }

func drift(cat *catalog.Catalog, snaps ...*collector.Snapshot) map[driftKey]float64 {
	out := map[driftKey]float64{}
	for _, s := range SerialDrift(cat)(snaps) {
		ev := s.ExtraValues()
		out[driftKey{s.ID.Values[0], ev[0], ev[1], ev[2]}] = s.Value
	}
	return out
}

func TestSerialDrift(t *testing.T) {
	cat := testCatalog(t)
	primary := zoneSnap(cat, "ns1",
		[4]any{"_default", "lab.example", "primary", 2024010105},
		[4]any{"_default", "wrap.example", "primary", 3},
		[4]any{"_default", "ahead.example", "primary", 100},
		[4]any{"_default", "half.example", "primary", 1 << 31},
		[4]any{"_bind", "version.bind", "builtin", 0},
	)
	secondary := zoneSnap(cat, "ns2",
		[4]any{"authoritative", "lab.example", "secondary", 2024010102},
		[4]any{"authoritative", "wrap.example", "secondary", 4294967294}, // 2^32-2: 5 behind 3
		[4]any{"authoritative", "ahead.example", "secondary", 104},
		[4]any{"authoritative", "half.example", "secondary", 0},   // 2^31 apart: undefined
		[4]any{"authoritative", "orphan.example", "secondary", 7}, // no primary among the targets
		[4]any{"authoritative", "new.example", "secondary", -1},   // not loaded yet
		[4]any{"_bind", "version.bind", "builtin", 0},
	)
	kea := &collector.Snapshot{Target: "kea1", Kind: "kea"}

	got := drift(cat, primary, secondary, kea)
	want := map[driftKey]float64{
		{"ns2", "authoritative", "lab.example", "ns1"}:   3,
		{"ns2", "authoritative", "wrap.example", "ns1"}:  5,
		{"ns2", "authoritative", "ahead.example", "ns1"}: -4,
	}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%v = %v, want %v", k, got[k], v)
		}
	}

	// Once the secondary has the primary's serial, it is in step: 0.
	caughtUp := zoneSnap(cat, "ns2", [4]any{"authoritative", "lab.example", "secondary", 2024010105})
	if got := drift(cat, primary, caughtUp); got[driftKey{"ns2", "authoritative", "lab.example", "ns1"}] != 0 || len(got) != 1 {
		t.Errorf("in step: %v, want one series at 0", got)
	}

	// Without the primary among the targets there is nothing to compare with.
	if got := drift(cat, secondary); len(got) != 0 {
		t.Errorf("no primary: %v, want nothing", got)
	}
}

// A primary that serves the zone in two views is compared in the view of
// the secondary's name.
func TestSerialDriftPicksTheSecondarysView(t *testing.T) {
	cat := testCatalog(t)
	primary := zoneSnap(cat, "ns1",
		[4]any{"external", "lab.example", "primary", 10},
		[4]any{"internal", "lab.example", "primary", 20},
	)
	secondary := zoneSnap(cat, "ns2", [4]any{"internal", "lab.example", "secondary", 18})
	if got := drift(cat, primary, secondary)[driftKey{"ns2", "internal", "lab.example", "ns1"}]; got != 2 {
		t.Errorf("behind %v, want 2 (against the internal view)", got)
	}
}

func TestSerialBehindIsRFC1982(t *testing.T) {
	for _, c := range []struct {
		primary, secondary uint32
		want               int64
		ok                 bool
	}{
		{5, 5, 0, true},
		{6, 5, 1, true},
		{5, 6, -1, true},
		{0, 0xffffffff, 1, true}, // the serial wrapped on the primary
		{0xffffffff, 0, -1, true},
		{1 << 31, 0, 0, false}, // RFC 1982 3.2: undefined
		{(1 << 31) - 1, 0, (1 << 31) - 1, true},
		{0, (1 << 31) + 1, (1 << 31) - 1, true},
	} {
		got, ok := serialBehind(c.primary, c.secondary)
		if got != c.want || ok != c.ok {
			t.Errorf("serialBehind(%d, %d) = %d, %v; want %d, %v", c.primary, c.secondary, got, ok, c.want, c.ok)
		}
	}
}

// BenchmarkSerialDrift is the deriver's cost at every scrape, at 3,000
// zones: one target alone (nothing to compare: no index may be built) and
// a primary with its secondary.
func BenchmarkSerialDrift(b *testing.B) {
	cat := testCatalog(b)
	zones := func(target, typ string) *collector.Snapshot {
		var zs [][4]any
		for i := range 3000 {
			zs = append(zs, [4]any{"_default", zoneName(i), typ, 2024010100 + i%7})
		}
		return zoneSnap(cat, target, zs...)
	}
	primary, secondary := zones("ns1", "primary"), zones("ns2", "secondary")
	for _, tc := range []struct {
		name  string
		snaps []*collector.Snapshot
		want  int
	}{
		{"one-target", []*collector.Snapshot{primary}, 0},
		{"primary-and-secondary", []*collector.Snapshot{primary, secondary}, 3000},
	} {
		b.Run(tc.name, func(b *testing.B) {
			d := SerialDrift(cat)
			b.ReportAllocs()
			for b.Loop() {
				if n := len(d(tc.snaps)); n != tc.want {
					b.Fatalf("%d series, want %d", n, tc.want)
				}
			}
		})
	}
}

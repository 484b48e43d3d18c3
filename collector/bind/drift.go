package bind

import (
	"slices"
	"strings"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

// SerialDrift returns the deriver of bind_zone_serial_behind: for every zone
// that one BIND target serves as primary and another as secondary (or
// mirror), how far the secondary's serial is behind the primary's, in RFC
// 1982 serial arithmetic. Primaries and secondaries are found in the data
// (bind_zone_info's zone_type), zones matched by name and class across
// targets whatever their views. It needs zones enabled on both targets; the
// values are as fresh as their zone reads (ZoneInterval).
func SerialDrift(cat *catalog.Catalog) collector.CrossDeriver {
	behind := cat.Metric("bind_zone_serial_behind")
	serialM := cat.Metric("bind_zone_serial")
	infoM := cat.Metric("bind_zone_info")
	if behind == nil || serialM == nil || infoM == nil {
		return func([]*collector.Snapshot) []collector.Sample { return nil }
	}
	return func(snaps []*collector.Snapshot) []collector.Sample {
		zones := collectZones(snaps, serialM, infoM)
		var out []collector.Sample
		for _, sec := range zones {
			if !isSecondary(sec.typ) || !sec.hasSerial {
				continue
			}
			for _, prim := range primariesOf(zones, sec) {
				d, ok := serialBehind(prim.serial, sec.serial)
				if !ok {
					continue
				}
				out = append(out, collector.Sample{Metric: behind, ID: sec.id,
					Extra: &[]string{sec.view, sec.name, prim.target}, Value: float64(d)})
			}
		}
		return out
	}
}

// zoneCopy is one zone on one target, from its snapshot.
type zoneCopy struct {
	target, view, name, class, typ string
	serial                         uint32
	hasSerial                      bool
	id                             *collector.Identity
}

func collectZones(snaps []*collector.Snapshot, serialM, infoM *catalog.Metric) []*zoneCopy {
	var out []*zoneCopy
	for _, s := range snaps {
		if s == nil || s.Kind != "bind" {
			continue
		}
		byKey := map[[2]string]*zoneCopy{}
		get := func(smp *collector.Sample) *zoneCopy {
			ev := smp.ExtraValues()
			if len(ev) < 2 {
				return nil
			}
			k := [2]string{ev[0], ev[1]}
			z := byKey[k]
			if z == nil {
				z = &zoneCopy{target: s.Target, view: ev[0], name: ev[1], id: smp.ID}
				byKey[k] = z
				out = append(out, z)
			}
			return z
		}
		for i := range s.Samples {
			smp := &s.Samples[i]
			// By name: the snapshots' catalog need not be this very instance.
			switch smp.Metric.Name {
			case serialM.Name:
				if z := get(smp); z != nil && smp.Value >= 0 && smp.Value <= 0xffffffff {
					z.serial, z.hasSerial = uint32(smp.Value), true
				}
			case infoM.Name:
				if z := get(smp); z != nil {
					if ev := smp.ExtraValues(); len(ev) >= 4 {
						z.typ, z.class = ev[2], ev[3]
					}
				}
			}
		}
	}
	return out
}

func isPrimary(typ string) bool   { return typ == "primary" || typ == "master" }
func isSecondary(typ string) bool { return typ == "secondary" || typ == "slave" || typ == "mirror" }

// primariesOf returns the zone's primary on every other target: per target
// the view of the secondary's name if it has one, else the first by name.
func primariesOf(zones []*zoneCopy, sec *zoneCopy) []*zoneCopy {
	best := map[string]*zoneCopy{}
	for _, z := range zones {
		if z.target == sec.target || !isPrimary(z.typ) || !z.hasSerial ||
			!strings.EqualFold(z.name, sec.name) || !strings.EqualFold(z.class, sec.class) {
			continue
		}
		cur := best[z.target]
		switch {
		case cur == nil:
			best[z.target] = z
		case cur.view == sec.view:
		case z.view == sec.view || z.view < cur.view:
			best[z.target] = z
		}
	}
	out := make([]*zoneCopy, 0, len(best))
	for _, z := range best {
		out = append(out, z)
	}
	slices.SortFunc(out, func(a, b *zoneCopy) int { return strings.Compare(a.target, b.target) })
	return out
}

// serialBehind is how far secondary is behind primary in RFC 1982 serial
// arithmetic (section 3.2): positive when behind, negative when ahead, 0 in
// step. The distance 2^31 is undefined by the RFC: ok is false.
func serialBehind(primary, secondary uint32) (int64, bool) {
	d := primary - secondary // modulo 2^32
	switch {
	case d == 1<<31:
		return 0, false
	case d < 1<<31:
		return int64(d), true
	default:
		return -int64(-d), true // -d is secondary - primary, modulo 2^32
	}
}

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
		// It runs at every scrape: with zones on, one target of 3,000 zones
		// (the usual server, or a primary whose secondaries are not polled)
		// must not pay for an index of its zones. Only a secondary zone on
		// one target and a primary zone on another make work.
		if !hasPair(snaps, infoM.Name) {
			return nil
		}
		secondaries, primaries := collectZones(snaps, serialM, infoM)
		var out []collector.Sample
		for _, sec := range secondaries {
			if !sec.hasSerial {
				continue
			}
			for _, prim := range primariesOf(primaries[zoneKey(sec)], sec) {
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

// hasPair reports whether one BIND snapshot has a secondary zone and
// another a primary one, from bind_zone_info alone: no allocation.
func hasPair(snaps []*collector.Snapshot, info string) bool {
	secondaryOn, primaryOn := -1, -1 // a snapshot with one; -2 when several have
	for i, s := range snaps {
		if s == nil || s.Kind != "bind" {
			continue
		}
		sec, prim := false, false
		for j := range s.Samples {
			smp := &s.Samples[j]
			if smp.Metric.Name != info {
				continue
			}
			if ev := smp.ExtraValues(); len(ev) >= 3 {
				sec = sec || isSecondary(ev[2])
				prim = prim || isPrimary(ev[2])
			}
		}
		if sec {
			secondaryOn = seen(secondaryOn, i)
		}
		if prim {
			primaryOn = seen(primaryOn, i)
		}
	}
	return secondaryOn != -1 && primaryOn != -1 && (secondaryOn != primaryOn || secondaryOn == -2)
}

func seen(was, i int) int {
	if was == -1 {
		return i
	}
	return -2
}

// collectZones returns the secondary zones of every BIND snapshot, and the
// primary zones indexed by zoneKey.
func collectZones(snaps []*collector.Snapshot, serialM, infoM *catalog.Metric) ([]*zoneCopy, map[[2]string][]*zoneCopy) {
	var all []*zoneCopy
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
				all = append(all, z)
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
	var secondaries []*zoneCopy
	primaries := map[[2]string][]*zoneCopy{}
	for _, z := range all {
		switch {
		case isSecondary(z.typ):
			secondaries = append(secondaries, z)
		case isPrimary(z.typ) && z.hasSerial:
			k := zoneKey(z)
			primaries[k] = append(primaries[k], z)
		}
	}
	return secondaries, primaries
}

// zoneKey matches a zone across targets: name and class, without case. A
// zone name in BIND's statistics is ASCII (other bytes come escaped as
// \DDD), so ASCII folding is all the folding there is.
func zoneKey(z *zoneCopy) [2]string {
	return [2]string{asciiLower(z.name), asciiLower(z.class)}
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func isPrimary(typ string) bool   { return typ == "primary" || typ == "master" }
func isSecondary(typ string) bool { return typ == "secondary" || typ == "slave" || typ == "mirror" }

// primariesOf returns the zone's primary on every other target, from the
// primaries of its name and class: per target the view of the secondary's
// name if it has one, else the first by name.
func primariesOf(zones []*zoneCopy, sec *zoneCopy) []*zoneCopy {
	if len(zones) == 0 {
		return nil
	}
	var best []*zoneCopy // one per target; zones has a few at most
	for _, z := range zones {
		if z.target == sec.target || !isPrimary(z.typ) || !z.hasSerial ||
			!strings.EqualFold(z.name, sec.name) || !strings.EqualFold(z.class, sec.class) {
			continue
		}
		i := slices.IndexFunc(best, func(c *zoneCopy) bool { return c.target == z.target })
		switch {
		case i < 0:
			best = append(best, z)
		case best[i].view == sec.view:
		case z.view == sec.view || z.view < best[i].view:
			best[i] = z
		}
	}
	slices.SortFunc(best, func(a, b *zoneCopy) int { return strings.Compare(a.target, b.target) })
	return best
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

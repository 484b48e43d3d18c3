package bind

import (
	"bytes"
	"errors"
	"fmt"
)

// The <counters type="…"> of XML v3 and the JSON v1 sections they hold.
func xmlServerSection(typ []byte) string {
	switch string(typ) {
	case "opcode":
		return "opcodes"
	case "rcode":
		return "rcodes"
	case "qtype":
		return "qtypes"
	case "nsstat":
		return "nsstats"
	case "zonestat":
		return "zonestats"
	case "resstat":
		return "resstats"
	case "sockstat":
		return "sockstats"
	case "dnstap":
		return "dnstapstats"
	}
	return ""
}

func xmlViewSection(typ []byte) string {
	switch string(typ) {
	case "resqtype":
		return "resolver.qtypes"
	case "resstats":
		return "resolver.stats"
	case "adbstat":
		return "resolver.adb"
	case "cachestats":
		return "resolver.cachestats"
	}
	return ""
}

// xmlZoneSection maps a zone's <counters type> to the JSON key of zones.<key>.
func xmlZoneSection(typ []byte) string {
	switch string(typ) {
	case "rcode":
		return "rcodes"
	case "qtype":
		return "qtypes"
	case "gluecache":
		return "gluecache"
	case "dnssec-sign":
		return "dnssec-sign"
	case "dnssec-refresh":
		return "dnssec-refresh"
	}
	return ""
}

// parseXML reads one XML v3 reply (/xml/v3/server, /net, /mem, /traffic,
// /tasks, /zones or /xml/v3 with everything) into b.
func parseXML(data []byte, b *builder) error {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return errors.New("the reply is JSON, not XML: is the target's format right?")
	}
	x := &xmlReader{b: data}
	var t xmlTag
	if !x.root(&t) {
		return x.err
	}
	if string(t.name) != "statistics" {
		return fmt.Errorf("xml: root element <%s>, not <statistics>", t.name)
	}
	if v := x.attr(&t, "version"); !bytes.HasPrefix(v, []byte("3.")) {
		return fmt.Errorf("xml: statistics version %q: only version 3 (BIND 9.10 and later) is read", v)
	}
	var c xmlTag
	for x.child(&c) {
		switch string(c.name) {
		case "server":
			xmlServer(x, b, &c)
		case "traffic":
			xmlTraffic(x, b, &c)
		case "views":
			xmlViews(x, b, &c)
		case "taskmgr":
			xmlTasks(x, b, &c)
		case "memory":
			xmlMemory(x, b, &c)
		default:
			x.skip(&c)
		}
	}
	return x.end()
}

func xmlServer(x *xmlReader, b *builder, t *xmlTag) {
	if t.empty {
		return
	}
	var boot, config, version []byte
	headerDone := false
	var c xmlTag
	for x.child(&c) {
		switch string(c.name) {
		case "boot-time":
			boot = x.text(&c)
		case "config-time":
			config = x.text(&c)
		case "version":
			version = x.text(&c)
		case "counters":
			if !headerDone {
				headerDone = true
				b.headerValues(boot, config, version)
			}
			xmlCounters(x, b, &c, b.t.section(xmlServerSection(x.attr(&c, "type"))))
		default:
			x.skip(&c)
		}
	}
	if !headerDone && x.err == nil {
		b.headerValues(boot, config, version)
	}
}

// xmlCounters reads <counter name="X">N</counter>… into sec.
func xmlCounters(x *xmlReader, b *builder, t *xmlTag, sec *section) {
	b.beginSection(sec)
	if !t.empty {
		var c xmlTag
		for x.child(&c) {
			if string(c.name) != "counter" {
				x.skip(&c)
				continue
			}
			name := x.attr(&c, "name")
			if v, ok := xmlNumber(x, &c); ok {
				b.counter(name, v)
			}
		}
	}
	b.endSection()
}

func xmlNumber(x *xmlReader, t *xmlTag) (float64, bool) {
	s := x.text(t)
	if x.err != nil {
		return 0, false
	}
	v, ok := parseNumber(bytes.TrimSpace(s))
	if !ok {
		x.fail("<%s> holds %q, not a number", t.name, s)
	}
	return v, ok
}

func xmlViews(x *xmlReader, b *builder, t *xmlTag) {
	if t.empty {
		return
	}
	var v, c xmlTag
	for x.child(&v) {
		if string(v.name) != "view" {
			x.skip(&v)
			continue
		}
		b.beginView(x.attr(&v, "name"))
		for !v.empty && x.child(&c) {
			switch string(c.name) {
			case "zones":
				xmlZones(x, b, &c)
			case "counters":
				xmlCounters(x, b, &c, b.t.section(xmlViewSection(x.attr(&c, "type"))))
			case "cache":
				xmlCache(x, b, &c)
			default:
				x.skip(&c) // xfrins (9.20)
			}
		}
		b.endView()
	}
}

// xmlCache reads <cache><rrset><name>A</name><counter>N</counter></rrset>….
func xmlCache(x *xmlReader, b *builder, t *xmlTag) {
	b.beginSection(b.t.section("resolver.cache"))
	var r, c xmlTag
	for !t.empty && x.child(&r) {
		if string(r.name) != "rrset" || r.empty {
			x.skip(&r)
			continue
		}
		var name []byte
		var v float64
		ok := false
		for x.child(&c) {
			switch string(c.name) {
			case "name":
				name = x.text(&c)
			case "counter":
				v, ok = xmlNumber(x, &c)
			default:
				x.skip(&c)
			}
		}
		if ok && name != nil {
			b.counter(name, v)
		}
	}
	b.endSection()
}

func xmlZones(x *xmlReader, b *builder, t *xmlTag) {
	var zt, c, n xmlTag
	var z zoneRec
	for !t.empty && x.child(&zt) {
		if string(zt.name) != "zone" {
			x.skip(&zt)
			continue
		}
		z.reset()
		z.name = x.attr(&zt, "name")
		z.class = x.attr(&zt, "rdataclass")
		for !zt.empty && x.child(&c) {
			switch string(c.name) {
			case "type":
				z.typ = x.text(&c)
			case "serial":
				if s := bytes.TrimSpace(x.text(&c)); len(s) > 0 && s[0] != '-' {
					if v, ok := parseNumber(s); ok {
						z.serial = v
					}
				}
			case "loaded", "expires", "refresh":
				ts, ok := parseTime(bytes.TrimSpace(x.text(&c)))
				if !ok {
					continue
				}
				switch string(c.name) {
				case "loaded":
					z.loaded = ts
				case "expires":
					z.expires = ts
				default:
					z.refresh = ts
				}
			case "counters":
				sec := b.t.zoneSecs[xmlZoneSection(x.attr(&c, "type"))]
				for !c.empty && x.child(&n) {
					if string(n.name) != "counter" || sec == nil {
						x.skip(&n)
						continue
					}
					name := x.attr(&n, "name")
					if v, ok := xmlNumber(x, &n); ok {
						z.counters = append(z.counters, zoneCounter{sec: sec, name: name, v: v})
					}
				}
			default:
				x.skip(&c)
			}
		}
		if x.err == nil && z.name != nil {
			b.zone(&z)
		}
	}
}

// xmlTraffic reads <traffic><ipv4><udp><counters type="request-size">…,
// the same histograms as JSON's traffic.dns-udp-requests-sizes-received-ipv4.
func xmlTraffic(x *xmlReader, b *builder, t *xmlTag) {
	var fam, tr, c xmlTag
	key := make([]byte, 0, 64)
	for !t.empty && x.child(&fam) {
		for !fam.empty && x.child(&tr) {
			for !tr.empty && x.child(&c) {
				if string(c.name) != "counters" {
					x.skip(&c)
					continue
				}
				key = append(key[:0], "dns-"...)
				key = append(key, tr.name...)
				switch string(x.attr(&c, "type")) {
				case "request-size":
					key = append(key, "-requests-sizes-received-"...)
				case "response-size":
					key = append(key, "-responses-sizes-sent-"...)
				default:
					key = append(key, "-?-"...)
				}
				key = append(key, fam.name...)
				xmlCounters(x, b, &c, b.t.trafficSection(key))
			}
		}
	}
}

func xmlMemory(x *xmlReader, b *builder, t *xmlTag) {
	var c, s xmlTag
	for !t.empty && x.child(&c) {
		if string(c.name) != "summary" {
			x.skip(&c) // contexts
			continue
		}
		b.beginSection(b.t.section("memory"))
		for !c.empty && x.child(&s) {
			if v, ok := xmlNumber(x, &s); ok {
				b.counter(s.name, v)
			}
		}
		b.endSection()
	}
}

// xmlTasks reads <taskmgr><thread-model>…</thread-model><tasks><task>….
func xmlTasks(x *xmlReader, b *builder, t *xmlTag) {
	tc := newTaskCount()
	var c, d, e xmlTag
	for !t.empty && x.child(&c) {
		switch string(c.name) {
		case "thread-model":
			for !c.empty && x.child(&d) {
				switch string(d.name) {
				case "tasks-running":
					tc.reportedRun, _ = xmlNumber(x, &d)
				case "worker-threads":
					tc.workers, _ = xmlNumber(x, &d)
				default:
					x.skip(&d)
				}
			}
		case "tasks":
			tc.listed = true
			for !c.empty && x.child(&d) {
				if string(d.name) != "task" {
					x.skip(&d)
					continue
				}
				tc.total++
				for !d.empty && x.child(&e) {
					if string(e.name) == "state" {
						if string(bytes.TrimSpace(x.text(&e))) == "running" {
							tc.running++
						}
						continue
					}
					x.skip(&e)
				}
			}
		default:
			x.skip(&c)
		}
	}
	if x.err == nil {
		b.taskManager(tc)
	}
}

package bind

import (
	"bytes"
	"errors"
)

// parseJSON reads one JSON v1 reply (/json/v1/server, /net, /mem, /traffic,
// /tasks, /zones or /json/v1 with everything) into b. Sections it does not
// know (xfrins, memory contexts) are skipped.
func parseJSON(data []byte, b *builder) error {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '<' {
		return errors.New("the reply is XML, not JSON: is the target's format right?")
	}
	r := &jsonReader{b: data}
	if !r.enter('{') {
		return r.err
	}
	var boot, config, version []byte
	headerDone := false
	header := func() {
		if !headerDone {
			headerDone = true
			b.headerValues(boot, config, version)
		}
	}
	for r.more() {
		k := r.key()
		switch string(k) {
		case "boot-time":
			boot = r.str()
			continue
		case "config-time":
			config = r.str()
			continue
		case "version":
			version = r.str()
			continue
		case "json-stats-version", "current-time":
			r.skip()
			continue
		}
		// BIND writes the header first; a reply without one still works.
		if boot != nil || version != nil {
			header()
		}
		switch string(k) {
		case "opcodes", "rcodes", "qtypes", "nsstats", "zonestats", "resstats", "sockstats", "dnstapstats":
			jsonCounters(r, b, b.t.section(string(k)))
		case "views":
			jsonViews(r, b)
		case "memory":
			jsonMemory(r, b)
		case "traffic":
			jsonTraffic(r, b)
		case "taskmgr":
			jsonTasks(r, b)
		default:
			r.skip()
		}
	}
	if r.err == nil && (boot != nil || version != nil) {
		header()
	}
	return r.end()
}

// jsonCounters reads {"name": N, …} into sec.
func jsonCounters(r *jsonReader, b *builder, sec *section) {
	if !r.enter('{') {
		return
	}
	b.beginSection(sec)
	for r.more() {
		name := r.key()
		v, ok := r.number()
		if ok {
			b.counter(name, v)
		}
	}
	b.endSection()
}

func jsonViews(r *jsonReader, b *builder) {
	if !r.enter('{') {
		return
	}
	for r.more() {
		name := r.key()
		if !r.enter('{') {
			return
		}
		b.beginView(name)
		for r.more() {
			switch string(r.key()) {
			case "resolver":
				jsonResolver(r, b)
			case "zones":
				jsonZones(r, b)
			default:
				r.skip() // xfrins (9.20)
			}
		}
		b.endView()
	}
}

func jsonResolver(r *jsonReader, b *builder) {
	if !r.enter('{') {
		return
	}
	for r.more() {
		k := r.key()
		switch string(k) {
		case "stats":
			jsonCounters(r, b, b.t.section("resolver.stats"))
		case "qtypes":
			jsonCounters(r, b, b.t.section("resolver.qtypes"))
		case "cache":
			jsonCounters(r, b, b.t.section("resolver.cache"))
		case "cachestats":
			jsonCounters(r, b, b.t.section("resolver.cachestats"))
		case "adb":
			jsonCounters(r, b, b.t.section("resolver.adb"))
		default:
			r.skip()
		}
	}
}

func jsonZones(r *jsonReader, b *builder) {
	if !r.enter('[') {
		return
	}
	var z zoneRec
	for r.more() {
		if !r.enter('{') {
			return
		}
		z.reset()
		for r.more() {
			k := r.key()
			switch string(k) {
			case "name":
				z.name = r.str()
			case "class":
				z.class = r.str()
			case "type":
				z.typ = r.str()
			case "serial":
				if r.isNumber() {
					z.serial, _ = r.number()
				} else {
					r.skip()
				}
			case "loaded", "expires", "refresh":
				s := r.str()
				if ts, ok := parseTime(s); ok {
					switch string(k) {
					case "loaded":
						z.loaded = ts
					case "expires":
						z.expires = ts
					default:
						z.refresh = ts
					}
				}
			case "rcodes", "gluecache", "qtypes", "dnssec-sign", "dnssec-refresh":
				jsonZoneCounters(r, &z, b.t.zoneSection(k))
			default:
				r.skip()
			}
		}
		if r.err == nil && z.name != nil {
			b.zone(&z)
		}
	}
}

func jsonZoneCounters(r *jsonReader, z *zoneRec, sec *section) {
	if sec == nil {
		r.skip()
		return
	}
	if !r.enter('{') {
		return
	}
	for r.more() {
		name := r.key()
		if v, ok := r.number(); ok {
			z.counters = append(z.counters, zoneCounter{sec: sec, name: name, v: v})
		}
	}
}

// jsonMemory reads the memory summary; the per-context list is skipped.
func jsonMemory(r *jsonReader, b *builder) {
	if !r.enter('{') {
		return
	}
	b.beginSection(b.t.section("memory"))
	for r.more() {
		k := r.key()
		if !r.isNumber() {
			r.skip() // contexts
			continue
		}
		if v, ok := r.number(); ok {
			b.counter(k, v)
		}
	}
	b.endSection()
}

// jsonTraffic reads the size histograms, one object per direction,
// transport and IP version.
func jsonTraffic(r *jsonReader, b *builder) {
	if !r.enter('{') {
		return
	}
	for r.more() {
		k := r.key()
		jsonCounters(r, b, b.t.trafficSection(k))
	}
}

// jsonTasks reads the task manager: worker-threads and tasks-running up to
// 9.16, the task list in 9.18.
func jsonTasks(r *jsonReader, b *builder) {
	if !r.enter('{') {
		return
	}
	tc := newTaskCount()
	for r.more() {
		switch string(r.key()) {
		case "tasks-running":
			tc.reportedRun, _ = r.number()
		case "worker-threads":
			tc.workers, _ = r.number()
		case "tasks":
			tc.listed = true
			if !r.enter('[') {
				return
			}
			for r.more() {
				tc.total++
				if !r.enter('{') {
					return
				}
				for r.more() {
					if string(r.key()) == "state" && r.peek() == '"' {
						if string(r.str()) == "running" {
							tc.running++
						}
						continue
					}
					r.skip()
				}
			}
		default:
			r.skip()
		}
	}
	if r.err == nil {
		b.taskManager(tc)
	}
}

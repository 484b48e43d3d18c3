package bind

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// memChannel answers requests from memory: the benchmarks measure ddiscope's
// side of a poll (HTTP client, parse, samples), not loopback or named.
type memChannel map[string][]byte

func (m memChannel) RoundTrip(r *http.Request) (*http.Response, error) {
	body, ok := m[r.URL.Path]
	status := http.StatusOK
	if !ok {
		body, status = []byte("No such URL.\r\n"), http.StatusNotFound
	}
	return &http.Response{StatusCode: status, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		Header: http.Header{}, Request: r}, nil
}

// genChannel is a BIND 9.18 statistics channel with n primary zones: the
// captured replies of the lab's named for everything but zones, and zones
// generated in the shape named writes them (JSON: the non-zero counters of
// a zone that answered queries; XML: all 68 name server counters, the glue
// cache, query types), so that /json/v1 and /xml/v3 have their real sizes
// (at 3,000 zones about 0.9 MB and 9.4 MB).
func genChannel(tb testing.TB, n int) memChannel {
	tb.Helper()
	dir := filepath.Join(testdata, "bind9.18")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	ch := memChannel{}
	for _, ep := range []string{"server", "net", "mem", "traffic", "tasks"} {
		ch["/json/v1/"+ep] = read("bind9.18-json-v1-" + ep + ".json")
		ch["/xml/v3/"+ep] = read("bind9.18-xml-v3-" + ep + ".xml")
	}
	ch["/json/v1"] = withJSONZones(tb, read("bind9.18-json-v1.json"), n)
	ch["/xml/v3"] = withXMLZones(tb, read("bind9.18-xml-v3.xml"), n)
	return ch
}

func zoneName(i int) string { return fmt.Sprintf("z%d.bench.example", i) }

// withJSONZones replaces the _default view's zones of a /json/v1 reply.
func withJSONZones(tb testing.TB, all []byte, n int) []byte {
	var b strings.Builder
	b.WriteString(`"zones":[`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `
        {
          "name":"%s",
          "class":"IN",
          "serial":%d,
          "type":"primary",
          "loaded":"2026-11-21T21:18:43Z",
          "rcodes":{
            "QrySuccess":%d,
            "QryAuthAns":%d,
            "QryNXDOMAIN":%d,
            "QryUDP":%d,
            "QryTCP":1
          },
          "qtypes":{
            "A":%d,
            "AAAA":%d,
            "MX":1
          }
        }`, zoneName(i), 2024010100+i%100, 10+i%7, 12+i%7, 2+i%3, 11+i%7, 8+i%5, 3+i%2)
	}
	b.WriteString("\n      ]")
	return replaceSection(tb, all, []byte(`"zones":[`), []byte("]"), []byte(b.String()))
}

// withXMLZones replaces the _default view's zones of a /xml/v3 reply.
func withXMLZones(tb testing.TB, all []byte, n int) []byte {
	names := []string{"Requestv4", "Requestv6", "ReqEdns0", "ReqBadEDNSVer", "ReqTSIG", "ReqSIG0", "ReqBadSIG", "ReqTCP", "TCPConnHighWater", "AuthQryRej", "RecQryRej", "XfrRej", "UpdateRej", "Response", "TruncatedResp", "RespEDNS0", "RespTSIG", "RespSIG0", "QrySuccess", "QryAuthAns", "QryNoauthAns", "QryReferral", "QryNxrrset", "QrySERVFAIL", "QryFORMERR", "QryNXDOMAIN", "QryRecursion", "QryDuplicate", "QryDropped", "QryFailure", "XfrReqDone", "UpdateReqFwd", "UpdateRespFwd", "UpdateFwdFail", "UpdateDone", "UpdateFail", "UpdateBadPrereq", "RecursClients", "DNS64", "RateDropped", "RateSlipped", "RPZRewrites", "QryUDP", "QryTCP", "NSIDOpt", "ExpireOpt", "KeepAliveOpt", "PadOpt", "OtherOpt", "CookieIn", "CookieNew", "CookieBadSize", "CookieBadTime", "CookieNoMatch", "CookieMatch", "ECSOpt", "QryNXRedir", "QryNXRedirRLookup", "QryBADCOOKIE", "SynthNXDOMAIN", "SynthNODATA", "SynthWILDCARD", "QryTryStale", "QryUsedStale", "Prefetch", "KeyTagOpt", "RecLimitDropped", "UpdateQuota"}
	var b strings.Builder
	b.WriteString("<zones>")
	for i := range n {
		fmt.Fprintf(&b, `<zone name="%s" rdataclass="IN"><type>primary</type><serial>%d</serial><loaded>2026-11-21T21:18:43Z</loaded><counters type="rcode">`, zoneName(i), 2024010100+i%100)
		for _, c := range names {
			v := 0
			switch c {
			case "QrySuccess":
				v = 10 + i%7
			case "QryAuthAns":
				v = 12 + i%7
			case "QryNXDOMAIN":
				v = 2 + i%3
			case "QryUDP":
				v = 11 + i%7
			case "QryTCP":
				v = 1
			}
			fmt.Fprintf(&b, `<counter name="%s">%d</counter>`, c, v)
		}
		b.WriteString(`</counters><counters type="gluecache"><counter name="GLUECACHEhitspresent">0</counter><counter name="GLUECACHEhitsabsent">0</counter><counter name="GLUECACHEinsertspresent">0</counter><counter name="GLUECACHEinsertsabsent">0</counter></counters>`)
		fmt.Fprintf(&b, `<counters type="qtype"><counter name="A">%d</counter><counter name="AAAA">%d</counter><counter name="MX">1</counter></counters><counters type="dnssec-sign"/><counters type="dnssec-refresh"/></zone>`, 8+i%5, 3+i%2)
	}
	b.WriteString("</zones>")
	return replaceSection(tb, all, []byte("<zones>"), []byte("</zones>"), []byte(b.String()))
}

// replaceSection replaces the first open…close (close included) of doc.
func replaceSection(tb testing.TB, doc, open, close, with []byte) []byte {
	i := bytes.Index(doc, open)
	if i < 0 {
		tb.Fatalf("no %s", open)
	}
	j := bytes.Index(doc[i:], close)
	if j < 0 {
		tb.Fatalf("no %s after %s", close, open)
	}
	out := append([]byte(nil), doc[:i]...)
	out = append(out, with...)
	return append(out, doc[i+j+len(close):]...)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBindPoll is the CPU of one poll on ddiscope's side at 100 and
// 3,000 zones, JSON and XML:
//   - zones=off: /server, /net, /mem, /traffic, /tasks (what every poll reads);
//   - zones=due: the whole channel (/json/v1 or /xml/v3) with every zone, as
//     a poll does once per ZoneInterval;
//   - zones=cached: a poll between zone reads, which reads what zones=off
//     reads and reuses the last zone samples.
//
// cpu-ms/poll is user+system CPU of the process (GC included) per poll.
func BenchmarkBindPoll(b *testing.B) {
	for _, n := range []int{100, 3000} {
		ch := genChannel(b, n)
		for _, format := range []string{FormatJSON, FormatXML} {
			for _, mode := range []string{"off", "due", "cached"} {
				b.Run(fmt.Sprintf("zones=%d/%s/zones=%s", n, format, mode), func(b *testing.B) {
					opts := Options{URL: "http://bind.invalid:8053/", Format: format, Zones: mode != "off", ZoneInterval: time.Hour}
					if mode == "due" {
						opts.ZoneInterval = time.Nanosecond
					}
					p := newTestPoller(b, opts)
					p.client.http.Transport = ch
					poll(b, p) // the first poll reads zones; cached polls come after it
					var series int
					bytesIn := 0
					for path, body := range ch {
						whole := path == "/json/v1" || path == "/xml/v3"
						if strings.HasPrefix(path, "/"+format) && whole == (mode == "due") {
							bytesIn += len(body)
						}
					}
					b.SetBytes(int64(bytesIn))
					b.ReportAllocs()
					cpu0 := cpuTime()
					for b.Loop() {
						series = len(poll(b, p).Samples)
					}
					b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/poll")
					b.ReportMetric(float64(series), "series")
				})
			}
		}
	}
}

package bind

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/ddiscope/ddiscope/collector"
)

// FuzzParsers feeds the JSON and XML parsers anything: they must return
// an error or samples, never panic or hang, and every sample must belong to a
// BIND metric with all its labels. Seeds: every fixture, cut and whole.
//
//	go test ./collector/bind -run '^$' -fuzz FuzzParsers -fuzztime 60s
func FuzzParsers(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(testdata, "bind9.*", "*.json"))
	xmls, _ := filepath.Glob(filepath.Join(testdata, "bind9.*", "*.xml"))
	for _, name := range append(files, xmls...) {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/3])
	}
	for _, s := range []string{
		`{"nsstats":{"Requestv4":18446744073709551615}}`,
		`{"views":{"v":{"zones":[{"name":"z\u0000\"","serial":-1,"rcodes":{"QrySuccess":1e308}}]}}}`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`,
		`<statistics version="3.1"><views><view name="&amp;&#x41;"><zones><zone name="a&lt;"><serial>-</serial></zone></zones></view></views></statistics>`,
		`<statistics version="3.1"><server><counters type="nsstat"><counter name="QryUDP">1<x/></counter></counters></server></statistics>`,
	} {
		f.Add([]byte(s))
	}
	cat := testCatalog(f)
	t := newTable(cat)
	id := collector.NewIdentity(0, "ns1")
	f.Fuzz(func(tt *testing.T, data []byte) {
		for _, parse := range []func([]byte, *builder) error{parseJSON, parseXML} {
			b := newBuilder(t, id, newInterner(), newExtraCache(), func(string, string) {}, nil)
			if err := parse(data, b); err != nil {
				continue
			}
			b.endReply(epEverything)
			b.finish()
			for _, s := range append(b.samples, b.zones...) {
				if s.Metric == nil || s.Metric.Daemon != "bind" {
					tt.Fatalf("sample of %v", s.Metric)
				}
				if len(s.ExtraValues()) != len(s.Metric.Extra) {
					tt.Fatalf("%s: %d label values for %v", s.Metric.Name, len(s.ExtraValues()), s.Metric.Extra)
				}
				if math.IsNaN(s.Value) {
					tt.Fatalf("%s: NaN", s.Metric.Name)
				}
			}
		}
	})
}

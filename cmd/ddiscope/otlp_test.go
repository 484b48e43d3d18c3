package main

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	"google.golang.org/protobuf/proto"

	"github.com/ddiscope/ddiscope/internal/keatest"
)

// httpReceiver is an OTLP/HTTP metrics receiver on loopback that keeps what
// it is sent, decoded with the official OTLP protobuf definitions.
type httpReceiver struct {
	URL string
	mu  sync.Mutex
	got []*colmetricpb.ExportMetricsServiceRequest
}

func startHTTPReceiver(t *testing.T) *httpReceiver {
	r := &httpReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body io.Reader = req.Body
		if req.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		var m colmetricpb.ExportMetricsServiceRequest
		if err == nil {
			err = proto.Unmarshal(b, &m)
		}
		if err != nil {
			t.Errorf("receiver: an unreadable request: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.got = append(r.got, &m)
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

func (r *httpReceiver) requests() []*colmetricpb.ExportMetricsServiceRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*colmetricpb.ExportMetricsServiceRequest(nil), r.got...)
}

// pushedValue finds the last pushed value of an OTel metric's data point
// with the given string attributes.
func pushedValue(reqs []*colmetricpb.ExportMetricsServiceRequest, name string, attrs map[string]string) (float64, bool) {
	v, found := 0.0, false
	for _, req := range reqs {
		for _, rm := range req.GetResourceMetrics() {
			for _, sm := range rm.GetScopeMetrics() {
				for _, m := range sm.GetMetrics() {
					if m.GetName() != name {
						continue
					}
				points:
					for _, dp := range append(m.GetSum().GetDataPoints(), m.GetGauge().GetDataPoints()...) {
						have := map[string]string{}
						for _, kv := range dp.GetAttributes() {
							have[kv.GetKey()] = kv.GetValue().GetStringValue()
						}
						for k, want := range attrs {
							if have[k] != want {
								continue points
							}
						}
						v, found = dp.GetAsDouble(), true
					}
				}
			}
		}
	}
	return v, found
}

// TestDaemonPushesOTLP runs the ddiscope binary against a real Kea with
// OTLP turned on the SDK's way, by OTEL_* environment variables alone: the
// receiver gets Kea's numbers, gzipped, under the resource it was told, as
// /metrics serves them; SIGTERM makes a last push.
//
// It runs on Kea 2.2 and on Kea 3.0.4.
func TestDaemonPushesOTLP(t *testing.T) {
	keatest.Versions(t, testDaemonPushesOTLP)
}

func testDaemonPushesOTLP(t *testing.T, v keatest.Version) {
	lab := keatest.Start(t, keatest.Options{ControlAgent: true, Traffic: true, Kea: v})
	lab.Perfdhcp4(t, 10)
	r := startHTTPReceiver(t)
	for k, v := range map[string]string{
		"OTEL_METRICS_EXPORTER":          "otlp",
		"OTEL_EXPORTER_OTLP_PROTOCOL":    "http/protobuf",
		"OTEL_EXPORTER_OTLP_ENDPOINT":    r.URL,
		"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
		"OTEL_METRIC_EXPORT_INTERVAL":    "300",
		"OTEL_RESOURCE_ATTRIBUTES":       "deployment.environment.name=lab",
	} {
		t.Setenv(k, v)
	}
	conf := writeFile(t, t.TempDir(), "ddiscope.yml", fmt.Sprintf("defaults:\n  interval: 1s\n  timeout: 1s\nkea:\n  - name: lab-ca\n    url: %s\n", lab.CAURL))
	p := start(t, "--config.file="+conf)

	want, ok := lab.Statistic(t, lab.Socket4, "subnet[1].assigned-addresses")
	if !ok || want == 0 {
		t.Fatalf("Kea has %d assigned addresses in subnet 1 (found %v); perfdhcp got none", want, ok)
	}
	subnet1 := map[string]string{"server": "lab-ca", "subnet_id": "1"}
	// A push reports the pushes before it in its ddiscope.otlp.* points.
	waitFor(t, 15*time.Second, "a push with subnet 1's assigned addresses and an earlier push counted", func() bool {
		reqs := r.requests()
		v, found := pushedValue(reqs, "kea.dhcp4.subnet.addresses.assigned", subnet1)
		ok, _ := pushedValue(reqs, "ddiscope.otlp.exports", map[string]string{"result": "success"})
		return found && v == float64(want) && ok > 0
	})
	if v, _ := value(p.metrics(t), "kea_dhcp4_subnet_addresses_assigned", subnet1); v != float64(want) {
		t.Errorf("/metrics has %v assigned addresses in subnet 1, Kea %d", v, want)
	}
	reqs := r.requests()
	res := map[string]string{}
	for _, kv := range reqs[len(reqs)-1].GetResourceMetrics()[0].GetResource().GetAttributes() {
		res[kv.GetKey()] = kv.GetValue().GetStringValue()
	}
	if res["service.name"] != "ddiscope" || res["deployment.environment.name"] != "lab" {
		t.Errorf("resource %v, want service.name=ddiscope and deployment.environment.name=lab", res)
	}

	// SIGTERM: a last push, then exit.
	before := len(r.requests())
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("ddiscope did not exit within 10 s of SIGTERM")
	}
	if after := len(r.requests()); after <= before {
		t.Errorf("%d requests after SIGTERM, %d before: no last push", after, before)
	}
	t.Logf("%d pushes received; subnet 1 had %s assigned addresses", len(r.requests()), strconv.Itoa(int(want)))
}

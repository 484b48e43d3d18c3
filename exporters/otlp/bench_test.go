package otlp

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc"
	"google.golang.org/grpc/mem"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keafixture"
	"github.com/ddiscope/ddiscope/internal/keagen"
)

// BenchmarkPush is the CPU of one push of a 10,000-subnet Kea (generated
// replies of the real shape, polled once) through the SDK's periodic reader:
// produce, encode and send every series. "encode" sends nowhere; "grpc" and "http" go over loopback to a receiver in
// another process that reads requests without decoding them, so that
// cpu-ms/push is the pushing process's alone. The budget is 100 ms.
// BenchmarkPushSDK is the same through observable instruments and the SDK's
// own OTLP exporters, for comparison.
func BenchmarkPush(b *testing.B) {
	grpcSink, httpSink := startSinks(b)
	for _, pools := range []bool{false, true} {
		cat := testCatalog(b)
		store := benchStore(b, cat, 10000, pools)
		for _, wire := range []string{"encode", "grpc", "http", "grpc-gzip", "http-gzip"} {
			b.Run(fmt.Sprintf("subnets=10000/pools=%v/%s", pools, wire), func(b *testing.B) {
				cfg := Config{Enabled: true, Interval: time.Hour, Timeout: 30 * time.Second}
				switch wire {
				case "encode", "http", "http-gzip":
					cfg.Protocol, cfg.Endpoint = ProtocolHTTP, httpSink
				default:
					cfg.Protocol, cfg.Endpoint = ProtocolGRPC, grpcSink
				}
				if strings.HasSuffix(wire, "-gzip") {
					cfg.Compression = "gzip"
				}
				e := startExporter(b, cfg, cat, store)
				if wire == "encode" {
					e.exp.send = &discardSender{}
				}
				measurePushes(b, store, e.ForceFlush)
				if wire == "encode" {
					// One more push, to weigh it.
					sent := &discardSender{}
					e.exp.send = sent
					e.ForceFlush(context.Background())
					b.ReportMetric(float64(sent.bytes)/1e6, "body-MB/push")
					b.ReportMetric(float64(sent.requests), "requests/push")
				}
			})
		}
	}
}

// BenchmarkPushSDK is BenchmarkPush through observable instruments and the
// SDK's own OTLP exporters (sdkref_test.go): "collect" stops at the SDK's
// collection.
func BenchmarkPushSDK(b *testing.B) {
	grpcSink, httpSink := startSinks(b)
	for _, pools := range []bool{false, true} {
		cat := testCatalog(b)
		store := benchStore(b, cat, 10000, pools)
		for _, wire := range []string{"collect", "grpc", "http"} {
			b.Run(fmt.Sprintf("subnets=10000/pools=%v/%s", pools, wire), func(b *testing.B) {
				cfg := Config{Enabled: true, Interval: time.Hour, Timeout: 30 * time.Second}
				var next sdkmetric.Exporter = discard{}
				switch wire {
				case "grpc":
					cfg.Protocol, cfg.Endpoint = ProtocolGRPC, grpcSink
					next = sdkExporter(b, cfg)
				case "http":
					cfg.Protocol, cfg.Endpoint = ProtocolHTTP, httpSink
					next = sdkExporter(b, cfg)
				}
				p := startSDK(b, cfg, next, cat, store, nil)
				measurePushes(b, store, p.ForceFlush)
			})
		}
	}
}

// measurePushes times pushes after a first one, which builds what later
// ones reuse, and reports the process's CPU per push.
func measurePushes(b *testing.B, store *collector.Store, push func(context.Context) error) {
	if err := push(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	for b.Loop() {
		if err := push(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/push")
	targets, _ := store.Targets()
	b.ReportMetric(float64(len(targets[0].Snapshot.Samples)), "series")
}

// discardSender delivers nothing, instantly, and counts what it was given.
type discardSender struct{ requests, bytes int }

func (d *discardSender) send(_ context.Context, req []byte) (int64, error) {
	d.requests++
	d.bytes += len(req)
	return 0, nil
}

func (d *discardSender) close() {}

// benchStore polls a generated kea-dhcp4 of n subnets once.
func benchStore(b *testing.B, cat *catalog.Catalog, n int, pools bool) *collector.Store {
	dir := b.TempDir()
	stats, conf := filepath.Join(dir, "stats.json"), filepath.Join(dir, "config.json")
	if err := os.WriteFile(stats, keagen.StatisticGetAll4(n, 1, pools), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(conf, keagen.ConfigGet4(n), 0o644); err != nil {
		b.Fatal(err)
	}
	srv := keafixture.New(b, map[string]string{"ca:config-get": conf, "ca:statistic-get-all": stats})
	client, err := keactl.New(keactl.Options{Name: "big", URL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	return pollInto(b, cat, client)
}

// cpuTime is this process's user and system CPU.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// discard is an SDK exporter that sends nothing.
type discard struct{}

func (discard) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return sdkmetric.DefaultTemporalitySelector(k)
}
func (discard) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}
func (discard) Export(context.Context, *metricdata.ResourceMetrics) error { return nil }
func (discard) ForceFlush(context.Context) error                          { return nil }
func (discard) Shutdown(context.Context) error                            { return nil }

// sinkEnv makes the test binary the benchmarks' receiver (TestSinkProcess).
const sinkEnv = "DDISCOPE_OTLP_SINK"

// TestSinkProcess is, with DDISCOPE_OTLP_SINK=1, the benchmarks' receiver
// process: it serves both sinks until its stdin closes. Run as a test, it
// checks that the sinks accept what the benchmarks send.
func TestSinkProcess(t *testing.T) {
	if os.Getenv(sinkEnv) == "1" {
		fmt.Printf("sinks %s %s\n", sinkGRPC(t), sinkHTTP(t))
		io.Copy(io.Discard, os.Stdin)
		return
	}
	resp, err := http.Post(sinkHTTP(t), "application/x-protobuf", strings.NewReader("\x0a\x00"))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP sink: %v %v", err, resp)
	}
	resp.Body.Close()
	conn, err := net.Dial("tcp", strings.TrimPrefix(sinkGRPC(t), "http://"))
	if err != nil {
		t.Fatalf("gRPC sink: %v", err)
	}
	conn.Close()
}

// startSinks runs TestSinkProcess in a child process until the benchmark
// ends and returns its gRPC and HTTP endpoints.
func startSinks(b *testing.B) (grpcURL, httpURL string) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestSinkProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), sinkEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "sinks" {
			go io.Copy(io.Discard, stdout)
			return f[1], f[2]
		}
	}
	b.Fatal("the receiver process did not start")
	return "", ""
}

// sinkHTTP accepts OTLP/HTTP requests without decoding them.
func sinkHTTP(b testing.TB) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	b.Cleanup(srv.Close)
	return srv.URL + "/v1/metrics"
}

// sinkGRPC accepts OTLP/gRPC requests without decoding, or even copying,
// them; an empty message is a valid empty response.
func sinkGRPC(b testing.TB) string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := grpc.NewServer(grpc.ForceServerCodecV2(sinkCodec{}), grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		var in rawMessage
		if err := stream.RecvMsg(&in); err != nil {
			return err
		}
		return stream.SendMsg(&rawMessage{})
	}))
	go s.Serve(lis)
	b.Cleanup(s.Stop)
	return "http://" + lis.Addr().String()
}

// sinkCodec drops what it receives.
type sinkCodec struct{ rawCodec }

func (sinkCodec) Unmarshal(mem.BufferSlice, any) error { return nil }

// BenchmarkPushMemory is the heap a push needs beside the store's, for a
// generated Kea of 10,000 subnets polled once: "retained-MB" is what the
// exporter keeps from one push to the next, "in-push-MB" what is live while
// a request is being sent (the push's peak, measured after a GC inside the
// first send of a push), both above the live heap with the store alone. A
// garbage-collected heap grows to about twice what is live, so the daemon's
// peak RSS follows in-push-MB (docs/otlp.md). With OTLP_HEAPPROFILE=prefix
// it writes the in-push heap profile to prefix-pools=….pprof.
func BenchmarkPushMemory(b *testing.B) {
	for _, pools := range []bool{false, true} {
		b.Run(fmt.Sprintf("subnets=10000/pools=%v", pools), func(b *testing.B) {
			cat := testCatalog(b)
			store := benchStore(b, cat, 10000, pools)
			base := liveHeap()
			e := startExporter(b, Config{Enabled: true, Protocol: ProtocolHTTP, Endpoint: "http://127.0.0.1:1/v1/metrics", Interval: time.Hour, Timeout: 30 * time.Second}, cat, store)
			peak := &peakSender{}
			e.exp.send = peak
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			for b.Loop() {
				peak.measure = true
				if err := e.ForceFlush(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			retained := liveHeap()
			b.ReportMetric(float64(retained-base)/1e6, "retained-MB")
			b.ReportMetric(float64(peak.max-base)/1e6, "in-push-MB")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/1e6/float64(b.N), "alloc-MB/push")
			if prefix := os.Getenv("OTLP_HEAPPROFILE"); prefix != "" {
				f, err := os.Create(fmt.Sprintf("%s-pools=%v.pprof", prefix, pools))
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				if _, err := f.Write(peak.profile.Bytes()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// liveHeap is the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// peakSender measures the live heap at the first send of a push.
type peakSender struct {
	measure bool
	max     uint64
	profile bytes.Buffer
}

func (p *peakSender) send(context.Context, []byte) (int64, error) {
	if p.measure {
		p.measure = false
		if h := liveHeap(); h > p.max {
			p.max = h
			p.profile.Reset()
			pprof.Lookup("heap").WriteTo(&p.profile, 0)
		}
	}
	return 0, nil
}

func (p *peakSender) close() {}

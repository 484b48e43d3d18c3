package otlp

import (
	"compress/gzip"
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	grpcstats "google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// receiver is an OTLP metrics receiver built on the official protobuf
// service definitions, listening on loopback over gRPC and HTTP/protobuf at
// once. Its faults are switched on by the tests.
type receiver struct {
	GRPC string // http://127.0.0.1:PORT (https:// with TLS)
	HTTP string // http://127.0.0.1:PORT/v1/metrics

	colmetricpb.UnimplementedMetricsServiceServer

	failNext  atomic.Int32 // answer this many requests with a retryable error
	reject    atomic.Bool  // answer every request with a non-retryable error
	hang      atomic.Bool  // hold requests until the client gives up
	rejectPts atomic.Int64 // report this many rejected points (partial success)
	grpcGzip  atomic.Bool  // the last gRPC request came gzipped

	mu       sync.Mutex
	requests []*colmetricpb.ExportMetricsServiceRequest
	headers  []map[string]string // lower-case names, first value
	gzipped  []bool
	attempts int
}

// startReceiver serves until the test ends; serverTLS, when not nil, makes
// both listeners TLS.
func startReceiver(t testing.TB, serverTLS *tls.Config) *receiver {
	t.Helper()
	r := &receiver{}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var opts []grpc.ServerOption
	scheme := "http://"
	if serverTLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(serverTLS)))
		scheme = "https://"
	}
	opts = append(opts, grpc.StatsHandler(compressionSpy{r}))
	gs := grpc.NewServer(opts...)
	colmetricpb.RegisterMetricsServiceServer(gs, r)
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	r.GRPC = scheme + lis.Addr().String()

	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/metrics", r.serveHTTP)
	hs := httptest.NewUnstartedServer(mux)
	hs.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point of some tests
	if serverTLS != nil {
		hs.TLS = serverTLS
		hs.StartTLS()
	} else {
		hs.Start()
	}
	t.Cleanup(hs.Close)
	r.HTTP = hs.URL + "/v1/metrics"
	return r
}

// Export is the gRPC MetricsService.
func (r *receiver) Export(ctx context.Context, req *colmetricpb.ExportMetricsServiceRequest) (*colmetricpb.ExportMetricsServiceResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	h := map[string]string{}
	for k, v := range md {
		h[k] = v[0]
	}
	gz := r.grpcGzip.Load()
	resp, code := r.handle(ctx, req, h, gz)
	switch code {
	case http.StatusOK:
		return resp, nil
	case http.StatusServiceUnavailable:
		return nil, status.Error(codes.Unavailable, "receiver: try again")
	case http.StatusRequestTimeout:
		return nil, status.FromContextError(ctx.Err()).Err()
	default:
		return nil, status.Error(codes.InvalidArgument, "receiver: rejected")
	}
}

func (r *receiver) serveHTTP(w http.ResponseWriter, req *http.Request) {
	if ct := req.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		http.Error(w, "content type "+ct, http.StatusUnsupportedMediaType)
		return
	}
	var body io.Reader = req.Body
	gz := req.Header.Get("Content-Encoding") == "gzip"
	if gz {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var in colmetricpb.ExportMetricsServiceRequest
	if err := proto.Unmarshal(b, &in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h := map[string]string{}
	for k, v := range req.Header {
		h[strings.ToLower(k)] = v[0]
	}
	resp, code := r.handle(req.Context(), &in, h, gz)
	if code != http.StatusOK {
		http.Error(w, "receiver: "+http.StatusText(code), code)
		return
	}
	out, _ := proto.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

// handle applies the fault in force and records what got through.
func (r *receiver) handle(ctx context.Context, req *colmetricpb.ExportMetricsServiceRequest, h map[string]string, gz bool) (*colmetricpb.ExportMetricsServiceResponse, int) {
	r.mu.Lock()
	r.attempts++
	r.mu.Unlock()
	switch {
	case r.hang.Load():
		<-ctx.Done()
		return nil, http.StatusRequestTimeout
	case r.reject.Load():
		return nil, http.StatusBadRequest
	case r.failNext.Load() > 0:
		r.failNext.Add(-1)
		return nil, http.StatusServiceUnavailable
	}
	r.mu.Lock()
	r.requests = append(r.requests, req)
	r.headers = append(r.headers, h)
	r.gzipped = append(r.gzipped, gz)
	r.mu.Unlock()
	resp := &colmetricpb.ExportMetricsServiceResponse{}
	if n := r.rejectPts.Load(); n > 0 {
		resp.PartialSuccess = &colmetricpb.ExportMetricsPartialSuccess{RejectedDataPoints: n, ErrorMessage: "receiver: some points rejected"}
	}
	return resp, http.StatusOK
}

// received returns the requests accepted so far and empties the list.
func (r *receiver) received() []*colmetricpb.ExportMetricsServiceRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	reqs := r.requests
	r.requests = nil
	return reqs
}

func (r *receiver) attemptCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts
}

// compressionSpy tells the receiver whether a gRPC request was compressed,
// which gRPC keeps out of the request's metadata.
type compressionSpy struct{ r *receiver }

func (s compressionSpy) TagRPC(ctx context.Context, _ *grpcstats.RPCTagInfo) context.Context {
	return ctx
}
func (s compressionSpy) TagConn(ctx context.Context, _ *grpcstats.ConnTagInfo) context.Context {
	return ctx
}
func (s compressionSpy) HandleConn(context.Context, grpcstats.ConnStats) {}
func (s compressionSpy) HandleRPC(_ context.Context, st grpcstats.RPCStats) {
	if h, ok := st.(*grpcstats.InHeader); ok {
		s.r.grpcGzip.Store(h.Compression == "gzip")
	}
}

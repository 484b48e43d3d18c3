package otlp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/common/version"
	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/encoding/gzip" // reads gzipped replies
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// sender delivers one encoded ExportMetricsServiceRequest, once: retries
// are the caller's, within the push's deadline.
type sender interface {
	// send returns how many data points the receiver rejected in a partial
	// success, or a *sendError.
	send(ctx context.Context, req []byte) (rejected int64, err error)
	close()
}

// sendError is a failed attempt and whether OTLP allows trying again.
type sendError struct {
	err       error
	retryable bool
	after     time.Duration // the receiver's throttle (Retry-After, RetryInfo), 0 when none
}

func (e *sendError) Error() string { return e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

var userAgent = "ddiscope/" + version.Version

func newSender(cfg Config, u *url.URL, tlsCfg *tls.Config) (sender, error) {
	if cfg.Protocol == ProtocolGRPC {
		return newGRPCSender(cfg, u, tlsCfg)
	}
	return newHTTPSender(cfg, u, tlsCfg), nil
}

// httpSender POSTs requests to an OTLP/HTTP receiver.
type httpSender struct {
	url    string
	client *http.Client
	header http.Header
	gzip   bool
	zbuf   bytes.Buffer
	zw     *gzip.Writer
}

func newHTTPSender(cfg Config, u *url.URL, tlsCfg *tls.Config) *httpSender {
	h := &httpSender{url: u.String(), header: http.Header{}, gzip: cfg.Compression == "gzip"}
	for k, v := range cfg.Headers {
		h.header.Set(k, v)
	}
	h.header.Set("Content-Type", "application/x-protobuf")
	h.header.Set("User-Agent", userAgent)
	if h.gzip {
		h.header.Set("Content-Encoding", "gzip")
		// klauspost's gzip at BestSpeed: a third of compress/gzip's CPU.
		h.zw, _ = gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	tr.MaxIdleConnsPerHost = 2
	h.client = &http.Client{Transport: tr}
	return h
}

func (h *httpSender) send(ctx context.Context, req []byte) (int64, error) {
	body := req
	if h.gzip {
		h.zbuf.Reset()
		h.zw.Reset(&h.zbuf)
		h.zw.Write(req)
		if err := h.zw.Close(); err != nil {
			return 0, &sendError{err: fmt.Errorf("gzip: %w", err)}
		}
		body = h.zbuf.Bytes()
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return 0, &sendError{err: err}
	}
	r.Header = h.header.Clone()
	resp, err := h.client.Do(r)
	if err != nil {
		// Refused, reset, timed out: the receiver may be restarting. A
		// receiver's certificate we cannot verify stays unverifiable.
		var verify *tls.CertificateVerificationError
		return 0, &sendError{err: err, retryable: !errors.As(err, &verify)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 == 2 {
		if err != nil || len(b) == 0 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/x-protobuf") {
			return 0, nil // delivered; the reply says nothing more
		}
		return partialSuccess(b)
	}
	msg := strings.TrimSpace(string(b))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	e := &sendError{err: fmt.Errorf("%s answered %s: %s", h.url, resp.Status, msg)}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		e.retryable = true
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			e.after = time.Duration(s) * time.Second
		}
	}
	return 0, e
}

func (h *httpSender) close() { h.client.CloseIdleConnections() }

// grpcSender calls MetricsService/Export with the request bytes as they
// are: a codec that passes bytes through stands in for the generated one.
type grpcSender struct {
	conn *grpc.ClientConn
	md   metadata.MD
	opts []grpc.CallOption
}

const exportMethod = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"

func newGRPCSender(cfg Config, u *url.URL, tlsCfg *tls.Config) (*grpcSender, error) {
	creds := insecure.NewCredentials()
	if u.Scheme == "https" {
		if tlsCfg == nil {
			tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		creds = credentials.NewTLS(tlsCfg)
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds), grpc.WithUserAgent(userAgent)}
	if cfg.Compression == "gzip" {
		// A compressor for this connection only, rather than grpc-go's
		// registered one (compress/gzip at its default level, five times
		// the CPU). The option is deprecated but "supported throughout 1.x".
		opts = append(opts, grpc.WithCompressor(&gzipCompressor{})) //nolint:staticcheck
	}
	conn, err := grpc.NewClient(u.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("otlp grpc endpoint %s: %w", u.Host, err)
	}
	g := &grpcSender{conn: conn, opts: []grpc.CallOption{grpc.ForceCodecV2(rawCodec{})}}
	if len(cfg.Headers) > 0 {
		g.md = metadata.New(cfg.Headers)
	}
	return g, nil
}

func (g *grpcSender) send(ctx context.Context, req []byte) (int64, error) {
	if g.md != nil {
		ctx = metadata.NewOutgoingContext(ctx, g.md)
	}
	var resp rawMessage
	if err := g.conn.Invoke(ctx, exportMethod, &rawMessage{b: req}, &resp, g.opts...); err != nil {
		st := status.Convert(err)
		e := &sendError{err: err}
		var throttle *errdetails.RetryInfo
		for _, d := range st.Details() {
			if ri, ok := d.(*errdetails.RetryInfo); ok {
				throttle = ri
			}
		}
		if throttle != nil {
			e.after = throttle.GetRetryDelay().AsDuration()
		}
		// The OTLP specification's retryable codes; ResourceExhausted only
		// when the receiver says when to come back.
		switch st.Code() {
		case codes.Canceled, codes.DeadlineExceeded, codes.Aborted, codes.OutOfRange, codes.Unavailable, codes.DataLoss:
			e.retryable = true
		case codes.ResourceExhausted:
			e.retryable = throttle != nil
		}
		return 0, e
	}
	return partialSuccess(resp.b)
}

func (g *grpcSender) close() { g.conn.Close() }

// partialSuccess reads an ExportMetricsServiceResponse for rejected points.
func partialSuccess(b []byte) (int64, error) {
	var resp colmetricpb.ExportMetricsServiceResponse
	if err := proto.Unmarshal(b, &resp); err != nil {
		return 0, nil // delivered; an unreadable reply is the receiver's problem
	}
	ps := resp.GetPartialSuccess()
	if n := ps.GetRejectedDataPoints(); n > 0 {
		return n, fmt.Errorf("receiver rejected %d data points: %s", n, ps.GetErrorMessage())
	}
	return 0, nil
}

// gzipCompressor is klauspost's gzip at BestSpeed for a gRPC connection.
// It compresses into a buffer of its own and hands gRPC the result in one
// write: gRPC's writer takes a pooled buffer for each of the compressor's
// many small writes.
type gzipCompressor struct{ pool sync.Pool }

type gzipState struct {
	zw  *gzip.Writer
	buf bytes.Buffer
}

func (c *gzipCompressor) Do(w io.Writer, p []byte) error {
	s, _ := c.pool.Get().(*gzipState)
	if s == nil {
		s = &gzipState{}
		s.zw, _ = gzip.NewWriterLevel(&s.buf, gzip.BestSpeed)
	}
	defer c.pool.Put(s)
	s.buf.Reset()
	s.zw.Reset(&s.buf)
	if _, err := s.zw.Write(p); err != nil {
		return err
	}
	if err := s.zw.Close(); err != nil {
		return err
	}
	_, err := w.Write(s.buf.Bytes())
	return err
}

func (c *gzipCompressor) Type() string { return "gzip" }

type rawMessage struct{ b []byte }

// rawCodec sends and receives message bytes unchanged.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(*rawMessage)
	if !ok {
		return nil, errors.New("rawCodec: not a rawMessage")
	}
	return mem.BufferSlice{mem.SliceBuffer(m.b)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(*rawMessage)
	if !ok {
		return errors.New("rawCodec: not a rawMessage")
	}
	m.b = data.Materialize()
	return nil
}

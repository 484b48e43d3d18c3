package bind

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ddiscope/ddiscope/collector"
)

// client GETs statistics channel paths. It is built like keactl's HTTP
// client (same TLS, basic auth, size cap and timeout semantics) but speaks
// plain GETs, which is all BIND's channel understands.
type client struct {
	name    string
	base    string
	timeout time.Duration
	max     int64
	user    string
	pass    string
	http    *http.Client

	// A poll's small requests go out together on one kept-alive connection
	// (HTTP/1.1 pipelining, which named serves in order): one round trip
	// and one wake-up instead of five, and no transport goroutines. The
	// http.Client above serves the zone read, redirects, and everything
	// once a server has shown it does not pipeline (noPipeline).
	url        *url.URL
	dialer     *net.Dialer
	tls        *tls.Config
	pipe       *pipe
	noPipeline bool
	log        func(msg string, args ...any)
}

// pipe is the kept-alive connection of pipelined requests.
type pipe struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
}

func newClient(o Options) (*client, error) {
	tlsConf, err := tlsConfig(o)
	if err != nil {
		return nil, fmt.Errorf("bind target %q: %w", o.Name, err)
	}
	if tlsConf != nil && strings.HasPrefix(o.URL, "http:") {
		return nil, fmt.Errorf("bind target %q: TLS files are set but the url %q is not https", o.Name, o.URL)
	}
	u, err := url.Parse(o.base())
	if err != nil {
		return nil, fmt.Errorf("bind target %q: url %q: %w", o.Name, o.URL, err)
	}
	c := &client{name: o.Name, base: o.base(), timeout: o.Timeout, max: o.MaxResponseBytes, user: o.Username, pass: o.Password,
		url: u, dialer: &net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}, log: func(string, ...any) {}}
	if tlsConf != nil {
		c.tls = tlsConf.Clone()
		if c.tls.ServerName == "" {
			c.tls.ServerName = u.Hostname()
		}
	}
	if o.PasswordFile != "" {
		b, err := os.ReadFile(o.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("bind target %q: password file: %w", o.Name, err)
		}
		c.pass = strings.TrimRight(string(b), "\r\n")
	}
	c.http = &http.Client{
		Transport: &http.Transport{
			TLSClientConfig:     tlsConf,
			DialContext:         c.dialer.DialContext,
			MaxIdleConnsPerHost: 2,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true, // BIND does not compress
		},
		// A statistics channel does not redirect; a proxy in front might,
		// and then the redirect is followed as usual.
	}
	return c, nil
}

// tlsConfig mirrors keactl's: nil for plain http, system roots for https
// without options, and the trust anchor, client certificate, server name and
// skip-verify when set.
func tlsConfig(o Options) (*tls.Config, error) {
	if o.CAFile == "" && o.CertFile == "" && o.KeyFile == "" && !o.InsecureSkipVerify && o.ServerName == "" {
		if strings.HasPrefix(o.URL, "https:") {
			return &tls.Config{MinVersion: tls.VersionTLS12}, nil
		}
		return nil, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.ServerName, InsecureSkipVerify: o.InsecureSkipVerify}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("trust anchor: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("trust anchor %s: no PEM certificate in it", o.CAFile)
		}
		conf.RootCAs = pool
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		return nil, errors.New("cert-file and key-file go together")
	}
	if o.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, nil
}

func (c *client) close() {
	c.http.CloseIdleConnections()
	c.dropPipe()
}

func (c *client) dropPipe() {
	if c.pipe != nil {
		c.pipe.conn.Close()
		c.pipe = nil
	}
}

// command names a request in errors and self-metrics: "GET /json/v1/server".
func command(path string) string { return "GET " + path }

func (c *client) fail(path string, r collector.Reason, err error) *collector.Error {
	return &collector.Error{Target: c.name, Command: command(path), Reason: r, Err: err}
}

// get reads path into buf (reused: its capacity is kept across polls) and
// returns the body. A body larger than the cap fails with ReasonTooLarge
// without being read further; an HTTP status other than 200 fails with the
// status in Result (404 for a path this BIND does not serve).
func (c *client) get(ctx context.Context, path string, buf []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return buf, c.fail(path, collector.ReasonMalformed, err)
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return buf, c.fail(path, classify(ctx, err), err)
	}
	defer resp.Body.Close()
	return c.readBody(ctx, resp, path, buf)
}

// readBody checks resp's status and reads its body into buf, within the
// size cap.
func (c *client) readBody(ctx context.Context, resp *http.Response, path string, buf []byte) ([]byte, error) {
	if resp.StatusCode != http.StatusOK {
		r := collector.ReasonHTTPStatus
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			r = collector.ReasonUnauthorized
		case http.StatusForbidden:
			r = collector.ReasonForbidden
		}
		text, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
		return buf, &collector.Error{Target: c.name, Command: command(path), Reason: r, Status: resp.StatusCode,
			Err: fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(text))}
	}
	if resp.ContentLength > c.max {
		return buf, c.fail(path, collector.ReasonTooLarge, fmt.Errorf("reply of %d bytes is larger than the %d-byte cap", resp.ContentLength, c.max))
	}
	buf = buf[:0]
	if resp.ContentLength > 0 && int64(cap(buf)) < resp.ContentLength {
		buf = make([]byte, 0, resp.ContentLength)
	}
	// Read one byte past the cap to tell "exactly the cap" from "more".
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := resp.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > c.max {
			return buf[:0], c.fail(path, collector.ReasonTooLarge, fmt.Errorf("reply larger than the %d-byte cap", c.max))
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf[:0], c.fail(path, classify(ctx, err), err)
		}
	}
}

// getAll reads paths as get does, each into its bufs entry, and returns
// each reply or error in the same order. The requests are pipelined on the
// kept-alive connection; a connection the server closed while idle is
// replaced once. A server that closes the connection after a reply (a
// proxy that does not pipeline) gets the remaining requests, and all later
// ones, one by one through the http.Client; so does a redirect.
func (c *client) getAll(ctx context.Context, paths []string, bufs [][]byte) ([][]byte, []error) {
	errs := make([]error, len(paths))
	done := 0
	if !c.noPipeline {
		done = c.pipelined(ctx, paths, bufs, errs)
	}
	for i := done; i < len(paths); i++ {
		if i > 0 && stops(errs[i-1]) {
			errs[i] = errs[i-1] // the poll fails on the first: no point asking a dead channel again
			continue
		}
		bufs[i], errs[i] = c.get(ctx, paths[i], bufs[i])
	}
	return bufs, errs
}

// stops tells an error after which the other requests are not made: all
// but an HTTP status (404 for /tasks on BIND 9.20 is an answer).
func stops(err error) bool {
	var ce *collector.Error
	return err != nil && !(errors.As(err, &ce) && ce.Status != 0)
}

// pipelined sends every request, then reads the replies in order. It
// returns how many paths it answered (a reply or an error in errs); the
// caller fetches the rest one by one.
func (c *client) pipelined(ctx context.Context, paths []string, bufs [][]byte, errs []error) int {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		reused := c.pipe != nil
		if !reused {
			if err := c.dial(ctx); err != nil {
				errs[0] = c.fail(paths[0], classify(ctx, err), err)
				return 1
			}
		}
		n, err := c.exchange(ctx, paths, bufs, errs)
		if err == nil {
			return n
		}
		c.dropPipe()
		broken := !isTimeout(err) && ctx.Err() == nil
		switch {
		case n == 0 && reused && attempt == 0 && broken:
			continue // closed while idle (named closes after ~30 s): once more, on a new connection
		case n > 0 && broken:
			// The server answered and then stopped on this connection: it
			// does not pipeline. The rest, and every later poll, go one
			// at a time through the http.Client.
			c.noPipeline = true
			c.log("the statistics channel does not answer pipelined requests; they go one at a time", "err", err)
			return n
		default:
			errs[n] = c.fail(paths[n], classify(ctx, err), err)
			return n + 1
		}
	}
}

func (c *client) dial(ctx context.Context) error {
	conn, err := c.dialer.DialContext(ctx, "tcp", hostPort(c.url))
	if err != nil {
		return err
	}
	if c.tls != nil {
		tc := tls.Client(conn, c.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return err
		}
		conn = tc
	}
	c.pipe = &pipe{conn: conn, r: bufio.NewReaderSize(conn, 64<<10), w: bufio.NewWriter(conn)}
	return nil
}

// exchange writes the requests and reads the replies into bufs and errs.
// It returns how many replies it read and, when the connection failed, why
// (the connection is then unusable).
func (c *client) exchange(ctx context.Context, paths []string, bufs [][]byte, errs []error) (int, error) {
	conn := c.pipe.conn
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	reqs := make([]*http.Request, len(paths))
	for i, path := range paths {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
		if err != nil {
			return 0, err
		}
		if c.user != "" {
			req.SetBasicAuth(c.user, c.pass)
		}
		if err := req.Write(c.pipe.w); err != nil {
			return 0, err
		}
		reqs[i] = req
	}
	if err := c.pipe.w.Flush(); err != nil {
		return 0, err
	}
	for i, req := range reqs {
		resp, err := http.ReadResponse(c.pipe.r, req)
		if err != nil {
			return i, err
		}
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			bufs[i], errs[i] = c.get(ctx, paths[i], bufs[i]) // the http.Client follows it
		} else {
			bufs[i], errs[i] = c.readBody(ctx, resp, paths[i], bufs[i])
		}
		if stops(errs[i]) {
			c.dropPipe() // too large or cut short: the connection is out of step
			return i + 1, nil
		}
		// Closing reads what is left of the body: the next reply follows it.
		if err := resp.Body.Close(); err != nil {
			return i, err
		}
		if resp.Close {
			if i < len(reqs)-1 {
				return i + 1, errors.New("the server closed the connection after a reply")
			}
			c.dropPipe()
			return i + 1, nil
		}
	}
	conn.SetDeadline(time.Time{})
	return len(paths), nil
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func classify(ctx context.Context, err error) collector.Reason {
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return collector.ReasonTimeout
	case errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled):
		return collector.ReasonCanceled
	default:
		return collector.ReasonConnect
	}
}

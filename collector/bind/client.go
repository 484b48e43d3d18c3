package bind

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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
}

func newClient(o Options) (*client, error) {
	tlsConf, err := tlsConfig(o)
	if err != nil {
		return nil, fmt.Errorf("bind target %q: %w", o.Name, err)
	}
	if tlsConf != nil && strings.HasPrefix(o.URL, "http:") {
		return nil, fmt.Errorf("bind target %q: TLS files are set but the url %q is not https", o.Name, o.URL)
	}
	c := &client{name: o.Name, base: o.base(), timeout: o.Timeout, max: o.MaxResponseBytes, user: o.Username, pass: o.Password}
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
			DialContext:         (&net.Dialer{Timeout: c.timeout, KeepAlive: 30 * time.Second}).DialContext,
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

func (c *client) close() { c.http.CloseIdleConnections() }

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

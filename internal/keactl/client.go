// Package keactl is a client for Kea's control API over the Control Agent
// (HTTP/HTTPS, Kea up to 3.0, commands carry a "service" list), a daemon's own
// HTTP/HTTPS listener (Kea 2.7.2 and later, no "service") or a daemon's UNIX
// control socket. It is shared by the collector (read-only) and the config
// editor.
package keactl

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Options configure one Kea target.
type Options struct {
	Name string // the target's name, used in errors and as the server label
	// URL is http://host:port/ or https://… for the Control Agent or a
	// daemon's HTTP listener, or unix:///path/to/socket for a control socket.
	URL string
	// Timeout bounds one request, connect to last byte. Default 10s.
	Timeout time.Duration
	// MaxResponseBytes caps a reply; a larger one fails with ReasonTooLarge
	// without being read further. Default 256 MiB: Kea keeps up to 20 samples
	// per statistic, so statistic-get-all at 10,000 subnets can exceed 100 MB.
	MaxResponseBytes int64

	Username     string
	Password     string
	PasswordFile string // read when the client is made; wins over Password

	CAFile             string // trust anchor for the server's certificate
	CertFile, KeyFile  string // client certificate for mTLS
	ServerName         string // overrides the name checked in the server's certificate
	InsecureSkipVerify bool   // only by explicit option
}

// DefaultTimeout and DefaultMaxResponseBytes apply when Options leave them zero.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultMaxResponseBytes = 256 << 20
)

// Client sends commands to one Kea target. It is safe for concurrent use.
type Client struct {
	name    string
	timeout time.Duration
	max     int64
	http    *http.Client
	url     string // HTTP endpoint
	socket  string // UNIX socket path
	user    string
	pass    string
}

// New checks opts and builds a client. It reads the password file and the
// TLS files now, so that a bad path is reported at start-up or reload.
func New(opts Options) (*Client, error) {
	c := &Client{name: opts.Name, timeout: opts.Timeout, max: opts.MaxResponseBytes, user: opts.Username, pass: opts.Password}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.max <= 0 {
		c.max = DefaultMaxResponseBytes
	}
	u, err := url.Parse(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("kea target %q: url %q: %w", opts.Name, opts.URL, err)
	}
	switch u.Scheme {
	case "unix":
		path := u.Path
		if u.Host != "" { // unix://relative/path is almost always a typo for unix:///path
			return nil, fmt.Errorf("kea target %q: url %q: a unix socket URL needs three slashes (unix:///path/to/socket)", opts.Name, opts.URL)
		}
		if path == "" {
			return nil, fmt.Errorf("kea target %q: url %q: no socket path", opts.Name, opts.URL)
		}
		c.socket = path
	case "http", "https":
		if u.Host == "" {
			return nil, fmt.Errorf("kea target %q: url %q: no host", opts.Name, opts.URL)
		}
		tlsConf, err := tlsConfig(opts)
		if err != nil {
			return nil, fmt.Errorf("kea target %q: %w", opts.Name, err)
		}
		if u.Scheme == "http" && tlsConf != nil {
			return nil, fmt.Errorf("kea target %q: TLS files are set but the url %q is not https", opts.Name, opts.URL)
		}
		c.url = u.String()
		c.http = &http.Client{Transport: &http.Transport{
			TLSClientConfig:     tlsConf,
			DialContext:         (&net.Dialer{Timeout: c.timeout, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 2,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true, // Kea does not compress
		}}
	default:
		return nil, fmt.Errorf("kea target %q: url %q: scheme must be http, https or unix", opts.Name, opts.URL)
	}
	if opts.PasswordFile != "" {
		b, err := os.ReadFile(opts.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("kea target %q: password file: %w", opts.Name, err)
		}
		c.pass = strings.TrimRight(string(b), "\r\n")
	}
	if c.socket != "" && c.user != "" {
		return nil, fmt.Errorf("kea target %q: basic auth is for HTTP; a unix socket is protected by its file permissions", opts.Name)
	}
	return c, nil
}

func tlsConfig(opts Options) (*tls.Config, error) {
	if opts.CAFile == "" && opts.CertFile == "" && opts.KeyFile == "" && !opts.InsecureSkipVerify && opts.ServerName == "" {
		if strings.HasPrefix(opts.URL, "https:") {
			return &tls.Config{MinVersion: tls.VersionTLS12}, nil
		}
		return nil, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: opts.ServerName, InsecureSkipVerify: opts.InsecureSkipVerify}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("trust anchor: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("trust anchor %s: no PEM certificate in it", opts.CAFile)
		}
		conf.RootCAs = pool
	}
	if (opts.CertFile == "") != (opts.KeyFile == "") {
		return nil, errors.New("cert-file and key-file go together")
	}
	if opts.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(opts.CertFile, opts.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, nil
}

// Close releases idle connections.
func (c *Client) Close() {
	if c.http != nil {
		c.http.CloseIdleConnections()
	}
}

// Name is the target's name.
func (c *Client) Name() string { return c.name }

// IsSocket reports whether the client talks to a UNIX control socket, which
// reaches one daemon and takes no "service".
func (c *Client) IsSocket() bool { return c.socket != "" }

// request is Kea's command shape.
type request struct {
	Command   string   `json:"command"`
	Service   []string `json:"service,omitempty"`
	Arguments any      `json:"arguments,omitempty"`
}

// Stream sends a command and hands the reply body to read, which must consume
// what it needs; the body is capped at MaxResponseBytes and bounded by the
// timeout. service is "" for a daemon reached directly. Transport failures and
// HTTP statuses come back as *Error; read's error is wrapped into one.
func (c *Client) Stream(ctx context.Context, command, service string, args any, read func(io.Reader) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req := request{Command: command, Arguments: args}
	if service != "" {
		req.Service = []string{service}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return c.fail(command, service, ReasonMalformed, fmt.Errorf("encoding the command: %w", err))
	}
	var rc io.ReadCloser
	if c.socket != "" {
		rc, err = c.dialSocket(ctx, body)
	} else {
		rc, err = c.post(ctx, body)
	}
	if err != nil {
		var ke *Error
		if errors.As(err, &ke) {
			ke.Command, ke.Service = command, service
			return ke
		}
		return c.fail(command, service, classify(ctx, err), err)
	}
	defer rc.Close()
	lr := &limitedReader{r: rc, left: c.max}
	if err := read(lr); err != nil {
		var ke *Error
		switch {
		case errors.As(err, &ke):
			ke.Target, ke.Command, ke.Service = c.name, command, service
			return ke
		case lr.exceeded:
			return c.fail(command, service, ReasonTooLarge, fmt.Errorf("reply larger than %d bytes", c.max))
		case ctx.Err() != nil || isTimeout(err):
			return c.fail(command, service, classify(ctx, err), err)
		default:
			return c.fail(command, service, ReasonMalformed, err)
		}
	}
	return nil
}

// httpBody reads what is left of a reply of known length before closing it:
// a parser stops at the reply's last bracket, and the transport reuses the
// connection only once the body has been read to its end. Only a few bytes
// (a newline) and only when the length is known: a chunked reply's end may
// be a long wait on a slow or broken server.
type httpBody struct {
	io.ReadCloser
	sized bool // the reply has a Content-Length
}

func (b *httpBody) Close() error {
	if b.sized {
		io.CopyN(io.Discard, b.ReadCloser, 4<<10)
	}
	return b.ReadCloser.Close()
}

func (c *Client) fail(command, service string, r Reason, err error) *Error {
	return &Error{Target: c.name, Command: command, Service: service, Reason: r, Err: err}
}

func (c *Client) post(ctx context.Context, body []byte) (io.ReadCloser, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	if c.user != "" {
		hreq.SetBasicAuth(c.user, c.pass)
	}
	resp, err := c.http.Do(hreq)
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return &httpBody{ReadCloser: resp.Body, sized: resp.ContentLength >= 0}, nil
	case http.StatusUnauthorized, http.StatusForbidden:
		r := ReasonUnauthorized
		if resp.StatusCode == http.StatusForbidden {
			r = ReasonForbidden
		}
		text := readSmall(resp.Body)
		resp.Body.Close()
		return nil, &Error{Target: c.name, Reason: r, Result: resp.StatusCode, Err: fmt.Errorf("HTTP %d: %s", resp.StatusCode, text)}
	default:
		text := readSmall(resp.Body)
		resp.Body.Close()
		return nil, &Error{Target: c.name, Reason: ReasonHTTPStatus, Result: resp.StatusCode, Err: fmt.Errorf("HTTP %d: %s", resp.StatusCode, text)}
	}
}

// readSmall reads at most 512 bytes of an error body, for the message.
func readSmall(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 512))
	return strings.TrimSpace(string(b))
}

func (c *Client) dialSocket(ctx context.Context, body []byte) (io.ReadCloser, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.socket)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	// Closing the connection when ctx ends unblocks a read from a hung daemon.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	if _, err := conn.Write(body); err != nil {
		stop()
		conn.Close()
		return nil, err
	}
	return &socketBody{Conn: conn, stop: stop}, nil
}

type socketBody struct {
	net.Conn
	stop func() bool
}

func (s *socketBody) Close() error { s.stop(); return s.Conn.Close() }

func classify(ctx context.Context, err error) Reason {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || isTimeout(err):
		return ReasonTimeout
	case errors.Is(ctx.Err(), context.Canceled):
		return ReasonCanceled
	default:
		return ReasonConnect
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// limitedReader fails once more than left bytes have been read, and remembers
// that it did, so that a parse error caused by the cut is reported as too large.
type limitedReader struct {
	r        io.Reader
	left     int64
	exceeded bool
}

var errTooLarge = errors.New("reply too large")

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// Probe one byte: a reply of exactly the cap is fine.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			l.exceeded = true
			return 0, errTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// Response is one daemon's answer to a command.
type Response struct {
	Result    int             `json:"result"`
	Text      string          `json:"text"`
	Arguments json.RawMessage `json:"arguments"`
}

// Call sends a command and decodes the reply. Over the Control Agent the
// reply is an array with one element per service; a daemon answers with one
// object; an authorisation failure is a single {"result":403} object either
// way. Results other than success and empty (3) are returned as *Error.
func (c *Client) Call(ctx context.Context, command, service string, args any) (Response, error) {
	var resp Response
	err := c.Stream(ctx, command, service, args, func(r io.Reader) error {
		var err error
		resp, err = readReply(r)
		return err
	})
	if err != nil {
		return Response{}, err
	}
	if r, bad := resultReason(resp.Result); bad && resp.Result != ResultEmpty {
		return resp, &Error{Target: c.name, Command: command, Service: service, Reason: r, Result: resp.Result, Text: resp.Text}
	}
	return resp, nil
}

// CallInto sends a command and decodes the reply's arguments into args (a
// pointer) while reading it, without holding the reply: config-get at 10,000
// subnets is 4.8 MB. Results are checked as in Call.
func (c *Client) CallInto(ctx context.Context, command, service string, args any, into any) (int, error) {
	env := envelope{Result: -1, Arguments: into}
	err := c.Stream(ctx, command, service, args, func(r io.Reader) error { return readInto(r, &env) })
	if err != nil {
		return 0, err
	}
	if env.Result == -1 {
		return 0, &Error{Target: c.name, Command: command, Service: service, Reason: ReasonMalformed, Err: errors.New(`reply has no "result"`)}
	}
	if r, bad := resultReason(env.Result); bad && env.Result != ResultEmpty {
		return env.Result, &Error{Target: c.name, Command: command, Service: service, Reason: r, Result: env.Result, Text: env.Text}
	}
	return env.Result, nil
}

// readReply decodes exactly one JSON value, the reply of Call: a daemon may
// keep the socket open after it.
func readReply(r io.Reader) (Response, error) {
	var raw json.RawMessage
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return Response{}, fmt.Errorf("decoding the reply: %w", err)
	}
	return decodeReply(raw)
}

// envelope is CallInto's reply; Arguments points at the caller's value.
type envelope struct {
	Result    int    `json:"result"`
	Text      string `json:"text"`
	Arguments any    `json:"arguments"`
}

// readInto decodes a reply (an array of one, or an object) into env while
// reading it.
func readInto(r io.Reader, env *envelope) error {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("decoding the reply: %w", err)
	}
	switch tok {
	case json.Delim('['):
		if !dec.More() {
			return errors.New("empty reply array")
		}
		if err := dec.Decode(env); err != nil {
			return fmt.Errorf("decoding the reply: %w", err)
		}
		if dec.More() {
			return errors.New("reply has more than one element, expected one per service (1)")
		}
		return nil
	case json.Delim('{'):
		// Re-read as an object: the decoder has consumed '{'.
		return decodeObjectRest(dec, &env.Result, &env.Text, env.Arguments)
	default:
		return fmt.Errorf("reply starts with %v, not an object or array", tok)
	}
}

// decodeObjectRest reads the members of an object whose '{' was consumed.
func decodeObjectRest(dec *json.Decoder, result *int, text *string, into any) error {
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("decoding the reply: %w", err)
		}
		key, _ := tok.(string)
		switch key {
		case "result":
			err = dec.Decode(result)
		case "text":
			err = dec.Decode(text)
		case "arguments":
			err = dec.Decode(into)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return fmt.Errorf("decoding the reply's %q: %w", key, err)
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		// A reply cut after its last member: say so, not a bare EOF.
		return fmt.Errorf("decoding the reply: object not closed (%v)", err)
	}
	return nil
}

func decodeReply(b []byte) (Response, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return Response{}, errors.New("empty reply")
	}
	if b[0] == '[' {
		var rs []Response
		if err := json.Unmarshal(b, &rs); err != nil {
			return Response{}, fmt.Errorf("decoding the reply: %w", err)
		}
		if len(rs) != 1 {
			return Response{}, fmt.Errorf("reply has %d elements, expected one per service (1)", len(rs))
		}
		return rs[0], nil
	}
	var r Response
	if err := json.Unmarshal(b, &r); err != nil {
		return Response{}, fmt.Errorf("decoding the reply: %w", err)
	}
	return r, nil
}

// ResultError turns a Kea result code into an *Error naming the command, or
// nil for success. Parsers that stream a reply use it.
func (c *Client) ResultError(command, service string, result int, text string) error {
	if r, bad := resultReason(result); bad {
		return &Error{Target: c.name, Command: command, Service: service, Reason: r, Result: result, Text: text}
	}
	return nil
}

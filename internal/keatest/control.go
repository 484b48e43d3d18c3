package keatest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// commandTimeout bounds one command round trip (statistic-get-all and
// config-get of big configs take a while).
const commandTimeout = 30 * time.Second

func marshalCommand(cmd string, services []string, args any) ([]byte, error) {
	req := map[string]any{"command": cmd}
	if services != nil {
		req["service"] = services
	}
	if args != nil {
		req["arguments"] = args
	}
	return json.Marshal(req)
}

// socketCommand sends one command on a Kea UNIX control socket and returns
// the raw reply. Kea closes the connection after its single response; the
// reply is also considered complete once it is a whole JSON value.
func socketCommand(socket, cmd string, args any, timeout time.Duration) ([]byte, error) {
	body, err := marshalCommand(cmd, nil, args)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialTimeout("unix", socket, timeout)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	if _, err := conn.Write(body); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	chunk := make([]byte, 64<<10)
	for {
		n, err := conn.Read(chunk)
		buf.Write(chunk[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return buf.Bytes(), fmt.Errorf("reading reply to %s from %s: %w", cmd, socket, err)
		}
		if b := bytes.TrimSpace(buf.Bytes()); len(b) > 0 && b[len(b)-1] == '}' && json.Valid(b) {
			break
		}
	}
	if buf.Len() == 0 {
		return nil, fmt.Errorf("empty reply to %s from %s", cmd, socket)
	}
	return buf.Bytes(), nil
}

// Command sends {"command":cmd,"arguments":args} on a UNIX control socket
// (args nil: no "arguments") and returns the raw reply, a single JSON object.
// It fails the test when the socket cannot be reached.
func (l *Lab) Command(t testing.TB, socket string, cmd string, args any) []byte {
	t.Helper()
	reply, err := socketCommand(socket, cmd, args, commandTimeout)
	if err != nil {
		t.Fatalf("keatest: %s on %s: %v", cmd, socket, err)
	}
	return reply
}

// TryCommand is Command without failing the test, for fault tests where the
// daemon may be down.
func (l *Lab) TryCommand(socket string, cmd string, args any) ([]byte, error) {
	return socketCommand(socket, cmd, args, commandTimeout)
}

// CACommand POSTs {"command":cmd,"service":services,"arguments":args} to the
// control agent and returns the raw reply (a JSON array, one element per
// service; an object for HTTP-level errors). services nil: the CA runs the
// command itself.
func (l *Lab) CACommand(t testing.TB, cmd string, services []string, args any) []byte {
	t.Helper()
	reply, err := l.TryCACommand(cmd, services, args)
	if err != nil {
		t.Fatalf("keatest: %s via CA %s: %v", cmd, l.CAURL, err)
	}
	return reply
}

// TryCACommand is CACommand without failing the test.
func (l *Lab) TryCACommand(cmd string, services []string, args any) ([]byte, error) {
	if l.CAURL == "" {
		return nil, errors.New("lab has no control agent (Options.ControlAgent)")
	}
	return l.caCommand(cmd, services, args, commandTimeout)
}

// caCommand sends a command to the lab's Control Agent with the
// credentials and trust anchor it was configured with.
func (l *Lab) caCommand(cmd string, services []string, args any, timeout time.Duration) ([]byte, error) {
	body, err := marshalCommand(cmd, services, args)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.CAURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if a := l.opts.CAAuth; a != nil {
		req.SetBasicAuth(a.User, a.Password)
	}
	// No proxies: the CA is on loopback.
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	if f := l.opts.CATLS; f != nil {
		if tr.TLSClientConfig, err = f.clientConfig(); err != nil {
			return nil, err
		}
	}
	client := &http.Client{Transport: tr}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return data, fmt.Errorf("HTTP %s: %s", resp.Status, data)
	}
	return data, nil
}

// Result extracts "result" and "text" from a Kea reply: an object (UNIX
// socket) or an array (control agent; the first element is used).
func Result(reply []byte) (result int, text string, err error) {
	type answer struct {
		Result *int   `json:"result"`
		Text   string `json:"text"`
	}
	b := bytes.TrimSpace(reply)
	var a answer
	if len(b) > 0 && b[0] == '[' {
		var arr []answer
		if err := json.Unmarshal(b, &arr); err != nil {
			return 0, "", fmt.Errorf("decoding Kea reply: %v: %.200s", err, b)
		}
		if len(arr) == 0 {
			return 0, "", errors.New("empty array reply")
		}
		a = arr[0]
	} else if err := json.Unmarshal(b, &a); err != nil {
		return 0, "", fmt.Errorf("decoding Kea reply: %v: %.200s", err, b)
	}
	if a.Result == nil {
		return 0, "", fmt.Errorf("no result in reply: %.200s", b)
	}
	return *a.Result, a.Text, nil
}

// Statistic returns the newest sample of one statistic (statistic-get on
// socket), and whether Kea knows it (unknown names give empty arguments).
func (l *Lab) Statistic(t testing.TB, socket, name string) (int64, bool) {
	t.Helper()
	reply := l.Command(t, socket, "statistic-get", map[string]any{"name": name})
	var r struct {
		Result    int                            `json:"result"`
		Text      string                         `json:"text"`
		Arguments map[string][][]json.RawMessage `json:"arguments"`
	}
	if err := json.Unmarshal(reply, &r); err != nil {
		t.Fatalf("keatest: statistic-get %s: %v: %s", name, err, reply)
	}
	if r.Result != 0 {
		t.Fatalf("keatest: statistic-get %s: result %d: %s", name, r.Result, r.Text)
	}
	samples := r.Arguments[name]
	if len(samples) == 0 || len(samples[0]) == 0 {
		return 0, false
	}
	var v json.Number
	dec := json.NewDecoder(bytes.NewReader(samples[0][0]))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("keatest: statistic %s: sample %s: %v", name, samples[0][0], err)
	}
	n, err := v.Int64()
	if err != nil {
		t.Fatalf("keatest: statistic %s: %v", name, err)
	}
	return n, true
}

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startCA starts kea-ctrl-agent on a free loopback port and waits until it
// answers version-get itself and for every DHCP service. The port is picked
// before the CA binds it, so a lost race is retried with another port.
func (l *Lab) startCA() error {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		cfg, err := l.caConfig(port)
		if err != nil {
			return err
		}
		if l.ca == nil {
			l.ca = l.newDaemon("kea-ctrl-agent", cfg, "")
		}
		scheme := "http"
		if l.opts.CATLS != nil {
			scheme = "https"
		}
		l.CAURL = fmt.Sprintf("%s://127.0.0.1:%d/", scheme, port)
		if err := l.ca.start(); err != nil {
			return err
		}
		if lastErr = l.waitCA(); lastErr == nil {
			return nil
		}
		_ = l.ca.stop(5 * time.Second)
	}
	l.CAURL = ""
	return lastErr
}

func (l *Lab) waitCA() error {
	services := []string{"dhcp4"}
	if l.dhcp6 != nil {
		services = append(services, "dhcp6")
	}
	deadline := time.Now().Add(startTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		if !l.ca.alive() {
			return fmt.Errorf("kea-ctrl-agent exited during start-up (%v)", l.ca.exitErr())
		}
		lastErr = nil
		for _, svc := range append([]string{""}, services...) {
			var svcs []string
			if svc != "" {
				svcs = []string{svc}
			}
			reply, err := l.caCommand("version-get", svcs, nil, 2*time.Second)
			if err != nil {
				lastErr = err
				break
			}
			if res, text, err := Result(reply); err != nil || res != 0 {
				lastErr = fmt.Errorf("version-get service %q: result %d %q %v", svc, res, text, err)
				break
			}
		}
		if lastErr == nil {
			return nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	return fmt.Errorf("kea-ctrl-agent at %s not ready within %s: %v", l.CAURL, startTimeout, strings.TrimSpace(fmt.Sprint(lastErr)))
}

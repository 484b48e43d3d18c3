package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Discover finds the local Kea from its configuration files in dir
// (normally /etc/kea): the Control Agent's http-host and http-port if it has
// one, else each DHCP daemon's control socket(s). found says what was read,
// for the log.
func Discover(dir string) (targets []Kea, found []string, err error) {
	if ca, ok, err := readKeaJSON(filepath.Join(dir, "kea-ctrl-agent.conf")); err != nil {
		return nil, nil, err
	} else if ok {
		var conf struct {
			CA *struct {
				Host string `json:"http-host"`
				Port int    `json:"http-port"`
			} `json:"Control-agent"`
		}
		if err := json.Unmarshal(ca, &conf); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", filepath.Join(dir, "kea-ctrl-agent.conf"), err)
		}
		if conf.CA != nil && conf.CA.Port > 0 {
			u := "http://" + net.JoinHostPort(loopbackFor(conf.CA.Host), strconv.Itoa(conf.CA.Port)) + "/"
			return []Kea{{KeaTarget: KeaTarget{Name: "local", URL: u}}}, []string{"Control Agent " + u + " (kea-ctrl-agent.conf)"}, nil
		}
	}
	for _, d := range []struct{ daemon, file, top string }{
		{"dhcp4", "kea-dhcp4.conf", "Dhcp4"},
		{"dhcp6", "kea-dhcp6.conf", "Dhcp6"},
	} {
		path := filepath.Join(dir, d.file)
		b, ok, err := readKeaJSON(path)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			continue
		}
		var conf map[string]struct {
			Socket  *controlSocket  `json:"control-socket"`
			Sockets []controlSocket `json:"control-sockets"` // Kea 2.7.2+
		}
		if err := json.Unmarshal(b, &conf); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		c := conf[d.top]
		socks := c.Sockets
		if c.Socket != nil {
			socks = append([]controlSocket{*c.Socket}, socks...)
		}
		// Prefer the UNIX socket: it skips HTTP and is 6 times cheaper for
		// Kea to answer statistic-get-all on (see docs/architecture.md).
		var pick string
		for _, s := range socks {
			switch {
			case (s.Type == "unix" || s.Type == "") && s.Name != "" && pick == "":
				pick = "unix://" + socketPath(s.Name)
			case (s.Type == "http" || s.Type == "https") && s.Port > 0 && pick == "":
				scheme := s.Type
				if s.CertFile != "" {
					scheme = "https" // Kea 3.0 serves TLS on socket-type http when given a certificate
				}
				pick = scheme + "://" + net.JoinHostPort(loopbackFor(s.Host), strconv.Itoa(s.Port)) + "/"
			}
		}
		if pick != "" {
			targets = append(targets, Kea{KeaTarget: KeaTarget{Name: "local-" + d.daemon, URL: pick}})
			found = append(found, fmt.Sprintf("%s control socket %s (%s)", d.daemon, pick, d.file))
		}
	}
	if len(targets) == 0 {
		return nil, nil, fmt.Errorf("no Kea found in %s: no kea-ctrl-agent.conf with http-port and no control socket in kea-dhcp4.conf or kea-dhcp6.conf; give --kea.target or --config.file", dir)
	}
	return targets, found, nil
}

// DefaultKeaSocketDir is where Kea 3.0 keeps UNIX control sockets when
// KEA_CONTROL_SOCKET_DIR is not set (Debian's and ISC's packages).
const DefaultKeaSocketDir = "/run/kea"

// socketPath resolves a socket-name: Kea 3.0 takes a bare name (the form its
// own example configs use) relative to its control socket directory, which
// ddiscope reads from the same KEA_CONTROL_SOCKET_DIR variable Kea does.
func socketPath(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	dir := os.Getenv("KEA_CONTROL_SOCKET_DIR")
	if dir == "" {
		dir = DefaultKeaSocketDir
	}
	return filepath.Join(dir, name)
}

type controlSocket struct {
	Type string `json:"socket-type"`
	Name string `json:"socket-name"`
	Host string `json:"socket-address"`
	Port int    `json:"socket-port"`
	// CertFile is set on a Kea 3.0 HTTP socket that serves TLS.
	CertFile string `json:"cert-file"`
}

// loopbackFor turns a wildcard listen address into one to connect to.
func loopbackFor(host string) string {
	switch host {
	case "", "0.0.0.0":
		return "127.0.0.1"
	case "::":
		return "::1"
	}
	return host
}

// readKeaJSON reads a Kea configuration file, which may hold #, // and /* */
// comments. ok is false when the file does not exist.
func readKeaJSON(path string) ([]byte, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return stripComments(b), true, nil
}

func stripComments(b []byte) []byte {
	out := make([]byte, 0, len(b))
	inStr := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inStr:
			out = append(out, c)
			if c == '\\' && i+1 < len(b) {
				i++
				out = append(out, b[i])
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
			out = append(out, c)
		case c == '#' || (c == '/' && i+1 < len(b) && b[i+1] == '/'):
			for i < len(b) && b[i] != '\n' {
				i++
			}
			out = append(out, '\n')
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			i += 2
			for i+1 < len(b) && !(b[i] == '*' && b[i+1] == '/') {
				if b[i] == '\n' {
					out = append(out, '\n') // keep line numbers
				}
				i++
			}
			i++
		default:
			out = append(out, c)
		}
	}
	return out
}

var statsChannel = regexp.MustCompile(`statistics-channels\s*\{\s*inet\s+([0-9a-fA-F:.*]+)(?:\s+port\s+(\d+))?`)

// DiscoverBind finds the local named's statistics channel in dir (normally
// /etc/bind): the first `statistics-channels { inet ADDR port PORT … }` of
// named.conf or named.conf.options. It finds nothing, without error, when
// named has no channel: BIND is optional.
func DiscoverBind(dir string) ([]Bind, []string) {
	for _, name := range []string{"named.conf.options", "named.conf"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		m := statsChannel.FindSubmatch(stripComments(b))
		if m == nil {
			continue
		}
		port := "80" // named's default for statistics-channels
		if len(m[2]) > 0 {
			port = string(m[2])
		}
		u := "http://" + net.JoinHostPort(loopbackFor(strings.Trim(string(m[1]), "*")), port) + "/"
		return []Bind{{Name: "local-bind", URL: u}}, []string{"BIND statistics channel " + u + " (" + name + ")"}
	}
	return nil, nil
}

package demo

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The BIND primary and secondary (ddiscope's `server` labels).
const (
	NSPrimary   = "ns-primary"
	NSSecondary = "ns-secondary"
)

// Zones are what the primary serves and the secondary transfers.
var Zones = []string{"demo.example", "0.18.198.in-addr.arpa"}

// FirstSerial is the zones' SOA serial at start; the traffic process
// raises it now and then, so a transfer (and serial drift) can be seen.
const FirstSerial = 2025010101

func zoneFile(zone string, serial uint32) string {
	var b strings.Builder
	fmt.Fprintf(&b, "$TTL 300\n@ IN SOA ns1.demo.example. hostmaster.demo.example. %d 3600 600 86400 300\n", serial)
	fmt.Fprintf(&b, "@ IN NS ns1.demo.example.\n")
	if strings.HasSuffix(zone, ".in-addr.arpa") {
		fmt.Fprintf(&b, "1 IN PTR kea-ha1.demo.example.\n2 IN PTR kea-ha2.demo.example.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "ns1 IN A 127.0.0.1\nkea-ha1 IN A 198.18.0.1\nkea-ha2 IN A 198.18.0.2\nwww IN A 192.0.2.10\nwww IN AAAA 2001:db8::10\n")
	return b.String()
}

// namedConf is one named's configuration: loopback only, no rndc (so no
// clash on port 953 with a system named), statistics channel on.
func namedConf(dir string, dns, stats int, zones string, extra string) string {
	return fmt.Sprintf(`options {
	directory "%s";
	pid-file none;
	session-keyfile "%s/session.key";
	listen-on port %d { 127.0.0.1; };
	listen-on-v6 { none; };
	dnssec-validation no;
	recursion no;
	zone-statistics full;
%s};
controls { };
statistics-channels { inet 127.0.0.1 port %d allow { 127.0.0.1; }; };
%s`, dir, dir, dns, extra, stats, zones)
}

func (s *State) writeBind() error {
	p, sec := s.path("bind", "primary"), s.path("bind", "secondary")
	for _, d := range []string{p, sec} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	var pz, sz strings.Builder
	for _, z := range Zones {
		if err := os.WriteFile(filepath.Join(p, z+".zone"), []byte(zoneFile(z, FirstSerial)), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(&pz, "zone \"%s\" { type primary; file \"%s.zone\"; };\n", z, z)
		fmt.Fprintf(&sz, "zone \"%s\" { type secondary; file \"%s.bk\"; primaries { 127.0.0.1 port %d; }; };\n", z, z, s.Info.Ports.PrimaryDNS)
	}
	// NOTIFY only the secondary (the NS records would send them to port
	// 53) and at once.
	primaryExtra := fmt.Sprintf("\tallow-transfer { 127.0.0.1; };\n\tnotify explicit;\n\tnotify-delay 0;\n\talso-notify { 127.0.0.1 port %d; };\n", s.Info.Ports.SecondaryDNS)
	if err := os.WriteFile(filepath.Join(p, "named.conf"), []byte(namedConf(p, s.Info.Ports.PrimaryDNS, s.Info.Ports.PrimaryStats, pz.String(), primaryExtra)), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(sec, "named.conf"), []byte(namedConf(sec, s.Info.Ports.SecondaryDNS, s.Info.Ports.SecondaryStat, sz.String(), "")), 0o644)
}

// startBind starts the primary, then the secondary, and waits until the
// secondary has transferred every zone.
func (s *State) startBind() error {
	bin, err := findBinary("named")
	if err != nil {
		return err
	}
	for _, n := range []struct {
		name, dir string
		stats     int
	}{{NSPrimary, s.path("bind", "primary"), s.Info.Ports.PrimaryStats}, {NSSecondary, s.path("bind", "secondary"), s.Info.Ports.SecondaryStat}} {
		// -g: foreground, logging to stderr, so the PID is named's own.
		_, exited, err := s.spawn(launch{Name: n.name, Args: []string{bin, "-g", "-c", filepath.Join(n.dir, "named.conf")},
			Dir: n.dir, Log: filepath.Join(n.dir, "named.log")})
		if err != nil {
			return err
		}
		url := fmt.Sprintf("http://127.0.0.1:%d/json/v1/server", n.stats)
		if err := waitFor(20*time.Second, exited, n.name+"'s statistics channel", func() error { return httpOK(url) }); err != nil {
			return fmt.Errorf("%w (log: %s)", err, filepath.Join(n.dir, "named.log"))
		}
	}
	for _, z := range Zones {
		if err := waitFor(20*time.Second, nil, "the secondary's transfer of "+z, func() error {
			got, err := SOASerial(s.Info.Ports.SecondaryDNS, z)
			if err == nil && got != fmt.Sprint(FirstSerial) {
				err = fmt.Errorf("serial %q", got)
			}
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// SOASerial asks named on a loopback port for a zone's serial, with dig.
func SOASerial(port int, zone string) (string, error) {
	out, err := dig(port, zone, "SOA")
	if err != nil {
		return "", err
	}
	f := strings.Fields(out)
	if len(f) < 3 {
		return "", fmt.Errorf("no SOA for %s on port %d: %q", zone, port, out)
	}
	return f[2], nil
}

func dig(port int, name, typ string) (string, error) {
	bin, err := findBinary("dig")
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "@127.0.0.1", "-p", fmt.Sprint(port), "+short", "+tries=1", "+time=2", name, typ).Output()
	return strings.TrimSpace(string(out)), err
}

func httpOK(url string) error {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", url, resp.StatusCode)
	}
	return nil
}

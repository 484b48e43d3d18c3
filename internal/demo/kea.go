package demo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The demo's Kea servers and the names ddiscope and the editor give them
// (the `server` label).
const (
	KeaHA1 = "kea-ha1"
	KeaHA2 = "kea-ha2"
	KeaV6  = "kea-v6"
)

// FullSubnetID is the subnet the demo's traffic fills: 10 addresses, five
// in each HA peer's pool, reached by broadcast perfdhcp runs.
const FullSubnetID = 1

// haSubnets are the HA pair's subnets: subnet 1 outside any shared
// network (so its own utilisation alerts apply) and small enough to fill;
// subnet 2 with room; shared network "demo-campus" with subnets 3 and 4. In
// load-balancing every pool belongs to one peer's scope (its HA_ class).
func haSubnets() (subnets, shared string) {
	pools := func(a1, b1, a2, b2 string) string {
		return fmt.Sprintf(`[ { "pool": "%s-%s", "client-class": "HA_server1" }, { "pool": "%s-%s", "client-class": "HA_server2" } ]`, a1, b1, a2, b2)
	}
	subnets = fmt.Sprintf(`[
  { "id": 1, "subnet": "198.18.0.0/24", "pools": %s,
    "user-context": { "comment": "the demo fills this one: 10 addresses, 5 a peer" } },
  { "id": 2, "subnet": "198.18.1.0/24", "pools": %s } ]`,
		pools("198.18.0.10", "198.18.0.14", "198.18.0.15", "198.18.0.19"),
		pools("198.18.1.10", "198.18.1.109", "198.18.1.110", "198.18.1.209"))
	shared = fmt.Sprintf(`[ { "name": "demo-campus", "subnet4": [
  { "id": 3, "subnet": "198.18.2.0/24", "pools": %s },
  { "id": 4, "subnet": "198.18.3.0/24", "pools": %s } ] } ]`,
		pools("198.18.2.10", "198.18.2.59", "198.18.2.60", "198.18.2.109"),
		pools("198.18.3.10", "198.18.3.59", "198.18.3.60", "198.18.3.109"))
	return subnets, shared
}

const v6Subnets = `[
  { "id": 1, "subnet": "2001:db8:1::/64", "interface": "kea0",
    "pools": [ { "pool": "2001:db8:1::100/120" } ],
    "pd-pools": [ { "prefix": "2001:db8:8000::", "prefix-len": 48, "delegated-len": 56 } ] },
  { "id": 2, "subnet": "2001:db8:2::/64", "pools": [ { "pool": "2001:db8:2::/64" } ],
    "user-context": { "comment": "a whole /64: Kea 2.2 says total-nas -1, ddiscope the real 2^64" } } ]`

// hookPath finds one of Kea's hook libraries.
func hookPath(name string) (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/*/kea/hooks")
	dirs = append(dirs, "/usr/lib/kea/hooks", "/usr/lib64/kea/hooks", "/usr/local/lib/kea/hooks")
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("Kea hook %s not found in %s (Debian package kea-common)", name, strings.Join(dirs, ", "))
}

// keaServer is one Kea daemon of the demo.
type keaServer struct {
	Name   string // the demo's name (KeaHA1...)
	Daemon string // kea-dhcp4 or kea-dhcp6
	NS     string
	Dir    string
	Socket string
}

func (k keaServer) config() string { return filepath.Join(k.Dir, k.Daemon+".json") }

// keaServers are the three daemons, in the order they start.
func (s *State) keaServers() []keaServer {
	_, ha1, ha2, v6 := nsNames(s.Dir)
	mk := func(name, daemon, ns string) keaServer {
		dir := s.path("kea", strings.TrimPrefix(name, "kea-"))
		sock := "kea4.sock"
		if daemon == "kea-dhcp6" {
			sock = "kea6.sock"
		}
		return keaServer{Name: name, Daemon: daemon, NS: ns, Dir: dir, Socket: filepath.Join(dir, sock)}
	}
	return []keaServer{mk(KeaHA1, "kea-dhcp4", ha1), mk(KeaHA2, "kea-dhcp4", ha2), mk(KeaV6, "kea-dhcp6", v6)}
}

// writeKeaConfigs writes the three daemons' configurations.
func (s *State) writeKeaConfigs() error {
	var hooks = map[string]string{}
	for _, h := range []string{"libdhcp_lease_cmds.so", "libdhcp_stat_cmds.so", "libdhcp_ha.so"} {
		p, err := hookPath(h)
		if err != nil {
			return err
		}
		hooks[h] = p
	}
	subnets, shared := haSubnets()
	names := []string{"server1", "server2"}
	urls := []string{fmt.Sprintf("http://%s:%d/", haAddr1, haPort), fmt.Sprintf("http://%s:%d/", haAddr2, haPort)}
	for i, k := range s.keaServers() {
		if err := os.MkdirAll(k.Dir, 0o755); err != nil {
			return err
		}
		common := map[string]any{
			"interfaces-config": map[string]any{"interfaces": []string{serverIface}, "re-detect": false},
			"control-socket":    map[string]any{"socket-type": "unix", "socket-name": k.Socket},
			// One sample per statistic instead of Kea's 20: the same numbers for
			// statistic-get-all at a fraction of the memory (docs/kea-setup.md).
			"statistic-default-sample-count": 1,
			"statistic-default-sample-age":   0,
			"loggers": []any{map[string]any{
				"name": k.Daemon, "severity": "INFO",
				"output_options": []any{map[string]any{"output": filepath.Join(k.Dir, k.Daemon+".log"), "flush": true, "maxsize": 10485760, "maxver": 1}},
			}},
		}
		top := "Dhcp4"
		if k.Daemon == "kea-dhcp4" {
			peers := []any{}
			for j := range names {
				role := []string{"primary", "secondary"}[j]
				peers = append(peers, map[string]any{"name": names[j], "url": urls[j], "role": role, "auto-failover": true})
			}
			ha := map[string]any{
				"this-server-name": names[i], "mode": "load-balancing",
				"heartbeat-delay": 2000, "max-response-delay": 6000, "max-ack-delay": 2000, "max-unacked-clients": 0,
				"multi-threading": map[string]any{"enable-multi-threading": true, "http-dedicated-listener": true,
					"http-listener-threads": 1, "http-client-threads": 1},
				"peers": peers,
			}
			common["hooks-libraries"] = []any{
				map[string]any{"library": hooks["libdhcp_lease_cmds.so"]},
				map[string]any{"library": hooks["libdhcp_stat_cmds.so"]},
				map[string]any{"library": hooks["libdhcp_ha.so"], "parameters": map[string]any{"high-availability": []any{ha}}},
			}
			common["multi-threading"] = map[string]any{"enable-multi-threading": true, "thread-pool-size": 2, "packet-queue-size": 16}
			common["lease-database"] = map[string]any{"type": "memfile", "persist": true, "name": filepath.Join(k.Dir, "leases4.csv"), "lfc-interval": 0}
			common["valid-lifetime"], common["renew-timer"], common["rebind-timer"] = 3600, 900, 1800
			common["option-data"] = []any{map[string]any{"name": "domain-name-servers", "data": "198.18.0.53"}, map[string]any{"name": "domain-name", "data": "demo.example"}}
			common["subnet4"] = json.RawMessage(subnets)
			common["shared-networks"] = json.RawMessage(shared)
		} else {
			top = "Dhcp6"
			common["hooks-libraries"] = []any{
				map[string]any{"library": hooks["libdhcp_lease_cmds.so"]},
				map[string]any{"library": hooks["libdhcp_stat_cmds.so"]},
			}
			common["data-directory"] = k.Dir
			common["lease-database"] = map[string]any{"type": "memfile", "persist": true, "name": filepath.Join(k.Dir, "leases6.csv"), "lfc-interval": 0}
			common["preferred-lifetime"], common["valid-lifetime"], common["renew-timer"], common["rebind-timer"] = 3000, 4000, 1000, 2000
			common["subnet6"] = json.RawMessage(v6Subnets)
		}
		b, err := json.MarshalIndent(map[string]any{top: common}, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(k.config(), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// KeaCommand sends one command to a Kea daemon's UNIX control socket and
// returns the raw reply.
func KeaCommand(socket, command string, args any, timeout time.Duration) ([]byte, error) {
	conn, err := net.DialTimeout("unix", socket, timeout)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	req := map[string]any{"command": command}
	if args != nil {
		req["arguments"] = args
	}
	b, _ := json.Marshal(req)
	if _, err := conn.Write(b); err != nil {
		return nil, err
	}
	// Kea writes the whole answer and closes nothing: read until the JSON is whole.
	var buf []byte
	chunk := make([]byte, 64<<10)
	for {
		n, err := conn.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if json.Valid(buf) {
			return buf, nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) && json.Valid(buf) {
				return buf, nil
			}
			return nil, fmt.Errorf("%s on %s: %w (after %d bytes)", command, socket, err, len(buf))
		}
	}
}

// haState is a server's HA state from status-get, "" when unknown.
func haState(socket string) string {
	b, err := KeaCommand(socket, "status-get", nil, 2*time.Second)
	if err != nil {
		return ""
	}
	var r struct {
		Arguments struct {
			HA []struct {
				Servers struct {
					Local struct {
						State string `json:"state"`
					} `json:"local"`
				} `json:"ha-servers"`
			} `json:"high-availability"`
		} `json:"arguments"`
	}
	if json.Unmarshal(b, &r) != nil || len(r.Arguments.HA) == 0 {
		return ""
	}
	return r.Arguments.HA[0].Servers.Local.State
}

// startKea starts the three daemons and waits until each answers on its
// socket and the HA pair is load-balancing.
func (s *State) startKea() error {
	for _, k := range s.keaServers() {
		// Kea names its PID file after the configuration file: one directory each.
		env := []string{"KEA_PIDFILE_DIR=" + k.Dir, "KEA_LOCKFILE_DIR=none"}
		bin, err := findBinary(k.Daemon)
		if err != nil {
			return err
		}
		_ = os.Remove(k.Socket)
		_, exited, err := s.spawn(launch{Name: k.Name, Args: []string{bin, "-c", k.config()}, NetNS: k.NS,
			Dir: k.Dir, Env: env, Log: filepath.Join(k.Dir, k.Daemon+".out")})
		if err != nil {
			return err
		}
		if err := waitFor(20*time.Second, exited, k.Name+" answering on "+k.Socket, func() error {
			_, err := KeaCommand(k.Socket, "version-get", nil, 2*time.Second)
			return err
		}); err != nil {
			return fmt.Errorf("%w (logs: %s)", err, k.Dir)
		}
	}
	for _, k := range s.keaServers()[:2] {
		if err := waitFor(60*time.Second, nil, k.Name+" in HA state load-balancing", func() error {
			if st := haState(k.Socket); st != "load-balancing" {
				return fmt.Errorf("state %q", st)
			}
			return nil
		}); err != nil {
			return fmt.Errorf("%w (logs: %s)", err, k.Dir)
		}
	}
	return nil
}

// waitFor retries check every 100 ms until it returns nil, the process
// behind exited ends, or timeout passes.
func waitFor(timeout time.Duration, exited <-chan struct{}, what string, check func() error) error {
	deadline := time.Now().Add(timeout)
	var err error
	for {
		if err = check(); err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("waiting for %s: the process exited (%v)", what, err)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for %s: not after %s: %v", what, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

package keatest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultSharedNetworks4 is Dhcp4.shared-networks when Options.SharedNetworks4
// is empty: shared network "lab-lan" with subnet 1 (a tiny 4-address pool that
// broadcast perfdhcp runs exhaust first: giaddr ClientAddr4 selects it) and
// subnet 2 (200 addresses, where the overflow goes).
const DefaultSharedNetworks4 = `[
  {
    "name": "lab-lan",
    "option-data": [ { "name": "routers", "data": "198.18.0.254" } ],
    "subnet4": [
      {
        "id": 1,
        "subnet": "198.18.0.0/24",
        "pools": [ { "pool": "198.18.0.10-198.18.0.13" } ],
        "user-context": { "purpose": "tiny", "site": "lab", "comment": "tiny pool: 4 addresses, exhausts quickly" }
      },
      {
        "id": 2,
        "subnet": "198.18.1.0/24",
        "pools": [ { "pool": "198.18.1.10-198.18.1.209" } ]
      }
    ]
  }
]`

// DefaultSubnet4 is Dhcp4.subnet4 when Options.Subnet4 is empty: subnet 3, a
// plain subnet with two pools of 5 (reached by relayed traffic from
// RelayAddr4, see Perfdhcp4Relay), and subnet 4, never used by any traffic.
const DefaultSubnet4 = `[
  {
    "id": 3,
    "subnet": "198.18.2.0/24",
    "pools": [ { "pool": "198.18.2.10-198.18.2.14" }, { "pool": "198.18.2.15-198.18.2.19" } ],
    "user-context": { "comment": "relayed (giaddr 198.18.2.250); 10 addresses in two pools" }
  },
  {
    "id": 4,
    "subnet": "198.18.3.0/24",
    "pools": [ { "pool": "198.18.3.10-198.18.3.250" } ],
    "user-context": { "comment": "unused subnet, no traffic" }
  }
]`

// DefaultSubnet6 returns Dhcp6.subnet6 used when Options.Subnet6 is empty.
// iface is the interface subnet 1 is bound to (directly connected DHCPv6
// clients are matched by interface); "" leaves it out (no DHCP sockets).
//
//   - subnet 1, 2001:db8:1::/64: address pool 2001:db8:1::100/120 (256) and
//     pd-pool 2001:db8:8000::/48 delegating /56 (256). perfdhcp fills it.
//   - subnet 2, 2001:db8:2::/64: a whole-/64 pool; Kea 2.2 reports total-nas = -1.
//   - subnet 3, 2001:db8:3::/64: a /80 pool (2^48) and pd-pool
//     2001:db8:9000::/40 delegating /64 (2^24).
func DefaultSubnet6(iface string) string {
	ifaceMember := ""
	if iface != "" {
		ifaceMember = fmt.Sprintf(`"interface": %q,`, iface)
	}
	return `[
  {
    "id": 1,
    "subnet": "2001:db8:1::/64",
    ` + ifaceMember + `
    "pools": [ { "pool": "2001:db8:1::100/120" } ],
    "pd-pools": [ { "prefix": "2001:db8:8000::", "prefix-len": 48, "delegated-len": 56 } ]
  },
  {
    "id": 2,
    "subnet": "2001:db8:2::/64",
    "pools": [ { "pool": "2001:db8:2::/64" } ],
    "user-context": { "comment": "a whole /64 pool: total-nas = 2^64 does not fit int64" }
  },
  {
    "id": 3,
    "subnet": "2001:db8:3::/64",
    "pools": [ { "pool": "2001:db8:3::/80" } ],
    "pd-pools": [ { "prefix": "2001:db8:9000::", "prefix-len": 40, "delegated-len": 64 } ],
    "user-context": { "comment": "/80 pool (2^48) and a /40->/64 pd-pool (2^24)" }
  }
]`
}

// hookDirs are where distributions install Kea's hook libraries.
var hookDirs = []string{
	"/usr/lib/x86_64-linux-gnu/kea/hooks",
	"/usr/lib/aarch64-linux-gnu/kea/hooks",
	"/usr/lib/kea/hooks",
	"/usr/lib64/kea/hooks",
	"/usr/local/lib/kea/hooks",
	"/usr/local/lib64/kea/hooks",
}

// resolveHooks turns hook basenames into absolute paths.
func resolveHooks(names []string) ([]string, error) {
	dirs := append([]string(nil), hookDirs...)
	if m, _ := filepath.Glob("/usr/lib/*/kea/hooks"); len(m) > 0 {
		dirs = append(dirs, m...)
	}
	var paths []string
	for _, n := range names {
		if filepath.IsAbs(n) {
			if _, err := os.Stat(n); err != nil {
				return nil, fmt.Errorf("hook library %s: %v", n, err)
			}
			paths = append(paths, n)
			continue
		}
		found := ""
		for _, d := range dirs {
			p := filepath.Join(d, n)
			if _, err := os.Stat(p); err == nil {
				found = p
				break
			}
		}
		if found == "" {
			return nil, fmt.Errorf("hook library %s not found in %s", n, strings.Join(dirs, ", "))
		}
		paths = append(paths, found)
	}
	return paths, nil
}

// rawJSON checks a caller-supplied fragment, falling back to def when empty.
func rawJSON(field, s, def string) (json.RawMessage, error) {
	if strings.TrimSpace(s) == "" {
		s = def
	}
	if !json.Valid([]byte(s)) {
		return nil, fmt.Errorf("Options.%s is not valid JSON: %s", field, s)
	}
	return json.RawMessage(s), nil
}

// mergeExtra sets the members of the JSON object extra on m.
func mergeExtra(field string, m map[string]any, extra string) error {
	if strings.TrimSpace(extra) == "" {
		return nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal([]byte(extra), &members); err != nil {
		return fmt.Errorf("Options.%s must be a JSON object: %v", field, err)
	}
	for k, v := range members {
		m[k] = v
	}
	return nil
}

func (l *Lab) loggers(name string) []any {
	sev, level := "INFO", 0
	if l.opts.Debug {
		sev, level = "DEBUG", 99
	}
	return []any{map[string]any{
		"name":       name,
		"severity":   sev,
		"debuglevel": level,
		"output_options": []any{map[string]any{
			"output": filepath.Join(l.Dir, name+".log"),
			"flush":  true,
			"maxver": 1,
		}},
	}}
}

func hookList(paths []string) []any {
	list := []any{}
	for _, p := range paths {
		list = append(list, map[string]any{"library": p})
	}
	return list
}

func (l *Lab) interfaces() []string {
	if l.opts.Traffic {
		return []string{ServerIface}
	}
	return []string{} // no DHCP sockets at all
}

// writeConfig writes {top: body} to Dir/<name>.json and returns the path.
func (l *Lab) writeConfig(name, top string, body map[string]any) (string, error) {
	data, err := json.MarshalIndent(map[string]any{top: body}, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(l.Dir, name+".json")
	return path, os.WriteFile(path, data, 0o644)
}

func (l *Lab) dhcp4Config(hooks []string) (string, error) {
	sn, err := rawJSON("SharedNetworks4", l.opts.SharedNetworks4, DefaultSharedNetworks4)
	if err != nil {
		return "", err
	}
	s4, err := rawJSON("Subnet4", l.opts.Subnet4, DefaultSubnet4)
	if err != nil {
		return "", err
	}
	m := map[string]any{
		"interfaces-config": map[string]any{"interfaces": l.interfaces(), "re-detect": false},
		"lease-database": map[string]any{
			"type": "memfile", "persist": true, "name": l.Leases4,
			"lfc-interval": 0, // no kea-lfc child processes
		},
		"hooks-libraries": hookList(hooks),
		"valid-lifetime":  3600,
		"renew-timer":     900,
		"rebind-timer":    1800,
		"option-data": []any{
			map[string]any{"name": "domain-name-servers", "data": "198.18.0.53"},
			map[string]any{"name": "domain-name", "data": "lab.example"},
		},
		"shared-networks": sn,
		"subnet4":         s4,
		"loggers":         l.loggers("kea-dhcp4"),
	}
	l.controlSockets(m, l.Socket4, l.httpPort4)
	if err := mergeExtra("Extra4", m, l.opts.Extra4); err != nil {
		return "", err
	}
	return l.writeConfig("kea-dhcp4", "Dhcp4", m)
}

func (l *Lab) dhcp6Config(hooks []string) (string, error) {
	iface := ""
	if l.opts.Traffic {
		iface = ServerIface
	}
	s6, err := rawJSON("Subnet6", l.opts.Subnet6, DefaultSubnet6(iface))
	if err != nil {
		return "", err
	}
	m := map[string]any{
		"interfaces-config": map[string]any{"interfaces": l.interfaces(), "re-detect": false},
		"lease-database": map[string]any{
			"type": "memfile", "persist": true, "name": l.Leases6, "lfc-interval": 0,
		},
		"hooks-libraries":    hookList(hooks),
		"preferred-lifetime": 3000,
		"valid-lifetime":     4000,
		"renew-timer":        1000,
		"rebind-timer":       2000,
		"option-data": []any{
			map[string]any{"name": "dns-servers", "data": "2001:db8:1::53"},
		},
		"subnet6": s6,
		"loggers": l.loggers("kea-dhcp6"),
	}
	l.controlSockets(m, l.Socket6, l.httpPort6)
	if !l.Kea.AtLeast30() {
		// The server DUID file; the default /var/lib/kea may not exist. Kea
		// 3.0 takes it from KEA_DHCP_DATA_DIR instead.
		m["data-directory"] = l.Dir
	}
	if err := mergeExtra("Extra6", m, l.opts.Extra6); err != nil {
		return "", err
	}
	return l.writeConfig("kea-dhcp6", "Dhcp6", m)
}

func (l *Lab) caConfig(port int) (string, error) {
	sockets := map[string]any{
		"dhcp4": map[string]any{"socket-type": "unix", "socket-name": l.Socket4},
	}
	if l.Socket6 != "" {
		sockets["dhcp6"] = map[string]any{"socket-type": "unix", "socket-name": l.Socket6}
	}
	m := map[string]any{
		"http-host":       "127.0.0.1",
		"http-port":       port,
		"control-sockets": sockets,
		"loggers":         l.loggers("kea-ctrl-agent"),
	}
	if a := l.opts.CAAuth; a != nil {
		m["authentication"] = map[string]any{"type": "basic", "realm": "keatest",
			"clients": []any{map[string]any{"user": a.User, "password": a.Password}}}
	}
	if f := l.opts.CATLS; f != nil {
		// No client certificates: ddiscope's TLS to the agent, not mTLS.
		m["trust-anchor"], m["cert-file"], m["key-file"], m["cert-required"] = f.TrustAnchor, f.CertFile, f.KeyFile, false
	}
	return l.writeConfig("kea-ctrl-agent", "Control-agent", m)
}

package keaview

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/keactl"
)

// kea30Bundle is the real Kea 3.0.4 built for this project (shared/kea/README.md).
const kea30Bundle = "/work/shared/kea/kea-3.0.4-debian12-amd64.tar.xz"

// startKea30 extracts the Kea 3.0.4 bundle into a temp dir and runs
// kea-dhcp4 with config (a format string given the HTTP port), answering on
// its own HTTP listener. It skips without the bundle, and fails instead
// when CI=true.
func startKea30(t *testing.T, config string) string {
	t.Helper()
	if _, err := os.Stat(kea30Bundle); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Kea 3.0.4 bundle: %v (CI=true, so this is an error)", err)
		}
		t.Skipf("Kea 3.0.4 bundle: %v", err)
	}
	dir := t.TempDir()
	if out, err := exec.Command("tar", "-xJf", kea30Bundle, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("extracting %s: %v: %s", kea30Bundle, err, out)
	}
	root := filepath.Join(dir, "kea-3.0.4")
	run := filepath.Join(dir, "run")
	if err := os.MkdirAll(run, 0o750); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"KEA_HOOKS_PATH="+filepath.Join(root, "lib/kea/hooks"), "KEA_LFC_EXECUTABLE="+filepath.Join(root, "sbin/kea-lfc"),
		"KEA_CONTROL_SOCKET_DIR="+run, "KEA_PIDFILE_DIR="+run, "KEA_LOCKFILE_DIR="+run,
		"KEA_LOG_FILE_DIR="+dir, "KEA_LEGAL_LOG_DIR="+dir, "KEA_DHCP_DATA_DIR="+dir)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg := filepath.Join(dir, "kea-dhcp4.json")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, config, port), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(root, "sbin/kea-dhcp4"), "-c", cfg)
	cmd.Env = env
	out, _ := os.Create(filepath.Join(dir, "stdout.txt"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "kea-dhcp4.log"))
			s, _ := os.ReadFile(filepath.Join(dir, "stdout.txt"))
			t.Logf("kea-dhcp4 3.0.4 log:\n%s\n%s", b, s)
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	c := client(t, "probe", url)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := c.Call(context.Background(), "version-get", "", nil); err == nil {
			return url
		} else if time.Now().After(deadline) {
			t.Fatalf("kea-dhcp4 3.0.4 did not answer on %s: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

const kea30Config = `{"Dhcp4": {
  "interfaces-config": { "interfaces": [] },
  "lease-database": { "type": "memfile", "persist": true, "name": "kea-leases4.csv", "lfc-interval": 0 },
  "control-sockets": [ { "socket-type": "http", "socket-address": "127.0.0.1", "socket-port": %d } ],
  "hooks-libraries": [ { "library": "libdhcp_lease_cmds.so" }, { "library": "libdhcp_stat_cmds.so" } ],
  "valid-lifetime": 7200,
  "shared-networks": [ { "name": "campus", "subnet4": [
     { "id": 1, "subnet": "10.1.0.0/24", "pools": [ { "pool": "10.1.0.10-10.1.0.19", "pool-id": 1 }, { "pool": "10.1.0.20-10.1.0.29", "pool-id": 2 } ] } ] } ],
  "subnet4": [ { "id": 3, "subnet": "192.0.2.0/24", "valid-lifetime": 600,
     "pools": [ { "pool": "192.0.2.100 - 192.0.2.149" }, { "pool": "192.0.2.150-192.0.2.199" }, { "pool": "192.0.2.200-192.0.2.219", "pool-id": 7 } ] } ],
  "loggers": [ { "name": "kea-dhcp4", "output-options": [ { "output": "kea-dhcp4.log" } ], "severity": "INFO" } ]
}}`

// TestRealKea30 runs the views against the real Kea 3.0.4 on its own HTTP
// listener: config-hash-get, pool-ids and pool statistics.
func TestRealKea30(t *testing.T) {
	url := startKea30(t, kea30Config)
	kc := client(t, "kea30", url)
	ctx := context.Background()
	kea := func(cmd string, args any) keactl.Response {
		t.Helper()
		r, err := kc.Call(ctx, cmd, "", args)
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		return r
	}
	stat := func(name string) *big.Int {
		t.Helper()
		vals := map[string][][]any{}
		decodeInto(t, kea("statistic-get", map[string]string{"name": name}).Arguments, &vals)
		if len(vals[name]) == 0 {
			return nil
		}
		n, _ := new(big.Int).SetString(fmt.Sprint(vals[name][0][0]), 10)
		return n
	}
	// Leases without packets: two in pool 7, one in pool 0, one in subnet 1's pool 2.
	for _, l := range []map[string]any{
		{"ip-address": "192.0.2.201", "hw-address": "02:00:00:00:00:07", "hostname": "seven.example"},
		{"ip-address": "192.0.2.202", "hw-address": "02:00:00:00:00:08"},
		{"ip-address": "192.0.2.120", "hw-address": "02:00:00:00:00:09"},
		{"ip-address": "10.1.0.25", "hw-address": "02:00:00:00:00:0a"},
	} {
		kea("lease4-add", l)
	}
	v, err := New(Options{Targets: []Target{{Name: "kea30", Client: kc}}, HashCheckEvery: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}

	srv, err := v.Server(ctx, "kea30")
	if err != nil || srv.Err != nil || srv.Transport != "http" || len(srv.Daemons) != 1 {
		t.Fatalf("server: %+v %v", srv, err)
	}
	if d := srv.Daemons[0]; d.Name != "dhcp4" || !d.Up || d.Version != kea("version-get", nil).Text || d.ConfigHash == "" {
		t.Errorf("daemon: %+v", d)
	}

	s, err := v.Subnet(ctx, "kea30", "dhcp4", 3)
	if err != nil || s.StatsErr != nil {
		t.Fatal(err, s.StatsErr)
	}
	if !eqInt(s.Addresses.Assigned, stat("subnet[3].assigned-addresses")) || s.Addresses.Assigned.Int64() != 3 || !eqInt(s.Addresses.Total, stat("subnet[3].total-addresses")) {
		t.Errorf("subnet 3: %v/%v", s.Addresses.Assigned, s.Addresses.Total)
	}
	if len(s.Pools) != 2 || s.Pools[0].Labels.PoolID != "0" || s.Pools[1].Labels.PoolID != "7" {
		t.Fatalf("pools: %+v", s.Pools)
	}
	for _, p := range s.Pools {
		name := "subnet[3].pool[" + p.Labels.PoolID + "]."
		if !p.Stats || !eqInt(p.Usage.Assigned, stat(name+"assigned-addresses")) || !eqInt(p.Usage.Total, stat(name+"total-addresses")) || p.Usage.Total.Cmp(p.Config.Size) != 0 {
			t.Errorf("pool %s: %+v, Kea %v/%v", p.Labels.PoolID, p.Usage, stat(name+"assigned-addresses"), stat(name+"total-addresses"))
		}
	}
	if life := s.Config.Lifetimes[0]; life.Name != "valid-lifetime" || life.Seconds != 600 || life.From != "subnet" {
		t.Errorf("lifetime: %+v", life)
	}
	p, err := v.Pool(ctx, "kea30", "dhcp4", 1, Addresses, 2)
	if err != nil || !p.Pool.Stats || p.Pool.Usage.Assigned.Int64() != 1 || p.Subnet.Config.SharedNetwork != "campus" || p.Pool.Labels.SharedNetwork != "campus" {
		t.Errorf("pool 2 of subnet 1: %+v %v", p, err)
	}

	// Kea 3.0 has config-hash-get: a config-set shows up as a new hash.
	dc := v.targets["kea30"].daemons["dhcp4"]
	if dc.noHash || dc.cfg.hash == "" {
		t.Fatalf("Kea 3.0 has config-hash-get; noHash %v hash %q", dc.noHash, dc.cfg.hash)
	}
	before := dc.cfg
	if _, err := v.Subnets(ctx, "kea30", "dhcp4", SubnetQuery{}); err != nil || dc.cfg != before {
		t.Fatalf("config-get read again with the same hash: %v", err)
	}
	var cg struct {
		Dhcp4 map[string]any
	}
	decodeInto(t, kea("config-get", nil).Arguments, &cg)
	d4 := cg.Dhcp4
	d4["subnet4"] = append(d4["subnet4"].([]any), map[string]any{"id": 9, "subnet": "198.51.100.0/24"})
	kea("config-set", map[string]any{"Dhcp4": d4})
	page, err := v.Subnets(ctx, "kea30", "dhcp4", SubnetQuery{})
	if err != nil || page.Total != 3 || dc.cfg == before {
		t.Fatalf("after config-set: total %d, err %v", page.Total, err)
	}

	q, _ := ParseLeaseQuery("", "seven.example")
	res := v.SearchLeases(ctx, q)
	if len(res.Leases) != 1 || res.Leases[0].Address != "192.0.2.201" || res.Leases[0].Subnet != "192.0.2.0/24" || len(res.Failures) != 0 {
		t.Errorf("by hostname: %+v", res)
	}
	q, _ = ParseLeaseQuery("", "02:00:00:00:00:0A")
	res = v.SearchLeases(ctx, q)
	if len(res.Leases) != 1 || res.Leases[0].Address != "10.1.0.25" || res.Leases[0].SharedNetwork != "campus" {
		t.Errorf("by MAC: %+v", res)
	}
}

func decodeInto(t *testing.T, raw []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %.200s: %v", raw, err)
	}
}

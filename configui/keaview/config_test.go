package keaview

import (
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readConfig(t *testing.T, daemon, file string) *daemonConfig {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "kea", file))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parseConfigReply(daemon, b)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return cfg
}

func big10(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return n
}

func TestConfigKea22DHCP4(t *testing.T) {
	cfg := readConfig(t, "dhcp4", "kea2.2-dhcp4-config-get.json")
	if cfg.hash != "" {
		t.Errorf("Kea 2.2's config-get has no hash, got %q", cfg.hash)
	}
	var ids []int64
	for _, s := range cfg.subnets {
		ids = append(ids, s.ID)
	}
	if got := len(ids); got != 4 || ids[0] != 1 || ids[3] != 4 {
		t.Fatalf("subnets sorted by id: got %v", ids)
	}
	s1, _ := cfg.subnet(1)
	if s1.SharedNetwork != "lab-lan" || s1.Prefix != "198.18.0.0/24" {
		t.Errorf("subnet 1: %+v", s1)
	}
	// Two pools without pool-id are one pool 0, as Kea counts them: 4 + 4.
	if len(s1.Pools) != 1 || s1.Pools[0].ID != 0 || len(s1.Pools[0].Ranges) != 2 || s1.Pools[0].Size.Int64() != 8 {
		t.Fatalf("subnet 1 pools: %+v", s1.Pools)
	}
	if s1.Pools[0].Ranges[0].ClientClass != "HA_server1" || s1.Pools[0].Ranges[1].Range != "198.18.0.20/30" {
		t.Errorf("subnet 1 ranges: %+v", s1.Pools[0].Ranges)
	}
	if s1.addrSize.Int64() != 8 {
		t.Errorf("subnet 1 size %v, want 8", s1.addrSize)
	}
	if !strings.Contains(s1.UserContext, `"purpose":"tiny"`) {
		t.Errorf("user-context %q", s1.UserContext)
	}
	// Options: routers from the shared network, DNS and domain from global.
	from := map[string]string{}
	for _, o := range s1.Options {
		from[o.Name] = o.From
	}
	if from["routers"] != "shared-network" || from["domain-name-servers"] != "global" || from["domain-name"] != "global" {
		t.Errorf("options in effect: %+v", s1.Options)
	}
	life := map[string]Lifetime{}
	for _, l := range s1.Lifetimes {
		life[l.Name] = l
	}
	if l := life["valid-lifetime"]; l.Seconds != 3600 || l.From != "subnet" {
		t.Errorf("valid-lifetime: %+v", l)
	}
	if len(cfg.shared) != 1 || cfg.shared[0].Name != "lab-lan" || len(cfg.shared[0].Subnets) != 2 {
		t.Errorf("shared networks: %+v", cfg.shared)
	}
	if len(cfg.ha) != 1 || cfg.ha[0].ThisServerName != "server1" || cfg.ha[0].Mode != "load-balancing" || len(cfg.ha[0].Peers) != 2 {
		t.Fatalf("HA: %+v", cfg.ha)
	}
	server2 := readConfig(t, "dhcp4", "kea2.2-dhcp4-server2-config-get.json")
	if server2.ha[0].key() != cfg.ha[0].key() {
		t.Errorf("both peers must give the relationship one key: %q vs %q", cfg.ha[0].key(), server2.ha[0].key())
	}
}

func TestConfigKea22DHCP6WholeSlash64(t *testing.T) {
	cfg := readConfig(t, "dhcp6", "kea2.2-dhcp6-config-get.json")
	s2, ok := cfg.subnet(2)
	if !ok {
		t.Fatal("no subnet 2")
	}
	// 2^64 does not fit Kea 2.2's int64 (it reports -1): the size is exact here.
	if want := big10("18446744073709551616"); s2.addrSize.Cmp(want) != 0 {
		t.Errorf("subnet 2 size %v, want %v", s2.addrSize, want)
	}
	s1, _ := cfg.subnet(1)
	if s1.addrSize.Int64() != 256 || s1.pdSize.Int64() != 256 || len(s1.PDPools) != 1 || s1.PDPools[0].Ranges[0].DelegatedLen != 56 {
		t.Errorf("subnet 1: %v addresses, %v prefixes, pd-pools %+v", s1.addrSize, s1.pdSize, s1.PDPools)
	}
}

func TestConfigPoolIDs(t *testing.T) {
	cfg := readConfig(t, "dhcp4", "fixtures/kea2.4-dhcp4-config-get.json")
	if cfg.hash == "" {
		t.Error("Kea 2.4's config-get carries a hash")
	}
	s3, _ := cfg.subnet(3)
	if len(s3.Pools) != 2 || s3.Pools[0].ID != 0 || s3.Pools[0].Size.Int64() != 100 || s3.Pools[1].ID != 7 || s3.Pools[1].Size.Int64() != 20 {
		for _, p := range s3.Pools {
			t.Logf("pool %d: %v %v", p.ID, p.Size, p.Ranges)
		}
		t.Fatal("subnet 3: want pool 0 (two ranges without pool-id, 100) and pool 7 (20)")
	}
	cfg6 := readConfig(t, "dhcp6", "fixtures/kea2.4-dhcp6-config-get.json")
	s13, _ := cfg6.subnet(13)
	if want := big10("36893488147419107329"); s13.addrSize.Cmp(want) != 0 {
		t.Errorf("subnet 13 addresses %v, want %v (2^65+4097)", s13.addrSize, want)
	}
	if want := big10("295147905179352825856"); s13.pdSize.Cmp(want) != 0 {
		t.Errorf("subnet 13 prefixes %v, want %v (2^68)", s13.pdSize, want)
	}
}

func TestConfigBadInput(t *testing.T) {
	for name, body := range map[string]string{
		"duplicate id":    `{"result":0,"arguments":{"Dhcp4":{"subnet4":[{"id":1,"subnet":"10.0.0.0/24"}],"shared-networks":[{"name":"a","subnet4":[{"id":1,"subnet":"10.0.1.0/24"}]}]}}}`,
		"bad prefix":      `{"result":0,"arguments":{"Dhcp4":{"subnet4":[{"id":1,"subnet":"10.0.0.0/33"}]}}}`,
		"reversed range":  `{"result":0,"arguments":{"Dhcp4":{"subnet4":[{"id":1,"subnet":"10.0.0.0/24","pools":[{"pool":"10.0.0.9-10.0.0.1"}]}]}}}`,
		"bad pd-pool":     `{"result":0,"arguments":{"Dhcp6":{"subnet6":[{"id":1,"subnet":"2001:db8::/64","pd-pools":[{"prefix":"2001:db8:1::","prefix-len":56,"delegated-len":48}]}]}}}`,
		"zero id":         `{"result":0,"arguments":{"Dhcp4":{"subnet4":[{"id":0,"subnet":"10.0.0.0/24"}]}}}`,
		"no Dhcp4":        `{"result":0,"arguments":{"Dhcp6":{}}}`,
		"truncated":       `{"result":0,"arguments":{"Dhcp4":{"subnet4":[{"id":1,`,
		"unnamed network": `{"result":0,"arguments":{"Dhcp4":{"shared-networks":[{"subnet4":[]}]}}}`,
	} {
		daemon := "dhcp4"
		if strings.Contains(body, "Dhcp6\":{\"subnet6") {
			daemon = "dhcp6"
		}
		if _, err := parseConfigReply(daemon, []byte(body)); err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.Contains(err.Error(), "config-get") {
			t.Errorf("%s: error %q does not name config-get", name, err)
		}
	}
}

package apply

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Scope is the part of a configuration an edit was built from. With a
// scope, a Request's Base holds the scope's hash per peer instead of the
// whole configuration's: under the lock the edit is made again on each
// peer's current configuration (re-based), and it conflicts only when its
// own part changed. So twenty users changing twenty different subnets of
// one pair do not refuse each other, while two changing the same subnet
// still conflict. Everything an edit checks outside its part (overlaps with
// other subnets, unique reservations, defined classes) is checked by the
// EditFunc itself, which runs again on the current configuration.
type Scope struct {
	// Name says what the part is, for conflict messages ("subnet 3").
	Name string
	// part is the scope's piece of one peer's configuration, as a Config
	// of the same shape (so that what changed in it diffs with the real
	// paths); an empty Config when the piece is gone.
	part func(daemon string, c Config) Config
}

// SubnetScope is one subnet, wherever it is (top level or in a shared
// network), with the name of its shared network: a move conflicts with an
// edit of the same subnet, an edit of another subnet does not.
func SubnetScope(id int64) *Scope {
	return &Scope{Name: fmt.Sprintf("subnet %d", id), part: func(daemon string, c Config) Config {
		d, err := c.Daemon(daemon)
		if err != nil {
			return Config{}
		}
		key := "subnet4"
		if daemon == "dhcp6" {
			key = "subnet6"
		}
		match := func(s any) bool {
			sm, _ := s.(map[string]any)
			return sm != nil && fmt.Sprint(sm["id"]) == fmt.Sprint(id)
		}
		list, _ := d[key].([]any)
		for _, s := range list {
			if match(s) {
				return Config{DaemonKey(daemon): map[string]any{key: []any{s}}}
			}
		}
		nets, _ := d["shared-networks"].([]any)
		for _, n := range nets {
			nm, _ := n.(map[string]any)
			list, _ := nm[key].([]any)
			for _, s := range list {
				if match(s) {
					return Config{DaemonKey(daemon): map[string]any{"shared-networks": []any{
						map[string]any{"name": nm["name"], key: []any{s}}}}}
				}
			}
		}
		return Config{}
	}}
}

// Part is the scope's piece of c.
func (s *Scope) Part(daemon string, c Config) Config { return s.part(daemon, c) }

// Hash is the hash of the scope's piece of c: what a form built from c
// carries as its base.
func (s *Scope) Hash(daemon string, c Config) string {
	b, err := json.Marshal(map[string]any(s.part(daemon, c)))
	if err != nil {
		panic(fmt.Sprintf("apply: scope %s: %v", s.Name, err))
	}
	sum := sha256.Sum256(append([]byte("scope:"+s.Name+":"), b...))
	return hex.EncodeToString(sum[:])
}

package apply

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Config is one daemon's configuration as config-get returns it: the
// arguments object, {"Dhcp4": {...}} or {"Dhcp6": {...}}, decoded with
// numbers kept exact (json.Number), so that a 2^64 value or a float written
// by Kea survives the round trip unchanged.
type Config map[string]any

// decode reads JSON with numbers as json.Number.
func decode(b []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(into); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

// ParseConfig decodes a config-get reply's arguments. Kea 2.4+ adds a
// "hash" member next to the daemon's object: it is not configuration and
// is dropped, so that the config can be sent back with config-set.
func ParseConfig(args []byte) (Config, error) {
	var c Config
	if err := decode(args, &c); err != nil {
		return nil, fmt.Errorf("config-get arguments: %w", err)
	}
	if c == nil {
		return nil, fmt.Errorf("config-get arguments: not an object")
	}
	delete(c, "hash")
	return c, nil
}

// Daemon returns the daemon's object ("Dhcp4" for dhcp4, "Dhcp6" for dhcp6).
func (c Config) Daemon(daemon string) (map[string]any, error) {
	key := DaemonKey(daemon)
	m, ok := c[key].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the configuration has no %s object", key)
	}
	return m, nil
}

// DaemonKey is the top-level key of a daemon's configuration.
func DaemonKey(daemon string) string {
	switch daemon {
	case "dhcp6":
		return "Dhcp6"
	case "dhcp4":
		return "Dhcp4"
	}
	return daemon
}

// Canonical is the configuration as JSON with object keys sorted and
// numbers as Kea wrote them: two configs are the same exactly when their
// canonical forms are.
func (c Config) Canonical() []byte {
	b, err := json.Marshal(map[string]any(c)) // encoding/json sorts map keys
	if err != nil {
		// Only values decoded from JSON or built by the editor are in a
		// Config; they always marshal.
		panic(fmt.Sprintf("apply: canonical form: %v", err))
	}
	return b
}

// Hash is the SHA-256 of the canonical form, hex. Kea 2.2 has no
// config-hash-get, so the editor computes its own, the same way for every
// Kea version.
func (c Config) Hash() string {
	sum := sha256.Sum256(c.Canonical())
	return hex.EncodeToString(sum[:])
}

// Clone is a deep copy, so an edit never touches the config read from Kea.
func (c Config) Clone() Config {
	return clone(map[string]any(c)).(map[string]any)
}

func clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = clone(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = clone(e)
		}
		return s
	}
	return v
}

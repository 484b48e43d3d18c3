package keatest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// A lab can start Kea on a lease file of its own: Kea serves its leases.
func TestStartOnLeaseFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "leases4.csv")
	exp := time.Now().Unix() + 7200
	csv := "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n"
	for i, a := range []string{"198.18.3.10", "198.18.3.11", "198.18.3.12"} {
		csv += a + ",02:00:00:00:00:0" + strconv.Itoa(i+1) + ",,3600," + strconv.FormatInt(exp, 10) + ",4,0,0,,0,\n"
	}
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	l := Start(t, Options{Leases4File: path, StartTimeout: 30 * time.Second})
	var r struct {
		Arguments struct {
			Leases []json.RawMessage `json:"leases"`
		} `json:"arguments"`
	}
	if err := json.Unmarshal(l.Command(t, l.Socket4, "lease4-get-all", nil), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Arguments.Leases) != 3 {
		t.Fatalf("Kea serves %d leases from the file, want 3", len(r.Arguments.Leases))
	}
}

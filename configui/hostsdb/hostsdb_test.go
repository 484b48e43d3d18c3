package hostsdb

import (
	"testing"

	"github.com/ddiscope/ddiscope/configui/edit"
)

func TestConnStringFromKeasSettings(t *testing.T) {
	got, err := ConnString(map[string]any{"type": "postgresql", "name": "kea", "user": "kea", "password": `it's\secret`, "host": "/run/pg", "port": 5432})
	if err != nil {
		t.Fatal(err)
	}
	want := `host='/run/pg' port='5432' dbname='kea' user='kea' password='it\'s\\secret' connect_timeout=5 sslmode=disable`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if _, err := ConnString(map[string]any{"type": "postgresql"}); err == nil {
		t.Fatal("no database name accepted")
	}
	if _, err := ConnString(nil); err == nil {
		t.Fatal("no hosts-database accepted")
	}
}

func TestHashFollowsEveryField(t *testing.T) {
	a := []edit.Host{{IDType: "hw-address", ID: "02:00:00:00:aa:01", Addresses: []string{"10.0.0.5"}, Hostname: "h"}}
	b := []edit.Host{{IDType: "hw-address", ID: "02:00:00:00:aa:01", Addresses: []string{"10.0.0.6"}, Hostname: "h"}}
	if Hash(a) == Hash(b) || Hash(a) != Hash([]edit.Host{a[0]}) {
		t.Fatal("the hash does not follow the reservations")
	}
}

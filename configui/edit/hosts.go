package edit

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/ddiscope/ddiscope/configui/apply"
)

// IdentifierTypes are the host identifiers the editor handles, in Kea's
// spelling; DBType is Kea's dhcp_identifier_type in its hosts table.
var IdentifierTypes = []string{"hw-address", "client-id", "duid", "circuit-id"}

// DBType is Kea's hosts.dhcp_identifier_type for an identifier type
// (0 hw-address, 1 duid, 2 circuit-id, 3 client-id, 4 flex-id).
func DBType(t string) (int16, bool) {
	switch t {
	case "hw-address":
		return 0, true
	case "duid":
		return 1, true
	case "circuit-id":
		return 2, true
	case "client-id":
		return 3, true
	case "flex-id":
		return 4, true
	}
	return 0, false
}

// TypeOfDB is the inverse of DBType.
func TypeOfDB(n int16) string {
	return map[int16]string{0: "hw-address", 1: "duid", 2: "circuit-id", 3: "client-id", 4: "flex-id"}[n]
}

// Host is one host reservation, wherever it is kept.
type Host struct {
	IDType    string   // hw-address, client-id, duid, circuit-id
	ID        string   // hex octets, "02:00:00:00:aa:01"
	Addresses []string // DHCPv4: at most one; DHCPv6: ip-addresses
	Prefixes  []string // DHCPv6 delegated prefixes
	Hostname  string
	Classes   []string
	InDB      bool // kept in Kea's hosts database, not the configuration
}

// Key identifies a host within a subnet.
func (h Host) Key() string { return h.IDType + "=" + h.ID }

// JSON is the reservation as Kea's configuration writes it.
func (h Host) JSON(daemon string) map[string]any {
	m := map[string]any{h.IDType: h.ID}
	if daemon == "dhcp6" {
		if len(h.Addresses) > 0 {
			m["ip-addresses"] = toAny(h.Addresses)
		}
		if len(h.Prefixes) > 0 {
			m["prefixes"] = toAny(h.Prefixes)
		}
	} else if len(h.Addresses) > 0 {
		m["ip-address"] = h.Addresses[0]
	}
	if h.Hostname != "" {
		m["hostname"] = h.Hostname
	}
	if len(h.Classes) > 0 {
		m["client-classes"] = toAny(h.Classes)
	}
	return m
}

// idLimits are the lengths Kea accepts, in octets.
var idLimits = map[string][2]int{"hw-address": {1, 20}, "client-id": {2, 255}, "duid": {3, 130}, "circuit-id": {1, 255}}

// NormalizeID reads an identifier written as hex octets with ':', '-',
// '.' or no separators, and writes it as Kea does ("02:00:00:00:aa:01").
func NormalizeID(idType, s string) (string, error) {
	lim, ok := idLimits[idType]
	if !ok {
		return "", fmt.Errorf("%q is not an identifier type (%s)", idType, strings.Join(IdentifierTypes, ", "))
	}
	h := strings.Map(func(r rune) rune {
		if r == ':' || r == '-' || r == '.' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
	b, err := hex.DecodeString(h)
	if err != nil || len(b) < lim[0] || len(b) > lim[1] {
		return "", fmt.Errorf("%q is not a %s (%d to %d hexadecimal octets)", s, idType, lim[0], lim[1])
	}
	out := make([]string, len(b))
	for i, x := range b {
		out[i] = fmt.Sprintf("%02x", x)
	}
	return strings.Join(out, ":"), nil
}

// ConfigHosts are the reservations of a subnet in the configuration.
func ConfigHosts(c apply.Config, daemon string, id int64) ([]Host, error) {
	loc, err := FindSubnet(c, daemon, id)
	if err != nil {
		return nil, err
	}
	var out []Host
	rs, _ := loc.Subnet["reservations"].([]any)
	for _, r := range rs {
		m, _ := r.(map[string]any)
		h := Host{}
		for _, t := range append(slices.Clone(IdentifierTypes), "flex-id") {
			if v, ok := m[t].(string); ok && v != "" {
				h.IDType, h.ID = t, v
				if n, err := NormalizeID(t, v); err == nil {
					h.ID = n
				}
			}
		}
		if a, ok := m["ip-address"].(string); ok && a != "" && a != "0.0.0.0" {
			h.Addresses = []string{a}
		}
		for _, k := range []string{"ip-addresses", "prefixes"} {
			l, _ := m[k].([]any)
			for _, x := range l {
				if k == "prefixes" {
					h.Prefixes = append(h.Prefixes, fmt.Sprint(x))
				} else {
					h.Addresses = append(h.Addresses, fmt.Sprint(x))
				}
			}
		}
		h.Hostname, _ = m["hostname"].(string)
		cl, _ := m["client-classes"].([]any)
		for _, x := range cl {
			h.Classes = append(h.Classes, fmt.Sprint(x))
		}
		out = append(out, h)
	}
	return out, nil
}

// HostsDatabase is the daemon's PostgreSQL host backend from its
// configuration (hosts-database or hosts-databases), nil when it has none.
func HostsDatabase(c apply.Config, daemon string) map[string]any {
	d, err := c.Daemon(daemon)
	if err != nil {
		return nil
	}
	var list []any
	if one, ok := d["hosts-database"].(map[string]any); ok {
		list = append(list, one)
	}
	more, _ := d["hosts-databases"].([]any)
	list = append(list, more...)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok && m["type"] == "postgresql" {
			return m
		}
	}
	return nil
}

// effectiveBool is a subnet flag in effect: the subnet's, its shared
// network's or the global one.
func effectiveBool(d map[string]any, loc Located, key string) (bool, bool) {
	if b, ok := loc.Subnet[key].(bool); ok {
		return b, true
	}
	if loc.SharedNetwork != "" {
		if sn, err := container(d, loc.SharedNetwork); err == nil {
			if b, ok := sn[key].(bool); ok {
				return b, true
			}
		}
	}
	b, ok := d[key].(bool)
	return b, ok
}

// ReservationForm is the add/edit/delete form of a subnet's reservations.
type ReservationForm struct {
	Daemon   string
	SubnetID int64
	Orig     string // Key of the reservation edited or deleted; "" adds one
	Delete   bool
	Host     Host // as submitted (ID, addresses and classes as typed)
	// Typed fields, kept as the user wrote them.
	IDType, ID, Addresses, Prefixes, Hostname, Classes string
}

// Parse turns the typed fields into Host, with problems.
func (f *ReservationForm) parse(d map[string]any, prefix netip.Prefix) Problems {
	var p Problems
	h := Host{IDType: f.IDType, Hostname: strings.ToLower(strings.TrimSpace(f.Hostname))}
	id, err := NormalizeID(f.IDType, f.ID)
	if err != nil {
		p.add("identifier", err.Error())
	}
	h.ID = id
	want := family(f.Daemon)
	for _, a := range splitList(f.Addresses) {
		ad, err := netip.ParseAddr(a)
		switch {
		case err != nil || fam(ad) != want:
			p.add("address", fmt.Sprintf("%q is not an IPv%d address", a, want))
		case !prefix.Contains(ad):
			p.add("address", fmt.Sprintf("%s is outside subnet %s", ad, prefix))
		default:
			h.Addresses = append(h.Addresses, ad.String())
		}
	}
	if want == 4 && len(h.Addresses) > 1 {
		p.add("address", "a DHCPv4 reservation has one address")
	}
	for _, x := range splitList(f.Prefixes) {
		if want == 4 {
			p.add("prefixes", "prefixes are DHCPv6 only")
			break
		}
		pr, err := parsePrefix(x, 6)
		if err != nil {
			p.add("prefixes", err.Error())
			continue
		}
		h.Prefixes = append(h.Prefixes, pr.String())
	}
	if h.Hostname != "" {
		if err := checkDomain(h.Hostname); err != nil {
			p.add("hostname", err.Error())
		}
	}
	for _, cl := range splitList(f.Classes) {
		if !classDefined(d, cl) {
			p.add("classes", fmt.Sprintf("client class %q is not defined in client-classes", cl))
		}
		h.Classes = append(h.Classes, cl)
	}
	if len(h.Addresses) == 0 && len(h.Prefixes) == 0 && h.Hostname == "" && len(h.Classes) == 0 && len(p) == 0 {
		p.add("address", "a reservation needs an address, a prefix, a host name or a class")
	}
	f.Host = h
	return p
}

// Check validates the form against the configuration and every existing
// reservation of the subnet (the configuration's and the database's):
// identifier and address unique, address inside the subnet and, where
// reservations-out-of-pool is set, outside every pool; reservations
// enabled in the subnet.
func (f *ReservationForm) Check(c apply.Config, db []Host) error {
	loc, prefix, d, err := locate(c, f.Daemon, f.SubnetID)
	if err != nil {
		return err
	}
	existing, err := ConfigHosts(c, f.Daemon, f.SubnetID)
	if err != nil {
		return err
	}
	existing = append(existing, db...)
	if f.Orig != "" && !slices.ContainsFunc(existing, func(h Host) bool { return h.Key() == f.Orig }) {
		return errorf("identifier", "the reservation %s is not in subnet %d any more", f.Orig, f.SubnetID)
	}
	if f.Delete {
		return nil
	}
	p := f.parse(d, prefix)
	if in, ok := effectiveBool(d, loc, "reservations-in-subnet"); ok && !in {
		p.add("address", "reservations are disabled in this subnet (reservations-in-subnet is false)")
	}
	if mode, _ := loc.Subnet["reservation-mode"].(string); mode == "disabled" {
		p.add("address", "reservations are disabled in this subnet (reservation-mode disabled)")
	}
	outOfPool, _ := effectiveBool(d, loc, "reservations-out-of-pool")
	if mode, _ := loc.Subnet["reservation-mode"].(string); mode == "out-of-pool" {
		outOfPool = true
	}
	if outOfPool {
		fam := family(f.Daemon)
		for _, a := range f.Host.Addresses {
			ad := netip.MustParseAddr(a)
			for _, r := range oldRanges(loc.Subnet, fam) {
				if r.contains(ad) {
					p.add("address", fmt.Sprintf("%s is inside pool %s, and this subnet has reservations-out-of-pool: reserve an address outside every pool", a, r))
				}
			}
		}
	}
	for _, h := range existing {
		if h.Key() == f.Orig {
			continue
		}
		where := "in the configuration"
		if h.InDB {
			where = "in the hosts database"
		}
		if h.Key() == f.Host.Key() {
			p.add("identifier", fmt.Sprintf("%s %s already has a reservation in this subnet (%s)", h.IDType, h.ID, where))
		}
		for _, a := range f.Host.Addresses {
			if slices.Contains(h.Addresses, a) {
				p.add("address", fmt.Sprintf("%s is already reserved for %s %s (%s)", a, h.IDType, h.ID, where))
			}
		}
	}
	return p.err()
}

// Edit changes the reservations in the configuration.
func (f *ReservationForm) Edit() apply.EditFunc {
	return func(_ string, c apply.Config) error {
		if err := f.Check(c, nil); err != nil {
			return err
		}
		loc, err := FindSubnet(c, f.Daemon, f.SubnetID)
		if err != nil {
			return err
		}
		cur, _ := ConfigHosts(c, f.Daemon, f.SubnetID)
		rs, _ := loc.Subnet["reservations"].([]any)
		out := []any{}
		replaced := false
		for i, r := range rs {
			if f.Orig != "" && i < len(cur) && cur[i].Key() == f.Orig {
				if !f.Delete {
					// Keep members the form does not show (options, next-server, …).
					m := r.(map[string]any)
					for _, k := range append(slices.Clone(IdentifierTypes), "ip-address", "ip-addresses", "prefixes", "hostname", "client-classes") {
						delete(m, k)
					}
					for k, v := range f.Host.JSON(f.Daemon) {
						m[k] = v
					}
					out = append(out, m)
				}
				replaced = true
				continue
			}
			out = append(out, r)
		}
		if f.Orig == "" {
			out = append(out, f.Host.JSON(f.Daemon))
		} else if !replaced {
			return errorf("identifier", "the reservation %s is not in the configuration", f.Orig)
		}
		loc.Subnet["reservations"] = out
		return nil
	}
}

// Summary says the change in a line.
func (f *ReservationForm) Summary() string {
	switch {
	case f.Delete:
		return fmt.Sprintf("delete reservation %s in subnet %d (%s)", f.Orig, f.SubnetID, f.Daemon)
	case f.Orig != "":
		return fmt.Sprintf("edit reservation %s in subnet %d (%s)", f.Orig, f.SubnetID, f.Daemon)
	}
	return fmt.Sprintf("add reservation %s=%s in subnet %d (%s)", f.IDType, strings.TrimSpace(f.ID), f.SubnetID, f.Daemon)
}

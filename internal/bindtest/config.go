package bindtest

import (
	"fmt"
	"strings"
)

// ports are one named's listeners, all on 127.0.0.1.
type ports struct {
	dns, stats, rndc int
}

// zoneFile is the content of a primary zone. Every zone gets the same small
// set of records; reverse zones get a PTR as well.
func zoneFile(zone string, serial uint32) string {
	var b strings.Builder
	fmt.Fprintf(&b, "$TTL 300\n")
	fmt.Fprintf(&b, "@ IN SOA ns1.%s. hostmaster.%s. %d 3600 600 86400 300\n", zone, zone, serial)
	fmt.Fprintf(&b, "@ IN NS ns1.%s.\n", zone)
	fmt.Fprintf(&b, "ns1.%s. IN A 127.0.0.1\n", zone)
	if strings.HasSuffix(zone, ".in-addr.arpa") {
		fmt.Fprintf(&b, "10 IN PTR www.lab.example.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "@ IN MX 10 mail\n")
	fmt.Fprintf(&b, "@ IN TXT \"bindtest\"\n")
	fmt.Fprintf(&b, "www IN A 192.0.2.10\n")
	fmt.Fprintf(&b, "www IN AAAA 2001:db8::10\n")
	fmt.Fprintf(&b, "mail IN A 192.0.2.25\n")
	return b.String()
}

// common is the part of every named.conf: no IPv6, no pid file, the
// statistics channel and rndc on loopback.
func common(p ports, key string) string {
	return fmt.Sprintf(`key "bindtest" { algorithm hmac-sha256; secret "%s"; };
controls { inet 127.0.0.1 port %d allow { 127.0.0.1; } keys { "bindtest"; }; };
statistics-channels { inet 127.0.0.1 port %d allow { 127.0.0.1; }; };
`, key, p.rndc, p.stats)
}

func options(dir string, p ports, extra string) string {
	return fmt.Sprintf(`options {
	directory "%s";
	pid-file none;
	session-keyfile "%s/session.key";
	listen-on port %d { 127.0.0.1; };
	listen-on-v6 { none; };
	dnssec-validation no;
	zone-statistics full;
%s};
`, dir, dir, p.dns, extra)
}

// primaryConf serves zones as primary; with a secondary it NOTIFYs it, and
// only it (notify explicit: the NS records would send NOTIFYs to port 53),
// at once (notify-delay 0: the default 5 s between a zone's NOTIFYs would
// hold back the one after a change made just after start-up).
func primaryConf(dir string, p ports, key string, zones []string, secondaryDNS int) string {
	extra := "\trecursion no;\n\tallow-transfer { 127.0.0.1; };\n"
	if secondaryDNS > 0 {
		extra += fmt.Sprintf("\tnotify explicit;\n\tnotify-delay 0;\n\talso-notify { 127.0.0.1 port %d; };\n", secondaryDNS)
	} else {
		extra += "\tnotify no;\n"
	}
	var b strings.Builder
	b.WriteString(options(dir, p, extra))
	b.WriteString(common(p, key))
	for _, z := range zones {
		fmt.Fprintf(&b, "zone \"%s\" { type primary; file \"%s.zone\"; };\n", z, z)
	}
	return b.String()
}

// secondaryConf has a recursive view for RecursiveSource, forwarding to the
// primary (there is no Internet here), and an authoritative view with the
// zones as secondaries of the primary.
func secondaryConf(dir string, p ports, key string, zones []string, primaryDNS int) string {
	var b strings.Builder
	b.WriteString(options(dir, p, ""))
	b.WriteString(common(p, key))
	fmt.Fprintf(&b, `view "recursive" {
	match-clients { %s; };
	recursion yes;
	allow-recursion { any; };
	forward only;
	forwarders { 127.0.0.1 port %d; };
};
view "authoritative" {
	match-clients { any; };
	recursion no;
`, RecursiveSource, primaryDNS)
	for _, z := range zones {
		fmt.Fprintf(&b, "\tzone \"%s\" { type secondary; file \"%s.bk\"; primaries { 127.0.0.1 port %d; }; };\n", z, z, primaryDNS)
	}
	b.WriteString("};\n")
	return b.String()
}

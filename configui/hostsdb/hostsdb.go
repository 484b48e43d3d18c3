// Package hostsdb reads and writes host reservations in Kea's PostgreSQL
// host backend (hosts-database of type postgresql; schema from kea-admin
// db-init pgsql), with pgx, as Kea's own PgSqlHostDataSource lays them out:
// a hosts row (identifier as bytea and its type, the subnet id, the IPv4
// address as an unsigned 32-bit integer in a BIGINT, the host name and the
// client classes as a comma-separated list) and, for DHCPv6, its
// ipv6_reservations rows. Every change is one transaction. Kea 2.2 has no
// host cache, so a change is served from the next packet on.
package hostsdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ddiscope/ddiscope/configui/edit"
)

// ConnString builds a connection string from Kea's own hosts-database
// entry (host, port, name, user, password), so that the editor writes
// where Kea reads. A "host" that is a directory is a socket directory.
func ConnString(entry map[string]any) (string, error) {
	if entry == nil {
		return "", errors.New("no hosts-database of type postgresql")
	}
	kv := []string{}
	for _, k := range []string{"host", "port", "name", "user", "password"} {
		v, ok := entry[k]
		if !ok {
			continue
		}
		key := k
		if k == "name" {
			key = "dbname"
		}
		s := fmt.Sprint(v)
		if s == "" {
			continue
		}
		kv = append(kv, key+"='"+strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)+"'")
	}
	if _, ok := entry["name"]; !ok {
		return "", errors.New("the hosts-database has no name")
	}
	kv = append(kv, "connect_timeout=5")
	if h, _ := entry["host"].(string); strings.HasPrefix(h, "/") {
		kv = append(kv, "sslmode=disable")
	}
	return strings.Join(kv, " "), nil
}

func connect(ctx context.Context, conn string) (*pgx.Conn, error) {
	c, err := pgx.Connect(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("Kea's hosts database: %w", err)
	}
	return c, nil
}

// subnetColumn is the subnet id column of the daemon.
func subnetColumn(daemon string) string {
	if daemon == "dhcp6" {
		return "dhcp6_subnet_id"
	}
	return "dhcp4_subnet_id"
}

func classesColumn(daemon string) string {
	if daemon == "dhcp6" {
		return "dhcp6_client_classes"
	}
	return "dhcp4_client_classes"
}

// List reads a subnet's reservations.
func List(ctx context.Context, conn, daemon string, subnetID int64) ([]edit.Host, error) {
	c, err := connect(ctx, conn)
	if err != nil {
		return nil, err
	}
	defer c.Close(context.WithoutCancel(ctx))
	return list(ctx, c, daemon, subnetID)
}

func list(ctx context.Context, c *pgx.Conn, daemon string, subnetID int64) ([]edit.Host, error) {
	rows, err := c.Query(ctx, `SELECT host_id, dhcp_identifier, dhcp_identifier_type, COALESCE(ipv4_address, 0), COALESCE(hostname, ''), COALESCE(`+
		classesColumn(daemon)+`, '') FROM hosts WHERE `+subnetColumn(daemon)+` = $1 ORDER BY host_id`, subnetID)
	if err != nil {
		return nil, fmt.Errorf("Kea's hosts database: %w", err)
	}
	var hosts []edit.Host
	var ids []int64
	for rows.Next() {
		var id, v4 int64
		var ident []byte
		var typ int16
		var h edit.Host
		var classes string
		if err := rows.Scan(&id, &ident, &typ, &v4, &h.Hostname, &classes); err != nil {
			return nil, fmt.Errorf("Kea's hosts database: %w", err)
		}
		h.InDB, h.IDType = true, edit.TypeOfDB(typ)
		octets := make([]string, len(ident))
		for i, b := range ident {
			octets[i] = fmt.Sprintf("%02x", b)
		}
		h.ID = strings.Join(octets, ":")
		if daemon == "dhcp4" && v4 > 0 && v4 <= 0xffffffff {
			h.Addresses = []string{netip.AddrFrom4([4]byte{byte(v4 >> 24), byte(v4 >> 16), byte(v4 >> 8), byte(v4)}).String()}
		}
		for _, cl := range strings.Split(classes, ",") {
			if cl = strings.TrimSpace(cl); cl != "" {
				h.Classes = append(h.Classes, cl)
			}
		}
		hosts = append(hosts, h)
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("Kea's hosts database: %w", err)
	}
	if daemon == "dhcp6" && len(ids) > 0 {
		rows, err := c.Query(ctx, `SELECT host_id, address, prefix_len, type FROM ipv6_reservations WHERE host_id = ANY($1) ORDER BY reservation_id`, ids)
		if err != nil {
			return nil, fmt.Errorf("Kea's hosts database: %w", err)
		}
		for rows.Next() {
			var hid int64
			var addr string
			var plen, typ int16
			if err := rows.Scan(&hid, &addr, &plen, &typ); err != nil {
				return nil, fmt.Errorf("Kea's hosts database: %w", err)
			}
			i := slices.Index(ids, hid)
			if typ == 2 {
				hosts[i].Prefixes = append(hosts[i].Prefixes, addr+"/"+strconv.Itoa(int(plen)))
			} else {
				hosts[i].Addresses = append(hosts[i].Addresses, addr)
			}
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("Kea's hosts database: %w", err)
		}
	}
	return hosts, nil
}

// Hash fingerprints a subnet's reservations, the base a form is checked
// against (as a configuration's hash is).
func Hash(hosts []edit.Host) string {
	var b strings.Builder
	for _, h := range hosts {
		fmt.Fprintf(&b, "%s|%v|%v|%s|%v\n", h.Key(), h.Addresses, h.Prefixes, h.Hostname, h.Classes)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// ErrChanged is returned by Apply when the subnet's reservations are not
// those the form was built from.
var ErrChanged = errors.New("the reservations in the hosts database changed since the form was opened")

func ipv4(a string) any {
	if a == "" {
		return nil
	}
	b := netip.MustParseAddr(a).As4()
	return int64(b[0])<<24 | int64(b[1])<<16 | int64(b[2])<<8 | int64(b[3])
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Apply makes the form's change in one transaction, after checking (with
// the rows locked) that the subnet's reservations still hash to base. It
// returns what it did, for the audit trail.
func Apply(ctx context.Context, conn, base string, f *edit.ReservationForm) (string, error) {
	c, err := connect(ctx, conn)
	if err != nil {
		return "", err
	}
	defer c.Close(context.WithoutCancel(ctx))
	var did string
	err = pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		// Serialise with other editors on this subnet's rows.
		if _, err := tx.Exec(ctx, `SELECT host_id FROM hosts WHERE `+subnetColumn(f.Daemon)+` = $1 FOR UPDATE`, f.SubnetID); err != nil {
			return err
		}
		cur, err := list(ctx, tx.Conn(), f.Daemon, f.SubnetID)
		if err != nil {
			return err
		}
		if base != "" && Hash(cur) != base {
			return ErrChanged
		}
		var hostID int64
		if f.Orig != "" {
			typ, id, _ := strings.Cut(f.Orig, "=")
			dbType, _ := edit.DBType(typ)
			ident, _ := hex.DecodeString(strings.ReplaceAll(id, ":", ""))
			err := tx.QueryRow(ctx, `SELECT host_id FROM hosts WHERE dhcp_identifier = $1 AND dhcp_identifier_type = $2 AND `+subnetColumn(f.Daemon)+` = $3`,
				ident, dbType, f.SubnetID).Scan(&hostID)
			if err != nil {
				return fmt.Errorf("the reservation %s: %w", f.Orig, err)
			}
			if f.Delete {
				// ipv6_reservations and host options go with it (ON DELETE CASCADE).
				if _, err := tx.Exec(ctx, `DELETE FROM hosts WHERE host_id = $1`, hostID); err != nil {
					return err
				}
				did = fmt.Sprintf("DELETE host %d (%s)", hostID, f.Orig)
				return nil
			}
		}
		h := f.Host
		dbType, _ := edit.DBType(h.IDType)
		ident, _ := hex.DecodeString(strings.ReplaceAll(h.ID, ":", ""))
		v4 := any(nil)
		if f.Daemon == "dhcp4" && len(h.Addresses) > 0 {
			v4 = ipv4(h.Addresses[0])
		}
		classes := nullable(strings.Join(h.Classes, ","))
		if hostID == 0 {
			err = tx.QueryRow(ctx, `INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, `+subnetColumn(f.Daemon)+`, ipv4_address, hostname, `+
				classesColumn(f.Daemon)+`) VALUES ($1, $2, $3, $4, $5, $6) RETURNING host_id`,
				ident, dbType, f.SubnetID, v4, nullable(h.Hostname), classes).Scan(&hostID)
			did = fmt.Sprintf("INSERT host %d (%s)", hostID, h.Key())
		} else {
			_, err = tx.Exec(ctx, `UPDATE hosts SET dhcp_identifier = $2, dhcp_identifier_type = $3, ipv4_address = $4, hostname = $5, `+
				classesColumn(f.Daemon)+` = $6 WHERE host_id = $1`, hostID, ident, dbType, v4, nullable(h.Hostname), classes)
			did = fmt.Sprintf("UPDATE host %d (%s → %s)", hostID, f.Orig, h.Key())
		}
		if err != nil {
			return err
		}
		if f.Daemon == "dhcp6" {
			if _, err := tx.Exec(ctx, `DELETE FROM ipv6_reservations WHERE host_id = $1`, hostID); err != nil {
				return err
			}
			for _, a := range h.Addresses {
				if _, err := tx.Exec(ctx, `INSERT INTO ipv6_reservations (address, prefix_len, type, dhcp6_iaid, host_id) VALUES ($1, 128, 0, NULL, $2)`, a, hostID); err != nil {
					return err
				}
			}
			for _, p := range h.Prefixes {
				pr := netip.MustParsePrefix(p)
				if _, err := tx.Exec(ctx, `INSERT INTO ipv6_reservations (address, prefix_len, type, dhcp6_iaid, host_id) VALUES ($1, $2, 2, NULL, $3)`,
					pr.Addr().String(), pr.Bits(), hostID); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrChanged) {
		return "", fmt.Errorf("Kea's hosts database: %w", err)
	}
	return did, err
}

package form

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// editCase is one body posted to the edit forms, and the values it
// carries as the server reads them (nil when the body cannot be parsed).
type editCase struct {
	body string
	v    url.Values
}

func (c editCase) req() *http.Request {
	r := httptest.NewRequest("POST", "/", strings.NewReader(c.body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// long is whether text field name is over the bound every field has.
func (c editCase) long(name string) bool { return len(c.v.Get(name)) > maxField }

// trimmed is text field name as the forms keep it.
func (c editCase) trimmed(name string) string { return strings.TrimSpace(c.v.Get(name)) }

func (c editCase) stepBad() bool {
	s := Step(c.v.Get("step"))
	return s != StepPreview && s != StepApply
}

// baseBad is whether the base hashes ("peer:hash", repeated) are missing
// or any is damaged.
func (c editCase) baseBad() bool {
	if len(c.v["base"]) == 0 {
		return true
	}
	for _, b := range c.v["base"] {
		peer, hash, ok := strings.Cut(b, ":")
		if !ok || peer == "" || len(hash) != 64 || len(peer) > maxField {
			return true
		}
	}
	return false
}

// count reads a row count field: ok when it is a number from lo to maxRows.
func (c editCase) count(name string, lo int) (int, bool) {
	n, err := strconv.Atoi(c.v.Get(name))
	return n, err == nil && n >= lo && n <= maxRows
}

// rowsFrom reads "existing" and "rows" as the pools and pd-pools forms do.
func (c editCase) rowsFrom() (existing, rows int, existingOK, rowsOK bool) {
	existing, existingOK = c.count("existing", 0)
	if existingOK {
		rows, rowsOK = c.count("rows", existing)
	}
	return
}

// rowField reports whether field is prefix.N with 0 <= N < rows, written
// the way the forms write it.
func rowField(field string, rows int, prefixes ...string) bool {
	for _, p := range prefixes {
		if n, ok := strings.CutPrefix(field, p+"."); ok {
			i, err := strconv.Atoi(n)
			return err == nil && i >= 0 && i < rows && strconv.Itoa(i) == n
		}
	}
	return false
}

// checkCommon holds an accepted form's step and base hashes to the body.
func (c editCase) checkCommon(t *testing.T, name string, ec EditCommon) {
	t.Helper()
	if ec.Step != Step(c.v.Get("step")) || c.stepBad() {
		t.Fatalf("%s accepted step %q from %q", name, ec.Step, c.v.Get("step"))
	}
	if len(ec.Base) == 0 || len(ec.Base) > len(c.v["base"]) {
		t.Fatalf("%s accepted base %v from %q", name, ec.Base, c.v["base"])
	}
	want := map[string]string{}
	for _, b := range c.v["base"] {
		peer, hash, _ := strings.Cut(b, ":")
		want[peer] = hash
	}
	for peer, hash := range ec.Base {
		if peer == "" || len(peer) > maxField || len(hash) != 64 || want[peer] != hash {
			t.Fatalf("%s accepted base %q:%q from %q", name, peer, hash, c.v["base"])
		}
	}
	if len(want) != len(ec.Base) {
		t.Fatalf("%s kept base %v from %q", name, ec.Base, c.v["base"])
	}
}

// checkErr fails unless err is a FieldError naming a field of the form
// that is at fault in the body; "form" only for a body that cannot be
// parsed.
func (c editCase) checkErr(t *testing.T, name string, err error, atFault func(field string) bool) {
	t.Helper()
	fe, ok := AsFieldError(err)
	if !ok {
		t.Fatalf("%s: error without a field: %v", name, err)
	}
	if fe.Field == "" || fe.Msg == "" {
		t.Fatalf("%s: error %#v names nothing", name, fe)
	}
	if c.v == nil {
		if fe.Field != "form" {
			t.Fatalf("%s: unreadable body %q blamed on %q: %v", name, c.body, fe.Field, err)
		}
		return
	}
	if !atFault(fe.Field) {
		t.Fatalf("%s: error names %q, which is not at fault in %q: %v", name, fe.Field, c.body, err)
	}
}

// textFault is the fault check of plain text fields: too long.
func (c editCase) textFault(names ...string) func(string) bool {
	return func(field string) bool { return slices.Contains(names, field) && c.long(field) }
}

// commonFault is at fault for step and base, else asks more.
func (c editCase) commonFault(more func(string) bool) func(string) bool {
	return func(field string) bool {
		switch field {
		case "step":
			return c.stepBad()
		case "base":
			return !c.stepBad() && c.baseBad()
		}
		return !c.stepBad() && !c.baseBad() && more(field)
	}
}

// anyFault is whether the form must refuse the body.
func anyFault(fault func(string) bool, fields []string) bool {
	return slices.ContainsFunc(fields, fault)
}

// FuzzEditForms posts any values to every edit form of the editor (pools,
// subnet and shared-network settings, new, moved and removed subnets,
// pd-pools, reservations, raw options, and the configuration-backend
// subnet form with its Edit). Each reads to a form or to a FieldError
// naming a field of that form that is at fault in the body (a row field
// only for a row the form has); a body with no fault is accepted, with
// every value trimmed and within maxField, row counts within maxRows, and,
// for the backend form, an edit whose pools map back to the form rows
// they came from.
//
//	go test ./configui/form -run '^$' -fuzz '^FuzzEditForms$' -fuzztime 60s
func FuzzEditForms(f *testing.F) {
	hash := strings.Repeat("ab", 32)
	// step, base ("\n" between entries), existing, rows, pdrows, four
	// values given to the text fields in turn, row values ("|" between
	// them), and raw text appended to the body.
	f.Add("preview", "kea1:"+hash+"\nkea2:"+hash, "1", "2", "1", "3600", "198.18.0.1, 198.18.0.2", "example.test", "kea0",
		" 198.18.0.10-198.18.0.20 |198.18.0.64/26|2001:db8:8000::/48|56", "")
	f.Add("apply", "kea1:"+hash, "0", "1", "", "60", "198.18.5.0/24", "net-a", "hw-address", "2001:db8:60::10-2001:db8:60::20", "delete=1&orig=hw-address%3D01:02:03:04:05:06")
	f.Add("preview", "kea1:"+hash, "1", "1000000", "1000000", "-1", strings.Repeat("x", maxField+1), "\x00\x1b[2J\r\n", "\xff\xfe\xc3\x28", strings.Repeat("p", 300), "")
	f.Add("", "", "-1", "-5", "-1", "", "", "", "", "", "")
	f.Add("apply", ":"+hash+"\nkea1:short\n"+strings.Repeat("k", 300)+":"+hash, "256", "257", "257", "4294967295", "0", "99999999999999999999", " 1 ", "", "%zz")
	f.Add("preview", "kea1:"+hash, "2", "256", "256", "1", "+7", "1", "1", "|||", "step=apply&base=x&rows=3;pool.0=1")
	f.Add("PREVIEW", "kea1:"+hash+"\nkea1:"+strings.Repeat("cd", 32), "0x1", "1e3", " 1", "4294967294", "\t60\t", "１２", "", "\xff", "pool.1=%ff&pd.0="+strings.Repeat("a", 300))
	// One row past maxRows; a reservation deleted without naming it (orig
	// is the third text, delete the fourth).
	f.Add("apply", "kea1:"+hash, "0", "257", "257", "", "", "", " 1 ", "", "")
	// The backend form's id is the third text, its lifetimes the last,
	// first, second and third: an edit that reads. (testdata/fuzz keeps
	// the id past Kea's last, 4294967295, which Edit once accepted.)
	f.Add("apply", "", "0", "2", "1", "3600", "", "60", "", "198.18.5.10-198.18.5.20|", "")
	f.Fuzz(func(t *testing.T, step, base, existing, rows, pdrows, t0, t1, t2, t3, rowVals, raw string) {
		texts := []string{t0, t1, t2, t3}
		rowv := strings.Split(rowVals, "|")
		// build encodes a form's fields: text fields take the fuzzed
		// texts in turn (from off, so that forms differ), row fields
		// prefix.i for i < rows take the row values in turn.
		build := func(off int, text []string, rowPrefixes []string, pdPrefixes []string) editCase {
			v := url.Values{"step": {step}, "existing": {existing}, "rows": {rows}, "pdrows": {pdrows}}
			if base != "" {
				v["base"] = strings.Split(base, "\n")
			}
			for i, name := range text {
				v.Set(name, texts[(i+off)%len(texts)])
			}
			for _, n := range []struct {
				count    string
				prefixes []string
			}{{rows, rowPrefixes}, {pdrows, pdPrefixes}} {
				k, err := strconv.Atoi(n.count)
				if err != nil || k < 0 {
					continue
				}
				k = min(k, maxRows+2) // a row past the bound, to be ignored
				for i := range k {
					for j, p := range n.prefixes {
						v.Set(p+"."+strconv.Itoa(i), rowv[(i+j)%len(rowv)])
					}
				}
			}
			body := v.Encode()
			if raw != "" {
				body += "&" + raw
			}
			if len(body) > 8<<20 {
				t.Skip("body over net/http's 10 MB form bound") // refused by ParseForm, not this package
			}
			c := editCase{body: body}
			if parsed, err := url.ParseQuery(body); err == nil {
				c.v = parsed
			}
			return c
		}
		const daemon, subnet = "dhcp4", int64(7)

		// Pools.
		c := build(0, nil, []string{"pool", "class"}, nil)
		pf, pc, err := ReadPools(c.req(), daemon, subnet)
		poolsFault := c.commonFault(func(field string) bool {
			_, k, nOK, kOK := c.rowsFrom()
			switch field {
			case "existing":
				return !nOK
			case "rows":
				return nOK && !kOK
			}
			return nOK && kOK && rowField(field, k, "pool", "class") && c.long(field)
		})
		if err != nil {
			c.checkErr(t, "pools", err, poolsFault)
		} else {
			c.checkCommon(t, "pools", pc)
			n, k, _, _ := c.rowsFrom()
			if pf.Daemon != daemon || pf.SubnetID != subnet || pf.Existing != n || len(pf.Rows) != k || pf.Existing > len(pf.Rows) || len(pf.Rows) > maxRows {
				t.Fatalf("pools accepted %d existing, %d rows from %q", pf.Existing, len(pf.Rows), c.body)
			}
			for i, row := range pf.Rows {
				if row.Range != c.trimmed(fmt.Sprint("pool.", i)) || row.Class != c.trimmed(fmt.Sprint("class.", i)) || len(row.Range) > maxField || len(row.Class) > maxField {
					t.Fatalf("pools row %d accepted as %+v from %q", i, row, c.body)
				}
			}
		}
		if c.v != nil && (err == nil) == anyFault(poolsFault, append(c.fieldsOf("pool", "class"), "step", "base", "existing", "rows")) {
			t.Fatalf("pools: error %v, yet fault %v in %q", err, !(err == nil), c.body)
		}

		// Subnet settings and shared-network settings: the same fields.
		settings := []string{"valid", "renew", "rebind", "preferred", "routers", "dns_servers", "domain_name", "relay", "client_class"}
		c = build(1, settings, nil, nil)
		sf, sc, err := ReadSettings(c.req(), daemon, subnet)
		c.expect(t, "settings", err, settings, nil)
		if err == nil {
			c.checkCommon(t, "settings", sc)
			got := []string{sf.Valid, sf.Renew, sf.Rebind, sf.Preferred, sf.Routers, sf.DNSServers, sf.DomainName, sf.Relay, sf.ClientClass}
			c.sameTexts(t, "settings", settings, got)
			if sf.Daemon != daemon || sf.SubnetID != subnet {
				t.Fatalf("settings of %s %d", sf.Daemon, sf.SubnetID)
			}
		}
		c = build(2, settings, nil, nil)
		nf, nc, err := ReadSharedNetworkSettings(c.req(), daemon, "net-a")
		c.expect(t, "shared network settings", err, settings, nil)
		if err == nil {
			c.checkCommon(t, "shared network settings", nc)
			got := []string{nf.Valid, nf.Renew, nf.Rebind, nf.Preferred, nf.Routers, nf.DNSServers, nf.DomainName, nf.Relay, nf.ClientClass}
			c.sameTexts(t, "shared network settings", settings, got)
			if nf.Name != "net-a" || nf.Daemon != daemon || nf.SubnetID != 0 {
				t.Fatalf("shared network settings of %s %s %d", nf.Name, nf.Daemon, nf.SubnetID)
			}
		}

		// New, moved and removed subnets.
		newFields := []string{"id", "prefix", "pool", "pool_class", "shared_network"}
		c = build(3, newFields, nil, nil)
		af, ac, err := ReadNewSubnet(c.req(), daemon)
		c.expect(t, "new subnet", err, newFields, nil)
		if err == nil {
			c.checkCommon(t, "new subnet", ac)
			c.sameTexts(t, "new subnet", newFields, []string{af.ID, af.Prefix, af.Pool, af.PoolClass, af.SharedNetwork})
		}
		c = build(0, []string{"shared_network"}, nil, nil)
		mf, mc, err := ReadMoveSubnet(c.req(), daemon, subnet)
		c.expect(t, "move subnet", err, []string{"shared_network"}, nil)
		if err == nil {
			c.checkCommon(t, "move subnet", mc)
			c.sameTexts(t, "move subnet", []string{"shared_network"}, []string{mf.To})
			if mf.SubnetID != subnet || mf.Daemon != daemon {
				t.Fatalf("move subnet of %s %d", mf.Daemon, mf.SubnetID)
			}
		}
		c = build(0, nil, nil, nil)
		rf, rc, err := ReadRemoveSubnet(c.req(), daemon, subnet)
		c.expect(t, "remove subnet", err, nil, nil)
		if err == nil {
			c.checkCommon(t, "remove subnet", rc)
			if rf.SubnetID != subnet || rf.Daemon != daemon {
				t.Fatalf("remove subnet of %s %d", rf.Daemon, rf.SubnetID)
			}
		}

		// Pd-pools: rows like the pools form.
		c = build(1, nil, []string{"pd", "pdlen"}, nil)
		df, dc, err := ReadPDPools(c.req(), subnet)
		pdFault := c.commonFault(func(field string) bool {
			_, k, nOK, kOK := c.rowsFrom()
			switch field {
			case "existing":
				return !nOK
			case "rows":
				return nOK && !kOK
			}
			return nOK && kOK && rowField(field, k, "pd", "pdlen") && c.long(field)
		})
		if err != nil {
			c.checkErr(t, "pd-pools", err, pdFault)
		} else {
			c.checkCommon(t, "pd-pools", dc)
			n, k, _, _ := c.rowsFrom()
			if df.SubnetID != subnet || df.Existing != n || len(df.Rows) != k || len(df.Rows) > maxRows {
				t.Fatalf("pd-pools accepted %d existing, %d rows from %q", df.Existing, len(df.Rows), c.body)
			}
			for i, row := range df.Rows {
				if row.Prefix != c.trimmed(fmt.Sprint("pd.", i)) || row.Delegated != c.trimmed(fmt.Sprint("pdlen.", i)) || len(row.Prefix) > maxField || len(row.Delegated) > maxField {
					t.Fatalf("pd-pools row %d accepted as %+v from %q", i, row, c.body)
				}
			}
		}
		if c.v != nil && (err == nil) == anyFault(pdFault, append(c.fieldsOf("pd", "pdlen"), "step", "base", "existing", "rows")) {
			t.Fatalf("pd-pools: error %v, yet fault %v in %q", err, err == nil, c.body)
		}

		// Reservation: deleting needs the reservation deleted.
		resFields := []string{"orig", "delete", "id_type", "identifier", "address", "prefixes", "hostname", "classes", "dbbase"}
		c = build(2, resFields, nil, nil)
		vf, vc, dbbase, err := ReadReservation(c.req(), daemon, subnet)
		c.expect(t, "reservation", err, resFields, func(field string) bool {
			return field == "delete" && c.trimmed("delete") == "1" && c.trimmed("orig") == ""
		})
		if err == nil {
			c.checkCommon(t, "reservation", vc)
			c.sameTexts(t, "reservation", resFields[2:], []string{vf.IDType, vf.ID, vf.Addresses, vf.Prefixes, vf.Hostname, vf.Classes, dbbase})
			c.sameTexts(t, "reservation", resFields[:1], []string{vf.Orig})
			if vf.Delete != (c.trimmed("delete") == "1") || (vf.Delete && vf.Orig == "") || vf.SubnetID != subnet || vf.Daemon != daemon {
				t.Fatalf("reservation accepted %+v from %q", vf, c.body)
			}
		}

		// Raw option.
		optFields := []string{"option", "space", "data", "csv", "always", "remove"}
		c = build(3, optFields, nil, nil)
		of, oc, err := ReadOption(c.req(), daemon, subnet)
		c.expect(t, "option", err, optFields, nil)
		if err == nil {
			c.checkCommon(t, "option", oc)
			c.sameTexts(t, "option", optFields[:3], []string{of.Option, of.Space, of.Data})
			if of.CSV != (c.trimmed("csv") == "1") || of.AlwaysSend != (c.trimmed("always") == "1") || of.Remove != (c.trimmed("remove") == "1") {
				t.Fatalf("option accepted %+v from %q", of, c.body)
			}
		}

		// Configuration-backend subnet: no base hashes; pool rows, and pd
		// rows when the form has them.
		cbFields := []string{"version", "id", "prefix", "shared_network", "tag", "interface", "valid", "renew", "rebind", "preferred", "delete"}
		c = build(1, cbFields, []string{"pool"}, []string{"pd"})
		bf, err := ReadBackendSubnet(c.req())
		// poolLong is whether a pool row the form reads is too long.
		cbRows, _ := c.count("rows", 0)
		poolLong := slices.ContainsFunc(c.fieldsOf("pool"), func(f string) bool { return rowField(f, cbRows, "pool") && c.long(f) })
		cbFault := func(field string) bool {
			if c.stepBad() {
				return field == "step"
			}
			if slices.ContainsFunc(cbFields[:10], c.long) {
				return slices.Contains(cbFields[:10], field) && c.long(field)
			}
			k, kOK := c.count("rows", 0)
			if field == "rows" || !kOK {
				return field == "rows" && !kOK
			}
			if rowField(field, k, "pool") {
				return c.long(field)
			}
			if poolLong {
				return false
			}
			if c.v.Get("pdrows") == "" {
				return false
			}
			p, pOK := c.count("pdrows", 0)
			if field == "pdrows" {
				return !pOK
			}
			return pOK && rowField(field, p, "pd") && c.long(field)
		}
		if err != nil {
			c.checkErr(t, "backend subnet", err, cbFault)
		} else {
			if bf.Step != Step(c.v.Get("step")) || c.stepBad() || bf.Delete != (c.v.Get("delete") == "1") {
				t.Fatalf("backend subnet accepted step %q, delete %v from %q", bf.Step, bf.Delete, c.body)
			}
			c.sameTexts(t, "backend subnet", cbFields[:10], []string{bf.Version, bf.ID, bf.Prefix, bf.SharedNetwork, bf.Tag, bf.Interface, bf.Valid, bf.Renew, bf.Rebind, bf.Preferred})
			k, _ := c.count("rows", 0)
			p, _ := c.count("pdrows", 0)
			if c.v.Get("pdrows") == "" {
				p = 0
			}
			if len(bf.Pools) != k || len(bf.PDPools) != p {
				t.Fatalf("backend subnet accepted %d pools, %d pd-pools from %q", len(bf.Pools), len(bf.PDPools), c.body)
			}
			for i, pool := range bf.Pools {
				if pool != c.trimmed(fmt.Sprint("pool.", i)) || len(pool) > maxField {
					t.Fatalf("backend subnet pool %d accepted as %q from %q", i, pool, c.body)
				}
			}
			for i, pd := range bf.PDPools {
				if pd != c.trimmed(fmt.Sprint("pd.", i)) || len(pd) > maxField {
					t.Fatalf("backend subnet pd-pool %d accepted as %q from %q", i, pd, c.body)
				}
			}
			checkBackendEdit(t, bf)
		}
		if c.v != nil && (err == nil) == anyFault(cbFault, append(append(c.fieldsOf("pool", "pd"), cbFields[:10]...), "step", "rows", "pdrows")) {
			t.Fatalf("backend subnet: error %v, yet fault %v in %q", err, err == nil, c.body)
		}
	})
}

// lifetime is a number field of the backend form and what Edit made of it.
type lifetime struct {
	field, v string
	got      *int64
}

// checkBackendEdit holds Edit to the form: an error names a field at fault,
// an edit's pools are the non-empty rows in order, each mapped to its row.
func checkBackendEdit(t *testing.T, f BackendSubnet) {
	t.Helper()
	e, rows, err := f.Edit()
	id, idErr := strconv.ParseUint(f.ID, 10, 32)
	idBad := idErr != nil || id == 0 || id > 4294967294
	lifetimes := []lifetime{{"valid", f.Valid, e.ValidLifetime}, {"renew", f.Renew, e.RenewTimer}, {"rebind", f.Rebind, e.RebindTimer}, {"preferred", f.Preferred, e.PreferredLifetime}}
	bad := func(v string) bool {
		_, err := strconv.ParseInt(v, 10, 64)
		return v != "" && err != nil
	}
	if err != nil {
		fe, ok := AsFieldError(err)
		if !ok || fe.Msg == "" {
			t.Fatalf("backend subnet edit: error without a field: %v", err)
		}
		switch {
		case fe.Field == "id":
			if !idBad {
				t.Fatalf("backend subnet edit blames id %q: %v", f.ID, err)
			}
		case idBad:
			t.Fatalf("backend subnet edit blames %q, not the id %q: %v", fe.Field, f.ID, err)
		default:
			i := slices.IndexFunc(lifetimes, func(l lifetime) bool { return l.field == fe.Field })
			if i < 0 || !bad(lifetimes[i].v) {
				t.Fatalf("backend subnet edit blames %q: %v", fe.Field, err)
			}
		}
		return
	}
	if idBad || uint64(e.ID) != id {
		t.Fatalf("backend subnet edit accepted id %d from %q", e.ID, f.ID)
	}
	for _, l := range lifetimes {
		if bad(l.v) {
			t.Fatalf("backend subnet edit accepted %s %q", l.field, l.v)
		}
		n, _ := strconv.ParseInt(l.v, 10, 64)
		if (l.v == "") != (l.got == nil) || (l.got != nil && *l.got != n) {
			t.Fatalf("backend subnet edit read %s %q as %v", l.field, l.v, l.got)
		}
	}
	if e.Prefix != f.Prefix || e.SharedNetwork != f.SharedNetwork || e.Interface != f.Interface || (f.Tag == "") != (len(e.Tags) == 0) || (f.Tag != "" && !slices.Equal(e.Tags, []string{f.Tag})) {
		t.Fatalf("backend subnet edit %+v from %+v", e, f)
	}
	mapsBack := func(what string, got []string, rows []int, form []string) {
		if len(got) != len(rows) {
			t.Fatalf("backend subnet edit: %d %s, %d rows", len(got), what, len(rows))
		}
		want := len(form) - len(slices.DeleteFunc(slices.Clone(form), func(p string) bool { return p != "" }))
		if len(got) != want {
			t.Fatalf("backend subnet edit: %d %s from %d non-empty rows", len(got), what, want)
		}
		for k, r := range rows {
			if r < 0 || r >= len(form) || (k > 0 && r <= rows[k-1]) || form[r] == "" || form[r] != got[k] {
				t.Fatalf("backend subnet edit: %s %d (%q) maps to row %d of %q", what, k, got[k], r, form)
			}
		}
	}
	mapsBack("pools", e.Pools, rows, f.Pools)
	mapsBack("pd-pools", e.PDPools, f.PDRows(), f.PDPools)
}

// fieldsOf lists the fields prefix.* the body has: those that can be at
// fault (a field the body lacks reads as "").
func (c editCase) fieldsOf(prefixes ...string) []string {
	var out []string
	for name := range c.v {
		for _, p := range prefixes {
			if strings.HasPrefix(name, p+".") {
				out = append(out, name)
			}
		}
	}
	return out
}

// expect checks a form of text fields (plus extra faults): an error names
// a field at fault, and a body without a fault is accepted.
func (c editCase) expect(t *testing.T, name string, err error, text []string, extra func(string) bool) {
	t.Helper()
	fault := c.commonFault(func(field string) bool {
		if slices.ContainsFunc(text, c.long) {
			return c.textFault(text...)(field)
		}
		return extra != nil && extra(field)
	})
	if err != nil {
		c.checkErr(t, name, err, fault)
	}
	if c.v != nil && (err == nil) == anyFault(fault, append(slices.Clone(text), "step", "base")) {
		t.Fatalf("%s: error %v, yet fault %v in %q", name, err, err == nil, c.body)
	}
}

// sameTexts holds accepted text fields to the body: trimmed, bounded.
func (c editCase) sameTexts(t *testing.T, name string, fields, got []string) {
	t.Helper()
	for i, field := range fields {
		if got[i] != c.trimmed(field) || len(got[i]) > maxField {
			t.Fatalf("%s accepted %s %q from %q", name, field, got[i], c.v.Get(field))
		}
	}
}

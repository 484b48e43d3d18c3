package edit

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ddiscope/ddiscope/configui/apply"
)

// optionType is how an option's data is written in csv-format: a record
// of one field type, possibly an array.
type optionType struct {
	name  string
	code  int
	typ   string // ipv4-address, ipv6-address, string, fqdn, uint8, uint16, uint32, int32, boolean
	array bool
}

// stdOptions are the standard options whose data the editor checks itself
// (the common ones: Kea's std_option_defs.h has more). Every other option
// is checked by Kea: the change's config-test on every peer uses Kea's own
// definitions, and its message comes back with nothing applied.
var stdOptions = map[string][]optionType{
	"dhcp4": {
		{"subnet-mask", 1, "ipv4-address", false}, {"time-offset", 2, "int32", false},
		{"routers", 3, "ipv4-address", true}, {"time-servers", 4, "ipv4-address", true},
		{"name-servers", 5, "ipv4-address", true}, {"domain-name-servers", 6, "ipv4-address", true},
		{"log-servers", 7, "ipv4-address", true}, {"host-name", 12, "string", false},
		{"boot-size", 13, "uint16", false}, {"domain-name", 15, "fqdn", false},
		{"root-path", 17, "string", false}, {"ip-forwarding", 19, "boolean", false},
		{"default-ip-ttl", 23, "uint8", false}, {"interface-mtu", 26, "uint16", false},
		{"broadcast-address", 28, "ipv4-address", false}, {"nis-domain", 40, "string", false},
		{"nis-servers", 41, "ipv4-address", true}, {"ntp-servers", 42, "ipv4-address", true},
		{"netbios-name-servers", 44, "ipv4-address", true}, {"netbios-node-type", 46, "uint8", false},
		{"tftp-server-name", 66, "string", false}, {"boot-file-name", 67, "string", false},
		{"domain-search", 119, "fqdn", true},
	},
	"dhcp6": {
		{"dns-servers", 23, "ipv6-address", true}, {"domain-search", 24, "fqdn", true},
		{"sntp-servers", 31, "ipv6-address", true}, {"information-refresh-time", 32, "uint32", false},
		{"ntp-server", 56, "", false},
	},
}

// lookupOption finds an option by name or code in the standard table or
// the configuration's option-def; ok is false when the editor does not
// know it (Kea's config-test decides).
func lookupOption(d map[string]any, daemon, space, nameOrCode string) (optionType, bool) {
	code, isCode := strconv.Atoi(nameOrCode)
	if space == "dhcp4" || space == "dhcp6" {
		for _, o := range stdOptions[daemon] {
			if (isCode == nil && o.code == code) || o.name == nameOrCode {
				return o, o.typ != ""
			}
		}
	}
	defs, _ := d["option-def"].([]any)
	for _, x := range defs {
		m, _ := x.(map[string]any)
		c, _ := number(m["code"])
		sp, _ := m["space"].(string)
		if sp != space || !(m["name"] == nameOrCode || isCode == nil && c == int64(code)) {
			continue
		}
		typ, _ := m["type"].(string)
		arr, _ := m["array"].(bool)
		name, _ := m["name"].(string)
		switch typ {
		case "ipv4-address", "ipv6-address", "string", "fqdn", "uint8", "uint16", "uint32", "int32", "boolean":
			return optionType{name, int(c), typ, arr}, true
		}
		return optionType{name: name, code: int(c)}, false
	}
	return optionType{}, false
}

// checkValue checks one csv field against a type.
func checkValue(typ, v string) error {
	switch typ {
	case "ipv4-address", "ipv6-address":
		a, err := netip.ParseAddr(v)
		if err != nil || (typ == "ipv4-address") != a.Is4() {
			return fmt.Errorf("%q is not an %s", v, typ)
		}
	case "fqdn":
		return checkDomain(v)
	case "boolean":
		if v != "true" && v != "false" && v != "1" && v != "0" {
			return fmt.Errorf("%q is not a boolean (true or false)", v)
		}
	case "uint8", "uint16", "uint32", "int32":
		bits := map[string]int{"uint8": 8, "uint16": 16, "uint32": 32, "int32": 32}[typ]
		var err error
		if typ == "int32" {
			_, err = strconv.ParseInt(v, 10, bits)
		} else {
			_, err = strconv.ParseUint(v, 10, bits)
		}
		if err != nil {
			return fmt.Errorf("%q is not a %s", v, typ)
		}
	}
	return nil
}

// OptionForm sets, replaces or removes one option-data entry of a subnet,
// by name or code: the raw option form.
type OptionForm struct {
	Daemon     string
	SubnetID   int64
	Option     string // name or code
	Space      string // default dhcp4 / dhcp6
	Data       string
	CSV        bool
	AlwaysSend bool
	Remove     bool
}

func (f *OptionForm) space() string {
	if s := strings.TrimSpace(f.Space); s != "" {
		return s
	}
	if f.Daemon == "dhcp6" {
		return "dhcp6"
	}
	return "dhcp4"
}

// Check validates the form: the option named, its data matching its
// definition when the editor knows it (an array only where the definition
// is one).
func (f *OptionForm) Check(c apply.Config) error {
	_, _, d, err := locate(c, f.Daemon, f.SubnetID)
	if err != nil {
		return err
	}
	var p Problems
	opt := strings.TrimSpace(f.Option)
	if opt == "" {
		p.add("option", "name the option (its name, or its code)")
		return p
	}
	if code, err := strconv.Atoi(opt); err == nil && (code < 1 || code > 254 && f.Daemon == "dhcp4" || code > 65535) {
		p.add("option", fmt.Sprintf("code %d is not an option code", code))
	}
	if f.Remove {
		return p.err()
	}
	def, known := lookupOption(d, f.Daemon, f.space(), opt)
	if known && f.CSV {
		fields := []string{strings.TrimSpace(f.Data)}
		if def.array {
			fields = splitList(f.Data)
		} else if def.typ != "string" && strings.Contains(f.Data, ",") {
			p.add("data", fmt.Sprintf("%s takes one %s, not a list", def.name, def.typ))
			return p
		}
		if len(fields) == 0 || fields[0] == "" {
			p.add("data", fmt.Sprintf("%s needs a value (%s)", def.name, def.typ))
		}
		for _, v := range fields {
			if err := checkValue(def.typ, v); err != nil {
				p.add("data", fmt.Sprintf("%s: %v", def.name, err))
				break
			}
		}
	}
	if !f.CSV {
		h := strings.NewReplacer(":", "", " ", "", "0x", "").Replace(strings.ToLower(f.Data))
		if len(h)%2 != 0 || strings.Trim(h, "0123456789abcdef") != "" {
			p.add("data", "without csv-format the data is hexadecimal octets")
		}
	}
	return p.err()
}

// Edit sets or removes the option on each peer's subnet.
func (f *OptionForm) Edit() apply.EditFunc {
	return func(_ string, c apply.Config) error {
		if err := f.Check(c); err != nil {
			return err
		}
		loc, err := FindSubnet(c, f.Daemon, f.SubnetID)
		if err != nil {
			return err
		}
		d, _ := c.Daemon(f.Daemon)
		opt := strings.TrimSpace(f.Option)
		def, _ := lookupOption(d, f.Daemon, f.space(), opt)
		opts, _ := loc.Subnet["option-data"].([]any)
		out := []any{}
		found := false
		for _, o := range opts {
			m, _ := o.(map[string]any)
			code, _ := number(m["code"])
			sp, _ := m["space"].(string)
			match := (sp == "" || sp == f.space()) && (m["name"] == opt || m["name"] == def.name && def.name != "" ||
				strconv.FormatInt(code, 10) == opt || def.code != 0 && code == int64(def.code))
			if !match {
				out = append(out, o)
				continue
			}
			found = true
			if f.Remove {
				continue
			}
			m["data"], m["csv-format"], m["always-send"] = strings.TrimSpace(f.Data), f.CSV, f.AlwaysSend
			out = append(out, m)
		}
		if f.Remove && !found {
			return errorf("option", "subnet %d has no option %s of its own", f.SubnetID, opt)
		}
		if !found && !f.Remove {
			m := map[string]any{"space": f.space(), "data": strings.TrimSpace(f.Data), "csv-format": f.CSV, "always-send": f.AlwaysSend}
			if code, err := strconv.Atoi(opt); err == nil {
				m["code"] = jsonInt(strconv.Itoa(code))
			} else {
				m["name"] = opt
			}
			out = append(out, m)
		}
		loc.Subnet["option-data"] = out
		return nil
	}
}

// Summary says the change in a line.
func (f *OptionForm) Summary() string {
	if f.Remove {
		return fmt.Sprintf("remove option %s of subnet %d (%s)", f.Option, f.SubnetID, f.Daemon)
	}
	return fmt.Sprintf("set option %s of subnet %d (%s)", f.Option, f.SubnetID, f.Daemon)
}

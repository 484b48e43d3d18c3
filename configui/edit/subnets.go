package edit

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ddiscope/ddiscope/configui/apply"
)

// container is the map holding a subnet list: the daemon's object for
// top-level subnets, or a shared network's.
func container(d map[string]any, sharedNetwork string) (map[string]any, error) {
	if sharedNetwork == "" {
		return d, nil
	}
	sns, _ := d["shared-networks"].([]any)
	for _, sn := range sns {
		if m, ok := sn.(map[string]any); ok && m["name"] == sharedNetwork {
			return m, nil
		}
	}
	return nil, errorf("shared_network", "there is no shared network %q", sharedNetwork)
}

// SharedNetworks lists the daemon's shared network names.
func SharedNetworks(c apply.Config, daemon string) []string {
	d, err := c.Daemon(daemon)
	if err != nil {
		return nil
	}
	var out []string
	sns, _ := d["shared-networks"].([]any)
	for _, sn := range sns {
		if m, ok := sn.(map[string]any); ok {
			if n, ok := m["name"].(string); ok {
				out = append(out, n)
			}
		}
	}
	return out
}

// loadBalancing says whether the daemon runs the HA hook in
// load-balancing mode: each pool must then belong to one server's scope.
func loadBalancing(d map[string]any) bool {
	hooks, _ := d["hooks-libraries"].([]any)
	for _, h := range hooks {
		hm, _ := h.(map[string]any)
		params, _ := hm["parameters"].(map[string]any)
		rels, _ := params["high-availability"].([]any)
		for _, r := range rels {
			if rm, _ := r.(map[string]any); rm["mode"] == "load-balancing" {
				return true
			}
		}
	}
	return false
}

// NewSubnet is the add-a-subnet form.
type NewSubnet struct {
	Daemon        string
	ID            string
	Prefix        string
	Pool          string // optional first pool
	PoolClass     string
	SharedNetwork string // "" for a top-level subnet
}

func (f NewSubnet) check(c apply.Config) (int64, netip.Prefix, error) {
	d, err := c.Daemon(f.Daemon)
	if err != nil {
		return 0, netip.Prefix{}, err
	}
	var p Problems
	fam := family(f.Daemon)
	id, err := strconv.ParseInt(strings.TrimSpace(f.ID), 10, 64)
	if err != nil || id < 1 || id > 4294967294 {
		p.add("id", fmt.Sprintf("%q is not a subnet id (1 to 4294967294)", f.ID))
	}
	prefix, perr := parsePrefix(f.Prefix, fam)
	if perr != nil {
		p.add("prefix", perr.Error())
	}
	Subnets(d, f.Daemon, func(l Located) bool {
		if n, ok := number(l.Subnet["id"]); ok && err == nil && n == id {
			p.add("id", fmt.Sprintf("subnet id %d is already used by %v", id, l.Subnet["subnet"]))
		}
		if perr == nil {
			if other, err := netip.ParsePrefix(fmt.Sprint(l.Subnet["subnet"])); err == nil && other.Overlaps(prefix) {
				p.add("prefix", fmt.Sprintf("%s overlaps subnet %v (%s)", prefix, l.Subnet["id"], other))
			}
		}
		return true
	})
	if f.SharedNetwork != "" {
		if _, err := container(d, f.SharedNetwork); err != nil {
			p.add("shared_network", err.Error())
		}
	}
	if pool := strings.TrimSpace(f.Pool); pool != "" {
		r, err := parseRange(pool, fam)
		switch {
		case err != nil:
			p.add("pool", err.Error())
		case perr == nil && !r.within(prefix):
			p.add("pool", fmt.Sprintf("%s is outside subnet %s", pool, prefix))
		}
		cl := strings.TrimSpace(f.PoolClass)
		switch {
		case cl != "" && !classDefined(d, cl):
			p.add("pool_class", fmt.Sprintf("client class %q is not defined in client-classes", cl))
		case cl == "" && loadBalancing(d):
			p.add("pool_class", "this server is in a load-balancing pair: give the pool one server's class (HA_…), or both servers would hand out its addresses")
		}
	}
	return id, prefix, p.err()
}

// Check validates the form.
func (f NewSubnet) Check(c apply.Config) error { _, _, err := f.check(c); return err }

// Edit adds the subnet.
func (f NewSubnet) Edit() apply.EditFunc {
	return func(_ string, c apply.Config) error {
		id, prefix, err := f.check(c)
		if err != nil {
			return err
		}
		d, _ := c.Daemon(f.Daemon)
		cont, err := container(d, f.SharedNetwork)
		if err != nil {
			return err
		}
		s := map[string]any{"id": jsonInt(strconv.FormatInt(id, 10)), "subnet": prefix.String()}
		if pool := strings.TrimSpace(f.Pool); pool != "" {
			pm := map[string]any{"pool": pool}
			if cl := strings.TrimSpace(f.PoolClass); cl != "" {
				pm["client-class"] = cl
			}
			s["pools"] = []any{pm}
		}
		key := subnetKey(f.Daemon)
		list, _ := cont[key].([]any)
		cont[key] = append(list, s)
		return nil
	}
}

// Summary says the change in a line.
func (f NewSubnet) Summary() string {
	return fmt.Sprintf("add subnet %s %s (%s)", f.ID, strings.TrimSpace(f.Prefix), f.Daemon)
}

// detach removes a subnet from its list and returns it.
func detach(c apply.Config, daemon string, id int64) (map[string]any, Located, error) {
	loc, err := FindSubnet(c, daemon, id)
	if err != nil {
		return nil, loc, err
	}
	d, _ := c.Daemon(daemon)
	cont, err := container(d, loc.SharedNetwork)
	if err != nil {
		return nil, loc, err
	}
	key := subnetKey(daemon)
	list, _ := cont[key].([]any)
	out := make([]any, 0, len(list))
	out = append(out, list[:loc.Index]...)
	out = append(out, list[loc.Index+1:]...)
	cont[key] = out
	return loc.Subnet, loc, nil
}

// RemoveSubnet is the remove-a-subnet form.
type RemoveSubnet struct {
	Daemon   string
	SubnetID int64
}

// Edit removes the subnet.
func (f RemoveSubnet) Edit() apply.EditFunc {
	return func(_ string, c apply.Config) error {
		_, _, err := detach(c, f.Daemon, f.SubnetID)
		return err
	}
}

// Stranded refuses to remove a subnet that has active leases.
func (f RemoveSubnet) Stranded(c apply.Config, leases []netip.Addr) error {
	if len(leases) == 0 {
		return nil
	}
	var list []string
	for i, a := range leases {
		if i == 5 {
			list = append(list, "…")
			break
		}
		list = append(list, a.String())
	}
	return Problems{{Field: "subnet", Msg: fmt.Sprintf("subnet %d has %d active lease(s) (%s): removing it would strand them; shrink its pools and wait for the leases to expire first", f.SubnetID, len(leases), strings.Join(list, ", "))}}
}

// Summary says the change in a line.
func (f RemoveSubnet) Summary() string {
	return fmt.Sprintf("remove subnet %d (%s)", f.SubnetID, f.Daemon)
}

// MoveSubnet moves a subnet into a shared network, or out of it (To "").
type MoveSubnet struct {
	Daemon   string
	SubnetID int64
	To       string
}

// Edit moves the subnet.
func (f MoveSubnet) Edit() apply.EditFunc {
	return func(_ string, c apply.Config) error {
		loc, err := FindSubnet(c, f.Daemon, f.SubnetID)
		if err != nil {
			return err
		}
		if loc.SharedNetwork == f.To {
			if f.To == "" {
				return errorf("shared_network", "subnet %d is not in a shared network", f.SubnetID)
			}
			return errorf("shared_network", "subnet %d is already in shared network %q", f.SubnetID, f.To)
		}
		d, _ := c.Daemon(f.Daemon)
		cont, err := container(d, f.To)
		if err != nil {
			return err
		}
		s, _, err := detach(c, f.Daemon, f.SubnetID)
		if err != nil {
			return err
		}
		key := subnetKey(f.Daemon)
		list, _ := cont[key].([]any)
		cont[key] = append(list, s)
		return nil
	}
}

// Summary says the change in a line.
func (f MoveSubnet) Summary() string {
	if f.To == "" {
		return fmt.Sprintf("move subnet %d out of its shared network (%s)", f.SubnetID, f.Daemon)
	}
	return fmt.Sprintf("move subnet %d into shared network %s (%s)", f.SubnetID, f.To, f.Daemon)
}

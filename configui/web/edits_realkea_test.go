package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/keaview"
	"github.com/ddiscope/ddiscope/configui/store"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

// haEditor is the editor on a real Kea 2.2 load-balancing pair (kea1 and
// kea2, on their UNIX sockets) and a throwaway PostgreSQL.
type haEditor struct {
	*editor
	h     *keatest.HAPair
	peers []apply.Peer
	a     *apply.Applier
}

func newHAEditor(t *testing.T) *haEditor {
	t.Helper()
	return newHAEditorWith(t, keatest.HAOptions{})
}

// newHAEditorWith is newHAEditor on a pair started with opts.
func newHAEditorWith(t *testing.T, opts keatest.HAOptions) *haEditor {
	t.Helper()
	h := keatest.StartHA(t, opts)
	pg := pgtest.Start(t)
	var targets []keaview.Target
	var peers []apply.Peer
	yml := ""
	for i, l := range h.Servers {
		name := fmt.Sprintf("kea%d", i+1)
		c, err := keactl.New(keactl.Options{Name: name, URL: "unix://" + l.Socket4, Timeout: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, keaview.Target{Name: name, Client: c})
		peers = append(peers, apply.Peer{Name: name, Client: c})
		yml += "\n  - name: " + name + "\n    url: unix://" + l.Socket4 + "\n    daemons: [dhcp4]"
	}
	view, err := keaview.New(keaview.Options{Targets: targets, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	e := newEditorKea(t, pg, yml+"\n", "  grafana-url: https://grafana.example\n", view)
	return &haEditor{editor: e, h: h, peers: peers, a: apply.New(apply.Options{})}
}

// hashes reads both peers' configuration hashes straight from Kea.
func (he *haEditor) hashes() string {
	he.t.Helper()
	pcs, err := he.a.Read(context.Background(), "dhcp4", he.peers)
	if err != nil {
		he.t.Fatal(err)
	}
	return pcs[0].Hash + "," + pcs[1].Hash
}

// pools reads a subnet's pool ranges from a peer's config-get.
func (he *haEditor) pools(peer int, subnet int64) []string {
	he.t.Helper()
	pcs, err := he.a.Read(context.Background(), "dhcp4", he.peers[peer:peer+1])
	if err != nil {
		he.t.Fatal(err)
	}
	d, _ := pcs[0].Config.Daemon("dhcp4")
	var out []string
	var walk func(list any)
	walk = func(list any) {
		l, _ := list.([]any)
		for _, s := range l {
			sm := s.(map[string]any)
			if fmt.Sprint(sm["id"]) == fmt.Sprint(subnet) {
				for _, p := range sm["pools"].([]any) {
					out = append(out, p.(map[string]any)["pool"].(string))
				}
			}
		}
	}
	walk(d["subnet4"])
	for _, sn := range d["shared-networks"].([]any) {
		walk(sn.(map[string]any)["subnet4"])
	}
	return out
}

var (
	formRE  = regexp.MustCompile(`(?s)<form method="post" action="(/servers/[^"]+)">(.*?)</form>`)
	inputRE = regexp.MustCompile(`<input([^>]*?)name="([^"]+)" value="([^"]*)"([^>]*)>`)
	linkRE  = regexp.MustCompile(`<a href="([^"]+)">Edit pools</a>`)
	// A select's chosen value: the option marked selected, else the first.
	selectRE = regexp.MustCompile(`(?s)<select id="[^"]*" name="([^"]+)">(.*?)</select>`)
	optionRE = regexp.MustCompile(`<option value="([^"]*)"( selected)?>`)
)

// editForm is the edit form of a page: where it posts and its fields.
func editForm(t *testing.T, body string) (string, url.Values) {
	t.Helper()
	m := formRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no edit form in:\n%s", body)
	}
	v := url.Values{}
	for _, in := range inputRE.FindAllStringSubmatch(m[2], -1) {
		// An unchecked checkbox is not submitted, as a browser does.
		if strings.Contains(in[1], `type="checkbox"`) && !strings.Contains(in[4], "checked") {
			continue
		}
		v.Add(in[2], htmlUnescape(in[3]))
	}
	for _, sel := range selectRE.FindAllStringSubmatch(m[2], -1) {
		opts := optionRE.FindAllStringSubmatch(sel[2], -1)
		for i, o := range opts {
			if o[2] != "" || i == len(opts)-1 && v.Get(sel[1]) == "" {
				v.Set(sel[1], htmlUnescape(opts[0][1]))
				if o[2] != "" {
					v.Set(sel[1], htmlUnescape(o[1]))
				}
				break
			}
		}
	}
	return m[1], v
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#43;", "+", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'").Replace(s)
}

// openPoolsForm goes from the subnet page (the remediation URL) to its
// pools form, as a browser does: one click.
func (he *haEditor) openPoolsForm(c *http.Client, subnet string) (string, url.Values) {
	he.t.Helper()
	resp, body := he.get(c, "/servers/kea1/dhcp4/subnets/"+subnet)
	if resp.StatusCode != http.StatusOK {
		he.t.Fatalf("subnet page: %s\n%s", resp.Status, body)
	}
	m := linkRE.FindStringSubmatch(body)
	if m == nil {
		he.t.Fatalf("no Edit pools link on the subnet page:\n%s", body)
	}
	resp, body = he.get(c, m[1])
	if resp.StatusCode != http.StatusOK {
		he.t.Fatalf("pools form: %s\n%s", resp.Status, body)
	}
	return editForm(he.t, body)
}

func TestRealHAEditPools(t *testing.T) {
	he := newHAEditor(t)
	if r := he.h.Perfdhcp4(t, 10); r.Completed() == 0 {
		t.Fatal("perfdhcp got no leases")
	}
	otto := he.signedIn("otto")

	t.Run("ViewerMayNotEdit", func(t *testing.T) {
		vic := he.signedIn("vic")
		if resp, body := he.get(vic, "/servers/kea1/dhcp4/subnets/1"); strings.Contains(body, "Edit pools") || resp.StatusCode != 200 {
			t.Fatalf("a viewer is offered the edit link (%s)", resp.Status)
		}
		if resp, _ := he.get(vic, "/servers/kea1/dhcp4/subnets/1/edit/pools"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("viewer GET: %s", resp.Status)
		}
		_, f := he.openPoolsForm(otto, "1")
		f.Set("csrf_token", he.token(vic))
		if resp, _ := he.post(vic, "/servers/kea1/dhcp4/subnets/1/edit/pools", f); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("viewer POST: %s", resp.Status)
		}
	})

	// Each bad value is refused with its message, the input kept, and
	// Kea untouched.
	bad := []struct {
		name, subnet, field, value, class, want string
	}{
		{"NotARange", "1", "pool.1", "198.18.0.30-198.18.0.300", "", `is not a range of two addresses`},
		{"BadPrefix", "1", "pool.1", "198.18.0.37/28", "", `has host bits set: the network is 198.18.0.32/28`},
		{"OutsideTheSubnet", "1", "pool.1", "198.18.0.30-198.18.1.20", "", `is outside subnet 198.18.0.0/24`},
		{"Backwards", "3", "pool.0", "198.18.2.14-198.18.2.10", "", `ends before it starts`},
		{"Overlapping", "1", "pool.2", "198.18.0.45-198.18.0.60", "HA_server2", `overlaps pool 2 (198.18.0.30-198.18.0.49)`},
		{"UnknownClass", "1", "pool.2", "198.18.0.60-198.18.0.70", "nosuchclass", `client class &#34;nosuchclass&#34; is not defined`},
		{"NewPoolWithoutHAClass", "1", "pool.2", "198.18.0.60-198.18.0.70", "", `give the new pool one`},
		{"ShrinkStrandsLeases", "1", "pool.0", "198.18.0.29-198.18.0.29", "", `would strand`},
		{"RemoveStrandsLeases", "1", "pool.0", "", "", `removing this pool would strand`},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			before := he.hashes()
			action, f := he.openPoolsForm(otto, b.subnet)
			f.Set(b.field, b.value)
			if b.class != "" {
				f.Set("class."+strings.TrimPrefix(b.field, "pool."), b.class)
			}
			resp, body := he.post(otto, action, f)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, b.want) {
				t.Fatalf("%s: want 400 with %q, got %s:\n%s", b.value, b.want, resp.Status, body)
			}
			if b.value != "" && !strings.Contains(body, `value="`+b.value+`"`) {
				t.Errorf("the user's input %q is not kept", b.value)
			}
			if he.hashes() != before {
				t.Fatal("Kea changed")
			}
		})
	}

	t.Run("ExtendInThreeClicks", func(t *testing.T) {
		before := he.pools(0, 1)
		// The alert's remediation URL is the subnet page. Click 1: Edit pools.
		action, f := he.openPoolsForm(otto, "1")
		f.Set("pool.1", "198.18.0.30-198.18.0.59")
		// Click 2: Preview the change: the diff, nothing applied yet.
		resp, body := he.post(otto, action, f)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `&#34;198.18.0.30-198.18.0.49&#34; → &#34;198.18.0.30-198.18.0.59&#34;`) {
			t.Fatalf("preview: %s\n%s", resp.Status, body)
		}
		if got := he.pools(0, 1); strings.Join(got, ",") != strings.Join(before, ",") {
			t.Fatal("the preview changed Kea")
		}
		action, f = editForm(t, body)
		if f.Get("step") != "apply" {
			t.Fatalf("confirm form: %v", f)
		}
		// Click 3: Apply.
		resp, body = he.post(otto, action, f)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Applied to kea1 and kea2") {
			t.Fatalf("apply: %s\n%s", resp.Status, body)
		}
		for _, w := range []string{`href="/servers/kea1/dhcp4/subnets/1"`, `https://grafana.example/d/ddiscope-kea-subnets/`, "config-write"} {
			if !strings.Contains(body, w) {
				t.Errorf("result page lacks %s", w)
			}
		}
		for i := range he.peers {
			if got := he.pools(i, 1); len(got) != 2 || got[1] != "198.18.0.30-198.18.0.59" {
				t.Fatalf("kea%d pools: %v", i+1, got)
			}
		}
		// The change log shows it with its diff.
		resp, body = he.get(otto, "/changes?server=kea1")
		if resp.StatusCode != 200 || !strings.Contains(body, "otto") || !strings.Contains(body, "198.18.0.30-198.18.0.59") {
			t.Fatalf("change log: %s\n%s", resp.Status, body)
		}
		cs, err := he.store.Changes(context.Background(), store.ChangeFilter{Limit: 1})
		if err != nil || cs[0].Status != store.ChangeApplied || cs[0].Username != "otto" {
			t.Fatalf("audit: %+v %v", cs, err)
		}
		if resp, body := he.get(otto, fmt.Sprintf("/changes/%d", cs[0].ID)); resp.StatusCode != 200 || !strings.Contains(body, "Configuration successful") {
			t.Fatalf("one change: %s\n%s", resp.Status, body)
		}
	})

	t.Run("TwoSessionsSecondToldOfConflict", func(t *testing.T) {
		ann := he.signedIn("otto")
		_, first := he.openPoolsForm(otto, "3")
		action, second := he.openPoolsForm(ann, "3")
		first.Set("pool.1", "198.18.2.15-198.18.2.25")
		resp, body := he.post(otto, action, first)
		_, confirm := editForm(t, body)
		if resp, body = he.post(otto, action, confirm); resp.StatusCode != 200 {
			t.Fatalf("first apply: %s\n%s", resp.Status, body)
		}
		second.Set("pool.1", "198.18.2.15-198.18.2.30")
		resp, body = he.post(ann, action, second)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "changed since this form was opened") ||
			!strings.Contains(body, `value="198.18.2.15-198.18.2.30"`) || !strings.Contains(body, "198.18.2.15-198.18.2.25") {
			t.Fatalf("second session: %s\n%s", resp.Status, body)
		}
		// Submitting again after seeing the conflict goes through.
		_, again := editForm(t, body)
		resp, body = he.post(ann, action, again)
		_, confirm = editForm(t, body)
		if resp, body = he.post(ann, action, confirm); resp.StatusCode != 200 || !strings.Contains(body, "Applied") {
			t.Fatalf("second session after the conflict: %s\n%s", resp.Status, body)
		}
		if got := he.pools(1, 3); got[1] != "198.18.2.15-198.18.2.30" {
			t.Fatalf("kea2 pools: %v", got)
		}
	})

	t.Run("TwoSessionsDifferentSubnetsBothApply", func(t *testing.T) {
		// Both forms opened before either applies: the second one's
		// configuration hash is stale, but its subnet is untouched.
		ann := he.signedIn("otto")
		action3, first := he.openPoolsForm(otto, "3")
		action2, second := he.openPoolsForm(ann, "2")
		first.Set("pool.1", "198.18.2.15-198.18.2.35")
		_, body := he.post(otto, action3, first)
		_, confirm := editForm(t, body)
		if resp, body := he.post(otto, action3, confirm); resp.StatusCode != 200 || !strings.Contains(body, "Applied") {
			t.Fatalf("first apply: %s\n%s", resp.Status, body)
		}
		second.Set("pool.1", "198.18.1.110-198.18.1.219")
		resp, body := he.post(ann, action2, second)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("an edit of subnet 2 after one of subnet 3: %s\n%s", resp.Status, body)
		}
		_, confirm = editForm(t, body)
		if resp, body = he.post(ann, action2, confirm); resp.StatusCode != 200 || !strings.Contains(body, "Applied") {
			t.Fatalf("second apply: %s\n%s", resp.Status, body)
		}
		for peer := range 2 {
			if got := he.pools(peer, 3); got[1] != "198.18.2.15-198.18.2.35" {
				t.Fatalf("kea%d subnet 3 pools: %v", peer+1, got)
			}
			if got := he.pools(peer, 2); got[1] != "198.18.1.110-198.18.1.219" {
				t.Fatalf("kea%d subnet 2 pools: %v", peer+1, got)
			}
		}
	})

	t.Run("DatabaseStoppedRefused", func(t *testing.T) {
		action, f := he.openPoolsForm(otto, "3")
		f.Set("pool.0", "198.18.2.5-198.18.2.14")
		_, body := he.post(otto, action, f)
		_, confirm := editForm(t, body)
		before := he.hashes()
		he.pg.Stop(t)
		defer he.pg.Restart(t)
		resp, body := he.post(otto, action, confirm)
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "database") {
			t.Fatalf("with the database stopped: %s\n%s", resp.Status, body)
		}
		if he.hashes() != before {
			t.Fatal("Kea changed with the database stopped")
		}
	})
}

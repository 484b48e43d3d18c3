package web

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/edit"
	"github.com/ddiscope/ddiscope/configui/form"
	"github.com/ddiscope/ddiscope/configui/hostsdb"
)

// subnetReservationsUpdate adds, edits or deletes a reservation
// (operator). It is validated against the configuration and every
// reservation of the subnet, in the configuration and in Kea's hosts
// database, before anything is written. A reservation in the configuration
// is changed through the apply pipeline like any configuration change (by
// host_cmds where every peer of a Kea 3.0 has it, else config-set); with
// a PostgreSQL hosts database, new ones (and those already there) are
// written to it in one transaction, under the same lock and audit trail.
func (s *Server) subnetReservationsUpdate(w http.ResponseWriter, r *http.Request) {
	k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id")
	if !ok {
		return
	}
	ctx := r.Context()
	subnet := id(l, "subnet_id")
	f, common, dbbase, ferr := form.ReadReservation(r, l["daemon"], subnet)
	var dbHosts []edit.Host
	sp := editSpec{kind: "reservations", title: reservationsTitle(l), k: k, l: l, common: common, subnetID: subnet, summary: f.Summary(),
		edit: func(peer string, c apply.Config) error {
			if err := f.Check(c, dbHosts); err != nil {
				return err
			}
			return f.Edit()(peer, c)
		},
		view: func(c apply.Config) any { v, _ := reservationsView(ctx, c, l["daemon"], subnet, f, ""); return v }}
	if ferr != nil {
		s.badForm(w, r, sp, ferr)
		return
	}
	d := s.newEditData("reservations", l, r.URL.Path)
	peers, err := s.peersOf(ctx, k, l["daemon"])
	if err != nil {
		d.Message = "The servers to change could not be found: " + err.Error()
		s.renderEdit(w, r, http.StatusBadGateway, sp.title, d)
		return
	}
	pcs, err := s.apply.Read(ctx, l["daemon"], peers[:1])
	if err != nil {
		s.editFailed(w, r, sp, d, err)
		return
	}
	cfg := pcs[0].Config
	db, conn, err := hostsOf(ctx, cfg, l["daemon"], subnet)
	if err != nil {
		d.Message = "Nothing was changed: Kea's hosts database could not be read: " + err.Error()
		s.showForm(w, r, http.StatusBadGateway, sp, d)
		return
	}
	dbHosts = db
	inConfig := false
	if f.Orig != "" {
		hs, _ := edit.ConfigHosts(cfg, l["daemon"], subnet)
		inConfig = slices.ContainsFunc(hs, func(h edit.Host) bool { return h.Key() == f.Orig })
	}
	if conn == "" || inConfig {
		s.runEdit(w, r, sp)
		return
	}
	s.reservationInDB(w, r, sp, d, f, cfg, db, conn, dbbase, peers)
}

// reservationInDB is the hosts-database side: validate, show the change,
// then write it in one transaction under the pair's lock.
func (s *Server) reservationInDB(w http.ResponseWriter, r *http.Request, sp editSpec, d *editData, f *edit.ReservationForm,
	cfg apply.Config, db []edit.Host, conn, dbbase string, peers []apply.Peer) {
	ctx := r.Context()
	if err := f.Check(cfg, db); err != nil {
		s.editFailed(w, r, sp, d, err)
		return
	}
	if dbbase != hostsdb.Hash(db) {
		s.editFailed(w, r, sp, d, &apply.ConflictError{Peer: "Kea's hosts database", Base: dbbase, Now: hostsdb.Hash(db)})
		return
	}
	var before, after any
	if i := slices.IndexFunc(db, func(h edit.Host) bool { return h.Key() == f.Orig }); i >= 0 {
		before = db[i].JSON(sp.l["daemon"])
	}
	if !f.Delete {
		after = f.Host.JSON(sp.l["daemon"])
	}
	path := "hosts-database.reservations[" + f.Host.Key() + "]"
	if f.Orig != "" {
		path = "hosts-database.reservations[" + f.Orig + "]"
	}
	var edits []apply.Edit
	switch {
	case before == nil:
		edits = apply.Diff(map[string]any{}, map[string]any{path: after})
	case after == nil:
		edits = apply.Diff(map[string]any{path: before}, map[string]any{})
	default:
		edits = apply.Diff(map[string]any{path: before}, map[string]any{path: after})
	}
	if len(edits) == 0 {
		s.editFailed(w, r, sp, d, apply.ErrNoChange)
		return
	}
	diff := apply.Render(edits)
	if sp.common.Step == form.StepPreview {
		d.Step, d.Diff, d.Peers, d.Hidden = "confirm", diff, []string{"Kea's hosts database"}, hiddenOf(r.PostForm)
		s.renderEdit(w, r, http.StatusOK, sp.title, d)
		return
	}
	req := apply.DBRequest{User: userOf(r).Name, RemoteAddr: s.remoteAddr(r).String(), Server: pairName(peers),
		Daemon: sp.l["daemon"], Peers: pairNames(peers), Summary: f.Summary(), Diff: diff, Target: "hosts-database",
		Do: func(ctx context.Context) (string, error) { return hostsdb.Apply(ctx, conn, dbbase, f) }}
	if apply.HostCmdsEverywhere(ctx, peers) {
		// Kea 3.0's host_cmds writes its own rows; the pair shares the
		// database, so one peer is told. The form's base is checked under
		// the pair's lock first.
		req.Command, req.Target = "host_cmds", peers[0].Name+" (hosts-database)"
		req.Do = func(ctx context.Context) (string, error) {
			cur, err := hostsdb.List(ctx, conn, sp.l["daemon"], f.SubnetID)
			if err != nil {
				return "", err
			}
			if hostsdb.Hash(cur) != dbbase {
				return "", hostsdb.ErrChanged
			}
			var host map[string]any
			if !f.Delete {
				host = f.Host.JSON(sp.l["daemon"])
			}
			return apply.HostCmdsDB(ctx, peers[0], f.SubnetID, f.Orig, host)
		}
	}
	res, err := s.apply.ApplyDB(ctx, req)
	if res == nil {
		s.editFailed(w, r, sp, d, err)
		return
	}
	if errors.Is(err, hostsdb.ErrChanged) {
		s.editFailed(w, r, sp, d, &apply.ConflictError{Peer: "Kea's hosts database", Base: dbbase})
		return
	}
	d.Step, d.Result, d.Peers, d.Diff = "result", res, []string{"Kea's hosts database"}, diff
	status := http.StatusOK
	if err != nil {
		d.ResultErr, status = err.Error(), http.StatusBadGateway
	}
	s.renderEdit(w, r, status, sp.title, d)
}

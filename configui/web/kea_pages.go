package web

import "net/http"

// One handler per Kea page; the routes are the rules.ConfigUI* patterns.

func (s *Server) server(w http.ResponseWriter, r *http.Request) {
	if k, l, ok := s.pageLabels(w, r); ok {
		s.keaPage(w, r, "server", "Server "+k.Name, k, l)
	}
}

func (s *Server) ha(w http.ResponseWriter, r *http.Request) {
	if k, l, ok := s.pageLabels(w, r); ok {
		s.keaPage(w, r, "ha", "High availability of "+k.Name, k, l)
	}
}

func (s *Server) subnets(w http.ResponseWriter, r *http.Request) {
	if k, l, ok := s.pageLabels(w, r, "daemon"); ok {
		s.keaPage(w, r, "subnets", l["daemon"]+" subnets of "+k.Name, k, l)
	}
}

func (s *Server) subnet(w http.ResponseWriter, r *http.Request) {
	if k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id"); ok {
		s.keaPage(w, r, "subnet", "Subnet "+l["subnet_id"]+" ("+l["daemon"]+") of "+k.Name, k, l)
	}
}

func (s *Server) pool(w http.ResponseWriter, r *http.Request) {
	if k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id", "pool_id"); ok {
		s.keaPage(w, r, "pool", "Pool "+l["pool_id"]+" of subnet "+l["subnet_id"]+" ("+l["daemon"]+") of "+k.Name, k, l)
	}
}

func (s *Server) pdPool(w http.ResponseWriter, r *http.Request) {
	if k, l, ok := s.pageLabels(w, r, "daemon", "subnet_id", "pool_id"); ok {
		s.keaPage(w, r, "pd-pool", "Prefix delegation pool "+l["pool_id"]+" of subnet "+l["subnet_id"]+" of "+k.Name, k, l)
	}
}

func (s *Server) sharedNetwork(w http.ResponseWriter, r *http.Request) {
	if k, l, ok := s.pageLabels(w, r, "daemon", "shared_network"); ok {
		s.keaPage(w, r, "shared-network", "Shared network "+l["shared_network"]+" ("+l["daemon"]+") of "+k.Name, k, l)
	}
}

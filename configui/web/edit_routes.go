package web

// The edit pages, under the page of the object they change.
const (
	editPools = "/servers/{server}/{daemon}/subnets/{subnet_id}/edit/pools"
)

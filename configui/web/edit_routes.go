package web

// The edit pages, under the page of the object they change.
const (
	editPools        = "/servers/{server}/{daemon}/subnets/{subnet_id}/edit/pools"
	editPDPools      = "/servers/{server}/{daemon}/subnets/{subnet_id}/edit/pd-pools"
	editReservations = "/servers/{server}/{daemon}/subnets/{subnet_id}/edit/reservations"
	editOptions      = "/servers/{server}/{daemon}/subnets/{subnet_id}/edit/options"
	editSettings     = "/servers/{server}/{daemon}/subnets/{subnet_id}/edit/settings"
	editRemove       = "/servers/{server}/{daemon}/subnets/{subnet_id}/edit/remove"
	editMove         = "/servers/{server}/{daemon}/subnets/{subnet_id}/edit/shared-network"
	editSubnetAdd    = "/servers/{server}/{daemon}/edit/subnet-add"
	editSharedNet    = "/servers/{server}/{daemon}/shared-networks/{shared_network}/edit/settings"
)

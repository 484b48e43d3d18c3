package bind

// endpoint is a set of statistics channel requests.
type endpoint uint8

const (
	epServer  endpoint = 1 << iota // counters, views' resolver and cache statistics
	epNet                          // socket statistics
	epMem                          // memory
	epTraffic                      // request and response sizes (BIND 9.12+)
	epTasks                        // task manager (BIND 9.18 and earlier; 404 from 9.20)
	epAll                          // everything, zones included, in one reply

	// epEverything is what epAll's reply holds.
	epEverything = epServer | epNet | epMem | epTraffic | epTasks | epAll
)

// path is where an endpoint is served in a format.
func (e endpoint) path(format string) string {
	json := format == FormatJSON
	var p string
	switch e {
	case epServer:
		p = "/server"
	case epNet:
		p = "/net"
	case epMem:
		p = "/mem"
	case epTraffic:
		p = "/traffic"
	case epTasks:
		p = "/tasks"
	case epAll:
		p = ""
	}
	if json {
		return "/json/v1" + p
	}
	return "/xml/v3" + p
}

func (e endpoint) String() string { return e.path(FormatJSON) }

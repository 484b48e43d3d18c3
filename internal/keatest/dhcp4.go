package keatest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"golang.org/x/sys/unix"
)

// perfdhcp cannot send a DHCPDECLINE, so Decline4 speaks DHCPv4 itself
// (packets built and parsed by insomniacslk/dhcp), from the client
// namespace, as a relay agent does: from port 67 of a giaddr on ClientIface,
// unicast to the server, which answers to giaddr:67 (lab-notes: relayed
// unicast reaches the server it is sent to).

// exchangeTimeout bounds the wait for one reply; exchangeTries bounds the
// sends of one message.
const (
	exchangeTimeout = 2 * time.Second
	exchangeTries   = 3
)

// Lease4 is an address Kea leased to a client of Lease4 or Decline4.
type Lease4 struct {
	MAC    net.HardwareAddr
	Addr   netip.Addr
	Server netip.Addr // server identifier of the ACK
}

// Decline4 gets an address for the client mac by a relayed DISCOVER,
// OFFER, REQUEST, ACK through giaddr (one of the 198.18.N.250 addresses of
// ClientIface, which selects the subnet), then DECLINEs it as a client whose
// duplicate address detection found it in use. Kea sends no reply to a
// DECLINE: its declined-addresses statistic says whether it took it.
// Needs Options.Traffic.
func (l *Lab) Decline4(t testing.TB, giaddr string, mac net.HardwareAddr) Lease4 {
	t.Helper()
	lease, err := l.dhcp4Client(giaddr, mac, true)
	if err != nil {
		t.Fatalf("keatest: DHCPv4 client %s via %s: %v", mac, giaddr, err)
	}
	return lease
}

// Lease4 gets an address for the client mac by a relayed DORA through
// giaddr, as Decline4 does, and keeps it.
func (l *Lab) Lease4(t testing.TB, giaddr string, mac net.HardwareAddr) Lease4 {
	t.Helper()
	lease, err := l.dhcp4Client(giaddr, mac, false)
	if err != nil {
		t.Fatalf("keatest: DHCPv4 client %s via %s: %v", mac, giaddr, err)
	}
	return lease
}

func (l *Lab) dhcp4Client(giaddr string, mac net.HardwareAddr, decline bool) (Lease4, error) {
	if l.ClientNS == "" {
		return Lease4{}, errors.New("the lab has no client namespace (Options.Traffic)")
	}
	gi := net.ParseIP(giaddr).To4()
	if gi == nil {
		return Lease4{}, fmt.Errorf("giaddr %q is not an IPv4 address", giaddr)
	}
	// Port 67 of the client namespace is perfdhcp's too.
	l.perfMu.Lock()
	defer l.perfMu.Unlock()
	var lease Lease4
	err := l.inClientNS(func() error {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: gi, Port: 67})
		if err != nil {
			return fmt.Errorf("listen on %s:67 in %s: %w", gi, l.ClientNS, err)
		}
		defer conn.Close()
		server := &net.UDPAddr{IP: net.ParseIP(ServerAddr4), Port: 67}

		disc, err := dhcpv4.NewDiscovery(mac, dhcpv4.WithRelay(gi))
		if err != nil {
			return err
		}
		offer, err := exchange(conn, server, disc, dhcpv4.MessageTypeOffer)
		if err != nil {
			return fmt.Errorf("DISCOVER: %w", err)
		}
		req, err := dhcpv4.NewRequestFromOffer(offer, dhcpv4.WithRelay(gi))
		if err != nil {
			return err
		}
		ack, err := exchange(conn, server, req, dhcpv4.MessageTypeAck)
		if err != nil {
			return fmt.Errorf("REQUEST %s: %w", offer.YourIPAddr, err)
		}
		addr, ok := netip.AddrFromSlice(ack.YourIPAddr.To4())
		sid, ok2 := netip.AddrFromSlice(ack.ServerIdentifier().To4())
		if !ok || !ok2 {
			return fmt.Errorf("ACK without yiaddr or server identifier: %s", ack.Summary())
		}
		lease = Lease4{MAC: mac, Addr: addr, Server: sid}
		if !decline {
			return nil
		}
		// RFC 2131 4.4.4: ciaddr 0, the address in option 50, the server
		// identifier of the ACK.
		dec, err := dhcpv4.New(
			dhcpv4.WithMessageType(dhcpv4.MessageTypeDecline),
			dhcpv4.WithHwAddr(mac),
			dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(ack.YourIPAddr)),
			dhcpv4.WithOptionCopied(ack, dhcpv4.OptionServerIdentifier),
			dhcpv4.WithRelay(gi),
		)
		if err != nil {
			return err
		}
		if _, err := conn.WriteToUDP(dec.ToBytes(), server); err != nil {
			return fmt.Errorf("DECLINE %s: %w", addr, err)
		}
		return nil
	})
	return lease, err
}

// exchange sends msg and returns the reply of type want with its
// transaction id, resending a bounded number of times.
func exchange(conn *net.UDPConn, server *net.UDPAddr, msg *dhcpv4.DHCPv4, want dhcpv4.MessageType) (*dhcpv4.DHCPv4, error) {
	buf := make([]byte, 1500)
	for range exchangeTries {
		if _, err := conn.WriteToUDP(msg.ToBytes(), server); err != nil {
			return nil, err
		}
		deadline := time.Now().Add(exchangeTimeout)
		if err := conn.SetReadDeadline(deadline); err != nil {
			return nil, err
		}
		for {
			n, _, err := conn.ReadFromUDP(buf)
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					break // send again
				}
				return nil, err
			}
			reply, err := dhcpv4.FromBytes(buf[:n])
			if err != nil || reply.TransactionID != msg.TransactionID {
				continue // not ours
			}
			if mt := reply.MessageType(); mt != want {
				return nil, fmt.Errorf("got %s, want %s", mt, want)
			}
			return reply, nil
		}
	}
	return nil, fmt.Errorf("no %s after %d tries of %s", want, exchangeTries, exchangeTimeout)
}

// inClientNS runs fn on an OS thread that has joined the client namespace.
// The thread is never unlocked: it ends with its goroutine, so no other
// goroutine ever runs in that namespace. Sockets fn opens stay in it.
func (l *Lab) inClientNS(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open(filepath.Join("/run/netns", l.ClientNS))
		if err != nil {
			errc <- fmt.Errorf("client namespace: %w", err)
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("join %s: %w", l.ClientNS, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// Package netguard gives HTTP clients for URLs that users type in (CalDAV
// servers, ICS feeds) a dialer that refuses internal addresses, so that
// such a URL cannot make slotbook reach the Lambda runtime API, the
// instance metadata service or anything else in its own network.
package netguard

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrPrivateAddress is returned when a guarded client refuses to dial a
// loopback, private, link-local or otherwise internal address.
var ErrPrivateAddress = errors.New("address not allowed: loopback, private or link-local")

// Client returns an HTTP client that, unless allowPrivate, refuses to
// connect to internal addresses. The check runs on the address actually
// dialled, after DNS, so a name that resolves inward is refused too. It
// uses no proxy, so that the check applies to the server itself.
func Client(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = refusePrivate
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = dialer.DialContext
	return &http.Client{Transport: tr}
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// refusePrivate is a dialer Control that fails for internal addresses.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return ErrPrivateAddress
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return ErrPrivateAddress
	}
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || cgnat.Contains(ip) ||
		(ip.Is4() && ip.As4()[0] == 0) {
		return ErrPrivateAddress
	}
	return nil
}

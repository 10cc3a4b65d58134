// Package calhttp is the HTTP kit of slotbook's calendar providers: what
// every provider needs around net/http, written once, so that each
// provider adds only its own policy.
//
//   - Client: a client for URLs that users type in (CalDAV servers, ICS
//     feeds) whose dialer refuses every address that is not public, so that
//     such a URL cannot make slotbook reach the Lambda runtime API, the
//     instance metadata service or anything else in its own network, nor
//     smuggle such an address through a translation prefix (NAT64, 6to4,
//     Teredo, IPv4-compatible IPv6). The rule is an allow-list: an address
//     is public when it is global unicast and in no special-purpose range of
//     IANA's registries (see Public). Anything new or unknown is refused.
//   - Retry: the one retry transport, with one Backoff (exponential, with
//     jitter and a cap) and one Retry-After parser (RetryAfter). It never
//     waits past the request's deadline. A provider plugs in which answers
//     are worth retrying.
//   - Discard and LimitBody: drain an unwanted body so that its connection
//     is reused; read at most so many bytes, failing (ErrTooLarge) rather
//     than cutting a calendar short.
//   - Scrub: the one scrubber of transport errors, which keeps their kind
//     and drops what they quote (URLs with their secrets, answers).
package calhttp

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrPrivateAddress is returned (wrapped) when a guarded client refuses to
// dial an address that is not public: loopback, private, link-local,
// reserved, a translation prefix, …
var ErrPrivateAddress = errors.New("not a public address")

// ErrInsecureRedirect is returned (wrapped) when a guarded client refuses
// to follow a redirect from https to plain http, or to a scheme other than
// http and https.
var ErrInsecureRedirect = errors.New("redirect to an insecure or unknown scheme refused")

// Client returns an HTTP client that, unless allowPrivate, refuses to
// connect to addresses that are not Public, refuses redirects from https
// to http and never follows a redirect to a scheme other than http or
// https. The address check runs on the address actually dialled, after
// DNS, so a name that resolves inward is refused too. The client uses no
// proxy, so that the check applies to the server itself.
func Client(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	c := &http.Client{}
	if !allowPrivate {
		dialer.Control = refusePrivate
		c.CheckRedirect = checkRedirect
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = dialer.DialContext
	c.Transport = tr
	return c
}

// checkRedirect keeps net/http's limit of 10 redirects and refuses
// downgrades: a redirect to http after https would send what the request
// carries (a CalDAV password in basic auth, a feed's secret path) in the
// clear.
func checkRedirect(req *http.Request, via []*http.Request) error {
	switch req.URL.Scheme {
	case "https":
	case "http":
		for _, prev := range via {
			if prev.URL.Scheme == "https" {
				return fmt.Errorf("redirect from https to http: %w", ErrInsecureRedirect)
			}
		}
	default:
		return fmt.Errorf("redirect to another scheme: %w", ErrInsecureRedirect)
	}
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}

// refusePrivate is a dialer Control that fails for addresses that are not
// Public.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return ErrPrivateAddress
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !Public(ip) {
		return ErrPrivateAddress
	}
	return nil
}

// Public reports whether ip is a global unicast address that slotbook may
// reach on a user's behalf. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d)
// are judged as the IPv4 address they carry. IPv4 addresses are public
// unless they lie in one of the ranges of notPublic4; IPv6 addresses only
// inside 2000::/3, the global unicast space, and outside notPublic6. A
// zoned address (fe80::1%eth0) is never public.
func Public(ip netip.Addr) bool {
	if !ip.IsValid() || ip.Zone() != "" {
		return false
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return !inAny(ip, notPublic4)
	}
	return globalUnicast6.Contains(ip) && !inAny(ip, notPublic6)
}

func inAny(ip netip.Addr, ranges []netip.Prefix) bool {
	for _, p := range ranges {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// globalUnicast6 is the IPv6 global unicast space (IANA IPv6 Address
// Space registry, RFC 4291 section 2.4). Everything outside it is refused:
// loopback ::1, unspecified ::, IPv4-compatible ::/96 (RFC 4291, 2.5.5.1),
// IPv4-translated ::ffff:0:0:0/96 (RFC 2765), NAT64 64:ff9b::/96 (RFC 6052)
// and 64:ff9b:1::/48 (RFC 8215), discard-only 100::/64 (RFC 6666), SRv6
// SIDs 5f00::/16 (RFC 9602), ULA fc00::/7 (RFC 4193), link-local fe80::/10
// (RFC 4291), site-local fec0::/10 (RFC 3879) and multicast ff00::/8.
var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// notPublic4 are the IPv4 ranges that are refused: IANA's IPv4
// Special-Purpose Address Registry (those not globally reachable, and the
// documentation and benchmarking ranges), plus multicast.
var notPublic4 = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),          // "this network", RFC 791 section 3.2
	netip.MustParsePrefix("10.0.0.0/8"),         // private use, RFC 1918
	netip.MustParsePrefix("100.64.0.0/10"),      // shared address space (CGNAT), RFC 6598
	netip.MustParsePrefix("127.0.0.0/8"),        // loopback, RFC 1122 section 3.2.1.3
	netip.MustParsePrefix("169.254.0.0/16"),     // link-local (instance metadata), RFC 3927
	netip.MustParsePrefix("172.16.0.0/12"),      // private use, RFC 1918
	netip.MustParsePrefix("192.0.0.0/24"),       // IETF protocol assignments, RFC 6890 section 2.1
	netip.MustParsePrefix("192.0.2.0/24"),       // documentation (TEST-NET-1), RFC 5737
	netip.MustParsePrefix("192.88.99.0/24"),     // 6to4 relay anycast (deprecated), RFC 7526
	netip.MustParsePrefix("192.168.0.0/16"),     // private use, RFC 1918
	netip.MustParsePrefix("198.18.0.0/15"),      // benchmarking, RFC 2544
	netip.MustParsePrefix("198.51.100.0/24"),    // documentation (TEST-NET-2), RFC 5737
	netip.MustParsePrefix("203.0.113.0/24"),     // documentation (TEST-NET-3), RFC 5737
	netip.MustParsePrefix("224.0.0.0/4"),        // multicast, RFC 5771
	netip.MustParsePrefix("240.0.0.0/4"),        // reserved, RFC 1112 section 4
	netip.MustParsePrefix("255.255.255.255/32"), // limited broadcast, RFC 919 section 7 (inside 240/4; listed for the registry)
}

// notPublic6 are the ranges inside 2000::/3 that IANA's IPv6
// Special-Purpose Address Registry lists and that are refused.
var notPublic6 = []netip.Prefix{
	// IETF protocol assignments, RFC 2928: Teredo 2001::/32 (RFC 4380),
	// PCP and TURN anycast, benchmarking 2001:2::/48 (RFC 5180), AMT
	// 2001:3::/32, AS112 2001:4:112::/48, ORCHIDv2 2001:20::/28, DRIP
	// 2001:30::/28, …
	netip.MustParsePrefix("2001::/23"),
	netip.MustParsePrefix("2001:db8::/32"), // documentation, RFC 3849
	netip.MustParsePrefix("2002::/16"),     // 6to4, RFC 3056
	netip.MustParsePrefix("3fff::/20"),     // documentation, RFC 9637
}

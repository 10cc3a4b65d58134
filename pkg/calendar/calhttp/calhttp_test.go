package calhttp

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPublic(t *testing.T) {
	// Each range: its first and last address, and its neighbours outside
	// where those are public.
	tests := []struct {
		addr string
		want bool
	}{
		// 0.0.0.0/8 "this network"
		{"0.0.0.0", false}, {"0.255.255.255", false}, {"1.0.0.0", true},
		// 10.0.0.0/8
		{"9.255.255.255", true}, {"10.0.0.0", false}, {"10.255.255.255", false}, {"11.0.0.0", true},
		// 100.64.0.0/10 shared address space
		{"100.63.255.255", true}, {"100.64.0.0", false}, {"100.127.255.255", false}, {"100.128.0.0", true},
		// 127.0.0.0/8 loopback
		{"126.255.255.255", true}, {"127.0.0.0", false}, {"127.0.0.1", false}, {"127.255.255.255", false}, {"128.0.0.0", true},
		// 169.254.0.0/16 link-local
		{"169.253.255.255", true}, {"169.254.0.0", false}, {"169.254.169.254", false}, {"169.254.255.255", false}, {"169.255.0.0", true},
		// 172.16.0.0/12
		{"172.15.255.255", true}, {"172.16.0.0", false}, {"172.31.255.255", false}, {"172.32.0.0", true},
		// 192.0.0.0/24 IETF protocol assignments
		{"191.255.255.255", true}, {"192.0.0.0", false}, {"192.0.0.255", false}, {"192.0.1.0", true},
		// 192.0.2.0/24 TEST-NET-1
		{"192.0.1.255", true}, {"192.0.2.0", false}, {"192.0.2.255", false}, {"192.0.3.0", true},
		// 192.88.99.0/24 6to4 relay anycast
		{"192.88.98.255", true}, {"192.88.99.0", false}, {"192.88.99.255", false}, {"192.88.100.0", true},
		// 192.168.0.0/16
		{"192.167.255.255", true}, {"192.168.0.0", false}, {"192.168.255.255", false}, {"192.169.0.0", true},
		// 198.18.0.0/15 benchmarking
		{"198.17.255.255", true}, {"198.18.0.0", false}, {"198.19.255.255", false}, {"198.20.0.0", true},
		// 198.51.100.0/24 TEST-NET-2
		{"198.51.99.255", true}, {"198.51.100.0", false}, {"198.51.100.255", false}, {"198.51.101.0", true},
		// 203.0.113.0/24 TEST-NET-3
		{"203.0.112.255", true}, {"203.0.113.0", false}, {"203.0.113.255", false}, {"203.0.114.0", true},
		// 224.0.0.0/4 multicast, 240.0.0.0/4 reserved, 255.255.255.255
		{"223.255.255.255", true}, {"224.0.0.0", false}, {"239.255.255.255", false},
		{"240.0.0.0", false}, {"255.255.255.254", false}, {"255.255.255.255", false},
		// public IPv4
		{"8.8.8.8", true}, {"93.184.216.34", true},

		// IPv4-mapped IPv6 is judged as its IPv4 address.
		{"::ffff:127.0.0.1", false}, {"::ffff:169.254.169.254", false}, {"::ffff:10.0.0.1", false}, {"::ffff:8.8.8.8", true},

		// Outside 2000::/3: unspecified, loopback, IPv4-compatible ::/96,
		// IPv4-translated, NAT64, discard-only, SRv6, ULA, link-local,
		// site-local, multicast.
		{"::", false}, {"::1", false}, {"::127.0.0.1", false}, {"::8.8.8.8", false}, {"::ffff:ffff", false},
		{"::ffff:0:8.8.8.8", false},
		{"64:ff9b::", false}, {"64:ff9b::7f00:1", false}, {"64:ff9b::808:808", false}, {"64:ff9b::ffff:ffff", false},
		{"64:ff9b:1::", false}, {"64:ff9b:1:ffff:ffff:ffff:ffff:ffff", false},
		{"100::", false}, {"100::ffff:ffff:ffff:ffff", false},
		{"5f00::1", false},
		{"fc00::", false}, {"fd12:3456::1", false}, {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false},
		{"fe80::", false}, {"fe80::1", false}, {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false},
		{"fec0::", false}, {"fec0::1", false}, {"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false},
		{"ff02::1", false}, {"ff0e::1", false},
		// 2000::/3 global unicast, its edges
		{"1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false}, {"2000::", true},
		{"3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true}, {"4000::", false},
		// 2001::/23 IETF protocol assignments (Teredo 2001::/32 inside)
		{"2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true}, {"2001::", false}, {"2001::1", false},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", false}, {"2001:2::1", false},
		{"2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", false}, {"2001:200::", true},
		// 2001:db8::/32 documentation
		{"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", true}, {"2001:db8::", false}, {"2001:db8::1", false},
		{"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", false}, {"2001:db9::", true},
		// 2002::/16 6to4
		{"2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true}, {"2002::", false}, {"2002:7f00:1::1", false},
		{"2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false}, {"2003::", true},
		// 3fff::/20 documentation
		{"3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true}, {"3fff::", false},
		{"3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", false}, {"3fff:1000::", true},
		// public IPv6
		{"2606:2800:220:1::248", true}, {"2001:4860:4860::8888", true}, {"2a00:1450:4001::1", true},
		// A zone makes an address local.
		{"2606:2800:220:1::248%eth0", false}, {"fe80::1%eth0", false},
	}
	for _, tt := range tests {
		ip := netip.MustParseAddr(tt.addr)
		if got := Public(ip); got != tt.want {
			t.Errorf("Public(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
	if Public(netip.Addr{}) {
		t.Error("Public(zero Addr) = true, want false")
	}
}

func TestRefusePrivate(t *testing.T) {
	for addr, refused := range map[string]bool{
		"127.0.0.1:9001": true, "[::1]:443": true, "[::ffff:127.0.0.1]:443": true, "[64:ff9b::a9fe:a9fe]:80": true,
		"garbage": true, "localhost:443": true,
		"93.184.216.34:443": false, "[2606:2800:220:1::248]:443": false,
	} {
		err := refusePrivate("tcp", addr, nil)
		if got := errors.Is(err, ErrPrivateAddress); got != refused {
			t.Errorf("refusePrivate(%q) = %v, want refused=%v", addr, err, refused)
		}
	}
}

// TestClientRefusesLoopback dials real listeners: the guarded client must
// not connect to them, whether named by address or by a host name that
// resolves to loopback.
func TestClientRefusesLoopback(t *testing.T) {
	var hits atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	v4 := httptest.NewServer(h)
	defer v4.Close()
	urls := []string{v4.URL, strings.Replace(v4.URL, "127.0.0.1", "localhost", 1)}
	if l, err := net.Listen("tcp", "[::1]:0"); err == nil {
		v6 := &httptest.Server{Listener: l, Config: &http.Server{Handler: h}}
		v6.Start()
		defer v6.Close()
		urls = append(urls, v6.URL)
	} else {
		urls = append(urls, "http://[::1]:9/") // refused before any connect is tried
	}

	c := Client(false)
	for _, u := range urls {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := c.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
		}
		if !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("GET %s = %v, want ErrPrivateAddress", u, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the servers got %d requests, want none", n)
	}

	// The same server is reachable where private networks are allowed.
	resp, err := Client(true).Get(v4.URL)
	if err != nil {
		t.Fatalf("allow-private client: %v", err)
	}
	resp.Body.Close()
}

func TestClientRedirects(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/to-https" {
			http.Redirect(w, r, r.URL.Query().Get("u"), http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer plain.Close()
	var secure *httptest.Server
	secure = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-http":
			http.Redirect(w, r, plain.URL+"/landed", http.StatusFound)
		case "/to-https":
			http.Redirect(w, r, secure.URL+"/landed", http.StatusFound)
		case "/to-ftp":
			http.Redirect(w, r, "ftp://example.com/x", http.StatusFound)
		case "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case "/via-https-to-http":
			// https → https → http: the downgrade further down the chain counts too.
			http.Redirect(w, r, secure.URL+"/to-http", http.StatusFound)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer secure.Close()

	// The guarded client's redirect policy with a transport that may reach
	// the loopback test servers (the dialer is tested above).
	guarded := Client(false)
	guarded.Transport = secure.Client().Transport
	open := Client(true)
	open.Transport = secure.Client().Transport

	tests := []struct {
		name, url string
		refused   bool
	}{
		{"https to http", secure.URL + "/to-http", true},
		{"https to https to http", secure.URL + "/via-https-to-http", true},
		{"https to ftp", secure.URL + "/to-ftp", true},
		{"https to file", secure.URL + "/to-file", true},
		{"https to https", secure.URL + "/to-https", false},
		{"http to https", plain.URL + "/to-https?u=" + secure.URL + "/landed", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := guarded.Get(tt.url)
			if err == nil {
				resp.Body.Close()
			}
			if got := errors.Is(err, ErrInsecureRedirect); got != tt.refused {
				t.Errorf("guarded GET = %v, want refused=%v", err, tt.refused)
			}
			if !tt.refused && (err != nil || resp.StatusCode != http.StatusNoContent) {
				t.Errorf("guarded GET = %v, %v, want the redirect followed", resp, err)
			}
		})
	}
	t.Run("allow-private mode follows https to http", func(t *testing.T) {
		resp, err := open.Get(secure.URL + "/to-http")
		if err != nil {
			t.Fatalf("GET: %v", err)
		}
		resp.Body.Close()
	})
}

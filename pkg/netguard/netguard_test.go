package netguard

import (
	"errors"
	"testing"
)

func TestRefusePrivate(t *testing.T) {
	for addr, refused := range map[string]bool{
		"127.0.0.1:9001": true, "[::1]:443": true, "10.1.2.3:443": true, "172.16.0.1:443": true,
		"192.168.1.1:443": true, "169.254.169.254:80": true, "100.64.0.1:443": true, "0.0.0.0:443": true,
		"[::ffff:127.0.0.1]:443": true, "[fe80::1]:443": true, "224.0.0.1:443": true, "garbage": true,
		"93.184.216.34:443": false, "[2606:2800:220:1::248]:443": false,
	} {
		err := refusePrivate("tcp", addr, nil)
		if got := errors.Is(err, ErrPrivateAddress); got != refused {
			t.Errorf("refusePrivate(%q) = %v, want refused=%v", addr, err, refused)
		}
	}
}

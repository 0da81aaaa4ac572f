package sources

import (
	"net/http/httptest"
	"testing"
)

func TestClientAddr(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.7, ::1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, peer string
		xff        []string
		trusted    bool
		want       string
	}{
		{"no proxies configured: the peer, XFF ignored", "203.0.113.9:443", []string{"198.51.100.1"}, false, "203.0.113.9:443"},
		{"untrusted peer: XFF ignored", "203.0.113.9:443", []string{"198.51.100.1"}, true, "203.0.113.9:443"},
		{"trusted peer: the client it names", "10.1.2.3:5000", []string{"198.51.100.1"}, true, "198.51.100.1"},
		{"forged hops left of the real client are skipped", "10.1.2.3:5000", []string{"6.6.6.6, 198.51.100.1"}, true, "198.51.100.1"},
		{"chained trusted proxies", "10.1.2.3:5000", []string{"198.51.100.1, 192.0.2.7", "10.9.9.9"}, true, "198.51.100.1"},
		{"trusted IPv6 peer", "[::1]:5000", []string{"2001:db8::5"}, true, "2001:db8::5"},
		{"malformed hop ends the walk", "10.1.2.3:5000", []string{"198.51.100.1, garbage"}, true, "10.1.2.3:5000"},
		{"trusted peer without XFF", "10.1.2.3:5000", nil, true, "10.1.2.3:5000"},
		{"all hops trusted: the leftmost", "10.1.2.3:5000", []string{"10.0.0.1, 10.0.0.2"}, true, "10.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/webhooks/stripe", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			var tr = trusted
			if !tt.trusted {
				tr = nil
			}
			if got := clientAddr(r, tr); got != tt.want {
				t.Errorf("clientAddr() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0.1/x"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q) accepted it", bad)
		}
	}
	got, err := ParseTrustedProxies(" 10.0.0.1/8 ,, ::ffff:192.0.2.1 ")
	if err != nil || len(got) != 2 || got[0].String() != "10.0.0.0/8" || got[1].String() != "192.0.2.1/32" {
		t.Errorf("ParseTrustedProxies() = %v, %v", got, err)
	}
}

package sources

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr returns the address to record for r: the peer's, unless the
// peer is a trusted proxy, in which case the rightmost X-Forwarded-For hop
// that is not itself a trusted proxy (hops left of it could be forged by the
// client). A malformed hop ends the walk at the last good one.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	peer := r.RemoteAddr
	if len(trusted) == 0 {
		return peer
	}
	ip, ok := parseIP(peer)
	if !ok || !isTrusted(ip, trusted) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	addr := peer
	for i := len(hops) - 1; i >= 0; i-- {
		hop, ok := parseIP(strings.TrimSpace(hops[i]))
		if !ok {
			break
		}
		addr = hop.String()
		if !isTrusted(hop, trusted) {
			break
		}
	}
	return addr
}

// parseIP reads an IP address, with or without a port.
func parseIP(s string) (netip.Addr, bool) {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies reads a comma-separated list of CIDRs or single IP
// addresses (HOOKLEDGER_TRUSTED_PROXIES); empty text means none.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(f)
		if err != nil {
			return nil, &net.ParseError{Type: "CIDR or IP address", Text: f}
		}
		out = append(out, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
	}
	return out, nil
}

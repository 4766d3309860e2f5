package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// withClientAddr sets r.RemoteAddr to the client's address when the
// request came through one of the trusted reverse proxies: the rightmost
// X-Forwarded-For entry that is not itself a trusted proxy (entries further
// left are whatever the client chose to send). Login throttling counts
// failures by this address; behind a proxy, without it, every client would
// share the proxy's address and one attacker could lock everyone out.
// Without trusted proxies X-Forwarded-For is ignored: anyone can send it.
func withClientAddr(trusted []netip.Prefix, next http.Handler) http.Handler {
	if len(trusted) == 0 {
		return next
	}
	isTrusted := func(a netip.Addr) bool {
		a = a.Unmap().WithZone("")
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil || !isTrusted(peer.Addr()) {
			next.ServeHTTP(w, r)
			return
		}
		client := peer.Addr()
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // not written by a proxy we trust: keep the last one we do
			}
			client = a.Unmap().WithZone("")
			if !isTrusted(client) {
				break
			}
		}
		r2 := r.Clone(r.Context())
		r2.RemoteAddr = net.JoinHostPort(client.String(), "0")
		next.ServeHTTP(w, r2)
	})
}

// parsePrefixes reads comma-separated addresses and CIDR prefixes.
func parsePrefixes(s string) ([]netip.Prefix, bool) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, false
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, true
}

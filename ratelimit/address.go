package ratelimit

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the reverse proxies (an ingress) trusted to name, in
// X-Forwarded-For, the client they forward for (TRUSTED_PROXIES).
type Proxies []netip.Prefix

// ParseProxies reads comma-separated CIDRs (a bare address is one host);
// "" is none. A prefix of length 0 is refused: it would trust every
// client to choose its own address.
func ParseProxies(s string) (Proxies, error) {
	var out Proxies
	var errs []error
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				errs = append(errs, fmt.Errorf("%q is not a CIDR such as 10.244.0.0/16 or an address", part))
				continue
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		if p.Bits() == 0 {
			errs = append(errs, fmt.Errorf("%q trusts every address: any client could choose its own; name the proxies' network", part))
			continue
		}
		out = append(out, netip.PrefixFrom(p.Addr().Unmap(), min(p.Bits(), p.Addr().Unmap().BitLen())).Masked())
	}
	return out, errors.Join(errs...)
}

func (p Proxies) trusts(a netip.Addr) bool {
	for _, prefix := range p {
		if prefix.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddress is the address a request comes from: the peer's, unless
// the peer is a trusted proxy; then X-Forwarded-For is read from the
// right, past every trusted address, to the first one that is not (the
// proxy appended it: the entries left of it are the client's own words).
// When every entry is trusted or one is not an address, it is the last
// trusted one read.
func (p Proxies) ClientAddress(r *http.Request) string {
	a, ok := p.clientAddr(r)
	if !ok {
		return peerHost(r.RemoteAddr)
	}
	return a.String()
}

func (p Proxies) clientAddr(r *http.Request) (netip.Addr, bool) {
	peer, ok := parseAddr(peerHost(r.RemoteAddr))
	if !ok || !p.trusts(peer) {
		return peer, ok
	}
	hops := forwardedFor(r.Header)
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseAddr(hops[i])
		if !ok {
			break
		}
		client = a
		if !p.trusts(a) {
			break
		}
	}
	return client, true
}

// forwardedFor is every X-Forwarded-For entry, over all the header's
// lines, in order.
func forwardedFor(h http.Header) []string {
	var hops []string
	for _, line := range h.Values("X-Forwarded-For") {
		for hop := range strings.SplitSeq(line, ",") {
			hops = append(hops, strings.TrimSpace(hop))
		}
	}
	return hops
}

func peerHost(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return host
}

// parseAddr reads an address as proxies write it: bare, or with a port
// ("192.0.2.1:4711", "[2001:db8::1]:4711"); a zone is dropped.
func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		if perr != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone(""), true
}

// addressKey is the bucket of an address: an IPv6 client is counted by
// its /64, the network one subscriber gets, since it can pick any
// address in it.
func addressKey(a netip.Addr) string {
	if a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}

// Package egress is kassa's outbound HTTP to addresses merchants give it
// (webhook endpoints, logo URLs). Such a URL must not reach kassa's own
// network: targets on loopback, private, link-local and other special
// addresses are refused, both when the URL is accepted (every address its
// host resolves to) and at every connection (the address actually dialled),
// so a DNS answer that changes after the check (rebinding) gains nothing.
// AllowPrivate lifts the rule for development and tests.
package egress

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"kassa/fault"
)

// blocked are the networks no merchant-given URL may reach: every entry of
// the IANA IPv4 and IPv6 Special-Purpose Address Registries (the few that
// are globally reachable anycast services too: nothing a webhook needs),
// plus multicast. Ranges that embed an IPv4 address (IPv4-compatible,
// IPv4-translated, NAT64, 6to4, Teredo) are refused whole rather than
// judged by the embedded address: a gateway that unwraps them could reach
// kassa's own network, and no real webhook receiver needs one.
var blocked = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",         // "this" network
		"10.0.0.0/8",        // private
		"100.64.0.0/10",     // carrier-grade NAT
		"127.0.0.0/8",       // loopback
		"169.254.0.0/16",    // link-local (cloud metadata lives here)
		"172.16.0.0/12",     // private
		"192.0.0.0/24",      // IETF protocol assignments (DS-Lite, NAT64 discovery, …)
		"192.0.2.0/24",      // documentation
		"192.88.99.0/24",    // 6to4 relay anycast (deprecated)
		"192.31.196.0/24",   // AS112 DNS service
		"192.52.193.0/24",   // AMT relays
		"192.168.0.0/16",    // private
		"192.175.48.0/24",   // direct delegation AS112 service
		"198.18.0.0/15",     // benchmarking
		"198.51.100.0/24",   // documentation
		"203.0.113.0/24",    // documentation
		"224.0.0.0/4",       // multicast
		"240.0.0.0/4",       // reserved, limited broadcast 255.255.255.255
		"::/96",             // IPv4-compatible (deprecated; [::127.0.0.1] is loopback to some stacks), :: and ::1 included
		"::/128",            // unspecified
		"::1/128",           // loopback
		"::ffff:0:0/96",     // IPv4-mapped (Public unmaps these first and judges the IPv4 address)
		"::ffff:0:0:0/96",   // IPv4-translated (SIIT)
		"64:ff9b::/96",      // NAT64 well-known prefix (reaches IPv4 behind it)
		"64:ff9b:1::/48",    // local-use NAT64
		"100::/64",          // discard-only
		"100:0:0:1::/64",    // dummy prefix
		"2001::/23",         // IETF protocol assignments: Teredo 2001::/32, benchmarking 2001:2::/48, ORCHID, …
		"2001:db8::/32",     // documentation
		"2002::/16",         // 6to4 (reaches IPv4 behind it)
		"2620:4f:8000::/48", // direct delegation AS112 service
		"3fff::/20",         // documentation
		"5f00::/16",         // segment routing (SRv6) SIDs
		"fc00::/7",          // unique local
		"fe80::/10",         // link-local
		"fec0::/10",         // site-local (deprecated)
		"ff00::/8",          // multicast
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

// Public reports whether ip is an address a merchant's URL may reach. An
// address with a zone (fe80::1%eth0) is never public: zones only name
// interfaces of scoped addresses, and netip.Prefix.Contains ignores zoned
// addresses, so they would slip past every prefix.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.Zone() != "" {
		return false
	}
	for _, p := range blocked {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// ErrBlocked is returned (wrapped) when a connection would reach a refused
// address.
var ErrBlocked = errors.New("egress: the address is private, loopback or link-local")

// Options configure a Client.
type Options struct {
	// AllowPrivate lets URLs reach any address and use plain http
	// (KASSA_WEBHOOK_ALLOW_PRIVATE, for development and tests).
	AllowPrivate bool
	// Timeout bounds a whole request, body included.
	Timeout time.Duration
	// TLS, when set, is the client's TLS configuration (tests trust their
	// own certificate with it).
	TLS *tls.Config
	// Resolver looks up hosts; nil is net.DefaultResolver.
	Resolver *net.Resolver
}

// Client makes requests to merchant-given URLs.
type Client struct {
	opts Options
	HTTP *http.Client
}

// New returns a client. It never follows redirects (a redirect could lead
// anywhere; callers treat 3xx as an answer) and never uses a proxy from
// the environment (which would dial on its behalf, unchecked).
func New(opts Options) *Client {
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Resolver: opts.Resolver}
	if !opts.AllowPrivate {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrBlocked, address)
			}
			if !Public(ap.Addr()) {
				return fmt.Errorf("%w: %s", ErrBlocked, ap.Addr())
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       opts.TLS,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: opts.Timeout,
		MaxIdleConns:          50,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       60 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &Client{opts: opts, HTTP: &http.Client{
		Transport:     tr,
		Timeout:       opts.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// AllowPrivate reports whether the client may reach private addresses.
func (c *Client) AllowPrivate() bool { return c.opts.AllowPrivate }

// CheckURL validates a URL a merchant gives for field: absolute, https
// (http too when private targets are allowed), no credentials, at most 2048
// characters, and, unless private targets are allowed, a host whose every
// address is public.
//
// Errors: codes INVALID_URL, HTTPS_REQUIRED, PRIVATE_ADDRESS,
// UNRESOLVABLE_HOST.
func (c *Client) CheckURL(ctx context.Context, field, raw string) (*url.URL, error) {
	u, err := ParseURL(field, raw, c.opts.AllowPrivate)
	if err != nil {
		return nil, err
	}
	if c.opts.AllowPrivate {
		return u, nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if !Public(ip) {
			return nil, fault.Invalid(field, ErrPrivateAddress, "%s is a private, loopback or link-local address", host)
		}
		return u, nil
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return nil, fault.Invalid(field, ErrPrivateAddress, "%s is a loopback address", host)
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := c.opts.Resolver.LookupNetIP(lctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return nil, fault.Invalid(field, ErrUnresolvableHost, "the host %s does not resolve", host)
	}
	for _, a := range addrs {
		if !Public(a) {
			return nil, fault.Invalid(field, ErrPrivateAddress, "%s resolves to %s, a private, loopback or link-local address", host, a.Unmap())
		}
	}
	return u, nil
}

// ParseURL checks the form of a merchant-given URL, without looking the
// host up: absolute http(s), no credentials, no fragment, at most 2048
// characters; https unless allowHTTP.
//
// Errors: codes INVALID_URL, HTTPS_REQUIRED.
func ParseURL(field, raw string, allowHTTP bool) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 2048 || strings.ContainsAny(raw, " \t\r\n\\") {
		return nil, fault.Invalid(field, fault.ErrInvalidURL, "%s must be an absolute URL of at most 2048 characters", field)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, fault.Invalid(field, fault.ErrInvalidURL, "%s must be an absolute URL", field)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !allowHTTP {
			return nil, fault.Invalid(field, ErrHTTPSRequired, "%s must use https", field)
		}
	default:
		return nil, fault.Invalid(field, fault.ErrInvalidURL, "%s must be an http(s) URL", field)
	}
	if u.User != nil {
		return nil, fault.Invalid(field, fault.ErrInvalidURL, "%s must not contain credentials", field)
	}
	if u.Fragment != "" {
		return nil, fault.Invalid(field, fault.ErrInvalidURL, "%s must not contain a fragment", field)
	}
	if u.Hostname() == "" {
		return nil, fault.Invalid(field, fault.ErrInvalidURL, "%s has no host", field)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	return u, nil
}

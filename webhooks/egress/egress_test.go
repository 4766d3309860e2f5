package egress_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/fault"
	"kassa/webhooks/egress"
)

func TestPublic(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ip   string
		want bool
	}{
		{"93.184.215.14", true}, {"2606:2800:21f:cb07:6820:80da:af6b:8b2c", true}, {"1.1.1.1", true},
		{"127.0.0.1", false}, {"127.8.9.10", false}, {"::1", false}, {"10.0.0.1", false}, {"172.16.5.4", false},
		{"172.31.255.255", false}, {"192.168.1.1", false}, {"169.254.169.254", false}, {"fe80::1", false},
		{"fd00::1", false}, {"0.0.0.0", false}, {"::", false}, {"100.64.0.1", false}, {"224.0.0.1", false},
		{"255.255.255.255", false}, {"::ffff:127.0.0.1", false}, {"::ffff:10.0.0.1", false}, {"64:ff9b::a00:1", false},
		{"172.32.0.1", true}, {"11.0.0.1", true},
	} {
		require.Equal(t, tc.want, egress.Public(netip.MustParseAddr(tc.ip)), tc.ip)
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	strict := egress.New(egress.Options{})
	loose := egress.New(egress.Options{AllowPrivate: true})
	ctx := context.Background()
	for _, tc := range []struct {
		name, url string
		client    *egress.Client
		code      error
	}{
		{"PlainHTTP", "http://shop.example.com/hooks", strict, egress.ErrHTTPSRequired},
		{"Loopback", "https://127.0.0.1/hooks", strict, egress.ErrPrivateAddress},
		{"LoopbackV6", "https://[::1]:8443/hooks", strict, egress.ErrPrivateAddress},
		{"Private", "https://10.1.2.3/hooks", strict, egress.ErrPrivateAddress},
		{"Metadata", "https://169.254.169.254/latest/meta-data", strict, egress.ErrPrivateAddress},
		{"MappedLoopback", "https://[::ffff:127.0.0.1]/", strict, egress.ErrPrivateAddress},
		{"LocalhostName", "https://localhost:9000/hooks", strict, egress.ErrPrivateAddress},
		{"SubdomainOfLocalhost", "https://shop.localhost/hooks", strict, egress.ErrPrivateAddress},
		{"JavaScript", "javascript:alert(1)", strict, fault.ErrInvalidURL},
		{"Relative", "/hooks", strict, fault.ErrInvalidURL},
		{"Credentials", "https://user:pw@shop.example.com/", strict, fault.ErrInvalidURL},
		{"FTP", "ftp://shop.example.com/", strict, fault.ErrInvalidURL},
		{"Empty", "", strict, fault.ErrInvalidURL},
		{"Unresolvable", "https://no-such-host.invalid/hooks", strict, egress.ErrUnresolvableHost},
		{"PlainHTTPAllowedWhenPrivateIs", "http://127.0.0.1:9000/hooks", loose, nil},
		{"PublicLiteral", "https://93.184.215.14/hooks", strict, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.client.CheckURL(ctx, "url", tc.url)
			if tc.code == nil {
				require.NoError(t, err)
				return
			}
			f, ok := fault.As(err)
			require.True(t, ok, "want a fault, got %v", err)
			require.ErrorIs(t, err, tc.code)
			require.Equal(t, []string{"input", "url"}, f.Field)
		})
	}
}

// FuzzParseURL: merchant-given URLs are outside input; an accepted one is
// always absolute http(s) with a host and no credentials.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"https://shop.example/hooks", "javascript:alert(1)", "http://[::1]:80/", "https://u:p@h/", "//x", "https://h/#f"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, allowHTTP bool) {
		u, err := egress.ParseURL("url", raw, allowHTTP)
		if err != nil {
			if _, ok := fault.As(err); !ok {
				t.Fatalf("not a fault: %v", err)
			}
			return
		}
		if (u.Scheme != "https" && (!allowHTTP || u.Scheme != "http")) || u.Hostname() == "" || u.User != nil {
			t.Fatalf("accepted %q as %#v", raw, u)
		}
	})
}

// TestPublicSpecialPurposeRanges covers every range of the IANA IPv4 and
// IPv6 Special-Purpose Address Registries (and multicast), by addresses at
// their edges, plus addresses that embed a private IPv4 address in IPv6.
func TestPublicSpecialPurposeRanges(t *testing.T) {
	t.Parallel()
	blocked := []string{
		// IPv4
		"0.0.0.0", "0.255.255.255", // this network
		"10.0.0.0", "10.255.255.255", // private
		"100.64.0.0", "100.127.255.255", // shared address space
		"127.0.0.1", "127.255.255.254", // loopback
		"169.254.0.1", "169.254.169.254", // link-local, cloud metadata
		"172.16.0.0", "172.31.255.255", // private
		"192.0.0.0", "192.0.0.8", "192.0.0.9", "192.0.0.170", "192.0.0.255", // IETF protocol assignments
		"192.0.2.1", "198.51.100.7", "203.0.113.255", // documentation
		"192.31.196.1", "192.52.193.1", "192.175.48.1", // AS112, AMT
		"192.88.99.1",                    // 6to4 relay anycast
		"192.168.0.1", "192.168.255.255", // private
		"198.18.0.1", "198.19.255.255", // benchmarking
		"224.0.0.1", "239.255.255.250", // multicast
		"240.0.0.1", "255.255.255.254", "255.255.255.255", // reserved, broadcast
		// IPv6
		"::", "::1", // unspecified, loopback
		"::127.0.0.1", "::10.0.0.1", "::169.254.169.254", "::1.1.1.1", "::ffff:ffff", // IPv4-compatible
		"::ffff:127.0.0.1", "::ffff:192.168.1.1", "::ffff:169.254.169.254", // IPv4-mapped, private inside
		"::ffff:0:7f00:1", "::ffff:0:a00:1", // IPv4-translated
		"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::101:101", // NAT64 (the last would be 1.1.1.1)
		"64:ff9b:1::1", "64:ff9b:1:ffff::1", // local-use NAT64
		"100::1", "100::ffff:ffff:ffff:ffff", "100:0:0:1::1", // discard, dummy
		"2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo
		"2001:1::1", "2001:2::1", "2001:3::1", "2001:4:112::1", "2001:10::1", "2001:20::1", "2001:1ff::1", // IETF assignments
		"2001:db8::1", "2001:db8:ffff::1", // documentation
		"2002:7f00:1::1", "2002:a00:1::", "2002:101:101::1", // 6to4
		"2620:4f:8000::1",        // direct delegation AS112
		"3fff::1", "3fff:fff::1", // documentation (2024)
		"5f00::1", "5f00:ffff::1", // SRv6 SIDs
		"fc00::1", "fd00::1", "fdff:ffff::1", // unique local
		"fe80::1", "febf:ffff::1", // link-local
		"fec0::1", "feff::1", // site-local
		"ff02::1", "ff0e::1", // multicast
		"fe80::1%eth0", "2606:4700:4700::1111%eth0", // zoned: scoped to an interface
	}
	for _, ip := range blocked {
		require.False(t, egress.Public(netip.MustParseAddr(ip)), "%s must be blocked", ip)
	}
	public := []string{
		"1.1.1.1", "8.8.8.8", "93.184.215.14", "11.0.0.1", "100.63.255.255", "100.128.0.0", "172.32.0.1",
		"169.253.255.255", "192.0.1.1", "192.88.98.1", "198.17.255.255", "198.20.0.1", "223.255.255.255",
		"2606:4700:4700::1111", "2a00:1450:4001:82a::200e", "2001:200::1", "2001:4860:4860::8888",
		"2003::1", "3fff:1000::1", "2620:4f:8001::1", "::ffff:1.1.1.1",
	}
	for _, ip := range public {
		require.True(t, egress.Public(netip.MustParseAddr(ip)), "%s must be allowed", ip)
	}
}

// TestCheckURLRefusesEmbeddedLoopback: URLs whose literal host is IPv6
// carrying a private IPv4 address are refused before any request.
func TestCheckURLRefusesEmbeddedLoopback(t *testing.T) {
	t.Parallel()
	strict := egress.New(egress.Options{})
	for _, u := range []string{
		"https://[::127.0.0.1]/hooks", "https://[::7f00:1]:8443/", "https://[64:ff9b::127.0.0.1]/",
		"https://[2002:7f00:1::1]/", "https://[::ffff:0:127.0.0.1]/", "https://[fe80::1%25eth0]/",
	} {
		_, err := strict.CheckURL(context.Background(), "url", u)
		_, ok := fault.As(err)
		require.True(t, ok, "%s: want a fault, got %v", u, err)
		require.ErrorIs(t, err, egress.ErrPrivateAddress, u)
	}
}

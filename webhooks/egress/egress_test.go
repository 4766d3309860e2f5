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
		code      string
	}{
		{"PlainHTTP", "http://shop.example.com/hooks", strict, "HTTPS_REQUIRED"},
		{"Loopback", "https://127.0.0.1/hooks", strict, "PRIVATE_ADDRESS"},
		{"LoopbackV6", "https://[::1]:8443/hooks", strict, "PRIVATE_ADDRESS"},
		{"Private", "https://10.1.2.3/hooks", strict, "PRIVATE_ADDRESS"},
		{"Metadata", "https://169.254.169.254/latest/meta-data", strict, "PRIVATE_ADDRESS"},
		{"MappedLoopback", "https://[::ffff:127.0.0.1]/", strict, "PRIVATE_ADDRESS"},
		{"LocalhostName", "https://localhost:9000/hooks", strict, "PRIVATE_ADDRESS"},
		{"SubdomainOfLocalhost", "https://shop.localhost/hooks", strict, "PRIVATE_ADDRESS"},
		{"JavaScript", "javascript:alert(1)", strict, "INVALID_URL"},
		{"Relative", "/hooks", strict, "INVALID_URL"},
		{"Credentials", "https://user:pw@shop.example.com/", strict, "INVALID_URL"},
		{"FTP", "ftp://shop.example.com/", strict, "INVALID_URL"},
		{"Empty", "", strict, "INVALID_URL"},
		{"Unresolvable", "https://no-such-host.invalid/hooks", strict, "UNRESOLVABLE_HOST"},
		{"PlainHTTPAllowedWhenPrivateIs", "http://127.0.0.1:9000/hooks", loose, ""},
		{"PublicLiteral", "https://93.184.215.14/hooks", strict, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.client.CheckURL(ctx, "url", tc.url)
			if tc.code == "" {
				require.NoError(t, err)
				return
			}
			f, ok := fault.As(err)
			require.True(t, ok, "want a fault, got %v", err)
			require.Equal(t, tc.code, f.Code)
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
		if (u.Scheme != "https" && !(allowHTTP && u.Scheme == "http")) || u.Hostname() == "" || u.User != nil {
			t.Fatalf("accepted %q as %#v", raw, u)
		}
	})
}

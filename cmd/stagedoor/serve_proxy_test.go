package main

import (
	"net/netip"
	"slices"
	"testing"
)

func TestServeTrustedProxies(t *testing.T) {
	wantFailure(t, cli(t, "", "serve", "--trusted-proxy", "proxy.internal"), 2, `--trusted-proxy: "proxy.internal" is neither an address nor a CIDR prefix`)
	wantFailure(t, cli(t, "", "serve", "--trusted-proxy", "10.0.0.0/33"), 2, `"10.0.0.0/33" is neither`)
	t.Setenv("STAGEDOOR_TRUSTED_PROXIES", "10.0.0.0/8, fe80::1%eth0")
	wantFailure(t, cli(t, "", "serve"), 2, `"fe80::1%eth0" is neither`)

	got, err := parseProxies([]string{"10.1.2.3/8", "192.0.2.7", "::ffff:192.0.2.8", "2001:db8::/32"})
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("192.0.2.8/32"), netip.MustParsePrefix("2001:db8::/32"),
	}
	if !slices.Equal(got, want) {
		t.Fatalf("parseProxies = %v, want %v", got, want)
	}
	if env := envList("STAGEDOOR_TRUSTED_PROXIES"); !slices.Equal(env, []string{"10.0.0.0/8", "fe80::1%eth0"}) {
		t.Fatalf("envList = %q", env)
	}
}

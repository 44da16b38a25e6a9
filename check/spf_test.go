package check

import (
	"context"
	"net/netip"
	"testing"

	"github.com/maildx/maildx/check/dnstest"
)

func TestParseSPF(t *testing.T) {
	good := []string{
		"v=spf1 -all",
		"v=spf1",
		"V=SPF1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:mail.example.com/24//64 ~all",
		"v=spf1 include:_spf.google.com exists:%{i}._spf.%{d} redirect=_spf.example.com",
		"v=spf1 a/24 a//64 ptr:example.com ?all exp=explain.%{d} unknown-mod=x",
		"v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d2}",
	}
	for _, s := range good {
		if _, err := ParseSPF(s); err != nil {
			t.Errorf("ParseSPF(%q) = %v, want ok", s, err)
		}
	}
	bad := []string{
		"v=spf10 -all", "spf1 -all", "v=spf1 include", "v=spf1 include:", "v=spf1 ip4:300.1.1.1",
		"v=spf1 ip4:192.0.2.0/33", "v=spf1 ip6:192.0.2.1", "v=spf1 foo:bar", "v=spf1 all:x",
		"v=spf1 redirect=a.example redirect=b.example", "v=spf1 a/99", "v=spf1 exists:%{x}.example",
		"v=spf1 include:a.example/24", "v=spf1 a:%", "v=spf1 ip4:192.0.2.0/024",
	}
	for _, s := range bad {
		if _, err := ParseSPF(s); err == nil {
			t.Errorf("ParseSPF(%q) = nil error, want permerror", s)
		}
	}
	r, _ := ParseSPF("v=spf1 -ip4:192.0.2.0/24 mx//64 ~all")
	if got := r.Terms[0].String() + " " + r.Terms[1].String() + " " + r.Terms[2].String(); got != "-ip4:192.0.2.0/24 mx//64 ~all" {
		t.Errorf("String() = %q", got)
	}
}

func TestCheckHost(t *testing.T) {
	srv := dnstest.Start(t, `
ex.test. TXT "v=spf1 a mx include:inc.test exists:%{i}.ok.test redirect=red.test"
ex.test. A 192.0.2.10
ex.test. MX 10 mail.ex.test.
mail.ex.test. A 192.0.2.20
mail.ex.test. AAAA 2001:db8::20
inc.test. TXT "v=spf1 ip4:198.51.100.0/24 -all"
192.0.2.99.ok.test. A 127.0.0.2
red.test. TXT "v=spf1 ip4:203.0.113.0/24 ~all"
ptr.test. TXT "v=spf1 ptr -all"
5.2.0.192.in-addr.arpa. PTR host.ptr.test.
host.ptr.test. A 192.0.2.5
loop.test. TXT "v=spf1 include:loop.test -all"
tmp.test. TXT "v=spf1 include:sf.test -all"
SERVFAIL sf.test
`)
	r := &DNSResolver{Servers: []string{srv.Addr}, Attempts: 1}
	ctx := context.Background()
	for _, tc := range []struct {
		domain, ip, want string
	}{
		{"ex.test", "192.0.2.10", SPFPass},     // a
		{"ex.test", "192.0.2.20", SPFPass},     // mx
		{"ex.test", "2001:db8::20", SPFPass},   // mx, IPv6
		{"ex.test", "198.51.100.7", SPFPass},   // include
		{"ex.test", "192.0.2.99", SPFPass},     // exists with %{i}
		{"ex.test", "203.0.113.9", SPFPass},    // redirect
		{"ex.test", "192.0.2.77", SPFSoftfail}, // redirect's ~all
		{"ptr.test", "192.0.2.5", SPFPass},
		{"ptr.test", "192.0.2.6", SPFFail},
		{"none.test", "192.0.2.6", SPFNone},
		{"loop.test", "192.0.2.6", SPFPermerror},
		{"tmp.test", "192.0.2.6", SPFTemperror},
	} {
		res := CheckHost(ctx, r, netip.MustParseAddr(tc.ip), tc.domain, "")
		if res.Result != tc.want {
			t.Errorf("CheckHost(%s, %s) = %s (%s), want %s", tc.domain, tc.ip, res.Result, res.Reason, tc.want)
		}
	}
}

// TestLookupLimits checks the RFC 7208 §4.6.4 counting on nested includes:
// every include, a, mx, ptr, exists and redirect counts once, at any depth;
// ip4/ip6/all do not.
func TestLookupLimits(t *testing.T) {
	srv := dnstest.Start(t, `
top.test. TXT "v=spf1 ip4:192.0.2.1 include:n1.test include:n2.test a mx -all"
top.test. A 192.0.2.1
top.test. MX 10 top.test.
n1.test. TXT "v=spf1 include:n3.test exists:x.n1.test ip6:2001:db8::/32 -all"
n2.test. TXT "v=spf1 a:n1.test redirect=n4.test"
n1.test. A 192.0.2.3
n3.test. TXT "v=spf1 ip4:198.51.100.0/24 ~all"
n4.test. TXT "v=spf1 mx:top.test -all"
`+includeChain("eleven.test", 11)+includeChain("ten.test", 10))
	r := &DNSResolver{Servers: []string{srv.Addr}, Attempts: 1}
	ctx := context.Background()
	// include n1 (1) → include n3 (2), exists (3, void); include n2 (4) →
	// a:n1.test (5), redirect (6) → mx:top.test (7); a (8); mx (9).
	res := CountLookups(ctx, r, "top.test")
	if res.Lookups != 9 || res.Voids != 1 || res.Exceeded {
		t.Errorf("top.test: %d lookups, %d void (%v), want 9 and 1", res.Lookups, res.Voids, res.Counted)
	}
	if ev := CheckHost(ctx, r, netip.MustParseAddr("192.0.2.1"), "top.test", ""); ev.Result != SPFPass || ev.Lookups != 0 {
		t.Errorf("ip4 match first: %s after %d lookups", ev.Result, ev.Lookups)
	}
	for _, tc := range []struct {
		domain string
		n      int
		limit  bool
	}{{"ten.test", 10, false}, {"eleven.test", 11, true}} {
		res := CountLookups(ctx, r, tc.domain)
		if res.Lookups != tc.n || res.Exceeded != tc.limit {
			t.Errorf("CountLookups(%s) = %d (exceeded %v), want %d (%v)", tc.domain, res.Lookups, res.Exceeded, tc.n, tc.limit)
		}
		ev := CheckHost(ctx, r, netip.MustParseAddr("93.184.216.1"), tc.domain, "")
		wantRes := SPFPass
		if tc.limit {
			wantRes = SPFPermerror
		}
		if ev.Result != wantRes {
			t.Errorf("CheckHost(%s) = %s (%s), want %s", tc.domain, ev.Result, ev.Reason, wantRes)
		}
	}
}

package check

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maildx/maildx/check/dnstest"
	"github.com/maildx/maildx/kb"
)

// dkimKey returns a TXT value with a fresh RSA key of bits.
func dkimKey(t *testing.T, bits int) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	b := base64.StdEncoding.EncodeToString(der)
	// Split into 255-octet strings like real zones do.
	var parts []string
	for len(b) > 200 {
		parts = append(parts, `"`+b[:200]+`"`)
		b = b[200:]
	}
	parts = append(parts, `"`+b+`"`)
	return `"v=DKIM1; k=rsa; p=" ` + strings.Join(parts, " ")
}

// includeChain returns zone lines for domain whose SPF record makes n
// lookups through a chain of nested includes.
func includeChain(domain string, n int) string {
	var b strings.Builder
	cur := domain
	for i := 1; i <= n; i++ {
		next := fmt.Sprintf("l%d.%s", i, domain)
		fmt.Fprintf(&b, "%s. TXT \"v=spf1 include:%s -all\"\n", cur, next)
		cur = next
	}
	fmt.Fprintf(&b, "%s. TXT \"v=spf1 ip4:93.184.216.0/24 -all\"\n", cur)
	return b.String()
}

func testZone(t *testing.T) string {
	return `
good.test. MX 10 mx1.good.test.
good.test. MX 20 mx2.good.test.
mx1.good.test. A 93.184.216.34
mx2.good.test. A 93.184.216.36
good.test. TXT "v=spf1 ip4:93.184.216.32/29 include:_spf.prov.test -all"
_spf.prov.test. TXT "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8::/32 ~all"
s1._domainkey.good.test. TXT ` + dkimKey(t, 2048) + `
old._domainkey.good.test. TXT ` + dkimKey(t, 1024) + `
revoked._domainkey.good.test. TXT "v=DKIM1; k=rsa; p="
junk._domainkey.good.test. TXT "v=DKIM1; k=rsa; p=bm90IGEga2V5"
_dmarc.good.test. TXT "v=DMARC1; p=reject; rua=mailto:dmarc@good.test,mailto:r@reports.example"
good.test._report._dmarc.reports.example. TXT "v=DMARC1"
_smtp._tls.good.test. TXT "v=TLSRPTv1; rua=mailto:tls@good.test"
34.216.184.93.in-addr.arpa. PTR mx1.good.test.
36.216.184.93.in-addr.arpa. PTR nowhere.good.test.
nowhere.good.test. A 93.184.216.99
2.0.0.127.bl.test. A 127.0.0.2
36.216.184.93.bl.test. A 127.0.0.2
36.216.184.93.bl.test. TXT "listed for testing"
2.0.0.127.refused.test. A 127.0.0.2
34.216.184.93.refused.test. A 127.255.255.254
2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.test. A 127.0.0.2

weak.test. MX 10 mx1.good.test.
weak.test. TXT "v=spf1 ptr ?all"
_dmarc.weak.test. TXT "v=DMARC1; p=none; pct=50; rua=mailto:x@other.example"

bad.test. TXT "v=spf1 +all"
bad.test. TXT "v=spf1 -all"
_dmarc.bad.test. TXT "v=DMARC1; p=none"
_dmarc.bad.test. TXT "v=DMARC1; p=reject"
_mta-sts.bad.test. TXT "v=STSv1; id=bad id!"
_smtp._tls.bad.test. TXT "v=TLSRPTv1; rua=ftp://x"
bad.test. A 10.0.0.1

nullmx.test. MX 0 .
nullmx.test. TXT "v=spf1 -all"
implicit.test. A 93.184.216.40
mxip.test. MX 10 93.184.216.1.
mxcname.test. MX 10 alias.mxcname.test.
alias.mxcname.test. CNAME mx1.good.test.
mxdangling.test. MX 10 gone.mxdangling.test.

sub.org.test. A 93.184.216.41
_dmarc.org.test. TXT "v=DMARC1; p=quarantine; sp=reject; rua=mailto:d@org.test"

voids.test. TXT "v=spf1 a:n1.voids.test a:n2.voids.test a:n3.voids.test -all"
broken.test. TXT "v=spf1 include:nospf.test -all"
nospf.test. A 93.184.216.42

SERVFAIL servfail.test
SERVFAIL _dmarc.servfail.test
DROP slow.test
DROP _dmarc.slow.test
` + includeChain("spf10.test", 10) + includeChain("spf11.test", 11) + includeChain("spf9.test", 8)
}

func newTestChecker(t *testing.T) (*Checker, *dnstest.Server) {
	t.Helper()
	srv := dnstest.Start(t, testZone(t))
	r := &DNSResolver{Servers: []string{srv.Addr}, Timeout: 300 * time.Millisecond, Attempts: 1}
	return &Checker{Resolver: r, DNSBLs: []string{"bl.test", "refused.test"}, Timeout: 5 * time.Second}, srv
}

func find(fs []Finding, check string) Finding {
	for _, f := range fs {
		if f.Check == check {
			return f
		}
	}
	return Finding{Check: check, Status: "absent"}
}

func TestResolverKinds(t *testing.T) {
	c, _ := newTestChecker(t)
	ctx := context.Background()
	r := c.Resolver
	if _, err := r.LookupTXT(ctx, "nothing.test"); !IsNotFound(err) {
		t.Errorf("NXDOMAIN: got %v", err)
	}
	if txt, err := r.LookupTXT(ctx, "mx1.good.test"); err != nil || len(txt) != 0 {
		t.Errorf("NODATA: got %v, %v", txt, err)
	}
	if _, err := r.LookupTXT(ctx, "servfail.test"); !errors.Is(err, ErrServFail) {
		t.Errorf("SERVFAIL: got %v", err)
	}
	start := time.Now()
	if _, err := r.LookupTXT(ctx, "slow.test"); !errors.Is(err, ErrTimeout) {
		t.Errorf("timeout: got %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("timeout took %v", d)
	}
	if cn, err := r.LookupCNAME(ctx, "alias.mxcname.test"); cn != "mx1.good.test" || err != nil {
		t.Errorf("CNAME = %q, %v", cn, err)
	}
	mx, err := r.LookupMX(ctx, "nullmx.test")
	if err != nil || len(mx) != 1 || mx[0].Host != "" {
		t.Errorf("null MX = %v, %v", mx, err)
	}
	ptr, err := r.LookupPTR(ctx, netip.MustParseAddr("93.184.216.34"))
	if err != nil || len(ptr) != 1 || ptr[0] != "mx1.good.test" {
		t.Errorf("PTR = %v, %v", ptr, err)
	}
	long, err := r.LookupTXT(ctx, "s1._domainkey.good.test")
	if err != nil || len(long) != 1 || len(long[0]) < 300 {
		t.Errorf("long TXT not joined: %v %v", long, err)
	}
}

func TestDomainGood(t *testing.T) {
	c, srv := newTestChecker(t)
	ts := policyServer(t, "version: STSv1\nmode: enforce\nmx: *.good.test\nmax_age: 86400\n")
	c.HTTPClient, c.AllowPrivate = ts, true
	srv.Add(t, `_mta-sts.good.test. TXT "v=STSv1; id=20240101"
mta-sts.good.test. A 127.0.0.1`)
	start := time.Now()
	rep, err := c.Domain(context.Background(), "Good.Test.", DomainOptions{IP: netip.MustParseAddr("93.184.216.34"), DKIMSelectors: []string{"s1"}})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("check domain took %v, want < 2 s", d)
	}
	for _, check := range []string{"mx", "spf", "spf.all", "spf.lookups", "spf.check_host", "dkim:s1", "dmarc", "dmarc.rua", "ptr", "dnsbl:bl.test", "mta-sts", "tls-rpt", "bulk-sender.gmail", "bulk-sender.yahoo", "bulk-sender.microsoft"} {
		if f := find(rep.Findings, check); f.Status != StatusOK {
			t.Errorf("%s = %s (%s), want ok", check, f.Status, f.Found)
		}
	}
	if f := find(rep.Findings, "dnsbl:refused.test"); f.Status != StatusUnknown {
		t.Errorf("Spamhaus-style refusal = %s (%s), want unknown", f.Status, f.Found)
	}
	if f := find(rep.Findings, "mx.hosts"); f.Status != "absent" {
		t.Errorf("unexpected mx.hosts finding %+v", f)
	}
	for _, f := range rep.Findings {
		if f.Why.EN == "" || f.Why.DE == "" {
			t.Errorf("%s lacks why text", f.Check)
		}
		if f.Status != StatusOK && (f.Fix.EN == "" || f.Fix.DE == "") && f.Status != StatusUnknown {
			t.Errorf("%s (%s) lacks fix text", f.Check, f.Status)
		}
	}
}

func TestDomainIPProblems(t *testing.T) {
	c, _ := newTestChecker(t)
	rep, _ := c.Domain(context.Background(), "good.test", DomainOptions{IP: netip.MustParseAddr("93.184.216.36")})
	for check, want := range map[string]Status{
		"ptr":            StatusFail, // PTR name does not resolve back
		"dnsbl:bl.test":  StatusFail, // listed
		"spf.check_host": StatusOK,   // 93.184.216.32/29
	} {
		if f := find(rep.Findings, check); f.Status != want {
			t.Errorf("%s = %s (%s), want %s", check, f.Status, f.Found, want)
		}
	}
	if f := find(rep.Findings, "dnsbl:bl.test"); !strings.Contains(f.Found, "listed for testing") {
		t.Errorf("listing reason missing: %q", f.Found)
	}
	rep, _ = c.Domain(context.Background(), "good.test", DomainOptions{IP: netip.MustParseAddr("93.184.216.77")})
	for check, want := range map[string]Status{"ptr": StatusFail, "spf.check_host": StatusFail, "dnsbl:bl.test": StatusOK} {
		if f := find(rep.Findings, check); f.Status != want {
			t.Errorf("%s = %s (%s), want %s", check, f.Status, f.Found, want)
		}
	}
	// IPv6: only bl.test has the IPv6 test point; the address is not listed.
	rep, _ = c.Domain(context.Background(), "good.test", DomainOptions{IP: netip.MustParseAddr("2001:db8::1")})
	if f := find(rep.Findings, "dnsbl:bl.test"); f.Status != StatusOK {
		t.Errorf("IPv6 dnsbl = %s (%s)", f.Status, f.Found)
	}
	if f := find(rep.Findings, "dnsbl:refused.test"); f.Status != StatusUnknown {
		t.Errorf("IPv6 on list without IPv6 test point = %s, want unknown", f.Status)
	}
	if f := find(rep.Findings, "spf.check_host"); f.Status != StatusOK || !strings.Contains(f.Found, "include:_spf.prov.test") {
		t.Errorf("IPv6 check_host = %s %s (want pass via include ip6)", f.Status, f.Found)
	}
	rep, _ = c.Domain(context.Background(), "good.test", DomainOptions{IP: netip.MustParseAddr("2001:db9::1")})
	if f := find(rep.Findings, "spf.check_host"); f.Status != StatusFail || !strings.Contains(f.Found, "fail") {
		t.Errorf("IPv6 check_host outside = %s %s", f.Status, f.Found)
	}
}

func TestDomainWarnings(t *testing.T) {
	c, _ := newTestChecker(t)
	rep, _ := c.Domain(context.Background(), "weak.test", DomainOptions{DKIMSelectors: []string{"s1"}})
	for check, want := range map[string]Status{
		"spf.all": StatusWarn, "spf.ptr": StatusWarn, "dmarc": StatusWarn, "dmarc.tags": StatusWarn,
		"dmarc.rua": StatusWarn, "mta-sts": StatusWarn, "tls-rpt": StatusWarn, "dkim:s1": StatusFail,
	} {
		if f := find(rep.Findings, check); f.Status != want {
			t.Errorf("%s = %s (%s), want %s", check, f.Status, f.Found, want)
		}
	}
	rep, _ = c.Domain(context.Background(), "good.test", DomainOptions{DKIMSelectors: []string{"old", "revoked", "junk"}})
	for check, want := range map[string]Status{"dkim:old": StatusWarn, "dkim:revoked": StatusFail, "dkim:junk": StatusFail} {
		if f := find(rep.Findings, check); f.Status != want {
			t.Errorf("%s = %s (%s), want %s", check, f.Status, f.Found, want)
		}
	}
	// Common selectors are found without being named.
	rep, _ = c.Domain(context.Background(), "good.test", DomainOptions{})
	if f := find(rep.Findings, "dkim:s1"); f.Status != StatusOK {
		t.Errorf("common selector s1 not found: %+v", f)
	}
	if f := find(rep.Findings, "bulk-sender.gmail"); f.Status != StatusUnknown {
		t.Errorf("readiness without --ip = %s, want unknown (PTR unchecked)", f.Status)
	}
}

func TestDomainFailures(t *testing.T) {
	c, _ := newTestChecker(t)
	ctx := context.Background()
	cases := []struct {
		domain, check string
		want          Status
		in            string
	}{
		{"bad.test", "spf", StatusFail, "v=spf1"},
		{"bad.test", "dmarc", StatusFail, "|"},
		{"bad.test", "mta-sts", StatusFail, "id="},
		{"bad.test", "tls-rpt", StatusFail, "ftp"},
		{"bad.test", "mx", StatusWarn, "implicit"},
		{"bad.test", "dkim", StatusUnknown, "common selectors"},
		{"bad.test", "bulk-sender.microsoft", StatusFail, "spf=missing"},
		{"nxdomain.test", "mx", StatusFail, "NXDOMAIN"},
		{"nxdomain.test", "spf", StatusFail, "no v=spf1"},
		{"nxdomain.test", "dmarc", StatusFail, "no v=DMARC1"},
		{"nullmx.test", "mx", StatusFail, "null MX"},
		{"implicit.test", "mx", StatusWarn, "93.184.216.40"},
		{"mxip.test", "mx.hosts", StatusFail, "IP address"},
		{"mxcname.test", "mx.hosts", StatusWarn, "CNAME"},
		{"mxdangling.test", "mx.hosts", StatusFail, "no A/AAAA"},
		{"sub.org.test", "dmarc", StatusOK, "organizational domain"},
		{"spf9.test", "spf.lookups", StatusOK, "8 DNS lookups"},
		{"spf10.test", "spf.lookups", StatusWarn, "10 DNS lookups"},
		{"spf11.test", "spf.lookups", StatusFail, "11 DNS lookups"},
		{"voids.test", "spf.lookups", StatusFail, "3 void"},
		{"broken.test", "spf.lookups", StatusFail, "nospf.test has no SPF record"},
		{"servfail.test", "mx", StatusUnknown, "SERVFAIL"},
		{"servfail.test", "spf", StatusUnknown, "SERVFAIL"},
		{"servfail.test", "dmarc", StatusUnknown, "SERVFAIL"},
		{"slow.test", "dmarc", StatusUnknown, "timeout"},
		{"slow.test", "mx", StatusUnknown, "timeout"},
	}
	reports := map[string][]Finding{}
	for _, tc := range cases {
		fs, ok := reports[tc.domain]
		if !ok {
			rep, err := c.Domain(ctx, tc.domain, DomainOptions{})
			if err != nil {
				t.Fatal(err)
			}
			fs = rep.Findings
			reports[tc.domain] = fs
		}
		f := find(fs, tc.check)
		if f.Status != tc.want || !strings.Contains(f.Found, tc.in) {
			t.Errorf("%s %s = %s %q, want %s containing %q", tc.domain, tc.check, f.Status, f.Found, tc.want, tc.in)
		}
	}
}

func TestMTASTS(t *testing.T) {
	c, srv := newTestChecker(t)
	srv.Add(t, `_mta-sts.good.test. TXT "v=STSv1; id=1"
mta-sts.good.test. A 127.0.0.1`)
	ctx := context.Background()
	// The SSRF guard: without AllowPrivate a loopback policy host is refused.
	rep, _ := c.Domain(ctx, "good.test", DomainOptions{})
	if f := find(rep.Findings, "mta-sts"); f.Status != StatusFail || !strings.Contains(f.Found, "non-public") {
		t.Errorf("private target not refused: %s %q", f.Status, f.Found)
	}
	for _, tc := range []struct {
		policy string
		want   Status
	}{
		{"version: STSv1\nmode: testing\nmx: *.good.test\nmax_age: 86400\n", StatusWarn},
		{"version: STSv1\nmode: enforce\nmx: mx1.good.test\nmax_age: 86400\n", StatusFail}, // mx2 not covered
		{"version: STSv1\nmode: enforce\nmax_age: 86400\n", StatusFail},                    // no mx
		{"version: STSv1\nmode: enforce\nmx: *.good.test\nmx: mx2.good.test\nmax_age: 604800\n", StatusOK},
	} {
		c.HTTPClient, c.AllowPrivate = policyServer(t, tc.policy), true
		rep, _ := c.Domain(ctx, "good.test", DomainOptions{})
		if f := find(rep.Findings, "mta-sts"); f.Status != tc.want {
			t.Errorf("policy %q: %s (%s), want %s", tc.policy, f.Status, f.Found, tc.want)
		}
	}
}

// policyServer serves an MTA-STS policy over HTTPS; the returned client
// dials it whatever the host name.
func policyServer(t *testing.T, policy string) *http.Client {
	t.Helper()
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/mta-sts.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, policy)
	}))
	t.Cleanup(ts.Close)
	cl := ts.Client()
	tr := cl.Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.ServerName = "example.com" // the test certificate's name
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, ts.Listener.Addr().String())
	}
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

func TestESP(t *testing.T) {
	c, srv := newTestChecker(t)
	srv.Add(t, `mg.esp.test. MX 10 mxa.mailgun.org.
mg.esp.test. MX 10 mxb.mailgun.org.
mg.esp.test. TXT "v=spf1 include:mailgun.org ~all"
mailgun.org. TXT "v=spf1 ip4:198.51.100.0/24 -all"
k1._domainkey.mg.esp.test. TXT "v=DKIM1; k=rsa; p=junk"
sg.esp.test. TXT "v=spf1 -all"
s1._domainkey.sg.esp.test. CNAME s1.domainkey.u123.wl.sendgrid.net.
s1.domainkey.u123.wl.sendgrid.net. TXT "v=DKIM1; k=rsa; p="`)
	ctx := context.Background()
	rep, err := c.Domain(ctx, "mg.esp.test", DomainOptions{ESP: "mailgun"})
	if err != nil {
		t.Fatal(err)
	}
	for check, want := range map[string]Status{"esp.mailgun.spf": StatusOK, "esp.mailgun.mx": StatusOK, "dkim:k1": StatusFail} {
		if f := find(rep.Findings, check); f.Status != want {
			t.Errorf("%s = %s (%s), want %s", check, f.Status, f.Found, want)
		}
	}
	rep, _ = c.Domain(ctx, "good.test", DomainOptions{ESP: "mailgun"})
	for check, want := range map[string]Status{"esp.mailgun.spf": StatusFail, "esp.mailgun.mx": StatusFail} {
		if f := find(rep.Findings, check); f.Status != want {
			t.Errorf("good.test %s = %s (%s), want %s", check, f.Status, f.Found, want)
		}
	}
	rep, _ = c.Domain(ctx, "sg.esp.test", DomainOptions{ESP: "sendgrid"})
	for check, want := range map[string]Status{"esp.sendgrid.dkim:s1": StatusOK, "esp.sendgrid.dkim:s2": StatusFail, "esp.sendgrid.spf": StatusWarn} {
		if f := find(rep.Findings, check); f.Status != want {
			t.Errorf("%s = %s (%s), want %s", check, f.Status, f.Found, want)
		}
	}
	if _, err := c.Domain(ctx, "good.test", DomainOptions{ESP: "nope"}); err == nil {
		t.Error("unknown ESP accepted")
	}
}

func TestPreventsExistInKB(t *testing.T) {
	k, err := kb.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range AllPrevented() {
		if _, ok := k.ByID(id); !ok {
			t.Errorf("prevents id %q is not in the knowledge base", id)
		}
	}
	// And every id a domain check actually returned.
	c, _ := newTestChecker(t)
	for _, d := range []string{"good.test", "bad.test", "nullmx.test", "spf11.test", "servfail.test"} {
		rep, _ := c.Domain(context.Background(), d, DomainOptions{IP: netip.MustParseAddr("93.184.216.36")})
		for _, f := range rep.Findings {
			for _, id := range f.Prevents {
				if _, ok := k.ByID(id); !ok {
					t.Errorf("%s: %s prevents unknown id %q", d, f.Check, id)
				}
			}
		}
	}
}

func TestDNSBLName(t *testing.T) {
	if got := DNSBLName(netip.MustParseAddr("192.0.2.99"), "zen.example."); got != "99.2.0.192.zen.example" {
		t.Errorf("IPv4: %s", got)
	}
	got := DNSBLName(netip.MustParseAddr("2001:db8:1:2:3:4:567:89ab"), "zen.example")
	if want := "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.zen.example"; got != want { // RFC 5782 §2.4
		t.Errorf("IPv6: %s, want %s", got, want)
	}
}

// BenchmarkDomain runs a full domain check (with --ip, DKIM, blocklists)
// against the in-process DNS server, cache cold each time.
func BenchmarkDomain(b *testing.B) {
	srv := dnstest.Start(b, `
good.test. MX 10 mx1.good.test.
mx1.good.test. A 93.184.216.34
good.test. TXT "v=spf1 ip4:93.184.216.32/29 include:_spf.prov.test -all"
_spf.prov.test. TXT "v=spf1 ip4:198.51.100.0/24 ~all"
_dmarc.good.test. TXT "v=DMARC1; p=reject; rua=mailto:dmarc@good.test"
34.216.184.93.in-addr.arpa. PTR mx1.good.test.
2.0.0.127.bl.test. A 127.0.0.2
`)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c := &Checker{Resolver: &DNSResolver{Servers: []string{srv.Addr}, Timeout: time.Second, Attempts: 1}, DNSBLs: []string{"bl.test"}}
		if _, err := c.Domain(ctx, "good.test", DomainOptions{IP: netip.MustParseAddr("93.184.216.34")}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestHint(t *testing.T) {
	for _, tt := range []struct {
		id, cmd string
		ip      bool
	}{
		{"mta-user-unknown", "address", false},
		{"mta-tls-required", "domain", false},
		{"smtp-550", "", false},
	} {
		cmd, ip := Hint(tt.id)
		if cmd != tt.cmd || ip != tt.ip {
			t.Errorf("Hint(%s) = %q, %v", tt.id, cmd, ip)
		}
	}
	for _, id := range AllPrevented() {
		if slices.Contains(preventsHELO, id) {
			continue // found by the probe's preflight, which no hint names
		}
		if cmd, _ := Hint(id); cmd == "" {
			t.Errorf("%s is prevented by a check but has no hint", id)
		}
	}
}

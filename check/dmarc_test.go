package check

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maildx/maildx/check/dnstest"
)

// countingResolver records the TXT names asked.
type countingResolver struct {
	Resolver
	mu  sync.Mutex
	txt []string
	n   int // all lookups
}

func (r *countingResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	r.mu.Lock()
	r.txt = append(r.txt, name)
	r.n++
	r.mu.Unlock()
	return r.Resolver.LookupTXT(ctx, name)
}

func (r *countingResolver) LookupMX(ctx context.Context, name string) ([]MX, error) {
	r.mu.Lock()
	r.n++
	r.mu.Unlock()
	return r.Resolver.LookupMX(ctx, name)
}

func (r *countingResolver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

const dmarcZone = `
_dmarc.self.test. TXT "v=DMARC1; p=reject; rua=mailto:d@self.test"
_dmarc.parent.test. TXT "v=DMARC1; p=none; sp=quarantine; rua=mailto:d@parent.test"
_dmarc.psd.test. TXT "v=DMARC1; p=reject; psd=y; rua=mailto:d@psd.test"
_dmarc.co.uk. TXT "v=DMARC1; p=none; psd=y"
_dmarc.example.co.uk. TXT "v=DMARC1; p=reject; rua=mailto:d@example.co.uk"
_dmarc.b.c.d.e.f.g.h.i.j.test. TXT "v=DMARC1; p=reject"
`

func dmarcChecker(t *testing.T) (*Checker, *countingResolver) {
	t.Helper()
	srv := dnstest.Start(t, dmarcZone)
	r := &countingResolver{Resolver: &DNSResolver{Servers: []string{srv.Addr}, Timeout: 300 * time.Millisecond, Attempts: 1}}
	return &Checker{Resolver: r, Timeout: 5 * time.Second}, r
}

func TestDMARCTargets(t *testing.T) {
	for _, tc := range []struct {
		d    string
		want []string
	}{
		{"a.b.test", []string{"a.b.test", "b.test", "test"}},
		{"a.b.c.d.e.f.g.test", []string{"a.b.c.d.e.f.g.test", "b.c.d.e.f.g.test", "c.d.e.f.g.test", "d.e.f.g.test", "e.f.g.test", "f.g.test", "g.test", "test"}},
		{"a.b.c.d.e.f.g.h.i.j.test", []string{"a.b.c.d.e.f.g.h.i.j.test", "e.f.g.h.i.j.test", "f.g.h.i.j.test", "g.h.i.j.test", "h.i.j.test", "i.j.test", "j.test", "test"}},
	} {
		if got := dmarcTargets(tc.d); !slices.Equal(got, tc.want) {
			t.Errorf("dmarcTargets(%s) = %v, want %v", tc.d, got, tc.want)
		}
	}
}

func TestDMARCTreeWalk(t *testing.T) {
	for _, tc := range []struct {
		domain    string
		status    Status
		found     string // substring of the dmarc finding
		orgWarn   string // substring of dmarc.orgdomain; "" means absent
		firstTXTs []string
	}{
		// Record at the domain itself.
		{"self.test", StatusOK, "v=DMARC1; p=reject", "", []string{"_dmarc.self.test"}},
		// Record at a parent: sp= applies, parent is the organizational domain.
		{"a.b.parent.test", StatusOK, "_dmarc.parent.test (organizational domain, DMARCbis tree walk)", "",
			[]string{"_dmarc.a.b.parent.test", "_dmarc.b.parent.test", "_dmarc.parent.test"}},
		// psd=y at a TLD-like level the public suffix list does not know:
		// the PSD policy applies, and the two organizational domains differ.
		{"x.y.psd.test", StatusOK, "_dmarc.psd.test (parent domain, DMARCbis tree walk)", "DNS tree walk: y.psd.test; public suffix list: psd.test", nil},
		// psd=y at a real public suffix, record below it: both agree.
		{"shop.example.co.uk", StatusOK, "_dmarc.example.co.uk (organizational domain", "", nil},
		// No record anywhere.
		{"x.none.test", StatusFail, "no v=DMARC1", "", []string{"_dmarc.x.none.test", "_dmarc.none.test", "_dmarc.test"}},
	} {
		c, r := dmarcChecker(t)
		fs := c.checkDMARC(context.Background(), tc.domain)
		if f := find(fs, "dmarc"); f.Status != tc.status || !strings.Contains(f.Found, tc.found) {
			t.Errorf("%s: dmarc = %s %q, want %s containing %q", tc.domain, f.Status, f.Found, tc.status, tc.found)
		}
		f := find(fs, "dmarc.orgdomain")
		if tc.orgWarn == "" && f.Status != "absent" {
			t.Errorf("%s: unexpected dmarc.orgdomain %s %q", tc.domain, f.Status, f.Found)
		}
		if tc.orgWarn != "" && (f.Status != StatusWarn || !strings.Contains(f.Found, tc.orgWarn)) {
			t.Errorf("%s: dmarc.orgdomain = %s %q, want warn containing %q", tc.domain, f.Status, f.Found, tc.orgWarn)
		}
		if tc.firstTXTs != nil && !slices.Equal(r.txt[:min(len(r.txt), len(tc.firstTXTs))], tc.firstTXTs) {
			t.Errorf("%s: TXT queries %v, want them to start with %v", tc.domain, r.txt, tc.firstTXTs)
		}
		seen := map[string]bool{}
		for _, n := range r.txt {
			if strings.HasPrefix(n, "_dmarc.") && seen[n] {
				t.Errorf("%s: %s asked twice: %v", tc.domain, n, r.txt)
			}
			seen[n] = true
		}
	}
	// sp= of the parent's record applies to the subdomain.
	c, _ := dmarcChecker(t)
	if f := find(c.checkDMARC(context.Background(), "sub.parent.test"), "dmarc"); f.Status != StatusOK {
		t.Errorf("sub.parent.test: dmarc = %s %q, want ok (sp=quarantine)", f.Status, f.Found)
	}
}

func TestDMARCQueryCap(t *testing.T) {
	c, r := dmarcChecker(t)
	// 11 labels: after the name itself the walk jumps to the 7 rightmost
	// labels, skipping the record at b.c.d.e.f.g.h.i.j.test.
	fs := c.checkDMARC(context.Background(), "a.b.c.d.e.f.g.h.i.j.test")
	if f := find(fs, "dmarc"); f.Status != StatusFail {
		t.Errorf("dmarc = %s %q, want fail", f.Status, f.Found)
	}
	var dmarcQ []string
	for _, n := range r.txt {
		if strings.HasPrefix(n, "_dmarc.") {
			dmarcQ = append(dmarcQ, n)
		}
	}
	if len(dmarcQ) != dmarcMaxQueries || slices.Contains(dmarcQ, "_dmarc.b.c.d.e.f.g.h.i.j.test") {
		t.Errorf("queries = %d %v, want %d skipping the 10-label name", len(dmarcQ), dmarcQ, dmarcMaxQueries)
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestCachingResolverTTL(t *testing.T) {
	srv := dnstest.Start(t, dmarcZone)
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cr := NewCachingResolver(&DNSResolver{Servers: []string{srv.Addr}, Timeout: 300 * time.Millisecond, Attempts: 1})
	cr.Now = clk.Now
	ctx := context.Background()
	ask := func() {
		if _, err := cr.LookupTXT(ctx, "_dmarc.self.test"); err != nil {
			t.Fatal(err)
		}
		if _, err := cr.LookupTXT(ctx, "_dmarc.missing.test"); !IsNotFound(err) {
			t.Fatalf("missing: %v", err)
		}
	}
	ask()
	q := srv.Queries()
	clk.Add(DefaultCacheTTL - time.Second)
	ask()
	if srv.Queries() != q {
		t.Errorf("within TTL: %d new queries, want 0", srv.Queries()-q)
	}
	clk.Add(2 * time.Second)
	ask()
	if srv.Queries() <= q {
		t.Error("after TTL: no new queries, want the answers refreshed")
	}
	cr.TTL = time.Minute
	q = srv.Queries()
	clk.Add(time.Minute)
	ask()
	if srv.Queries() <= q {
		t.Error("custom TTL: no new queries")
	}
}

func TestAddressCacheTTL(t *testing.T) {
	srv := dnstest.Start(t, addrZone)
	r := &countingResolver{Resolver: &DNSResolver{Servers: []string{srv.Addr}, Timeout: 300 * time.Millisecond, Attempts: 1}}
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := &Checker{Resolver: r, Now: clk.Now, CacheTTL: time.Minute}
	ctx := context.Background()
	c.Address(ctx, "anna@example.com")
	n := r.count()
	if n == 0 {
		t.Fatal("no lookups")
	}
	clk.Add(59 * time.Second)
	c.Address(ctx, "bob@example.com")
	if r.count() != n {
		t.Errorf("within TTL: %d new lookups, want 0", r.count()-n)
	}
	clk.Add(2 * time.Second)
	c.Address(ctx, "anna@example.com")
	if r.count() <= n {
		t.Error("after TTL: no new lookups, want the domain checked again")
	}
}

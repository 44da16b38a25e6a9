package check

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/maildx/maildx/check/dnstest"
)

func TestParseAddress(t *testing.T) {
	good := []struct {
		in, domain string
		utf8       bool
	}{
		{"anna@example.com", "example.com", false},
		{"Anna.Smith+tag@Example.COM", "example.com", false},
		{`"john doe"@example.com`, "example.com", false},
		{`"a\"b@c"@example.com`, "example.com", false},
		{"user@bücher.example", "xn--bcher-kva.example", false},
		{"用户@例子.example", "xn--fsqu00a.example", true},
		{"x@[192.0.2.1]", "[192.0.2.1]", false},
		{"x@[IPv6:2001:db8::1]", "[IPv6:2001:db8::1]", false},
		{strings.Repeat("a", 64) + "@example.com", "example.com", false},
	}
	for _, tc := range good {
		p, err := ParseAddress(tc.in)
		if err != nil || p.Domain != tc.domain || p.SMTPUTF8 != tc.utf8 {
			t.Errorf("ParseAddress(%q) = %+v, %v; want domain %s smtputf8 %v", tc.in, p, err, tc.domain, tc.utf8)
		}
	}
	bad := []string{
		"", "anna", "@example.com", "anna@", "anna@@example.com", ".anna@example.com", "anna.@example.com",
		"an..na@example.com", "an na@example.com", `"unterminated@example.com`, "anna@example", "anna@exa_mple.com",
		"anna@-example.com", "anna@example..com", "anna@example.123", strings.Repeat("a", 65) + "@example.com",
		"a@" + strings.Repeat("b", 64) + ".com", "a@" + strings.Repeat("abcdefghi.", 25) + "com",
		strings.Repeat("a", 64) + "@" + strings.Repeat("abcdefgh.", 21) + "com",
		"x@[192.0.2.1", "x@[IPv6:192.0.2.1]", "x@[2001:db8::1]", "anna(comment)@example.com", "a\xff@example.com",
	}
	for _, s := range bad {
		if p, err := ParseAddress(s); err == nil {
			t.Errorf("ParseAddress(%q) = %+v, want error", s, p)
		}
	}
}

func TestSuggestDomain(t *testing.T) {
	for in, want := range map[string]string{
		"gmial.com": "gmail.com", "gmail.con": "gmail.com", "hotmial.com": "hotmail.com", "yaho.com": "yahoo.com",
		"outlok.com": "outlook.com", "icloud.co": "icloud.com", "gmx.dee": "gmx.de", "example.con": "example.com",
		"gmail.com": "", "gmx.de": "", "example.com": "", "mask.io": "", "company.co": "", "web.de": "",
	} {
		if got := SuggestDomain(in); got != want {
			t.Errorf("SuggestDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLists(t *testing.T) {
	if !IsDisposable("mailinator.com") || !IsDisposable("foo.mailinator.com") || IsDisposable("gmail.com") {
		t.Error("disposable list")
	}
	if !IsFree("gmail.com") || !IsFree("web.de") || IsFree("mailinator.com") || IsFree("example.com") {
		t.Error("free list")
	}
	if !IsRole("info") || !IsRole("Sales+x") || IsRole("anna") {
		t.Error("role list")
	}
}

const addrZone = `
example.com. MX 10 mx.example.com.
mx.example.com. A 93.184.216.34
gmail.com. MX 5 gmail-smtp-in.l.google.com.
mailinator.com. MX 10 mail.mailinator.com.
xn--bcher-kva.example. MX 10 mx.example.com.
nomx.example. A 93.184.216.35
nullmx.example. MX 0 .
empty.example. TXT "x"
SERVFAIL broken.example
`

func addrChecker(t testing.TB) *Checker {
	srv := dnstest.Start(t, addrZone)
	return &Checker{Resolver: NewCachingResolver(&DNSResolver{Servers: []string{srv.Addr}, Timeout: 300 * time.Millisecond, Attempts: 1})}
}

func TestAddress(t *testing.T) {
	c := addrChecker(t)
	ctx := context.Background()
	for _, tc := range []struct {
		in     string
		status Status
		check  string
		cs     Status
	}{
		{"anna@example.com", StatusOK, "domain", StatusOK},
		{"<anna@example.com>", StatusOK, "syntax", StatusOK},
		{"info@example.com", StatusWarn, "role", StatusWarn},
		{"anna@gmial.com", StatusFail, "typo", StatusWarn},
		{"anna@gmail.com", StatusOK, "free", StatusOK},
		{"x@mailinator.com", StatusWarn, "disposable", StatusWarn},
		{"anna@bücher.example", StatusOK, "domain", StatusOK},
		{"用户@example.com", StatusWarn, "syntax", StatusWarn},
		{"anna@nomx.example", StatusWarn, "domain", StatusWarn},
		{"anna@nullmx.example", StatusFail, "domain", StatusFail},
		{"anna@empty.example", StatusFail, "domain", StatusFail},
		{"anna@nowhere.example", StatusFail, "domain", StatusFail},
		{"anna@broken.example", StatusUnknown, "domain", StatusUnknown},
		{"anna@", StatusFail, "syntax", StatusFail},
	} {
		r := c.Address(ctx, tc.in)
		f := find(r.Findings, tc.check)
		if r.Status != tc.status || f.Status != tc.cs {
			t.Errorf("Address(%q) = %s, %s = %s (%s); want %s, %s", tc.in, r.Status, tc.check, f.Status, f.Found, tc.status, tc.cs)
		}
	}
	if r := c.Address(ctx, "anna@gmial.com"); r.Suggestion != "anna@gmail.com" {
		t.Errorf("suggestion = %q", r.Suggestion)
	}
}

func BenchmarkAddress(b *testing.B) {
	c := addrChecker(b)
	ctx := context.Background()
	addrs := []string{"anna@example.com", "info@example.com", "anna@gmial.com", "x.y+z@gmail.com", "x@mailinator.com",
		`"john doe"@example.com`, "bad@@example.com", "user@bücher.example"}
	for _, a := range addrs {
		c.Address(ctx, a) // warm the cache
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c.Address(ctx, addrs[i%len(addrs)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "addresses/s")
}

func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"anna@example.com", `"a b"@x.org`, "用户@例子.example", "x@[IPv6:2001:db8::1]", "a@b", "@", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseAddress(s)
		if err != nil {
			return
		}
		if len(p.Local) > MaxLocalPart || len(p.Local)+1+len(p.Domain) > MaxAddress {
			t.Fatalf("limits not enforced: %q → %+v", s, p)
		}
		if !p.Literal {
			if _, err := ParseAddress(p.Local + "@" + p.Domain); err != nil {
				t.Fatalf("normalized form of %q does not parse: %v", s, err)
			}
		}
	})
}

func FuzzParseSPF(f *testing.F) {
	for _, s := range []string{"v=spf1 -all", "v=spf1 ip4:192.0.2.0/24 include:x.example ~all", "v=spf1 a/24//64 mx:%{d}",
		"v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d2} redirect=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseSPF(s)
		if err != nil {
			return
		}
		// Every parsed term prints back to something that parses alike.
		var b strings.Builder
		b.WriteString("v=spf1")
		for _, term := range r.Terms {
			b.WriteString(" " + term.String())
		}
		r2, err := ParseSPF(b.String())
		if err != nil || len(r2.Terms) != len(r.Terms) {
			t.Fatalf("%q → %q: %v", s, b.String(), err)
		}
	})
}

package check

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"strings"
	"testing"
)

// spki returns a fresh public key's DER SubjectPublicKeyInfo in hex and
// its SHA-256 in hex.
func spki(t *testing.T) (full, sum string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(der)
	return hex.EncodeToString(der), hex.EncodeToString(h[:])
}

func daneZone(t *testing.T) string {
	full, sum := spki(t)
	var b strings.Builder
	for _, d := range []string{"dane-ok", "dane-unsigned", "dane-bad", "dane-pkix", "dane-partial", "dane-sf", "dane-full", "dane-sel", "dane-cert"} {
		b.WriteString(d + ".test. MX 10 mx." + d + ".test.\nmx." + d + ".test. A 93.184.216.60\n")
	}
	b.WriteString(`
_25._tcp.mx.dane-ok.test. TLSA 3 1 1 ` + sum + `
_25._tcp.mx.dane-ok.test. TLSA 2 0 2 ` + strings.Repeat("ab", 64) + `
SECURE _25._tcp.mx.dane-ok.test
_25._tcp.mx.dane-unsigned.test. TLSA 3 1 1 ` + sum + `
_25._tcp.mx.dane-bad.test. TLSA 3 1 1 abcdef
SECURE _25._tcp.mx.dane-bad.test
_25._tcp.mx.dane-pkix.test. TLSA 1 0 1 ` + sum + `
SECURE _25._tcp.mx.dane-pkix.test
dane-partial.test. MX 20 mx2.dane-partial.test.
mx2.dane-partial.test. A 93.184.216.61
_25._tcp.mx.dane-partial.test. TLSA 3 1 1 ` + sum + `
SECURE _25._tcp.mx.dane-partial.test
SERVFAIL _25._tcp.mx.dane-sf.test
_25._tcp.mx.dane-full.test. TLSA 3 1 0 ` + full + `
SECURE _25._tcp.mx.dane-full.test
_25._tcp.mx.dane-sel.test. TLSA 3 2 1 ` + sum + `
SECURE _25._tcp.mx.dane-sel.test
_25._tcp.mx.dane-cert.test. TLSA 3 0 0 ` + full + `
SECURE _25._tcp.mx.dane-cert.test
`)
	return b.String()
}

func TestDANE(t *testing.T) {
	c, srv := newTestChecker(t)
	srv.Add(t, daneZone(t))
	ctx := context.Background()
	for _, tc := range []struct {
		domain string
		want   Status
		in     string
	}{
		{"good.test", StatusOK, "DANE not used"},
		{"nullmx.test", "absent", ""},
		{"dane-ok.test", StatusOK, "3 1 1"},
		{"dane-ok.test", StatusOK, "[DNSSEC-validated]"},
		{"dane-unsigned.test", StatusWarn, "not marked DNSSEC-validated"},
		{"dane-bad.test", StatusFail, "not 64"},
		{"dane-pkix.test", StatusWarn, "usage 1 (PKIX)"},
		{"dane-partial.test", StatusWarn, "mx2.dane-partial.test: no TLSA"},
		{"dane-sf.test", StatusUnknown, "SERVFAIL"},
		{"dane-full.test", StatusOK, "3 1 0"},
		{"dane-sel.test", StatusFail, "selector 2"},
		{"dane-cert.test", StatusFail, "not a DER certificate"},
	} {
		rep, err := c.Domain(ctx, tc.domain, DomainOptions{})
		if err != nil {
			t.Fatal(err)
		}
		f := find(rep.Findings, "dane")
		if f.Status != tc.want || !strings.Contains(f.Found, tc.in) {
			t.Errorf("%s dane = %s %q, want %s containing %q", tc.domain, f.Status, f.Found, tc.want, tc.in)
		}
		if f.Status != "absent" && (f.Why.EN == "" || f.Why.DE == "" || f.Fix.EN == "" || f.Fix.DE == "") {
			t.Errorf("%s dane lacks text: %+v", tc.domain, f)
		}
		if f.Status != "absent" && len(f.Prevents) == 0 {
			t.Errorf("%s dane prevents nothing", tc.domain)
		}
	}
	// Through the cache the AD bit survives.
	cr := NewCachingResolver(c.Resolver)
	for range 2 {
		recs, ad, err := cr.LookupTLSA(ctx, "_25._tcp.mx.dane-ok.test")
		if err != nil || !ad || len(recs) != 2 {
			t.Fatalf("cached TLSA: %v %v %v", recs, ad, err)
		}
	}
	// A resolver without TLSA support makes the check unknown.
	c2 := &Checker{Resolver: struct{ Resolver }{c.Resolver}, Timeout: c.Timeout}
	rep, _ := c2.Domain(ctx, "dane-ok.test", DomainOptions{})
	if f := find(rep.Findings, "dane"); f.Status != StatusUnknown {
		t.Errorf("resolver without TLSA: %+v", f)
	}
	if _, _, err := NewCachingResolver(struct{ Resolver }{c.Resolver}).LookupTLSA(ctx, "x.test"); err != ErrNoTLSA {
		t.Errorf("caching resolver without TLSA: %v", err)
	}
}

func TestParseTLSA(t *testing.T) {
	sum := strings.Repeat("0a", 32)
	for in, want := range map[string]string{
		"3 1 1 " + sum: "3 1 1 " + sum,
		"DANE-EE SPKI SHA2-256 " + strings.ToUpper(sum): "3 1 1 " + sum,
		"2 0 2 " + sum[:32] + " " + sum[32:]:            "2 0 2 " + sum,
		"3 1 1":                                         "error",
		"3 1 1 xyz":                                     "error",
		"3 1 1 abc":                                     "error",
		"256 1 1 " + sum:                                "error",
		"-1 1 1 " + sum:                                 "error",
	} {
		r, err := ParseTLSA(in)
		got := r.String()
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("%q: %q (%v), want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"3 1 1 " + sum:        "",
		"3 1 2 " + sum:        "not 64",
		"0 0 1 " + sum:        "PKIX",
		"4 1 1 " + sum:        "usage 4",
		"3 1 3 " + sum:        "matching type 3",
		"3 1 0 " + sum:        "SubjectPublicKeyInfo",
		"3 1 1 " + sum + "00": "not 32",
	} {
		r, err := ParseTLSA(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if p, _ := r.Problem(); !strings.Contains(p, want) || (want == "") != (p == "") {
			t.Errorf("%q: problem %q, want %q", in, p, want)
		}
	}
}

func FuzzParseTLSA(f *testing.F) {
	for _, s := range []string{"3 1 1 " + strings.Repeat("0a", 32), "DANE-TA Cert Full 3082", "2 0 2 ab cd", "3 1 1", "x y z w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseTLSA(s)
		if err != nil {
			return
		}
		_, _ = r.Problem()
		back, err := ParseTLSA(r.String())
		if err != nil || back != r {
			t.Fatalf("%q: round trip %+v → %q → %+v, %v", s, r, r.String(), back, err)
		}
	})
}

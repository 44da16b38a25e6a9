package check

import (
	"context"
	"strings"
	"testing"
)

const bimiZone = `
_dmarc.bimi-ok.test. TXT "v=DMARC1; p=reject; rua=mailto:d@bimi-ok.test"
default._bimi.bimi-ok.test. TXT "v=BIMI1; l=https://brand.bimi-ok.test/logo.svg; a=https://brand.bimi-ok.test/vmc.pem"
sub.bimi-ok.test. A 93.184.216.50
_dmarc.bimi-noa.test. TXT "v=DMARC1; p=quarantine"
default._bimi.bimi-noa.test. TXT "v=BIMI1; l=https://brand.bimi-noa.test/logo.svg"
_dmarc.bimi-none.test. TXT "v=DMARC1; p=none"
default._bimi.bimi-none.test. TXT "v=BIMI1; l=https://x.test/l.svg; a=https://x.test/a.pem"
_dmarc.bimi-pct.test. TXT "v=DMARC1; p=reject; pct=50"
default._bimi.bimi-pct.test. TXT "v=BIMI1; l=https://x.test/l.svg; a=https://x.test/a.pem"
_dmarc.bimi-sp.test. TXT "v=DMARC1; p=reject; sp=none"
sub.bimi-sp.test. A 93.184.216.51
default._bimi.sub.bimi-sp.test. TXT "v=BIMI1; l=https://x.test/l.svg; a=https://x.test/a.pem"
_dmarc.bimi-bad.test. TXT "v=DMARC1; p=reject"
default._bimi.bimi-bad.test. TXT "v=BIMI1; l=http://x.test/logo.svg"
default._bimi.bimi-png.test. TXT "v=BIMI1; l=https://x.test/logo.png; a=https://x.test/a.pem"
_dmarc.bimi-png.test. TXT "v=DMARC1; p=reject"
default._bimi.bimi-two.test. TXT "v=BIMI1; l=https://x.test/1.svg"
default._bimi.bimi-two.test. TXT "v=BIMI1; l=https://x.test/2.svg"
default._bimi.bimi-decl.test. TXT "v=BIMI1; l=; a=;"
SERVFAIL default._bimi.bimi-sf.test
`

func TestBIMI(t *testing.T) {
	c, srv := newTestChecker(t)
	srv.Add(t, bimiZone)
	ctx := context.Background()
	for _, tc := range []struct {
		domain, check string
		want          Status
		in            string
	}{
		{"good.test", "bimi", StatusOK, "no BIMI record"},
		{"good.test", "bimi.dmarc", "absent", ""},
		{"bimi-ok.test", "bimi", StatusOK, "l=https://brand.bimi-ok.test/logo.svg"},
		{"bimi-ok.test", "bimi.dmarc", StatusOK, "p=reject"},
		{"sub.bimi-ok.test", "bimi", StatusOK, "default._bimi.bimi-ok.test (organizational domain)"},
		{"sub.bimi-ok.test", "bimi.dmarc", StatusOK, "_dmarc.bimi-ok.test"},
		{"bimi-noa.test", "bimi", StatusWarn, "v=BIMI1"},
		{"bimi-noa.test", "bimi.dmarc", StatusOK, "quarantine"},
		{"bimi-none.test", "bimi.dmarc", StatusFail, `policy "none"`},
		{"bimi-pct.test", "bimi.dmarc", StatusFail, "pct=50"},
		{"sub.bimi-sp.test", "bimi.dmarc", StatusFail, `policy "none"`},
		{"bimi-bad.test", "bimi", StatusFail, "not https"},
		{"bimi-png.test", "bimi", StatusWarn, "logo.png"},
		{"bimi-two.test", "bimi", StatusFail, "|"},
		{"bimi-decl.test", "bimi", StatusOK, "declination"},
		{"bimi-decl.test", "bimi.dmarc", "absent", ""},
		{"bimi-sf.test", "bimi", StatusUnknown, "SERVFAIL"},
	} {
		rep, err := c.Domain(ctx, tc.domain, DomainOptions{})
		if err != nil {
			t.Fatal(err)
		}
		f := find(rep.Findings, tc.check)
		if f.Status != tc.want || !strings.Contains(f.Found, tc.in) {
			t.Errorf("%s %s = %s %q, want %s containing %q", tc.domain, tc.check, f.Status, f.Found, tc.want, tc.in)
		}
		if f.Status != "absent" && (f.Why.EN == "" || f.Why.DE == "") {
			t.Errorf("%s %s lacks why text", tc.domain, tc.check)
		}
		if (f.Status == StatusWarn || f.Status == StatusFail) && (f.Fix.EN == "" || f.Fix.DE == "") {
			t.Errorf("%s %s lacks fix text", tc.domain, tc.check)
		}
	}
}

func TestParseBIMI(t *testing.T) {
	for in, want := range map[string]string{
		"v=BIMI1; l=https://a.test/l.svg; a=https://a.test/c.pem": "l=https://a.test/l.svg a=https://a.test/c.pem",
		"v=BIMI1;l=https://a.test/l.svg":                          "l=https://a.test/l.svg a=",
		"v=BIMI1; l=; a=;":                                        "declined",
		"v=BIMI1;":                                                "declined",
		"v=BIMI1; l=https://a.test/l.svg; x=unknown":              "l=https://a.test/l.svg a=",
		"l=https://a.test/l.svg; v=BIMI1":                         "error",
		"v=BIMI2; l=https://a.test/l.svg":                         "error",
		"v=BIMI1; l=http://a.test/l.svg":                          "error",
		"v=BIMI1; a=ftp://a.test/c.pem":                           "error",
		"v=BIMI1; l=https://a.test/1.svg,https://a.test/2.svg":    "error",
		"v=BIMI1; l=https:///nohost.svg":                          "error",
		"":                                                        "error",
	} {
		r, err := ParseBIMI(in)
		var got string
		switch {
		case err != nil:
			got = "error"
		case r.Declined:
			got = "declined"
		default:
			got = "l=" + r.Logo + " a=" + r.Authority
		}
		if got != want {
			t.Errorf("%q: %s (%v), want %s", in, got, err, want)
		}
	}
}

func FuzzParseBIMI(f *testing.F) {
	for _, s := range []string{"v=BIMI1; l=https://a.test/l.svg; a=https://a.test/c.pem", "v=BIMI1;", "v=BIMI1; l=%zz", "v=BIMI1; l=https://[::1/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseBIMI(s)
		if err != nil {
			return
		}
		for _, u := range []string{r.Logo, r.Authority} {
			if u != "" && !strings.HasPrefix(strings.ToLower(u), "https://") {
				t.Fatalf("%q: accepted non-https URL %q", s, u)
			}
		}
		if r.Declined != (r.Logo == "" && r.Authority == "") {
			t.Fatalf("%q: %+v", s, r)
		}
	})
}

package check

import (
	"context"
	"net/netip"
	"strings"
	"testing"
)

func TestPreflight(t *testing.T) {
	c, _ := newTestChecker(t)
	ctx := context.Background()
	for _, tc := range []struct {
		ip, helo string
		want     map[string]Status
		in       map[string]string
	}{
		{"93.184.216.34", "mx1.good.test.", map[string]Status{
			"preflight.ptr": StatusOK, "preflight.helo": StatusOK, "preflight.dnsbl:bl.test": StatusOK, "preflight.dnsbl:refused.test": StatusUnknown,
		}, map[string]string{"preflight.ptr": "93.184.216.34 → mx1.good.test → 93.184.216.34", "preflight.helo": "EHLO mx1.good.test → 93.184.216.34"}},
		{"93.184.216.36", "mx2.good.test", map[string]Status{
			"preflight.ptr": StatusFail, "preflight.helo": StatusOK, "preflight.dnsbl:bl.test": StatusFail,
		}, map[string]string{"preflight.dnsbl:bl.test": "listed for testing"}},
		{"93.184.216.34", "mx2.good.test", map[string]Status{"preflight.helo": StatusWarn}, map[string]string{"preflight.helo": "93.184.216.36"}},
		{"93.184.216.34", "localhost", map[string]Status{"preflight.helo": StatusFail}, map[string]string{"preflight.helo": "not a fully qualified"}},
		{"93.184.216.34", "nothing.good.test", map[string]Status{"preflight.helo": StatusFail}, map[string]string{"preflight.helo": "no A/AAAA"}},
		{"93.184.216.34", "[93.184.216.34]", map[string]Status{"preflight.helo": StatusWarn}, nil},
		{"93.184.216.34", "[192.0.2.1]", map[string]Status{"preflight.helo": StatusFail}, nil},
		{"93.184.216.34", "servfail.test", map[string]Status{"preflight.helo": StatusUnknown}, map[string]string{"preflight.helo": "SERVFAIL"}},
		{"93.184.216.77", "mx1.good.test", map[string]Status{"preflight.ptr": StatusFail, "preflight.helo": StatusWarn}, map[string]string{"preflight.ptr": "no PTR"}},
	} {
		fs, err := c.Preflight(ctx, PreflightOptions{SourceIP: netip.MustParseAddr(tc.ip), HELO: tc.helo})
		if err != nil {
			t.Fatal(err)
		}
		for check, want := range tc.want {
			f := find(fs, check)
			if f.Status != want || !strings.Contains(f.Found, tc.in[check]) {
				t.Errorf("%s/%s %s = %s %q, want %s containing %q", tc.ip, tc.helo, check, f.Status, f.Found, want, tc.in[check])
			}
		}
		for _, f := range fs {
			if !strings.HasPrefix(f.Check, "preflight.") || f.Why.EN == "" || f.Why.DE == "" || len(f.Prevents) == 0 {
				t.Errorf("%s/%s: incomplete finding %+v", tc.ip, tc.helo, f)
			}
			if (f.Status == StatusWarn || f.Status == StatusFail) && (f.Fix.EN == "" || f.Fix.DE == "") {
				t.Errorf("%s/%s: %s lacks fix text", tc.ip, tc.helo, f.Check)
			}
		}
	}
	// The PTR and blocklist rules are the domain check's own.
	rep, _ := c.Domain(ctx, "good.test", DomainOptions{IP: netip.MustParseAddr("93.184.216.36")})
	fs, _ := c.Preflight(ctx, PreflightOptions{SourceIP: netip.MustParseAddr("93.184.216.36"), HELO: "mx2.good.test"})
	for _, check := range []string{"ptr", "dnsbl:bl.test"} {
		a, b := find(rep.Findings, check), find(fs, "preflight."+check)
		if a.Status != b.Status || a.Found != b.Found || a.Why != b.Why {
			t.Errorf("%s: domain %+v, preflight %+v", check, a, b)
		}
	}
	if _, err := c.Preflight(ctx, PreflightOptions{HELO: "mx1.good.test"}); err == nil {
		t.Error("preflight without source IP accepted")
	}
}

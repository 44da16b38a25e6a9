package main

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/maildx/maildx/check/dnstest"
	"github.com/maildx/maildx/check/smtptest"
)

// runCheck runs maildx with args (the check command included).
func runCheck(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	return runCLI(t, nil, stdin, args...)
}

const cliZone = `
ok.test. MX 10 mx.ok.test.
mx.ok.test. A 93.184.216.34
ok.test. TXT "v=spf1 ip4:93.184.216.34 -all"
_dmarc.ok.test. TXT "v=DMARC1; p=reject; rua=mailto:d@ok.test"
bad.test. TXT "v=spf1 +all"
example.com. MX 10 mx.ok.test.
`

func TestCheckDomainCLI(t *testing.T) {
	srv := dnstest.Start(t, cliZone)
	out, _, code := runCheck(t, "", "check", "domain", "--resolver", srv.Addr, "ok.test")
	if code != 0 || !strings.Contains(out, "✓ spf") || !strings.Contains(out, "✓ dmarc") || !strings.Contains(out, "⚠ mta-sts") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	out, _, code = runCheck(t, "", "check", "domain", "--resolver", srv.Addr, "--lang", "de", "bad.test")
	if code != 1 || !strings.Contains(out, "✗ spf.all") || !strings.Contains(out, "warum:") || !strings.Contains(out, "was tun:") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	out, _, code = runCheck(t, "", "check", "domain", "--json", "--resolver", srv.Addr, "--ip", "93.184.216.34", "--dnsbl", "bl.invalid", "ok.test")
	var fs []map[string]any
	if err := json.Unmarshal([]byte(out), &fs); err != nil || len(fs) == 0 {
		t.Fatalf("not a findings array: %v\n%s", err, out)
	}
	for _, k := range []string{"check", "status", "found", "why", "fix"} {
		if _, ok := fs[0][k]; !ok {
			t.Errorf("finding lacks %q", k)
		}
	}
	if code != 1 { // no PTR for the IP
		t.Errorf("exit %d, want 1", code)
	}
	for _, bad := range [][]string{
		{"check", "domain"}, {"check", "domain", "--esp", "nope", "ok.test"}, {"check", "domain", "--ip", "x", "ok.test"},
		{"check", "domain", "nodot"}, {"check", "address"}, {"check", "address", "--helo", "x.test", "a@ok.test"},
		{"check", "address", "--probe", "--mail-from", "bad@", "a@ok.test"}, {"check", "address", "--probe", "--helo", "a b", "a@ok.test"},
		{"check", "address", "--probe", "--probe-timeout", "0s", "a@ok.test"},
	} {
		_, stderr, code := runCheck(t, "", bad...)
		if code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", bad, code, stderr)
		}
	}
}

func TestCheckAddressCLI(t *testing.T) {
	srv := dnstest.Start(t, cliZone)
	out, _, code := runCheck(t, "", "check", "address", "--resolver", srv.Addr, "anna@example.com", "anna@gmial.com")
	if code != 1 || !strings.Contains(out, "did you mean anna@gmail.com") || !strings.Contains(out, "✓ anna@example.com") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	out, _, code = runCheck(t, "anna@example.com\n\ninfo@example.com\nbad@\n", "check", "address", "--lines", "--json", "--resolver", srv.Addr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || len(lines) != 3 {
		t.Fatalf("exit %d, %d lines\n%s", code, len(lines), out)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &r); err != nil || r["role"] != true || r["status"] != "warn" {
		t.Errorf("line 2: %v %v", r, err)
	}
	out, _, code = runCheck(t, "anna@example.com\n", "check", "address", "--lines", "--resolver", srv.Addr)
	if code != 0 || out != "1\tok\tanna@example.com\t\t\n" {
		t.Errorf("exit %d, %q", code, out)
	}
}

const probeCLIZone = `
p.test. MX 10 mx.p.test.
mx.p.test. A 127.0.0.1
yahoo.test. MX 1 mta6.am0.yahoodns.net.
`

func TestCheckAddressProbeCLI(t *testing.T) {
	dnsSrv := dnstest.Start(t, probeCLIZone)
	tlsConf, roots := smtptest.TestCert(t, "mx.p.test")
	srv := smtptest.Start(t, &smtptest.Server{Rcpt: map[string][]string{
		"anna@p.test": {"250 2.1.5 Ok"},
		"grey@p.test": {"451 4.7.1 Greylisted", "250 Ok"},
	}, TLSConfig: tlsConf})
	dial := srv.Dial()
	probeRootCAs = roots
	t.Cleanup(func() { probeRootCAs = nil })
	probeDial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if !strings.HasSuffix(addr, ":25") {
			t.Errorf("dialed %s", addr)
		}
		return dial(ctx, network, addr)
	}
	t.Cleanup(func() { probeDial = nil })
	base := []string{"check", "address", "--resolver", dnsSrv.Addr, "--probe", "--helo", "probe.example.org", "--greylist-delay", "10ms", "--probe-timeout", "2s"}

	// Loopback MX: refused without the hidden test flag, and nothing is dialed.
	out, stderr, code := runCheck(t, "", append(base, "--json", "anna@p.test")...)
	if code != 0 || !strings.Contains(out, `"reason": "private-target"`) || srv.Conns() != 0 {
		t.Fatalf("exit %d, %d conns\n%s", code, srv.Conns(), out)
	}
	if !strings.Contains(stderr, "Yahoo/AOL") || !strings.Contains(stderr, "Gmail") || !strings.Contains(stderr, "Hotmail") {
		t.Errorf("no provider notice: %q", stderr)
	}

	base = append(base, "--allow-private-targets")
	out, _, code = runCheck(t, "", append(base, "--json", "anna@p.test", "bob@p.test", "grey@p.test", "x@yahoo.test")...)
	var rs []struct {
		Status string `json:"status"`
		Probe  *struct {
			Result, Reason string
			Greylisted     bool
		} `json:"probe"`
	}
	if err := json.Unmarshal([]byte(out), &rs); err != nil || len(rs) != 4 {
		t.Fatalf("%v\n%s", err, out)
	}
	want := []struct{ status, result, reason string }{
		{"ok", "deliverable", "accepted"}, {"fail", "undeliverable", "userunknown"},
		{"ok", "deliverable", "accepted"}, {"unknown", "unknown", "provider"},
	}
	for i, w := range want {
		if rs[i].Probe == nil || rs[i].Status != w.status || rs[i].Probe.Result != w.result || rs[i].Probe.Reason != w.reason {
			t.Errorf("%d: %+v %+v, want %v", i, rs[i], rs[i].Probe, w)
		}
	}
	if !strings.Contains(out, `"verified": true`) || !strings.Contains(out, `"check": "probe.starttls"`) {
		t.Errorf("no STARTTLS result in\n%s", out)
	}
	if !rs[2].Probe.Greylisted {
		t.Error("greylisting retry not reported")
	}
	if code != 1 {
		t.Errorf("exit %d, want 1 (bob is undeliverable)", code)
	}
	for _, c := range srv.Commands() {
		if strings.EqualFold(c, "DATA") {
			t.Fatal("DATA sent")
		}
	}

	// Text output and German.
	out, _, code = runCheck(t, "", append(base, "--lang", "de", "bob@p.test")...)
	if code != 1 || !strings.Contains(out, "✗ smtp") || !strings.Contains(out, "lehnte die Adresse ab") || !strings.Contains(out, "✓ probe.starttls") {
		t.Errorf("exit %d\n%s", code, out)
	}
	// --lines streams probe results too.
	start := time.Now()
	out, _, _ = runCheck(t, "anna@p.test\nbob@p.test\n", append(base, "--lines")...)
	if !strings.Contains(out, "probe=deliverable/accepted") || !strings.Contains(out, "probe=undeliverable/userunknown") || time.Since(start) > 5*time.Second {
		t.Errorf("%s", out)
	}
}

func TestCheckAddressPreflightCLI(t *testing.T) {
	dnsSrv := dnstest.Start(t, probeCLIZone+`
probe.example.org. A 93.184.216.34
34.216.184.93.in-addr.arpa. PTR probe.example.org.
2.0.0.127.bl.test. A 127.0.0.2
36.216.184.93.bl.test. A 127.0.0.2
`)
	tlsConf, roots := smtptest.TestCert(t, "mx.p.test")
	srv := smtptest.Start(t, &smtptest.Server{Rcpt: map[string][]string{"anna@p.test": {"250 2.1.5 Ok"}}, TLSConfig: tlsConf})
	probeDial, probeRootCAs = srv.Dial(), roots
	t.Cleanup(func() { probeDial, probeRootCAs = nil, nil })
	base := []string{"check", "address", "--resolver", dnsSrv.Addr, "--probe", "--helo", "probe.example.org", "--probe-timeout", "2s",
		"--allow-private-targets", "--preflight", "--dnsbl", "bl.test"}

	out, _, code := runCheck(t, "", append(base, "--source-ip", "93.184.216.34", "anna@p.test")...)
	for _, want := range []string{"preflight 93.184.216.34 (EHLO probe.example.org)", "✓ preflight.ptr", "✓ preflight.helo", "✓ preflight.dnsbl:bl.test", "✓ anna@p.test"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if code != 0 {
		t.Errorf("exit %d\n%s", code, out)
	}

	out, _, code = runCheck(t, "", append(base, "--json", "--source-ip", "93.184.216.36", "anna@p.test")...)
	var v struct {
		Preflight []struct{ Check, Status string } `json:"preflight"`
		Results   []struct{ Status string }        `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || len(v.Results) != 1 || len(v.Preflight) != 3 {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, f := range v.Preflight {
		if want := map[string]string{"preflight.ptr": "fail", "preflight.helo": "warn", "preflight.dnsbl:bl.test": "fail"}[f.Check]; f.Status != want {
			t.Errorf("%s = %s, want %s", f.Check, f.Status, want)
		}
	}
	if code != 1 || v.Results[0].Status != "ok" {
		t.Errorf("exit %d (want 1: the source IP is listed), address %s", code, v.Results[0].Status)
	}

	out, _, _ = runCheck(t, "anna@p.test\n", append(base, "--lines", "--json", "--source-ip", "93.184.216.34")...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"preflight":[`) || !strings.Contains(lines[1], `"input":"anna@p.test"`) {
		t.Errorf("%s", out)
	}

	for _, bad := range [][]string{
		{"check", "address", "--probe", "--preflight", "a@p.test"},
		{"check", "address", "--probe", "--source-ip", "93.184.216.34", "a@p.test"},
		{"check", "address", "--preflight", "--source-ip", "93.184.216.34", "a@p.test"},
		{"check", "address", "--probe", "--preflight", "--source-ip", "nope", "a@p.test"},
		{"check", "address", "--probe", "--dnsbl", "bl.test", "a@p.test"},
	} {
		if _, stderr, code := runCheck(t, "", bad...); code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", bad, code, stderr)
		}
	}
}

package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/maildx/maildx/check/dnstest"
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
		{"check", "domain", "nodot"}, {"check", "address", "--probe", "a@ok.test"}, {"check", "address"},
	} {
		_, stderr, code := runCheck(t, "", bad...)
		if code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", bad, code, stderr)
		}
	}
	_, stderr, _ := runCheck(t, "", "check", "address", "--probe", "a@ok.test")
	if !strings.Contains(stderr, "not implemented") {
		t.Errorf("--probe message: %q", stderr)
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

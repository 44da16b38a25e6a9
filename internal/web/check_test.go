package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/maildx/maildx/check"
	"github.com/maildx/maildx/check/dnstest"
	"github.com/maildx/maildx/check/smtptest"
)

// checkZone is served by the in-process DNS server: the tests never leave
// the machine. mta-sts.ok.test and mx.p.test are on loopback, which the
// server must refuse to contact.
const checkZone = `
ok.test. MX 10 mx.ok.test.
mx.ok.test. A 93.184.216.34
ok.test. TXT "v=spf1 ip4:93.184.216.34 -all"
_dmarc.ok.test. TXT "v=DMARC1; p=reject; rua=mailto:d@ok.test"
_mta-sts.ok.test. TXT "v=STSv1; id=1"
mta-sts.ok.test. A 127.0.0.1
bad.test. MX 10 mx.bad.test.
mx.bad.test. A 93.184.216.35
bad.test. TXT "v=spf1 +all"
p.test. MX 10 mx.p.test.
mx.p.test. A 127.0.0.1
`

// checkSite is the whole site with a check handler whose resolver is the
// in-process DNS server.
func checkSite(t *testing.T, mod func(*check.HandlerOptions)) http.Handler {
	t.Helper()
	dns := dnstest.Start(t, checkZone)
	o := check.HandlerOptions{
		Checker:  &check.Checker{Resolver: &check.DNSResolver{Servers: []string{dns.Addr}, Timeout: time.Second}, DNSBLs: []string{}},
		ClientIP: ClientIP(false),
	}
	if mod != nil {
		mod(&o)
	}
	return New(Options{Version: "test", Check: check.NewHandler(o)})
}

func TestCheckDomainAPIMounted(t *testing.T) {
	h := checkSite(t, nil)
	w := serve(t, h, request{method: "GET", target: "/api/v1/check/domain/ok.test"})
	var fs []check.Finding
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &fs) != nil || len(fs) == 0 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	by := map[string]check.Finding{}
	for _, f := range fs {
		by[f.Check] = f
	}
	if by["spf"].Status != check.StatusOK || by["dmarc"].Status != check.StatusOK {
		t.Errorf("%+v", fs)
	}
	// Private target refused: the MTA-STS policy host is 127.0.0.1.
	if m := by["mta-sts"]; m.Status != check.StatusFail || !strings.Contains(m.Found, "non-public") {
		t.Errorf("mta-sts: %+v", m)
	}
	if w.Header().Get("X-Request-Id") == "" || w.Header().Get("Content-Security-Policy") == "" {
		t.Error("not served through the site's middleware")
	}
	for _, c := range []struct {
		method, target string
		code           int
	}{
		{"GET", "/api/v1/check/domain/nodot", 400},
		{"GET", "/api/v1/check/domain/ok.test?esp=nope", 400},
		{"POST", "/api/v1/check/domain/ok.test", 405},
		{"GET", "/api/v1/check/address", 405},
		{"GET", "/api/v1/check/nothing", 404},
	} {
		w := serve(t, h, request{method: c.method, target: c.target})
		var e Error
		if w.Code != c.code || json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error == "" {
			t.Errorf("%s %s: %d %s", c.method, c.target, w.Code, w.Body)
		}
	}
}

func TestCheckAddressAPIMounted(t *testing.T) {
	h := checkSite(t, nil)
	w := serve(t, h, request{"POST", "/api/v1/check/address", "application/json", `{"addresses": ["anna@ok.test", "bad@", "anna@gmial.com"]}`, nil})
	var rs []check.AddressResult
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &rs) != nil || len(rs) != 3 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if rs[0].Status != check.StatusOK || rs[1].Status != check.StatusFail || rs[2].Suggestion != "anna@gmail.com" {
		t.Errorf("%+v", rs)
	}
	// Probing is off unless serve runs with --allow-probe (Probe nil).
	w = serve(t, h, request{"POST", "/api/v1/check/address", "application/json", `{"address": "a@ok.test", "probe": true}`, nil})
	if w.Code != 400 || !strings.Contains(w.Body.String(), "disabled") {
		t.Errorf("probe without --allow-probe: %d %s", w.Code, w.Body)
	}
}

func TestCheckNotConfigured(t *testing.T) {
	h := New(testOptions)
	if w := serve(t, h, request{method: "GET", target: "/api/v1/check/domain/ok.test"}); w.Code != 503 {
		t.Errorf("API: %d", w.Code)
	}
	if w := serve(t, h, request{method: "GET", target: "/check/domain"}); w.Code != 404 {
		t.Errorf("page: %d", w.Code)
	}
	if w := serve(t, h, request{method: "GET", target: "/"}); strings.Contains(w.Body.String(), `href="/check/domain"`) {
		t.Error("menu links to checks that are not configured")
	}
}

func TestCheckProbeRefusesPrivateTarget(t *testing.T) {
	mx := smtptest.Start(t, &smtptest.Server{Rcpt: map[string][]string{"a@p.test": {"250 Ok"}}})
	probe := &check.ProbeOptions{Timeout: time.Second, GreylistDelay: time.Millisecond, Dial: mx.Dial()}
	h := checkSite(t, func(o *check.HandlerOptions) { o.Probe = probe })
	w := serve(t, h, request{"POST", "/api/v1/check/address", "application/json", `{"address": "a@p.test", "probe": true}`, nil})
	var rs []check.AddressResult
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &rs) != nil || len(rs) != 1 || rs[0].Probe == nil {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if p := rs[0].Probe; p.Result != check.ProbeUnknown || p.Reason != "private-target" || mx.Conns() != 0 {
		t.Errorf("%+v, %d connections", p, mx.Conns())
	}
}

func TestCheckRateLimit(t *testing.T) {
	h := checkSite(t, func(o *check.HandlerOptions) { o.RateLimit = check.RateLimit{Rate: 0.001, Burst: 2} })
	body := `{"address": "a@ok.test"}`
	for i := range 2 {
		if w := serve(t, h, request{"POST", "/api/v1/check/address", "application/json", body, nil}); w.Code != 200 {
			t.Fatalf("request %d: %d", i, w.Code)
		}
	}
	w := serve(t, h, request{"POST", "/api/v1/check/address", "application/json", body, nil})
	var e Error
	if w.Code != 429 || w.Header().Get("Retry-After") == "" || json.Unmarshal(w.Body.Bytes(), &e) != nil {
		t.Errorf("API: %d %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	// The pages share the API's bucket and say so in the layout.
	w = serve(t, h, request{method: "GET", target: "/check/domain?d=ok.test&lang=de"})
	if w.Code != 429 || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "Zu viele Prüfungen") || !strings.Contains(w.Body.String(), "</nav>") {
		t.Errorf("page: %d %s", w.Code, w.Body)
	}
	// Another client has its own bucket.
	r := httptest.NewRequest("GET", "/check/address?a=a@ok.test", nil)
	r.RemoteAddr = "198.51.100.7:4242"
	rw := httptest.NewRecorder()
	h.ServeHTTP(rw, r)
	if rw.Code != 200 {
		t.Errorf("other client: %d", rw.Code)
	}
	// A forged X-Forwarded-For does not give a new bucket without
	// --trust-proxy.
	w = serve(t, h, request{"POST", "/api/v1/check/address", "application/json", body, map[string]string{"X-Forwarded-For": "203.0.113.9"}})
	if w.Code != 429 {
		t.Errorf("X-Forwarded-For honoured without trust: %d", w.Code)
	}
}

func TestClientIP(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "[::ffff:192.0.2.1]:5000"
	r.Header.Add("X-Forwarded-For", "203.0.113.1, 198.51.100.2")
	if got := ClientIP(false)(r).String(); got != "192.0.2.1" {
		t.Errorf("untrusted: %s", got)
	}
	if got := ClientIP(true)(r).String(); got != "198.51.100.2" {
		t.Errorf("trusted: %s (want the entry the proxy appended)", got)
	}
	r.Header.Set("X-Forwarded-For", "garbage")
	if got := ClientIP(true)(r).String(); got != "192.0.2.1" {
		t.Errorf("bad header: %s", got)
	}
}

func TestCheckPages(t *testing.T) {
	h := checkSite(t, nil)
	for _, c := range []struct{ lang, nav, title, status string }{
		{"en", ">Check</a>", "Domain check", "Failed"},
		{"de", ">Prüfen</a>", "Domain prüfen", "Fehlgeschlagen"},
	} {
		// The menu links to the checks in both languages, on every page.
		for _, target := range []string{"/?lang=" + c.lang, "/codes?lang=" + c.lang} {
			w := serve(t, h, request{method: "GET", target: target})
			if !strings.Contains(w.Body.String(), `<a href="/check/domain">`) || !strings.Contains(w.Body.String(), c.nav) {
				t.Errorf("%s: no check link in the menu", target)
			}
		}
		w := serve(t, h, request{method: "GET", target: "/check/domain?d=bad.test&lang=" + c.lang})
		body := w.Body.String()
		if w.Code != 200 || !strings.Contains(body, c.title) || !strings.Contains(body, `aria-current="page">`+strings.TrimPrefix(c.nav, ">")) {
			t.Fatalf("%s: %d %s", c.lang, w.Code, body)
		}
		// A checklist with green and red items, each with word and icon;
		// a finding that is not ok links to the errors it leads to.
		if !strings.Contains(body, `class="finding st-ok"`) || !strings.Contains(body, `class="finding st-fail"`) || !strings.Contains(body, c.status) {
			t.Errorf("%s: checklist incomplete: %s", c.lang, body)
		}
		if !strings.Contains(body, `href="/codes/`) {
			t.Errorf("%s: no link to the errors a finding prevents", c.lang)
		}
		if strings.Contains(body, "<script") || strings.Contains(body, "style=") || strings.Contains(body, "<style") {
			t.Errorf("%s: inline script or style", c.lang)
		}
		if csp := w.Header().Get("Content-Security-Policy"); csp != contentSecurityPolicy {
			t.Errorf("CSP %q", csp)
		}
	}
	// Input is escaped everywhere it is shown.
	evil := `<script>alert(1)</script>"x@ok.test`
	w := serve(t, h, request{method: "GET", target: "/check/address?a=" + url.QueryEscape(evil)})
	if w.Code != 200 || strings.Contains(w.Body.String(), "<script>") || !strings.Contains(w.Body.String(), "&lt;script&gt;") {
		t.Errorf("%d %s", w.Code, w.Body)
	}
	w = serve(t, h, request{method: "GET", target: "/check/domain?d=" + url.QueryEscape(`<b>"x`)})
	if w.Code != 400 || strings.Contains(w.Body.String(), "<b>") || !strings.Contains(w.Body.String(), `class="error"`) {
		t.Errorf("%d %s", w.Code, w.Body)
	}
	// Several addresses, a typo suggestion, German.
	w = serve(t, h, request{method: "GET", target: "/check/address?lang=de&a=" + url.QueryEscape("anna@gmial.com\ninfo@ok.test")})
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, "Meinten Sie anna@gmail.com?") || strings.Count(body, `<section class="checkresult"`) != 2 {
		t.Errorf("%d %s", w.Code, body)
	}
	// Empty forms.
	for _, target := range []string{"/check/domain", "/check/address"} {
		if w := serve(t, h, request{method: "GET", target: target}); w.Code != 200 || !strings.Contains(w.Body.String(), "<form") {
			t.Errorf("%s: %d", target, w.Code)
		}
	}
	if w := serve(t, h, request{method: "POST", target: "/check/domain"}); w.Code != 405 {
		t.Errorf("POST page: %d", w.Code)
	}
}

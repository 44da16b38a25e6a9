package check

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/maildx/maildx/check/dnstest"
	"github.com/maildx/maildx/check/smtptest"
)

const handlerZone = `
ok.test. MX 10 mx.ok.test.
mx.ok.test. A 93.184.216.34
ok.test. TXT "v=spf1 ip4:93.184.216.34 -all"
_dmarc.ok.test. TXT "v=DMARC1; p=reject; rua=mailto:d@ok.test"
_mta-sts.ok.test. TXT "v=STSv1; id=1"
mta-sts.ok.test. A 127.0.0.1
p.test. MX 10 mx.p.test.
mx.p.test. A 127.0.0.1
`

func newTestHandler(t *testing.T, mod func(*HandlerOptions)) http.Handler {
	t.Helper()
	srv := dnstest.Start(t, handlerZone)
	o := HandlerOptions{Checker: &Checker{Resolver: &DNSResolver{Servers: []string{srv.Addr}, Timeout: time.Second}, DNSBLs: []string{}},
		Timeout: 30 * time.Second}
	if mod != nil {
		mod(&o)
	}
	return NewHandler(o)
}

func do(t *testing.T, h http.Handler, method, target, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func jsonErr(t *testing.T, w *httptest.ResponseRecorder, code int) {
	t.Helper()
	var e map[string]string
	if w.Code != code || json.Unmarshal(w.Body.Bytes(), &e) != nil || e["error"] == "" {
		t.Errorf("want %d with a JSON error, got %d %s", code, w.Code, w.Body)
	}
}

func TestHandlerDomainAPI(t *testing.T) {
	h := newTestHandler(t, nil)
	w := do(t, h, "GET", "/api/v1/check/domain/ok.test", "")
	var fs []Finding
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &fs) != nil || len(fs) == 0 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	byCheck := map[string]Finding{}
	for _, f := range fs {
		byCheck[f.Check] = f
	}
	if byCheck["spf"].Status != StatusOK || byCheck["dmarc"].Status != StatusOK {
		t.Errorf("%+v", fs)
	}
	// The MTA-STS policy host is 127.0.0.1: the server refuses to fetch it.
	if m := byCheck["mta-sts"]; m.Status != StatusFail || !strings.Contains(m.Found, "non-public") {
		t.Errorf("mta-sts: %+v", m)
	}
	jsonErr(t, do(t, h, "GET", "/api/v1/check/domain/nodot", ""), 400)
	jsonErr(t, do(t, h, "GET", "/api/v1/check/domain/"+strings.Repeat("a", 400)+".test", ""), 400)
	jsonErr(t, do(t, h, "GET", "/api/v1/check/domain/ok.test?ip=nope", ""), 400)
	jsonErr(t, do(t, h, "GET", "/api/v1/check/domain/ok.test?esp=nope", ""), 400)
	jsonErr(t, do(t, h, "POST", "/api/v1/check/domain/ok.test", ""), 405)
	jsonErr(t, do(t, h, "GET", "/api/v1/check/nothing", ""), 404)
}

func TestHandlerAddressAPI(t *testing.T) {
	h := newTestHandler(t, nil)
	w := do(t, h, "POST", "/api/v1/check/address", `{"addresses": ["anna@ok.test", "bad@", "anna@gmial.com"]}`)
	var rs []AddressResult
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &rs) != nil || len(rs) != 3 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if rs[0].Status != StatusOK || rs[1].Status != StatusFail || rs[2].Suggestion != "anna@gmail.com" || rs[0].Probe != nil {
		t.Errorf("%+v", rs)
	}
	w = do(t, h, "POST", "/api/v1/check/address", `{"address": "info@ok.test"}`)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"role":true`) {
		t.Errorf("%d %s", w.Code, w.Body)
	}
	jsonErr(t, do(t, h, "POST", "/api/v1/check/address", `{}`), 400)
	jsonErr(t, do(t, h, "POST", "/api/v1/check/address", `{"adress": "x"}`), 400)
	jsonErr(t, do(t, h, "POST", "/api/v1/check/address", `not json`), 400)
	jsonErr(t, do(t, h, "POST", "/api/v1/check/address", `{"address": "a@ok.test", "probe": true}`), 400) // probing disabled
	jsonErr(t, do(t, h, "POST", "/api/v1/check/address", `{"address": "`+strings.Repeat("a", 70<<10)+`"}`), 413)
	jsonErr(t, do(t, h, "GET", "/api/v1/check/address", ""), 405)
}

func TestHandlerProbeRefusesPrivateTarget(t *testing.T) {
	srv := smtptest.Start(t, &smtptest.Server{Rcpt: map[string][]string{"a@p.test": {"250 Ok"}}})
	dial := srv.Dial()
	probe := &ProbeOptions{Timeout: time.Second, GreylistDelay: time.Millisecond,
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) { return dial(ctx, network, addr) }}
	h := newTestHandler(t, func(o *HandlerOptions) { o.Probe = probe })
	w := do(t, h, "POST", "/api/v1/check/address", `{"address": "a@p.test", "probe": true}`)
	var rs []AddressResult
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &rs) != nil || len(rs) != 1 || rs[0].Probe == nil {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if p := rs[0].Probe; p.Result != ProbeUnknown || p.Reason != "private-target" || srv.Conns() != 0 {
		t.Errorf("%+v, %d connections", p, srv.Conns())
	}
	jsonErr(t, do(t, h, "POST", "/api/v1/check/address", `{"addresses": ["a@p.test","b@p.test","c@p.test","d@p.test"], "probe": true}`), 400)

	// With AllowPrivate (tests only) the probe reaches the test server.
	h = newTestHandler(t, func(o *HandlerOptions) { o.Probe = probe; o.AllowPrivate = true })
	w = do(t, h, "POST", "/api/v1/check/address", `{"address": "a@p.test", "probe": true}`)
	rs = nil
	if json.Unmarshal(w.Body.Bytes(), &rs) != nil || len(rs) != 1 || rs[0].Probe == nil || rs[0].Probe.Result != ProbeDeliverable {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func TestHandlerRateLimit(t *testing.T) {
	h := newTestHandler(t, func(o *HandlerOptions) { o.RateLimit = RateLimit{Rate: 0.001, Burst: 3} })
	for i := range 3 {
		if w := do(t, h, "POST", "/api/v1/check/address", `{"address": "a@ok.test"}`); w.Code != 200 {
			t.Fatalf("request %d: %d", i, w.Code)
		}
	}
	w := do(t, h, "POST", "/api/v1/check/address", `{"address": "a@ok.test"}`)
	jsonErr(t, w, 429)
	if w.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if w := do(t, h, "GET", "/check/domain?d=ok.test", ""); w.Code != 429 {
		t.Errorf("page: %d", w.Code)
	}
	// Another client has its own bucket.
	req := httptest.NewRequest("POST", "/api/v1/check/address", strings.NewReader(`{"address": "a@ok.test"}`))
	req.RemoteAddr = "198.51.100.7:4242"
	rw := httptest.NewRecorder()
	h.ServeHTTP(rw, req)
	if rw.Code != 200 {
		t.Errorf("other client: %d", rw.Code)
	}
}

func TestLimiterBounded(t *testing.T) {
	l := newLimiter(RateLimit{Rate: 1, Burst: 2, MaxClients: 2})
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	if ok, _ := l.allow("a", 1); !ok {
		t.Fatal("a")
	}
	if ok, _ := l.allow("b", 1); !ok {
		t.Fatal("b")
	}
	if ok, _ := l.allow("c", 1); ok {
		t.Fatal("c admitted past MaxClients while a and b are not refilled")
	}
	now = now.Add(2 * time.Second)
	if ok, _ := l.allow("c", 1); !ok || len(l.buckets) > 2 {
		t.Fatalf("c after refill: %d buckets", len(l.buckets))
	}
	if ok, wait := l.allow("c", 5); ok || wait <= 0 {
		t.Fatal("cost above burst admitted")
	}
	if k := clientKey(netip.MustParseAddr("2001:db8:1:2:3:4:5:6")); k != "2001:db8:1:2::/64" {
		t.Errorf("%s", k)
	}
	if k := clientKey(netip.MustParseAddr("::ffff:192.0.2.1")); k != "192.0.2.1" {
		t.Errorf("%s", k)
	}
}

func TestHandlerPages(t *testing.T) {
	h := newTestHandler(t, nil)
	w := do(t, h, "GET", "/check/domain?d=ok.test", "")
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, `class="finding ok"`) || !strings.Contains(body, `class="finding warn"`) && !strings.Contains(body, `class="finding fail"`) {
		t.Fatalf("%d %s", w.Code, body)
	}
	csp := w.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "style-src 'sha256-"+cssHash()+"'") || strings.Contains(body, "<script") {
		t.Errorf("CSP %q", csp)
	}
	// German by Accept-Language, English by ?lang= overriding it.
	w = do(t, h, "GET", "/check/domain?d=ok.test", "", "Accept-Language", "fr;q=1, de-DE;q=0.8, en;q=0.5")
	if !strings.Contains(w.Body.String(), "In Ordnung") || !strings.Contains(w.Body.String(), `lang="de"`) {
		t.Errorf("not German: %s", w.Body)
	}
	w = do(t, h, "GET", "/check/domain?d=ok.test&lang=en", "", "Accept-Language", "de")
	if !strings.Contains(w.Body.String(), "Domain check") {
		t.Errorf("not English")
	}
	// Input is escaped everywhere it is shown.
	evil := `<script>alert(1)</script>"x@ok.test`
	w = do(t, h, "GET", "/check/address?a="+url.QueryEscape(evil), "")
	if w.Code != 200 || strings.Contains(w.Body.String(), "<script>") || !strings.Contains(w.Body.String(), "&lt;script&gt;") {
		t.Errorf("%d %s", w.Code, w.Body)
	}
	w = do(t, h, "GET", "/check/domain?d="+url.QueryEscape(`<b>"x`), "")
	if w.Code != 400 || strings.Contains(w.Body.String(), "<b>") {
		t.Errorf("%d %s", w.Code, w.Body)
	}
	w = do(t, h, "GET", "/check/address?a=anna@gmial.com&lang=de", "")
	if !strings.Contains(w.Body.String(), "Meinten Sie anna@gmail.com?") || !strings.Contains(w.Body.String(), `class="finding fail"`) {
		t.Errorf("%s", w.Body)
	}
	if w := do(t, h, "GET", "/check/address", ""); w.Code != 200 || !strings.Contains(w.Body.String(), "<form") {
		t.Errorf("empty form: %d", w.Code)
	}
}

func TestAcceptLang(t *testing.T) {
	for in, want := range map[string]string{"": "en", "de": "de", "de-AT,en;q=0.9": "de", "en-US,de;q=0.9": "en", "fr,de;q=0.1": "de", "de;q=0,en;q=0.2": "en", "xx": "en"} {
		if got := acceptLang(in, "en"); got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
}

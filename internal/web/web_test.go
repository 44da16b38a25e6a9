package web

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/maildx/maildx"
)

// testOptions keep the limits small so the bad-input cases are cheap.
var testOptions = Options{Version: "test", MaxBodyBytes: 4096, MaxUploadBytes: 64 << 10, MaxBatch: 5}

type request struct {
	method, target, contentType, body string
	header                            map[string]string
}

func serve(t *testing.T, h http.Handler, req request) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(req.method, req.target, strings.NewReader(req.body))
	if req.contentType != "" {
		r.Header.Set("Content-Type", req.contentType)
	}
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func bounce(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/bounce.eml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// multipartBody builds a multipart/form-data body with the given fields
// and files (name → content).
func multipartBody(t *testing.T, fields map[string]string, files map[string]string) (body, contentType string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range files {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(content))
	}
	mw.Close()
	return buf.String(), mw.FormDataContentType()
}

const userUnknown = "550 5.1.1 <jane@example.com>: Recipient address rejected: User unknown"

func TestAPI(t *testing.T) {
	h := New(testOptions)
	eml := bounce(t)
	upload, uploadType := multipartBody(t, map[string]string{"lang": "de"}, map[string]string{"bounce.eml": eml})
	noFile, noFileType := multipartBody(t, map[string]string{"lang": "de"}, nil)
	badLangUpload, badLangType := multipartBody(t, map[string]string{"lang": "fr"}, map[string]string{"b.eml": eml})
	plainMessage := "From: a@example.org\r\nTo: b@example.com\r\nSubject: hello\r\n\r\nJust a message.\r\n"

	tests := []struct {
		name   string
		req    request
		status int
		want   []string // substrings of the body
	}{
		{"explain json", request{"POST", "/api/v1/explain", "application/json", `{"text":"` + userUnknown + `"}`, nil}, 200,
			[]string{`"reason":"userunknown"`, `"hard_bounce":true`, `"lang":"en"`, `"action":"suppress"`}},
		{"explain json charset", request{"POST", "/api/v1/explain", "application/json; charset=utf-8", `{"text":"452 4.2.2 mailbox full"}`, nil}, 200,
			[]string{`"reason":"mailboxfull"`, `"temporary":true`}},
		{"explain lang de in body", request{"POST", "/api/v1/explain", "application/json", `{"text":"` + userUnknown + `","lang":"de"}`, nil}, 200,
			[]string{`"lang":"de"`, `"title":"Empfängeradresse existiert nicht"`}},
		{"explain lang DE upper case", request{"POST", "/api/v1/explain", "application/json", `{"text":"` + userUnknown + `","lang":"DE"}`, nil}, 200, []string{`"lang":"de"`}},
		{"explain lang in query", request{"POST", "/api/v1/explain?lang=de", "text/plain", userUnknown, nil}, 200, []string{`"lang":"de"`}},
		{"explain text/plain", request{"POST", "/api/v1/explain", "text/plain; charset=utf-8", "0x800CCC0E\n", nil}, 200, []string{`"kind":"client-code"`}},
		{"explain no content type, JSON body", request{"POST", "/api/v1/explain", "", ` {"text":"` + userUnknown + `"}`, nil}, 200, []string{`"reason":"userunknown"`}},
		{"explain no content type, text body", request{"POST", "/api/v1/explain", "", userUnknown, nil}, 200, []string{`"reason":"userunknown"`}},
		{"explain curl -d JSON", request{"POST", "/api/v1/explain", "application/x-www-form-urlencoded", `{"text":"` + userUnknown + `"}`, nil}, 200, []string{`"reason":"userunknown"`}},
		{"explain form fields", request{"POST", "/api/v1/explain", "application/x-www-form-urlencoded", "lang=de&text=" + strings.ReplaceAll(userUnknown, " ", "+"), nil}, 200, []string{`"lang":"de"`, `"reason":"userunknown"`}},
		{"explain attempt", request{"POST", "/api/v1/explain", "application/json", `{"text":"421 4.7.0 try again later","attempt":3}`, nil}, 200, []string{`"temporary":true`}},
		{"explain batch", request{"POST", "/api/v1/explain", "application/json", `{"texts":["` + userUnknown + `","0x800CCC0E",""],"lang":"de"}`, nil}, 200,
			[]string{`[{"input":"550 5.1.1`, `"kind":"client-code"`, `"kind":"empty"`}},
		{"explain html is not escaped in JSON", request{"POST", "/api/v1/explain", "application/json", `{"text":"<b>550</b>"}`, nil}, 200, []string{`"input":"<b>550</b>"`}},

		{"explain bad JSON", request{"POST", "/api/v1/explain", "application/json", `{"text":`, nil}, 400, []string{`"error":"invalid JSON`}},
		{"explain JSON syntax error", request{"POST", "/api/v1/explain", "application/json", `{"text" "x"}`, nil}, 400, []string{`"error":"invalid JSON at byte`}},
		{"explain empty body", request{"POST", "/api/v1/explain", "application/json", ``, nil}, 400, []string{`"error":"invalid JSON: empty`}},
		{"explain unknown field", request{"POST", "/api/v1/explain", "application/json", `{"txt":"550"}`, nil}, 400, []string{`unknown field`}},
		{"explain trailing data", request{"POST", "/api/v1/explain", "application/json", `{"text":"550"} {}`, nil}, 400, []string{`data after the object`}},
		{"explain text not a string", request{"POST", "/api/v1/explain", "application/json", `{"text":550}`, nil}, 400, []string{`"text\" must be a string`}},
		{"explain JSON array", request{"POST", "/api/v1/explain", "application/json", `["550"]`, nil}, 400, []string{`"error"`}},
		{"explain unknown lang", request{"POST", "/api/v1/explain", "application/json", `{"text":"550","lang":"fr"}`, nil}, 400, []string{`unsupported lang \"fr\"`}},
		{"explain unknown lang in query", request{"POST", "/api/v1/explain?lang=xx", "text/plain", "550", nil}, 400, []string{`unsupported lang`}},
		{"explain empty text", request{"POST", "/api/v1/explain", "application/json", `{"text":""}`, nil}, 400, []string{`"error":"text is empty"`}},
		{"explain blank text", request{"POST", "/api/v1/explain", "application/json", `{"text":"  \n\t"}`, nil}, 400, []string{`text is empty`}},
		{"explain empty plain body", request{"POST", "/api/v1/explain", "text/plain", ``, nil}, 400, []string{`text is empty`}},
		{"explain neither text nor texts", request{"POST", "/api/v1/explain", "application/json", `{"lang":"de"}`, nil}, 400, []string{`needs \"text\"`}},
		{"explain both", request{"POST", "/api/v1/explain", "application/json", `{"text":"550","texts":["550"]}`, nil}, 400, []string{`not both`}},
		{"explain empty texts", request{"POST", "/api/v1/explain", "application/json", `{"texts":[]}`, nil}, 400, []string{`texts is empty`}},
		{"explain texts not strings", request{"POST", "/api/v1/explain", "application/json", `{"texts":[1,2]}`, nil}, 400, []string{`"error"`}},
		{"explain too many texts", request{"POST", "/api/v1/explain", "application/json", `{"texts":["1","2","3","4","5","6"]}`, nil}, 413, []string{`too many texts: 6, at most 5`}},
		{"explain body too large", request{"POST", "/api/v1/explain", "text/plain", strings.Repeat("x", 5000), nil}, 413, []string{`body too large`}},
		{"explain JSON too large", request{"POST", "/api/v1/explain", "application/json", `{"text":"` + strings.Repeat("x", 5000) + `"}`, nil}, 413, []string{`body too large`}},
		{"explain bad attempt", request{"POST", "/api/v1/explain", "application/json", `{"text":"550","attempt":-1}`, nil}, 400, []string{`attempt must be`}},
		{"explain unsupported type", request{"POST", "/api/v1/explain", "application/xml", `<text>550</text>`, nil}, 415, []string{`unsupported content type`}},
		{"explain malformed type", request{"POST", "/api/v1/explain", "text/", `550`, nil}, 415, []string{`unsupported content type`}},
		{"explain GET", request{"GET", "/api/v1/explain", "", "", nil}, 405, []string{`"error":"method GET not allowed; use POST"`}},
		{"explain PUT", request{"PUT", "/api/v1/explain", "application/json", `{"text":"550"}`, nil}, 405, []string{`not allowed`}},

		{"codes all", request{"GET", "/api/v1/codes", "", "", nil}, 200, []string{`"count":`, `"id":"smtp-550"`, `"url":"/codes/smtp-550"`}},
		{"codes search de", request{"GET", "/api/v1/codes?q=Postfach+voll&lang=de", "", "", nil}, 200, []string{`"category":"mailbox-full"`, `"lang":"de"`}},
		{"codes search umlaut-free", request{"GET", "/api/v1/codes?q=groesse", "", "", nil}, 200, []string{`"id":`}},
		{"codes by source", request{"GET", "/api/v1/codes?source=gmail", "", "", nil}, 200, []string{`"source":"gmail"`}},
		{"codes by category", request{"GET", "/api/v1/codes?category=mailbox-full&reason=mailboxfull", "", "", nil}, 200, []string{`"category":"mailbox-full"`}},
		{"codes no match", request{"GET", "/api/v1/codes?q=zzzqqqxxx", "", "", nil}, 200, []string{`{"count":0,"entries":[]}`}},
		{"codes unknown source", request{"GET", "/api/v1/codes?source=aol", "", "", nil}, 400, []string{`unknown source \"aol\"`}},
		{"codes unknown category", request{"GET", "/api/v1/codes?category=x", "", "", nil}, 400, []string{`unknown category`}},
		{"codes unknown reason", request{"GET", "/api/v1/codes?reason=x", "", "", nil}, 400, []string{`unknown reason`}},
		{"codes unknown lang", request{"GET", "/api/v1/codes?lang=fr", "", "", nil}, 400, []string{`unsupported lang`}},
		{"codes q too long", request{"GET", "/api/v1/codes?q=" + strings.Repeat("a", 501), "", "", nil}, 400, []string{`q is too long`}},
		{"codes POST", request{"POST", "/api/v1/codes", "", "", nil}, 405, []string{`use GET, HEAD`}},
		{"code by id", request{"GET", "/api/v1/codes/smtp-550", "", "", nil}, 200, []string{`"id":"smtp-550"`, `"codes":["550"]`, `"lang":"en"`, `"text":{"en":`}},
		{"code by id de", request{"GET", "/api/v1/codes/enhanced-x.1.1?lang=de", "", "", nil}, 200, []string{`"lang":"de"`}},
		{"code unknown id", request{"GET", "/api/v1/codes/no-such-entry", "", "", nil}, 404, []string{`"error":"no entry with id \"no-such-entry\""`}},
		{"code bad lang", request{"GET", "/api/v1/codes/smtp-550?lang=it", "", "", nil}, 400, []string{`unsupported lang`}},
		{"code DELETE", request{"DELETE", "/api/v1/codes/smtp-550", "", "", nil}, 405, []string{`not allowed`}},

		{"parse rfc822", request{"POST", "/api/v1/parse", "message/rfc822", eml, nil}, 200,
			[]string{`"recipient":"jane@example.com"`, `"reason":"userunknown"`, `"dsn_action":"failed"`, `"remote_mta":"mx.example.com"`}},
		{"parse no content type", request{"POST", "/api/v1/parse?lang=de", "", eml, nil}, 200, []string{`"recipient":"jane@example.com"`, `"lang":"de"`}},
		{"parse multipart", request{"POST", "/api/v1/parse", uploadType, upload, nil}, 200, []string{`"file":"bounce.eml"`, `"lang":"de"`}},
		{"parse not a bounce", request{"POST", "/api/v1/parse", "message/rfc822", plainMessage, nil}, 200, []string{"[]"}},
		{"parse empty body", request{"POST", "/api/v1/parse", "message/rfc822", "", nil}, 400, []string{`no message`}},
		{"parse multipart without file", request{"POST", "/api/v1/parse", noFileType, noFile, nil}, 400, []string{`no message`}},
		{"parse malformed multipart", request{"POST", "/api/v1/parse", "multipart/form-data; boundary=x", "garbage", nil}, 400, []string{`malformed multipart`}},
		{"parse multipart without boundary", request{"POST", "/api/v1/parse", "multipart/form-data", "garbage", nil}, 400, []string{`malformed multipart`}},
		{"parse bad lang", request{"POST", "/api/v1/parse", badLangType, badLangUpload, nil}, 400, []string{`unsupported lang`}},
		{"parse too large", request{"POST", "/api/v1/parse", "message/rfc822", strings.Repeat("x", 70<<10), nil}, 413, []string{`body too large`}},
		{"parse GET", request{"GET", "/api/v1/parse", "", "", nil}, 405, []string{`use POST`}},

		{"openapi", request{"GET", "/api/v1/openapi.json", "", "", nil}, 200, []string{`"openapi": "3.1.0"`}},
		{"healthz", request{"GET", "/healthz", "", "", nil}, 200, []string{`"status":"ok"`, `"version":"test"`}},
		{"healthz POST", request{"POST", "/healthz", "", "", nil}, 405, []string{`not allowed`}},
		{"metrics", request{"GET", "/metrics", "", "", nil}, 200, []string{`# TYPE maildx_http_requests_total counter`}},
		{"unknown api path", request{"GET", "/api/v1/nothing", "", "", nil}, 404, []string{`"error":"no such endpoint: /api/v1/nothing"`}},
		{"unknown api version", request{"POST", "/api/v2/explain", "", "", nil}, 404, []string{`"error"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(t, h, tc.req)
			body := w.Body.String()
			if w.Code != tc.status {
				t.Fatalf("%s %s = %d, want %d; body: %s", tc.req.method, tc.req.target, w.Code, tc.status, body)
			}
			for _, want := range tc.want {
				if !strings.Contains(body, want) {
					t.Errorf("%s %s: body lacks %q; body: %.600s", tc.req.method, tc.req.target, want, body)
				}
			}
			ct := w.Header().Get("Content-Type")
			if tc.req.target != "/metrics" && ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if w.Code >= 400 {
				var e Error
				if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
					t.Errorf("error body %q is not {\"error\": \"...\"} (%v)", body, err)
				}
			}
			if w.Code == 405 && w.Header().Get("Allow") == "" {
				t.Errorf("405 without Allow header")
			}
			checkSecurityHeaders(t, w)
		})
	}
}

func checkSecurityHeaders(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	for k, want := range map[string]string{
		"Content-Security-Policy": "default-src 'self'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
	} {
		if got := w.Header().Get(k); !strings.Contains(got, want) {
			t.Errorf("header %s = %q, want it to contain %q", k, got, want)
		}
	}
	if csp := w.Header().Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
}

func TestExplainMatchesLibrary(t *testing.T) {
	h := New(testOptions)
	for _, lang := range []string{"en", "de"} {
		w := serve(t, h, request{"POST", "/api/v1/explain", "application/json", `{"text":"` + userUnknown + `","lang":"` + lang + `"}`, nil})
		var got maildx.Diagnosis
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		want := maildx.Explain(userUnknown, maildx.WithLang(lang))
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if !bytes.Equal(gb, wb) {
			t.Errorf("lang %s: API diagnosis differs from maildx.Explain:\n got %s\nwant %s", lang, gb, wb)
		}
	}
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	h := New(testOptions)
	w := serve(t, h, request{method: "GET", target: "/api/v1/openapi.json"})
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	for path, method := range map[string]string{
		"/api/v1/explain": "post", "/api/v1/codes": "get", "/api/v1/codes/{id}": "get",
		"/api/v1/parse": "post", "/api/v1/openapi.json": "get", "/healthz": "get", "/metrics": "get",
		"/api/v1/check/domain/{domain}": "get", "/api/v1/check/address": "post",
	} {
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("openapi.json lacks %s %s", method, path)
		}
	}
}

func TestMetrics(t *testing.T) {
	h := New(testOptions)
	serve(t, h, request{"POST", "/api/v1/explain", "text/plain", userUnknown, nil})
	serve(t, h, request{"POST", "/api/v1/explain", "application/json", `{"texts":["452 4.2.2 mailbox full","` + userUnknown + `"]}`, nil})
	serve(t, h, request{"POST", "/api/v1/explain", "application/json", `{`, nil})
	serve(t, h, request{"POST", "/api/v1/parse", "message/rfc822", bounce(t), nil})
	serve(t, h, request{"GET", "/codes/smtp-550", "", "", nil})
	w := serve(t, h, request{method: "GET", target: "/metrics"})
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type = %q", ct)
	}
	body := w.Body.String()
	for _, want := range []string{
		`maildx_http_requests_total{route="POST /api/v1/explain",code="200"} 2`,
		`maildx_http_requests_total{route="POST /api/v1/explain",code="400"} 1`,
		`maildx_http_requests_total{route="POST /api/v1/parse",code="200"} 1`,
		`maildx_http_requests_total{route="GET /codes/{id}",code="200"} 1`,
		`maildx_http_request_duration_seconds_bucket{route="POST /api/v1/explain",le="+Inf"} 3`,
		`maildx_http_request_duration_seconds_count{route="POST /api/v1/explain"} 3`,
		`maildx_explanations_total{reason="userunknown"} 3`,
		`maildx_explanations_total{reason="mailboxfull"} 1`,
		`maildx_explanations_total{reason="blocked"} 0`,
		`maildx_build_info{version="test",`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q\n%s", want, body)
		}
	}
}

func TestPanicIsRecovered(t *testing.T) {
	s := New(testOptions).(*server)
	for _, api := range []bool{true, false} {
		h := s.wrap("test-panic", api, func(w http.ResponseWriter, r *http.Request) { panic("boom") })
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/x", nil))
		if w.Code != http.StatusInternalServerError {
			t.Fatalf("api=%v: status = %d, want 500", api, w.Code)
		}
		if api && !strings.Contains(w.Body.String(), `"error":"internal error"`) {
			t.Errorf("body = %q", w.Body.String())
		}
	}
	if !strings.Contains(readMetrics(t, s), `maildx_http_requests_total{route="test-panic",code="500"} 2`) {
		t.Errorf("panics not counted as 500")
	}
}

func TestHandlerTimeout(t *testing.T) {
	opts := testOptions
	opts.Timeout = 20 * time.Millisecond
	s := New(opts).(*server)
	for _, api := range []bool{true, false} {
		h := s.wrap("test-slow", api, func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done() // a handler that gives up at the deadline
		})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/x", nil))
		if w.Code != http.StatusServiceUnavailable {
			t.Errorf("api=%v: timeout answer = %d, want 503", api, w.Code)
		}
		if api && (w.Body.String() != "{\"error\":\"request timed out\"}\n" || w.Header().Get("Content-Type") != "application/json") {
			t.Errorf("timeout answer = %q %q", w.Header().Get("Content-Type"), w.Body.String())
		}
		if !api && !strings.Contains(w.Body.String(), "took too long") {
			t.Errorf("timeout page = %.300s", w.Body.String())
		}
	}
}

func readMetrics(t *testing.T, h http.Handler) string {
	t.Helper()
	return serve(t, h, request{method: "GET", target: "/metrics"}).Body.String()
}

// TestNoInputCrashes throws odd bytes at every POST endpoint.
func TestNoInputCrashes(t *testing.T) {
	h := New(testOptions)
	inputs := []string{"", "\x00", "\xff\xfe\xfd", "{", "{}", `{"text":"\u0000"}`, `{"texts":[""]}`, strings.Repeat("5", 4000),
		"550\r\n550-\r\n550 ", "Content-Type: multipart/report; boundary=\"\"\r\n\r\n--\r\n", "--x\r\n\r\n--x--", `{"text":"\ud800"}`}
	types := []string{"", "application/json", "text/plain", "message/rfc822", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"}
	for _, target := range []string{"/api/v1/explain", "/api/v1/parse", "/explain", "/parse"} {
		for _, ct := range types {
			for _, in := range inputs {
				w := serve(t, h, request{"POST", target, ct, in, nil})
				if w.Code >= 500 {
					t.Errorf("POST %s (%s) %q = %d", target, ct, in, w.Code)
				}
			}
		}
	}
}

// TestBodyLimitWithoutLength sends bodies of unknown length (chunked), so
// that the limit is hit while reading rather than from Content-Length.
func TestBodyLimitWithoutLength(t *testing.T) {
	h := New(testOptions)
	big, bigType := multipartBody(t, nil, map[string]string{"big.eml": strings.Repeat("x", 70<<10)})
	for _, tc := range []struct{ target, contentType, body string }{
		{"/api/v1/explain", "text/plain", strings.Repeat("x", 5000)},
		{"/api/v1/explain", "application/json", `{"text":"` + strings.Repeat("x", 5000) + `"}`},
		{"/api/v1/parse", "message/rfc822", strings.Repeat("x", 70<<10)},
		{"/api/v1/parse", bigType, big},
		{"/parse", bigType, big},
		{"/explain", formType, "text=" + strings.Repeat("x", 5000)},
	} {
		r := httptest.NewRequest("POST", tc.target, strings.NewReader(tc.body))
		r.ContentLength = -1
		r.Header.Set("Content-Type", tc.contentType)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s (%s, chunked) = %d, want 413; %.300s", tc.target, tc.contentType, w.Code, w.Body.String())
		}
	}
}

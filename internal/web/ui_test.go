package web

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/maildx/maildx/kb"
)

func form(v url.Values) string { return v.Encode() }

const formType = "application/x-www-form-urlencoded"

func TestUI(t *testing.T) {
	h := New(testOptions)
	eml := bounce(t)
	upload, uploadType := multipartBody(t, map[string]string{"lang": "en"}, map[string]string{"bounce.eml": eml})
	uploadDE, uploadDEType := multipartBody(t, map[string]string{"lang": "de"}, map[string]string{"bounce.eml": eml})
	noFile, noFileType := multipartBody(t, nil, nil)
	big, bigType := multipartBody(t, nil, map[string]string{"big.eml": strings.Repeat("x", 70<<10)})
	notBounce, notBounceType := multipartBody(t, nil, map[string]string{"hello.eml": "Subject: hi\r\n\r\nhello\r\n"})

	tests := []struct {
		name   string
		req    request
		status int
		want   []string
		not    []string
	}{
		{"home", request{"GET", "/", "", "", nil}, 200,
			[]string{`<html lang="en">`, `<label for="text">`, `<textarea id="text" name="text"`, `action="/explain"`, `enctype="multipart/form-data"`, `<label for="file">`, `hreflang="de"`}, nil},
		{"home HEAD", request{"HEAD", "/", "", "", nil}, 200, nil, nil},
		{"explain form", request{"POST", "/explain", formType, form(url.Values{"text": {userUnknown}}), nil}, 200,
			[]string{`id="diagnosis"`, `Recipient address does not exist`, `Hard bounce`, `recipient&#39;s side`, `suppress the address`,
				`<ol class="steps"><li>`, `<code>5.1.1</code>`, `Why this diagnosis`, `href="/codes/mta-user-unknown"`, `<pre id="input">550 5.1.1 &lt;jane@example.com&gt;`}, nil},
		{"explain form de", request{"POST", "/explain", formType, form(url.Values{"text": {userUnknown}, "lang": {"de"}}), nil}, 200,
			[]string{`<html lang="de">`, `Empfängeradresse existiert nicht`, `Hard Bounce`, `Was zu tun ist`}, nil},
		{"explain retry", request{"POST", "/explain", formType, form(url.Values{"text": {"452 4.2.2 Mailbox full"}}), nil}, 200,
			[]string{`Soft bounce`, `temporary`, `retry in 1 h`}, nil},
		{"explain link", request{"GET", "/explain?text=0x800CCC0E", "", "", nil}, 200, []string{`id="diagnosis"`, `<code>0x800CCC0E</code>`}, nil},
		{"explain link without text", request{"GET", "/explain?lang=de", "", "", nil}, 303, nil, nil},
		{"explain empty", request{"POST", "/explain", formType, form(url.Values{"text": {"   "}}), nil}, 400, []string{`role="alert"`, `Please paste an error message first.`}, []string{`id="diagnosis"`}},
		{"explain too large", request{"POST", "/explain", formType, form(url.Values{"text": {strings.Repeat("x", 5000)}}), nil}, 413, []string{`The input is too large.`}, nil},
		{"explain PUT", request{"PUT", "/explain", formType, "", nil}, 405, []string{`Method not allowed`}, nil},
		{"parse upload", request{"POST", "/parse", uploadType, upload, nil}, 200,
			[]string{`Bounce analysis: bounce.eml`, `Recipients: 1`, `jane@example.com`, `Recipient address does not exist`, `mx.example.com`, `Remote server said`}, nil},
		{"parse upload de", request{"POST", "/parse", uploadDEType, uploadDE, nil}, 200, []string{`<html lang="de">`, `Bounce-Analyse`, `Empfängeradresse existiert nicht`}, nil},
		{"parse not a bounce", request{"POST", "/parse", notBounceType, notBounce, nil}, 200, []string{`id="parse-none"`}, nil},
		{"parse no file", request{"POST", "/parse", noFileType, noFile, nil}, 400, []string{`Please choose a bounce email`}, nil},
		{"parse too large", request{"POST", "/parse", bigType, big, nil}, 413, []string{`The input is too large.`}, nil},
		{"library", request{"GET", "/codes", "", "", nil}, 200,
			[]string{`<h1>Error library</h1>`, `href="/codes?source=gmail"`, `Gmail / Google Workspace`, `href="/codes?category=mailbox-full"`, `<label for="q">`, `role="search"`}, nil},
		{"library search de", request{"GET", "/codes?q=Postfach+voll&lang=de", "", "", nil}, 200, []string{`<html lang="de">`, `id="results"`, `Postfach`, `value="Postfach voll"`}, nil},
		{"library search en", request{"GET", "/codes?q=mailbox+full", "", "", nil}, 200, []string{`id="results"`}, nil},
		{"library by source", request{"GET", "/codes?source=nodemailer", "", "", nil}, 200, []string{`<code>EENVELOPE</code>`, `<option value="nodemailer" selected>`}, nil},
		{"library no match", request{"GET", "/codes?q=zzzqqqxxx", "", "", nil}, 200, []string{`No entries match.`}, nil},
		{"library bad source", request{"GET", "/codes?source=nope", "", "", nil}, 400, []string{`unknown source`}, nil},
		{"entry", request{"GET", "/codes/smtp-550", "", "", nil}, 200,
			[]string{`<code>550</code>`, `What to do`, `<ol class="steps">`, `RFC 5321`, `href="/api/v1/codes/smtp-550?lang=en"`, `href="/codes/smtp-550?lang=de"`}, nil},
		{"entry de", request{"GET", "/codes/enhanced-x.1.1?lang=de", "", "", nil}, 200, []string{`<html lang="de">`, `Was zu tun ist`}, nil},
		{"entry unknown", request{"GET", "/codes/no-such-entry", "", "", nil}, 404, []string{`Page not found`}, nil},
		{"stylesheet", request{"GET", "/static/style.css", "", "", nil}, 200, []string{`:focus-visible`, `@media (max-width: 40rem)`}, nil},
		{"icon", request{"GET", "/static/icon.svg", "", "", nil}, 200, []string{`<svg`}, nil},
		{"static missing", request{"GET", "/static/nope.js", "", "", nil}, 404, nil, nil},
		{"static dir", request{"GET", "/static/", "", "", nil}, 404, nil, nil},
		{"static traversal", request{"GET", "/static/..%2fi18n%2fen.json", "", "", nil}, 404, nil, nil},
		{"unknown page", request{"GET", "/nope", "", "", nil}, 404, []string{`Page not found`, `<html lang="en">`}, nil},
		{"unknown page de", request{"GET", "/nope", "", "", map[string]string{"Accept-Language": "de"}}, 404, []string{`Seite nicht gefunden`}, nil},
		{"home DELETE", request{"DELETE", "/", "", "", nil}, 405, []string{`Method not allowed`}, nil},
		{"codes POST", request{"POST", "/codes", "", "", nil}, 405, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(t, h, tc.req)
			body := w.Body.String()
			if w.Code != tc.status {
				t.Fatalf("%s %s = %d, want %d; body: %.800s", tc.req.method, tc.req.target, w.Code, tc.status, body)
			}
			for _, want := range tc.want {
				if !strings.Contains(body, want) {
					t.Errorf("%s %s: page lacks %q", tc.req.method, tc.req.target, want)
				}
			}
			for _, not := range tc.not {
				if strings.Contains(body, not) {
					t.Errorf("%s %s: page has %q", tc.req.method, tc.req.target, not)
				}
			}
			if strings.Contains(body, "<script") {
				t.Errorf("page contains a script element")
			}
			checkSecurityHeaders(t, w)
		})
	}
}

// TestUntrustedTextIsEscaped pastes markup everywhere untrusted text comes
// back: the paste form, the link form, the upload (subject and diagnostic),
// and the library search.
func TestUntrustedTextIsEscaped(t *testing.T) {
	h := New(testOptions)
	const evil = `<script>alert(1)</script>`
	const attr = `"><img src=x onerror=alert(1)>`
	eml := strings.Replace(bounce(t), "Recipient address rejected", evil, -1)
	upload, uploadType := multipartBody(t, nil, map[string]string{evil + ".eml": eml})
	for _, req := range []request{
		{"POST", "/explain", formType, form(url.Values{"text": {evil}}), nil},
		{"POST", "/explain", formType, form(url.Values{"text": {"550 5.1.1 " + evil + attr}}), nil},
		{"GET", "/explain?text=" + url.QueryEscape(evil+attr), "", "", nil},
		{"POST", "/parse", uploadType, upload, nil},
		{"GET", "/codes?q=" + url.QueryEscape(evil+attr), "", "", nil},
		{"GET", "/codes/" + url.PathEscape(evil), "", "", nil},
	} {
		w := serve(t, h, req)
		body := w.Body.String()
		if strings.Contains(body, "<script") || strings.Contains(body, "<img") {
			t.Errorf("%s %s: markup came back unescaped:\n%s", req.method, req.target, body)
		}
		if w.Code == 200 && !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s %s: escaped text missing", req.method, req.target)
		}
	}
}

// TestTemplateStringsExist checks that every UI string key used by the
// templates and the Go code exists in both languages, including the keys
// built from the closed vocabularies.
func TestTemplateStringsExist(t *testing.T) {
	strs, err := loadStrings(assets)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	files, _ := filepath.Glob("templates/*.html")
	gofiles, _ := filepath.Glob("*.go")
	tmplKey := regexp.MustCompile(`\bt "([a-z0-9.-]+)"`)
	goKey := regexp.MustCompile(`s\.tr\(lang, "([a-z0-9.-]+)"\)`)
	for _, f := range append(files, gofiles...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range []*regexp.Regexp{tmplKey, goKey} {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				keys = append(keys, m[1])
			}
		}
	}
	if len(keys) < 50 {
		t.Fatalf("found only %d keys; is the pattern right?", len(keys))
	}
	for _, p := range []struct {
		prefix string
		values []string
	}{{"fault.", kb.Faults}, {"action.", kb.Actions}, {"category.", kb.Categories}, {"severity.", kb.Severities}, {"frequency.", kb.Frequencies}} {
		for _, v := range p.values {
			keys = append(keys, p.prefix+v)
		}
	}
	for _, suffix := range []string{"notfound", "method", "internal", "timeout"} {
		keys = append(keys, "error."+suffix+".title", "error."+suffix+".text")
	}
	for _, k := range keys {
		for _, lang := range []string{"en", "de"} {
			if strs[lang][k] == "" {
				t.Errorf("i18n/%s.json lacks %q", lang, k)
			}
		}
	}
}

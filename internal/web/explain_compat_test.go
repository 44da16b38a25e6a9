package web

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/maildx/maildx"
)

// legacyAPIExplain is POST /api/v1/explain as it was before the handler
// was tuned (buffer pools, AppendJSON, the decoder fast path, no route
// deadline): the reference TestExplainMatchesLegacy holds it to.
func (s *server) legacyAPIExplain(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > s.opts.MaxBodyBytes {
		writeBodyError(w, &http.MaxBytesError{Limit: s.opts.MaxBodyBytes})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	mediaType := legacyContentType(r)
	switch mediaType {
	case "application/json", "text/plain", "application/x-www-form-urlencoded", "":
	default:
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("unsupported content type %q: send application/json or text/plain", mediaType))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	if mediaType != "application/json" && mediaType != "text/plain" {
		if t := bytes.TrimLeft(body, " \t\r\n"); len(t) > 0 && t[0] == '{' {
			mediaType = "application/json"
		}
	}
	var req ExplainRequest
	switch mediaType {
	case "application/json":
		if err := decodeJSON(bytes.NewReader(body), &req); err != nil {
			writeBodyError(w, err)
			return
		}
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid form body: "+err.Error())
			return
		}
		if form.Has("text") {
			text := form.Get("text")
			req.Text = &text
		}
		req.Lang = form.Get("lang")
	default:
		text := string(body)
		req.Text = &text
	}
	lang, ok := legacyAPILang(req.Lang, r)
	if !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unsupported lang %q: use en or de", lang))
		return
	}
	if req.Attempt < 0 || req.Attempt > maxAttempt {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("attempt must be between 0 and %d", maxAttempt))
		return
	}
	opts := []maildx.Option{maildx.WithLang(lang)}
	if req.Attempt > 0 {
		opts = append(opts, maildx.WithAttempt(req.Attempt))
	}
	switch {
	case req.Text != nil && req.Texts != nil:
		writeError(w, http.StatusBadRequest, `send either "text" or "texts", not both`)
	case req.Text != nil:
		if strings.TrimSpace(*req.Text) == "" {
			writeError(w, http.StatusBadRequest, errEmpty.Error())
			return
		}
		d := maildx.Explain(*req.Text, opts...)
		s.metrics.explained(d.Reason)
		legacyWriteJSON(w, http.StatusOK, d)
	case req.Texts != nil:
		texts := *req.Texts
		if len(texts) == 0 {
			writeError(w, http.StatusBadRequest, "texts is empty")
			return
		}
		if len(texts) > s.opts.MaxBatch {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("too many texts: %d, at most %d per request", len(texts), s.opts.MaxBatch))
			return
		}
		out := make([]maildx.Diagnosis, len(texts))
		for i, t := range texts {
			if i%64 == 0 && r.Context().Err() != nil {
				return
			}
			out[i] = maildx.Explain(t, opts...)
			s.metrics.explained(out[i].Reason)
		}
		legacyWriteJSON(w, http.StatusOK, out)
	default:
		writeError(w, http.StatusBadRequest, `body needs "text" (a string) or "texts" (an array of strings)`)
	}
}

func legacyContentType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "invalid"
	}
	return mt
}

func legacyAPILang(fromBody string, r *http.Request) (lang string, ok bool) {
	lang = fromBody
	if lang == "" {
		lang = r.URL.Query().Get("lang")
	}
	if lang == "" {
		return "en", true
	}
	lang = strings.ToLower(lang)
	return lang, validLang(lang)
}

func legacyWriteJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		writeError(w, http.StatusInternalServerError, "cannot encode response")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// explainTexts are error texts for the comparison: the repository's bench
// strings and odd ones.
func explainTexts(t testing.TB) []string {
	texts := []string{"", " ", "\x00\x01\"\\\t\r\n", "bad utf-8 \xff\xfe", "line\u2028sep\u2029", "<html>&amp;</html>", "5.7.26", "0x800CCC0E",
		userUnknown, `{"code":"EENVELOPE","response":"421 4.3.0 Temporary System Problem. Try again later gsmtp","responseCode":421,"command":"RCPT TO"}`}
	f, err := os.Open("../../testdata/errors.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 0; sc.Scan(); n++ {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") && n%7 == 0 {
			texts = append(texts, strings.ReplaceAll(line, `\n`, "\n"))
		}
	}
	return texts
}

// TestExplainMatchesLegacy sends the same requests to the tuned handler and
// to the one it replaced and requires identical answers: status, headers
// (but the request id) and body, byte for byte.
func TestExplainMatchesLegacy(t *testing.T) {
	s := New(testOptions).(*server)
	legacy := s.wrap("legacy", true, s.legacyAPIExplain)
	quote := func(v string) string { b, _ := json.Marshal(v); return string(b) }
	type req struct{ target, contentType, body string }
	var reqs []req
	add := func(contentType, body string, targets ...string) {
		if len(targets) == 0 {
			targets = []string{"/api/v1/explain"}
		}
		for _, target := range targets {
			reqs = append(reqs, req{target, contentType, body})
		}
	}
	for i, text := range explainTexts(t) {
		q := quote(text)
		add("application/json", `{"text":`+q+`}`, "/api/v1/explain", "/api/v1/explain?lang=de", "/api/v1/explain?lang=fr")
		add("application/json; charset=utf-8", `{"text":`+q+`,"lang":"de"}`)
		add("", ` {"lang" : "DE" , "text":`+q+"}\n")
		add("text/plain", text, "/api/v1/explain", "/api/v1/explain?lang=de")
		add(formType, "text="+url.QueryEscape(text)+"&lang=de")
		add("application/json", fmt.Sprintf(`{"text":%s,"attempt":%d}`, q, i%5))
		add("application/json", `{"texts":[`+q+`,"421 try later",`+q+`],"lang":"de"}`)
	}
	for _, body := range []string{"", "{}", "{", `{"text":1}`, `{"text":null}`, `{"Text":"550 5.1.1"}`, `{"text":"550"} x`, `{"text":"550"}{}`,
		`{"text":"a","texts":["b"]}`, `{"texts":[]}`, `{"texts":["1","2","3","4","5","6"]}`, `{"text":"550","lang":"fr"}`, `{"text":"550","bogus":1}`,
		`{"text":"550","attempt":-1}`, `{"text":"550","attempt":101}`, `{"text":"550","attempt":"2"}`, `{"texts":"550"}`, `{"text":"\ud800"}`,
		`{"text":"a\"b\\c\u00e9\n"}`, `{"text":"550","text":"421"}`, `{"lang":"de","lang":"en","text":"x"}`, `{"text":"x",}`, `{"text" "x"}`,
		"{\"text\":\"tab\there\"}", "{\"text\":\"\xff\"}", `[]`, `"550"`, `null`, strings.Repeat(" ", 5000)} {
		add("application/json", body)
		add("", body)
	}
	// At and beyond the size limit, each with and without a length (the
	// loop below sends every other request chunked).
	for _, n := range []int{int(testOptions.MaxBodyBytes), int(testOptions.MaxBodyBytes) + 1} {
		for range 2 {
			add("text/plain", strings.Repeat("x", n))
		}
		for range 2 {
			add("application/json", `{"text":"`+strings.Repeat("x", n-11)+`"}`)
		}
	}
	add("application/xml", "<x/>")
	add("text/plain; charset=utf-8", "550 5.1.1 unknown")
	add("bad/type;;", "x")

	for i, rq := range reqs {
		newReq := func() *http.Request {
			r := httptest.NewRequest("POST", rq.target, strings.NewReader(rq.body))
			if rq.contentType != "" {
				r.Header.Set("Content-Type", rq.contentType)
			}
			if i%2 == 1 { // as a chunked body, read in small pieces
				r.ContentLength = -1
				r.Body = io.NopCloser(iotest.HalfReader(strings.NewReader(rq.body)))
			}
			return r
		}
		got := httptest.NewRecorder()
		s.ServeHTTP(got, newReq())
		got.Header().Del("X-Request-Id")
		want := httptest.NewRecorder()
		for _, sh := range securityHeaders { // as the old ServeHTTP did
			want.Header().Set(sh.key, sh.value[0])
		}
		legacy.ServeHTTP(want, newReq())
		want.Header().Del("X-Request-Id")
		if got.Code != want.Code || !reflect.DeepEqual(got.Header(), want.Header()) || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
			t.Fatalf("POST %s (%s) %.200q:\n got %d %v %.500s\nwant %d %v %.500s", rq.target, rq.contentType, rq.body,
				got.Code, got.Header(), got.Body.Bytes(), want.Code, want.Header(), want.Body.Bytes())
		}
	}
	t.Logf("%d requests compared", len(reqs))
}

// TestDecodeExplainRequestMatchesDecoder holds the decoder fast path to
// decodeJSON wherever it accepts a body.
func TestDecodeExplainRequestMatchesDecoder(t *testing.T) {
	bodies := []string{`{}`, ` { } `, `{"text":"x"}`, `{"text":"x","lang":"de"}`, `{"lang":"en","text":"a\"b\\c\u00e9\n\/"}`,
		`{"text":"550","text":"421"}`, "{\"text\":\"\xff\"}", `{"text":"\ud800"}`, "\t{\"text\" :\r\n\"x\"}\n", `{"text":"x"`, `{"text":"x\"}`,
		`{"text":"x",}`, `{,}`, `{"text":"x"}}`, `{"text":"x"} {}`, `{"TEXT":"x"}`, `{"text":"\u00"}`, `{"text":"\x"}`, `{"text":"a\`,
		`{"text":"\b\f\n\r\t\/\\\"\u0000\u001F\u00e9\u00E9\u20AC"}`, `{"text":"\ud83d\ude00 \uD83D\uDE00"}`, `{"text":"\ud800"}`,
		`{"text":"\udc00\ud800"}`, `{"text":"\ud800\u0041"}`, `{"text":"\ud800\ud800\udc00"}`, `{"text":"\ud800\uZZZZ"}`, `{"text":"\ud800\"}`,
		`{"text":"\ud800\n"}`, `{"text":"\'"}`, `{"text":"\u12"}`, `{"text":"\u12g4"}`, `{"lang":"\u0064e","text":"x"}`, `{"te\u0078t":"x"}`,
		`{"text":"` + strings.Repeat(`\"quoted\"\n`, 100) + `"}`, "{\"text\":\"\\n\xff\"}", "{\"text\":\"\\\x01\"}"}
	for _, text := range explainTexts(t)[:50] {
		b, _ := json.Marshal(text)
		bodies = append(bodies, `{"text":`+string(b)+`}`, `{"lang":"de","text":`+string(b)+`}`)
	}
	for _, body := range bodies {
		checkDecodeExplainRequest(t, body)
	}
	// The fast path must take the usual escapes, or the handler would pay
	// for encoding/json after all.
	for _, body := range []string{`{"text":"a\"b\\c\u00e9\n\/"}`, `{"text":"\ud83d\ude00 \ud800"}`, `{"text":"` + strings.Repeat(`\"quoted\"\n`, 100) + `"}`} {
		if _, ok := decodeExplainRequest([]byte(body)); !ok {
			t.Errorf("%.50q: fast path refused", body)
		}
	}
}

func FuzzDecodeExplainRequest(f *testing.F) {
	f.Add(`{"text":"550 5.1.1 user unknown","lang":"de"}`)
	f.Add(`{"text":"a\"b\\c\u00e9\n\/"}`)
	f.Add(`{"text":"\ud83d\ude00\ud800\u0041\uDC00x","lang":"de"}`)
	f.Fuzz(func(t *testing.T, body string) { checkDecodeExplainRequest(t, body) })
}

func checkDecodeExplainRequest(t *testing.T, body string) {
	t.Helper()
	f, ok := decodeExplainRequest([]byte(body))
	if !ok {
		return
	}
	var fast, slow ExplainRequest
	if f.hasText {
		fast.Text = &f.text
	}
	fast.Lang = f.lang
	if err := decodeJSON(strings.NewReader(body), &slow); err != nil {
		t.Fatalf("%q: fast path accepted, decodeJSON: %v", body, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q: fast path %+v, decodeJSON %+v", body, fast, slow)
	}
}

// TestReadBodyMatchesMaxBytesReader holds readBody to io.ReadAll over
// http.MaxBytesReader for bodies around the limit, read whole and in
// pieces, into buffers with and without room.
func TestReadBodyMatchesMaxBytesReader(t *testing.T) {
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data+EOF": iotest.DataErrReader,
	}
	for _, limit := range []int64{0, 1, 7, 4096} {
		for _, n := range []int64{0, 1, limit - 1, limit, limit + 1, limit + 2, 3*limit + 5} {
			if n < 0 {
				continue
			}
			body := strings.Repeat("x", int(n))
			want, wantErr := io.ReadAll(http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader(body)), limit))
			for name, wrap := range readers {
				for _, c := range []int{0, 1, 4 << 10} {
					got, err := readBody(append(make([]byte, 0, c+2), "ab"...), wrap(strings.NewReader(body)), limit)
					if fmt.Sprint(err) != fmt.Sprint(wantErr) || (err == nil && string(got) != "ab"+string(want)) {
						t.Errorf("limit %d, %d bytes, %s, cap %d: got %d bytes, %v; want %d bytes, %v", limit, n, name, c, len(got)-2, err, len(want), wantErr)
					}
				}
			}
		}
	}
}

// TestExplainBypassMatchesMux holds ServeHTTP's direct dispatch of POST
// /api/v1/explain to what the mux does with the same requests.
func TestExplainBypassMatchesMux(t *testing.T) {
	s := New(testOptions).(*server)
	viaMux := func(w http.ResponseWriter, r *http.Request) {
		for _, sh := range &securityHeaders {
			w.Header()[sh.key] = sh.value
		}
		s.mux.ServeHTTP(w, r)
	}
	for _, method := range []string{"POST", "GET", "PUT"} {
		for _, target := range []string{"/api/v1/explain", "/api/v1/explain?lang=de", "/api/v1/%65xplain", "/api/v1/explain%2F", "/api/v1//explain",
			"/api/v1/./explain", "/api/v1/explain/", "//api/v1/explain", "/API/v1/explain", "http://example.com/api/v1/explain"} {
			newReq := func() *http.Request {
				r := httptest.NewRequest(method, target, strings.NewReader(`{"text":"550 5.1.1 unknown"}`))
				r.Header.Set("Content-Type", "application/json")
				return r
			}
			got, want := httptest.NewRecorder(), httptest.NewRecorder()
			gotReq, wantReq := newReq(), newReq()
			s.ServeHTTP(got, gotReq)
			viaMux(want, wantReq)
			got.Header().Del("X-Request-Id")
			want.Header().Del("X-Request-Id")
			if got.Code != want.Code || !reflect.DeepEqual(got.Header(), want.Header()) || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) || gotReq.Pattern != wantReq.Pattern {
				t.Errorf("%s %s: got %d %q %v %.100s\nwant %d %q %v %.100s", method, target, got.Code, gotReq.Pattern, got.Header(), got.Body.Bytes(),
					want.Code, wantReq.Pattern, want.Header(), want.Body.Bytes())
			}
		}
	}
}

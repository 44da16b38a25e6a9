package web

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maildx/maildx/event"
	"github.com/maildx/maildx/store"
)

// The webhook payloads are the event package's test payloads
// (event/testdata); the signing helpers mirror its tests.

const (
	testMailgunKey = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
	testToken      = "s3cret-api-token-for-tests"
	testTopic      = "arn:aws:sns:eu-central-1:123456789012:ses-feedback"
	testCertURL    = "https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-test.pem"
	pmUser         = "postmark"
	pmPass         = "correct horse battery staple"
)

// testNow lies a minute after the payloads' SES timestamps.
var testNow = time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC)

func eventTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "event", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var tokenSeq atomic.Int64

// signMailgun replaces the signature object of a Mailgun body; token ""
// takes a fresh one.
func signMailgun(t testing.TB, body []byte, key string, ts int64, token string) []byte {
	t.Helper()
	if token == "" {
		token = fmt.Sprintf("tok-%d-%d", time.Now().UnixNano(), tokenSeq.Add(1))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(strconv.FormatInt(ts, 10) + token))
	sig, _ := json.Marshal(map[string]string{"timestamp": strconv.FormatInt(ts, 10), "token": token, "signature": hex.EncodeToString(mac.Sum(nil))})
	m["signature"] = sig
	out, _ := json.Marshal(m)
	return out
}

// mailgunFailed is a Mailgun permanent failure for recipient with a fresh
// event id.
func mailgunFailed(t testing.TB, recipient, id string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(eventTestdata(t, "mailgun/failed-permanent.json"), &m); err != nil {
		t.Fatal(err)
	}
	ed := m["event-data"].(map[string]any)
	ed["id"] = id
	ed["recipient"] = recipient
	out, _ := json.Marshal(m)
	return out
}

type sgKey struct {
	priv *ecdsa.PrivateKey
	pub  string
}

var testSGKey = sync.OnceValue(func() sgKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return sgKey{k, base64.StdEncoding.EncodeToString(der)}
})

func (k sgKey) sign(ts string, body []byte) string {
	h := sha256.Sum256(append([]byte(ts), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, h[:])
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// sendgridBatch builds n SendGrid events, a third bounces, a third
// delivered, a third opens (as event/sendgrid_test.go).
func sendgridBatch(n, round int) []byte {
	kinds := []string{
		`{"email":"kunde%d@example.de","timestamp":1767225610,"smtp-id":"<%d.abc@shop.example>","event":"bounce","type":"bounce","sg_event_id":"bounce-%d-%d","sg_message_id":"14c5d75ce93.0","reason":"550 5.1.1 The email account that you tried to reach does not exist. - gsmtp","status":"5.1.1"}`,
		`{"email":"kunde%d@example.com","timestamp":1767225600,"smtp-id":"<%d.def@shop.example>","event":"delivered","sg_event_id":"delivered-%d-%d","sg_message_id":"14c5d75ce93.1","response":"250 2.0.0 OK - gsmtp"}`,
		`{"email":"kunde%d@example.com","timestamp":1767226100,"smtp-id":"<%d.def@shop.example>","event":"open","sg_event_id":"open-%d-%d","sg_message_id":"14c5d75ce93.1","useragent":"Mozilla/5.0"}`,
	}
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, kinds[i%len(kinds)], i, i, round, i)
	}
	b.WriteByte(']')
	return []byte(b.String())
}

// SNS: a key and self-signed certificate made in the test, served by a
// fake transport.
type snsSigner struct {
	key  *rsa.PrivateKey
	cert []byte
}

var testSNS = sync.OnceValue(func() *snsSigner {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return &snsSigner{key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
})

// signSNS signs an SNS envelope (SignatureVersion 2) as SNS does.
func (s *snsSigner) signSNS(env map[string]any) []byte {
	env["SignatureVersion"] = "2"
	env["SigningCertURL"] = testCertURL
	str := func(k string) string { v, _ := env[k].(string); return v }
	var b strings.Builder
	add := func(k string) { b.WriteString(k + "\n" + str(k) + "\n") }
	if str("Type") == "Notification" {
		add("Message")
		add("MessageId")
		if _, ok := env["Subject"].(string); ok {
			add("Subject")
		}
		add("Timestamp")
		add("TopicArn")
		add("Type")
	} else {
		for _, k := range []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"} {
			add(k)
		}
	}
	h := sha256.Sum256([]byte(b.String()))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, h[:])
	if err != nil {
		panic(err)
	}
	env["Signature"] = base64.StdEncoding.EncodeToString(sig)
	out, _ := json.Marshal(env)
	return out
}

type fakeSNS struct{ cert []byte }

func (f fakeSNS) RoundTrip(r *http.Request) (*http.Response, error) {
	resp := &http.Response{StatusCode: 200, Header: http.Header{}, Request: r, Body: io.NopCloser(bytes.NewReader(f.cert))}
	if !strings.HasSuffix(r.URL.Path, ".pem") {
		resp.StatusCode = 404
		resp.Body = io.NopCloser(strings.NewReader(""))
	}
	return resp, nil
}

func sesEnvelope(t testing.TB, name string) map[string]any {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal(eventTestdata(t, "ses/"+name), &env); err != nil {
		t.Fatal(err)
	}
	return env
}

// newEventServer returns the site with a temporary SQLite store and every
// adapter configured.
func newEventServer(t testing.TB) (http.Handler, store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := New(Options{Version: "test", Store: st, APIToken: testToken, Now: func() time.Time { return testNow },
		Webhooks: Webhooks{
			MailgunSigningKey: testMailgunKey, SendGridPublicKey: testSGKey().pub,
			PostmarkUser: pmUser, PostmarkPassword: pmPass,
			SESTopicARNs: []string{testTopic}, SESClient: &http.Client{Transport: fakeSNS{testSNS().cert}},
		}})
	return h, st
}

type whReq struct {
	name    string
	path    string
	body    []byte
	header  map[string]string
	want    int
	wantErr string // substring of the error
}

func do(t testing.TB, h http.Handler, method, target string, body []byte, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

var bearer = map[string]string{"Authorization": "Bearer " + testToken}

func TestWebhooks(t *testing.T) {
	h, _ := newEventServer(t)
	ts := testNow.Unix() - 30
	mgRaw := eventTestdata(t, "mailgun/failed-permanent.json")
	mgSigned := signMailgun(t, mgRaw, testMailgunKey, ts, "tok-once")

	sg := testSGKey()
	sgBody := sendgridBatch(6, 1)
	sgTS := strconv.FormatInt(testNow.Unix()-10, 10)
	sgSig := sg.sign(sgTS, sgBody)
	staleTS := strconv.FormatInt(testNow.Unix()-3600, 10)
	sgHeader := func(sig, ts string) map[string]string {
		return map[string]string{event.SendGridSignatureHeader: sig, event.SendGridTimestampHeader: ts}
	}
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	wrongSG := sgKey{priv: otherKey}.sign(sgTS, sgBody)
	sgMalformed := []byte(`{"not": "an array"`)

	sns := testSNS()
	sesSigned := sns.signSNS(sesEnvelope(t, "bounce-permanent.json"))
	sesTampered := bytes.Replace(sesSigned, []byte(`"MessageId":"`), []byte(`"MessageId":"x`), 1)
	sesStaleEnv := sesEnvelope(t, "delivery.json")
	sesStaleEnv["Timestamp"] = "2025-12-31T20:00:00.000Z"
	sesStale := sns.signSNS(sesStaleEnv)
	sesUnsigned := eventTestdata(t, "ses/complaint.json")
	sesBadMsgEnv := sesEnvelope(t, "complaint.json")
	sesBadMsgEnv["Message"] = "not json"
	sesBadMsg := sns.signSNS(sesBadMsgEnv)
	sesConfirm := sns.signSNS(sesEnvelope(t, "subscription-confirmation.json"))

	basic := func(u, p string) map[string]string {
		return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p))}
	}
	pm := eventTestdata(t, "postmark/bounce-hard.json")
	gen := eventTestdata(t, "generic/gmail.json")

	cases := []whReq{
		// Mailgun
		{"mailgun signed", "/webhooks/mailgun", mgSigned, nil, 200, ""},
		{"mailgun replayed", "/webhooks/mailgun", mgSigned, nil, 401, "replay"},
		{"mailgun unsigned", "/webhooks/mailgun", mgRaw, nil, 401, "signature"},
		{"mailgun wrong key", "/webhooks/mailgun", signMailgun(t, mgRaw, "other-key", ts, ""), nil, 401, "signature"},
		{"mailgun stale", "/webhooks/mailgun", signMailgun(t, mgRaw, testMailgunKey, ts-3600, ""), nil, 401, "timestamp"},
		{"mailgun malformed", "/webhooks/mailgun", []byte(`{"signature":`), nil, 400, ""},
		{"mailgun signed, no event-data", "/webhooks/mailgun", signMailgun(t, []byte(`{"event-data": 5}`), testMailgunKey, ts, ""), nil, 400, ""},
		// SendGrid
		{"sendgrid signed", "/webhooks/sendgrid", sgBody, sgHeader(sgSig, sgTS), 200, ""},
		{"sendgrid replayed", "/webhooks/sendgrid", sgBody, sgHeader(sgSig, sgTS), 401, "replay"},
		{"sendgrid unsigned", "/webhooks/sendgrid", sgBody, nil, 401, ""},
		{"sendgrid wrong key", "/webhooks/sendgrid", sgBody, sgHeader(wrongSG, sgTS), 401, "signature"},
		{"sendgrid stale", "/webhooks/sendgrid", sgBody, sgHeader(sg.sign(staleTS, sgBody), staleTS), 401, "timestamp"},
		{"sendgrid malformed", "/webhooks/sendgrid", sgMalformed, sgHeader(sg.sign(sgTS, sgMalformed), sgTS), 400, ""},
		// SES
		{"ses signed", "/webhooks/ses", sesSigned, nil, 200, ""},
		{"ses replayed", "/webhooks/ses", sesSigned, nil, 401, "replay"},
		{"ses unsigned", "/webhooks/ses", sesUnsigned, nil, 401, ""},
		{"ses wrongly signed", "/webhooks/ses", sesTampered, nil, 401, "signature"},
		{"ses stale", "/webhooks/ses", sesStale, nil, 401, ""},
		{"ses malformed envelope", "/webhooks/ses", []byte(`[1,2]`), nil, 400, ""},
		{"ses malformed message", "/webhooks/ses", sesBadMsg, nil, 400, ""},
		{"ses subscription confirmation", "/webhooks/ses", sesConfirm, nil, 200, ""},
		// Postmark
		{"postmark authorised", "/webhooks/postmark", pm, basic(pmUser, pmPass), 200, ""},
		{"postmark redelivered", "/webhooks/postmark", pm, basic(pmUser, pmPass), 200, ""},
		{"postmark no credentials", "/webhooks/postmark", pm, nil, 401, ""},
		{"postmark wrong password", "/webhooks/postmark", pm, basic(pmUser, "guess"), 401, ""},
		{"postmark malformed", "/webhooks/postmark", []byte(`{"RecordType": 7}`), basic(pmUser, pmPass), 400, ""},
		// Generic
		{"generic with token", "/api/v1/events", gen, bearer, 200, ""},
		{"generic without token", "/api/v1/events", gen, nil, 401, ""},
		{"generic wrong token", "/api/v1/events", gen, map[string]string{"Authorization": "Bearer nope"}, 401, ""},
		{"generic malformed", "/api/v1/events", []byte(`{"error": "x"}`), bearer, 400, ""},
	}
	for _, c := range cases {
		w := do(t, h, "POST", c.path, c.body, c.header)
		if w.Code != c.want {
			t.Errorf("%s: status %d, want %d: %s", c.name, w.Code, c.want, w.Body)
			continue
		}
		if w.Code != 200 {
			var e Error
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Errorf("%s: error body %q", c.name, w.Body)
			} else if c.wantErr != "" && !strings.Contains(e.Error, c.wantErr) {
				t.Errorf("%s: error %q does not mention %q", c.name, e.Error, c.wantErr)
			}
		}
	}

	// What was stored: mailgun 1, sendgrid 4 (opens and delivered stored,
	// 6 events), ses 1, postmark 1 (redelivery stored once), generic 1.
	w := do(t, h, "GET", "/api/v1/events?limit=100", nil, bearer)
	var list EventsResponse
	json.Unmarshal(w.Body.Bytes(), &list)
	byProvider := map[string]int{}
	for _, e := range list.Events {
		byProvider[e.Provider]++
	}
	want := map[string]int{"mailgun": 1, "sendgrid": 6, "ses": 1, "postmark": 1, "generic": 1}
	for p, n := range want {
		if byProvider[p] != n {
			t.Errorf("stored %s events: %d, want %d (%v)", p, byProvider[p], n, byProvider)
		}
	}
}

func TestWebhooksNotConfigured(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "e.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := New(Options{Store: st})
	for path, env := range map[string]string{
		"/webhooks/mailgun":  "MAILDX_MAILGUN_SIGNING_KEY",
		"/webhooks/sendgrid": "MAILDX_SENDGRID_PUBLIC_KEY",
		"/webhooks/ses":      "MAILDX_SES_TOPIC_ARNS",
		"/webhooks/postmark": "MAILDX_POSTMARK_USER",
		"/api/v1/events":     "MAILDX_API_TOKEN",
	} {
		w := do(t, h, "POST", path, []byte(`{}`), nil)
		if w.Code != 503 || !strings.Contains(w.Body.String(), env) {
			t.Errorf("%s unconfigured: %d %s, want 503 naming %s", path, w.Code, w.Body, env)
		}
	}
	// No store at all.
	h = New(Options{Webhooks: Webhooks{MailgunSigningKey: "k"}})
	for _, c := range []struct{ method, path string }{
		{"POST", "/webhooks/mailgun"}, {"GET", "/api/v1/events"}, {"GET", "/api/v1/events/x"},
		{"GET", "/api/v1/suppressions"}, {"DELETE", "/api/v1/suppressions/a@b.c"}, {"GET", "/api/v1/suppressions.csv"},
	} {
		w := do(t, h, c.method, c.path, []byte(`{}`), nil)
		if w.Code != 503 || !strings.Contains(w.Body.String(), "--db") {
			t.Errorf("%s %s without store: %d %s", c.method, c.path, w.Code, w.Body)
		}
	}
	if w := do(t, h, "GET", "/sends", nil, nil); w.Code != 503 {
		t.Errorf("/sends without store: %d", w.Code)
	}
	if w := do(t, h, "GET", "/webhooks/mailgun", nil, nil); w.Code != 405 {
		t.Errorf("GET /webhooks/mailgun: %d, want 405", w.Code)
	}
}

// failingStore fails every write, to check that a webhook is not
// acknowledged and that the retry is not refused as a replay.
type failingStore struct {
	store.Store
	fail atomic.Bool
}

func (f *failingStore) AddEvents(ctx context.Context, evs []store.Event) (int, error) {
	if f.fail.Load() {
		return 0, fmt.Errorf("disk full")
	}
	return f.Store.AddEvents(ctx, evs)
}

func TestWebhookStoreFailureRetry(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "e.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fs := &failingStore{Store: st}
	fs.fail.Store(true)
	h := New(Options{Store: fs, Now: func() time.Time { return testNow }, Webhooks: Webhooks{MailgunSigningKey: testMailgunKey}})
	body := signMailgun(t, eventTestdata(t, "mailgun/failed-permanent.json"), testMailgunKey, testNow.Unix(), "")
	if w := do(t, h, "POST", "/webhooks/mailgun", body, nil); w.Code != 503 {
		t.Fatalf("store failing: %d %s, want 503", w.Code, w.Body)
	}
	fs.fail.Store(false)
	if w := do(t, h, "POST", "/webhooks/mailgun", body, nil); w.Code != 200 {
		t.Fatalf("retry after store failure: %d %s, want 200", w.Code, w.Body)
	}
	if w := do(t, h, "POST", "/webhooks/mailgun", body, nil); w.Code != 401 {
		t.Fatalf("replay after success: %d, want 401", w.Code)
	}
}

func TestEventsAPI(t *testing.T) {
	h, st := newEventServer(t)
	ctx := context.Background()
	base := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	var evs []store.Event
	for i := range 120 {
		typ, reason := store.TypeBounced, "userunknown"
		if i%3 == 1 {
			typ, reason = store.TypeDeferred, "mailboxfull"
		}
		evs = append(evs, store.Event{ID: fmt.Sprintf("ev-%03d", i), Provider: []string{"mailgun", "sendgrid"}[i%2], Type: typ,
			Recipient: fmt.Sprintf("u%d@example%d.com", i, i%4), Time: base.Add(time.Duration(i) * time.Minute), Reason: reason,
			Raw: json.RawMessage(`{}`)})
	}
	if _, err := st.AddEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	// Auth.
	if w := do(t, h, "GET", "/api/v1/events", nil, nil); w.Code != 401 || w.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("events without token: %d", w.Code)
	}
	if w := do(t, h, "GET", "/api/v1/events", nil, map[string]string{"Authorization": "Bearer wrong"}); w.Code != 401 {
		t.Errorf("events with wrong token: %d", w.Code)
	}
	// Pagination: newest first, no duplicates, all 120.
	seen := map[string]bool{}
	cursor := ""
	var last time.Time
	pages := 0
	for {
		w := do(t, h, "GET", "/api/v1/events?limit=50&cursor="+url.QueryEscape(cursor), nil, bearer)
		if w.Code != 200 {
			t.Fatalf("page: %d %s", w.Code, w.Body)
		}
		var resp EventsResponse
		json.Unmarshal(w.Body.Bytes(), &resp)
		for _, e := range resp.Events {
			if seen[e.ID] {
				t.Fatalf("duplicate %s", e.ID)
			}
			if !last.IsZero() && e.Time.After(last) {
				t.Fatalf("not newest first at %s", e.ID)
			}
			seen[e.ID], last = true, e.Time
		}
		pages++
		if resp.NextCursor == "" {
			break
		}
		cursor = resp.NextCursor
	}
	if len(seen) != 120 || pages != 3 {
		t.Errorf("paged %d events in %d pages, want 120 in 3", len(seen), pages)
	}
	// Filters.
	count := func(q string) int {
		w := do(t, h, "GET", "/api/v1/events?limit=1000&"+q, nil, bearer)
		if w.Code != 200 {
			t.Errorf("%s: %d %s", q, w.Code, w.Body)
			return -1
		}
		var resp EventsResponse
		json.Unmarshal(w.Body.Bytes(), &resp)
		return len(resp.Events)
	}
	for q, want := range map[string]int{
		"type=deferred":                  40,
		"reason=userunknown":             80,
		"provider=mailgun":               60,
		"recipient=u7@example3.com":      1,
		"since=2026-02-01T01:00:00Z":     60,
		"until=2026-02-01T00:10:00Z":     10,
		"provider=sendgrid&type=bounced": 40,
	} {
		if n := count(q); n != want {
			t.Errorf("%s: %d events, want %d", q, n, want)
		}
	}
	for _, q := range []string{"since=yesterday", "cursor=garbage", "limit=0"} {
		if w := do(t, h, "GET", "/api/v1/events?"+q, nil, bearer); w.Code != 400 {
			t.Errorf("%s: %d, want 400", q, w.Code)
		}
	}
	// One event.
	if w := do(t, h, "GET", "/api/v1/events/ev-007", nil, bearer); w.Code != 200 || !strings.Contains(w.Body.String(), `"id":"ev-007"`) {
		t.Errorf("event ev-007: %d %s", w.Code, w.Body)
	}
	if w := do(t, h, "GET", "/api/v1/events/nope", nil, bearer); w.Code != 404 {
		t.Errorf("unknown event: %d", w.Code)
	}
}

// TestSuppressionFlow: a Mailgun permanent 5.1.1 webhook suppresses the
// address; the API shows it, exports it, and DELETE removes it.
func TestSuppressionFlow(t *testing.T) {
	h, _ := newEventServer(t)
	const addr = "Kunde@Example.DE"
	body := signMailgun(t, mailgunFailed(t, addr, "flow-1"), testMailgunKey, testNow.Unix(), "")
	if w := do(t, h, "POST", "/webhooks/mailgun", body, nil); w.Code != 200 {
		t.Fatalf("webhook: %d %s", w.Code, w.Body)
	}
	if w := do(t, h, "GET", "/api/v1/suppressions/"+url.PathEscape(addr), nil, nil); w.Code != 401 {
		t.Errorf("suppression without token: %d", w.Code)
	}
	w := do(t, h, "GET", "/api/v1/suppressions/Kunde@example.de", nil, bearer)
	if w.Code != 200 {
		t.Fatalf("suppression after hard bounce: %d %s", w.Code, w.Body)
	}
	var x APISuppression
	json.Unmarshal(w.Body.Bytes(), &x)
	if x.Reason != "bounce" || x.DiagnosisReason != "userunknown" || x.EventID == "" {
		t.Errorf("suppression = %+v", x)
	}
	w = do(t, h, "GET", "/api/v1/suppressions?q=example.de", nil, bearer)
	if !strings.Contains(w.Body.String(), "Kunde@") {
		t.Errorf("list: %s", w.Body)
	}
	w = do(t, h, "GET", "/api/v1/suppressions.csv", nil, bearer)
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") || !strings.Contains(w.Body.String(), "Kunde@") {
		t.Errorf("csv: %d %q", w.Code, w.Body)
	}
	if w := do(t, h, "DELETE", "/api/v1/suppressions/Kunde@example.de", nil, bearer); w.Code != 204 {
		t.Errorf("delete: %d %s", w.Code, w.Body)
	}
	if w := do(t, h, "GET", "/api/v1/suppressions/Kunde@example.de", nil, bearer); w.Code != 404 {
		t.Errorf("after delete: %d", w.Code)
	}
	if w := do(t, h, "DELETE", "/api/v1/suppressions/Kunde@example.de", nil, bearer); w.Code != 404 {
		t.Errorf("delete twice: %d", w.Code)
	}
	// Manual add.
	w = do(t, h, "POST", "/api/v1/suppressions", []byte(`{"address":"x@example.org","note":"asked"}`), map[string]string{"Authorization": "Bearer " + testToken, "Content-Type": "application/json"})
	if w.Code != 201 || !strings.Contains(w.Body.String(), `"manual"`) {
		t.Errorf("add: %d %s", w.Code, w.Body)
	}
	if w := do(t, h, "POST", "/api/v1/suppressions", []byte(`{"address":"x@example.org"}`), bearer); w.Code != 200 {
		t.Errorf("add twice: %d", w.Code)
	}
	if w := do(t, h, "POST", "/api/v1/suppressions", []byte(`{"address":"nope"}`), bearer); w.Code != 400 {
		t.Errorf("add invalid: %d", w.Code)
	}
}

func TestEventPagesAuth(t *testing.T) {
	h, st := newEventServer(t)
	st.AddEvents(context.Background(), []store.Event{{ID: "p1", Provider: "generic", Type: "bounced", Recipient: "a@b.example", Time: testNow, Raw: json.RawMessage(`{}`)}})
	st.AddSuppression(context.Background(), "gone@b.example", "")
	for _, p := range []string{"/sends", "/suppressions", "/stats"} {
		w := do(t, h, "GET", p, nil, nil)
		if w.Code != 303 || !strings.HasPrefix(w.Header().Get("Location"), "/login?next=") {
			t.Errorf("%s without login: %d %s", p, w.Code, w.Header().Get("Location"))
		}
	}
	// Wrong token, then the right one.
	form := func(v url.Values, hdr map[string]string) *httptest.ResponseRecorder {
		if hdr == nil {
			hdr = map[string]string{}
		}
		hdr["Content-Type"] = "application/x-www-form-urlencoded"
		return do(t, h, "POST", "/login", []byte(v.Encode()), hdr)
	}
	if w := form(url.Values{"token": {"guess"}, "next": {"/sends"}}, nil); w.Code != 401 {
		t.Errorf("login with wrong token: %d", w.Code)
	}
	w := form(url.Values{"token": {testToken}, "next": {"//evil.example/"}}, nil)
	if w.Code != 303 || w.Header().Get("Location") != "/sends" {
		t.Errorf("login: %d → %q", w.Code, w.Header().Get("Location"))
	}
	cookie := w.Result().Cookies()
	if len(cookie) != 1 || !cookie[0].HttpOnly || cookie[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie: %+v", cookie)
	}
	withCookie := map[string]string{"Cookie": cookie[0].Name + "=" + cookie[0].Value}
	for _, p := range []string{"/sends", "/suppressions", "/stats", "/sends?lang=de", "/stats?days=7"} {
		if w := do(t, h, "GET", p, nil, withCookie); w.Code != 200 {
			t.Errorf("%s with session: %d", p, w.Code)
		}
	}
	if w := do(t, h, "GET", "/api/v1/events", nil, withCookie); w.Code != 200 {
		t.Errorf("API with session cookie: %d", w.Code)
	}
	// Cross-origin form post is refused.
	hdr := map[string]string{"Cookie": withCookie["Cookie"], "Sec-Fetch-Site": "cross-site", "Content-Type": "application/x-www-form-urlencoded"}
	if w := do(t, h, "POST", "/suppressions/remove", []byte("address=gone%40b.example"), hdr); w.Code != 403 {
		t.Errorf("cross-site remove: %d, want 403", w.Code)
	}
	if _, err := st.GetSuppression(context.Background(), "gone@b.example"); err != nil {
		t.Errorf("cross-site remove removed the entry")
	}
	hdr["Sec-Fetch-Site"] = "same-origin"
	if w := do(t, h, "POST", "/suppressions/remove", []byte("address=gone%40b.example"), hdr); w.Code != 303 {
		t.Errorf("same-origin remove: %d", w.Code)
	}
	if _, err := st.GetSuppression(context.Background(), "gone@b.example"); err == nil {
		t.Errorf("remove did not remove")
	}
	// Without a session the remove form is not allowed.
	st.AddSuppression(context.Background(), "gone@b.example", "")
	if w := do(t, h, "POST", "/suppressions/remove", []byte("address=gone%40b.example"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); w.Code != 303 || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
		t.Errorf("remove without session: %d %s", w.Code, w.Header().Get("Location"))
	}
	if _, err := st.GetSuppression(context.Background(), "gone@b.example"); err != nil {
		t.Errorf("remove without session removed the entry")
	}
}

// TestSuppressionAddForm: the suppression page's form adds an address by
// hand (reason manual, with its note), like POST /api/v1/suppressions, under
// the same session and cross-origin checks as the remove form.
func TestSuppressionAddForm(t *testing.T) {
	h, st := newEventServer(t)
	ctx := context.Background()
	form := func(v url.Values, hdr map[string]string) *httptest.ResponseRecorder {
		t.Helper()
		all := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		for k, x := range hdr {
			all[k] = x
		}
		return do(t, h, "POST", "/suppressions/add", []byte(v.Encode()), all)
	}
	login := form(url.Values{}, nil) // no session: to the login form, nothing stored
	if login.Code != 303 || !strings.HasPrefix(login.Header().Get("Location"), "/login") {
		t.Errorf("add without session: %d %s", login.Code, login.Header().Get("Location"))
	}
	w := do(t, h, "POST", "/login", []byte(url.Values{"token": {testToken}}.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	c := w.Result().Cookies()
	if len(c) != 1 {
		t.Fatalf("login cookies: %+v", c)
	}
	session := map[string]string{"Cookie": c[0].Name + "=" + c[0].Value, "Sec-Fetch-Site": "same-origin"}

	// The page offers the form, labelled, posting to /suppressions/add.
	page := do(t, h, "GET", "/suppressions?lang=en", nil, session).Body.String()
	for _, want := range []string{`<form method="post" action="/suppressions/add" id="add"`, `<legend>Add an address</legend>`,
		`<label for="add-address">`, `id="add-address" name="address"`, `<label for="add-note">Note (optional)</label>`} {
		if !strings.Contains(page, want) {
			t.Errorf("suppressions page lacks %s", want)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "style=") {
		t.Errorf("suppressions page: inline script or style")
	}
	if de := do(t, h, "GET", "/suppressions?lang=de", nil, session).Body.String(); !strings.Contains(de, "Adresse eintragen") {
		t.Errorf("German page lacks the form's legend")
	}

	// A cross-site post is refused and stores nothing.
	cross := map[string]string{"Cookie": session["Cookie"], "Sec-Fetch-Site": "cross-site"}
	if w := form(url.Values{"address": {"x@example.org"}}, cross); w.Code != 403 {
		t.Errorf("cross-site add: %d, want 403", w.Code)
	}
	if _, err := st.GetSuppression(ctx, "x@example.org"); err == nil {
		t.Errorf("cross-site add stored the address")
	}

	// Added: redirect to the list filtered to the address, with a notice.
	w = form(url.Values{"address": {" Kunde@Example.ORG "}, "note": {"asked by phone"}}, session)
	if w.Code != 303 || w.Header().Get("Location") != "/suppressions?added=1&q=Kunde%40Example.ORG" {
		t.Fatalf("add: %d → %q", w.Code, w.Header().Get("Location"))
	}
	x, err := st.GetSuppression(ctx, "Kunde@example.org") // the domain is case-insensitive
	if err != nil || x.Reason != store.SuppressManual || x.Note != "asked by phone" || x.Address != "Kunde@Example.ORG" {
		t.Errorf("stored = %+v, %v", x, err)
	}
	page = do(t, h, "GET", w.Header().Get("Location")+"&lang=en", nil, session).Body.String()
	if !strings.Contains(page, `id="added"`) || !strings.Contains(page, "asked by phone") {
		t.Errorf("after add: no notice or row")
	}
	// Again: nothing changes, and the page says it was already there.
	w = form(url.Values{"address": {"Kunde@example.org"}, "note": {"other"}}, session)
	if w.Code != 303 || !strings.Contains(w.Header().Get("Location"), "exists=1") {
		t.Errorf("add twice: %d → %q", w.Code, w.Header().Get("Location"))
	}
	if x, _ := st.GetSuppression(ctx, "Kunde@example.org"); x.Note != "asked by phone" {
		t.Errorf("add twice changed the note to %q", x.Note)
	}
	if !strings.Contains(do(t, h, "GET", w.Header().Get("Location"), nil, session).Body.String(), `id="exists"`) {
		t.Errorf("add twice: no notice")
	}

	// Refused: the page again (400), the message tied to the field, the input kept.
	for _, tc := range []struct {
		name   string
		v      url.Values
		field  string
		msg    string
		stored string
	}{
		{"no address", url.Values{"address": {""}}, "add-address", "Enter an email address", ""},
		{"no at", url.Values{"address": {"nope"}, "note": {"kept"}}, "add-address", "Enter an email address", "nope"},
		{"two addresses", url.Values{"address": {"a@b.example, c@d.example"}}, "add-address", "Enter an email address", "a@b.example"},
		{"long note", url.Values{"address": {"n@example.org"}, "note": {strings.Repeat("é", maxNoteRunes+1)}}, "add-note", "at most 500 characters", "n@example.org"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := form(tc.v, map[string]string{"Cookie": session["Cookie"], "Sec-Fetch-Site": "same-origin", "Accept-Language": "en"})
			body := w.Body.String()
			if w.Code != 400 {
				t.Fatalf("status %d, want 400", w.Code)
			}
			if !strings.Contains(body, `role="alert" id="add-error"`) || !strings.Contains(body, tc.msg) {
				t.Errorf("no error message %q", tc.msg)
			}
			if !strings.Contains(body, `id="`+tc.field+`"`) || !regexpMatch(body, `id="`+tc.field+`"[^>]*aria-invalid="true"`) ||
				!regexpMatch(body, `id="`+tc.field+`"[^>]*aria-describedby="[^"]*add-error`) {
				t.Errorf("%s not marked invalid and described by the error", tc.field)
			}
			if n := tc.v.Get("note"); n != "" && !strings.Contains(body, `value="`+n+`"`) {
				t.Errorf("note not kept")
			}
			if tc.stored != "" {
				if _, err := st.GetSuppression(ctx, tc.stored); err == nil {
					t.Errorf("refused add stored %q", tc.stored)
				}
			}
		})
	}
	// German message.
	w = form(url.Values{"address": {"nope"}}, map[string]string{"Cookie": session["Cookie"] + "; lang=de", "Sec-Fetch-Site": "same-origin"})
	if !strings.Contains(w.Body.String(), "Geben Sie eine E-Mail-Adresse") {
		t.Errorf("German error message missing")
	}
}

func regexpMatch(s, re string) bool { return regexp.MustCompile(re).MatchString(s) }

func TestSendsPage(t *testing.T) {
	h, _ := newEventServer(t)
	// A permanent Mailgun failure and a temporary one.
	do(t, h, "POST", "/webhooks/mailgun", signMailgun(t, mailgunFailed(t, "kunde@example.de", "s1"), testMailgunKey, testNow.Unix(), ""), nil)
	do(t, h, "POST", "/webhooks/mailgun", signMailgun(t, eventTestdata(t, "mailgun/failed-temporary.json"), testMailgunKey, testNow.Unix(), ""), nil)
	do(t, h, "POST", "/webhooks/mailgun", signMailgun(t, eventTestdata(t, "mailgun/delivered.json"), testMailgunKey, testNow.Unix(), ""), nil)
	for lang, want := range map[string]string{"en": "does not exist", "de": "existiert nicht"} {
		w := do(t, h, "GET", "/sends?lang="+lang, nil, bearer)
		body := w.Body.String()
		if w.Code != 200 {
			t.Fatalf("sends %s: %d", lang, w.Code)
		}
		if !strings.Contains(body, want) {
			t.Errorf("sends %s: no %q", lang, want)
		}
		if strings.Count(body, "<details class=\"send") != 2 {
			t.Errorf("sends %s: want 2 failures (delivered not listed), got %d", lang, strings.Count(body, "<details class=\"send"))
		}
		if !strings.Contains(body, `class="warn perm"`) || !strings.Contains(body, `class="warn temp"`) {
			t.Errorf("sends %s: missing red/amber markers", lang)
		}
		if strings.Contains(body, "<script") || strings.Contains(body, "style=") {
			t.Errorf("sends %s: inline script or style", lang)
		}
	}
	for _, q := range []string{"provider=sendgrid", "reason=userunknown", "domain=example.de", "since=2025-01-01&until=2026-12-31", "type=deferred"} {
		if w := do(t, h, "GET", "/sends?"+q, nil, bearer); w.Code != 200 {
			t.Errorf("sends?%s: %d", q, w.Code)
		}
	}
	if w := do(t, h, "GET", "/sends?since=bad", nil, bearer); w.Code != 400 {
		t.Errorf("sends bad date: %d", w.Code)
	}
	w := do(t, h, "GET", "/stats", nil, bearer)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<rect") || !strings.Contains(w.Body.String(), "example.de") {
		t.Errorf("stats: %d, no bars", w.Code)
	}
}

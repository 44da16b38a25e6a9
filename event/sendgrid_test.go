package event

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"
)

type sendgridKey struct {
	priv *ecdsa.PrivateKey
	pub  string // base64 DER, as SendGrid shows it
}

func newSendGridKey(t testing.TB) sendgridKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return sendgridKey{k, base64.StdEncoding.EncodeToString(der)}
}

func (k sendgridKey) sign(t testing.TB, ts string, body []byte) string {
	t.Helper()
	h := sha256.Sum256(append([]byte(ts), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func sendgridRequest(body []byte, sig, ts string) *http.Request {
	r := newRequest(body)
	if sig != "" {
		r.Header.Set(SendGridSignatureHeader, sig)
	}
	if ts != "" {
		r.Header.Set(SendGridTimestampHeader, ts)
	}
	return r
}

// malleate turns a valid ASN.1 ECDSA signature (r, s) into (r, n−s),
// which verifies as well.
func malleate(t *testing.T, sig64 string) string {
	t.Helper()
	der, _ := base64.StdEncoding.DecodeString(sig64)
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &rs); err != nil {
		t.Fatal(err)
	}
	rs.S = new(big.Int).Sub(elliptic.P256().Params().N, rs.S)
	out, err := asn1.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(out)
}

func TestSendGridVerify(t *testing.T) {
	key := newSendGridKey(t)
	other := newSendGridKey(t)
	body := readTestdata(t, "sendgrid/batch.json")
	ts := "1767226400"
	now := time.Unix(1767226410, 0)
	good := key.sign(t, ts, body)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	der, _ := base64.StdEncoding.DecodeString(key.pub)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))

	cases := []struct {
		name   string
		pub    string
		body   []byte
		sig    string
		ts     string
		now    time.Time
		want   error
		config bool // a NotConfiguredError is expected
	}{
		{"signed", key.pub, body, good, ts, now, nil, false},
		{"signed, PEM key", pemKey, body, key.sign(t, ts, body), ts, now, nil, false},
		{"unsigned", key.pub, body, "", "", now, ErrBadSignature, false},
		{"no timestamp", key.pub, body, good, "", now, ErrBadSignature, false},
		{"other key", key.pub, body, other.sign(t, ts, body), ts, now, ErrBadSignature, false},
		{"body changed", key.pub, append([]byte(" "), body...), key.sign(t, ts, body), ts, now, ErrBadSignature, false},
		{"timestamp changed", key.pub, body, key.sign(t, ts, body), "1767226401", now, ErrBadSignature, false},
		{"signature not base64", key.pub, body, "%%%", ts, now, ErrBadSignature, false},
		{"signature garbage", key.pub, body, base64.StdEncoding.EncodeToString([]byte("garbage")), ts, now, ErrBadSignature, false},
		{"timestamp not a number", key.pub, body, key.sign(t, "abc", body), "abc", now, ErrBadSignature, false},
		{"stale", key.pub, body, key.sign(t, ts, body), ts, time.Unix(1767226400+301, 0), ErrStale, false},
		{"future", key.pub, body, key.sign(t, ts, body), ts, time.Unix(1767226400-301, 0), ErrStale, false},
		{"not configured", "", body, good, ts, now, ErrNotConfigured, true},
		{"key not base64", "not a key!", body, good, ts, now, ErrNotConfigured, true},
		{"RSA key", base64.StdEncoding.EncodeToString(rsaDER), body, good, ts, now, ErrNotConfigured, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &SendGrid{PublicKey: c.pub}
			err := s.Verify(sendgridRequest(c.body, c.sig, c.ts), c.body, c.now)
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("Verify() = %v, want %v", err, c.want)
			}
		})
	}
}

func TestSendGridReplay(t *testing.T) {
	key := newSendGridKey(t)
	body := readTestdata(t, "sendgrid/batch.json")
	ts := "1767226400"
	now := time.Unix(1767226410, 0)
	s := &SendGrid{PublicKey: key.pub}
	sig := key.sign(t, ts, body)
	if err := s.Verify(sendgridRequest(body, sig, ts), body, now); err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(sendgridRequest(body, sig, ts), body, now); !errors.Is(err, ErrReplay) {
		t.Fatalf("replayed Verify() = %v, want ErrReplay", err)
	}
	// A re-encoded signature (r, n−s) is still valid ECDSA; the replay key
	// is the signed content, so it is caught too.
	if err := s.Verify(sendgridRequest(body, malleate(t, sig), ts), body, now); !errors.Is(err, ErrReplay) {
		t.Fatalf("Verify(malleated signature) = %v, want ErrReplay", err)
	}
	// A fresh signature over the same body at the same second is a replay too.
	if err := s.Verify(sendgridRequest(body, key.sign(t, ts, body), ts), body, now); !errors.Is(err, ErrReplay) {
		t.Fatalf("Verify(re-signed) = %v, want ErrReplay", err)
	}
}

func TestSendGridParse(t *testing.T) {
	body := readTestdata(t, "sendgrid/batch.json")
	evs, err := (&SendGrid{}).Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	checkParsed(t, evs)
	type want struct {
		typ       Type
		recipient string
		reason    string
		action    string
	}
	wants := []want{
		{Delivered, "kundin@example.com", "", ""},
		{Deferred, "leser@yahoo.com", "badreputation", "retry"},
		{Bounced, "kunde@example.de", "userunknown", "suppress"},
		{Bounced, "chef@firma.example", "blocked", "fix-sender"},
		{Dropped, "alt@example.org", "suppressed", "suppress"},
		{Complained, "genervt@example.net", "feedback", "suppress"},
		{Unsubscribed, "leser2@example.com", "feedback", "suppress"},
		{Unsubscribed, "leser3@example.com", "feedback", "suppress"},
		{Opened, "kundin@example.com", "", ""},
		{Clicked, "kundin@example.com", "", ""},
	}
	if len(evs) != len(wants) {
		t.Fatalf("Parse() = %d events, want %d (processed and group_resubscribe skipped)", len(evs), len(wants))
	}
	ids := map[string]bool{}
	for i, w := range wants {
		e := evs[i]
		if e.Type != w.typ || e.Recipient != w.recipient {
			t.Errorf("event %d = %s %s, want %s %s", i, e.Type, e.Recipient, w.typ, w.recipient)
		}
		if w.reason != "" && (e.Diagnosis.Reason != w.reason || e.Diagnosis.Action != w.action) {
			t.Errorf("event %d (%s) diagnosis = %s/%s, want %s/%s; evidence %v", i, e.Type, e.Diagnosis.Reason, e.Diagnosis.Action, w.reason, w.action, e.Diagnosis.Evidence)
		}
		if ids[e.ID] {
			t.Errorf("duplicate ID %s", e.ID)
		}
		ids[e.ID] = true
		if e.ProviderEventID == "" || e.Time.IsZero() {
			t.Errorf("event %d lacks provider id or time", i)
		}
		// Raw is this event alone, and re-parses to the same event.
		again, err := (&SendGrid{}).Parse(e.Raw)
		if err != nil || len(again) != 1 || again[0].ID != e.ID {
			t.Errorf("event %d: Parse(Raw) = %v, %v", i, again, err)
		}
	}
	bounce := evs[2]
	if bounce.MessageID != "20260101.abc123@shop.example" || !strings.HasPrefix(bounce.RemoteText, "550 5.1.1") ||
		!bounce.Time.Equal(time.Unix(1767225610, 0)) {
		t.Errorf("bounce = %q %q %v", bounce.MessageID, bounce.RemoteText, bounce.Time)
	}
	// SendGrid does not suppress blocks: neither does the diagnosis.
	if blocked := evs[3]; blocked.Diagnosis.Action == "suppress" || blocked.Diagnosis.HardBounce {
		t.Errorf("blocked event diagnosed %s hard=%v", blocked.Diagnosis.Action, blocked.Diagnosis.HardBounce)
	}
	if !strings.HasPrefix(evs[1].RemoteText, "421 4.7.0 [TSS04]") || evs[1].Diagnosis.RetryAfter == 0 {
		t.Errorf("deferred remote text %q retry_after %d", evs[1].RemoteText, evs[1].Diagnosis.RetryAfter)
	}
}

func TestSendGridParseErrors(t *testing.T) {
	cases := []struct {
		name   string
		body   string
		events int
		bad    bool
	}{
		{"empty", ``, 0, true},
		{"malformed", `[{"event":"bounce"`, 0, true},
		{"not an array", `"x"`, 0, true},
		{"number", `42`, 0, true},
		{"empty array", `[]`, 0, false},
		{"null element", `[null]`, 0, true},
		{"element not object", `[1]`, 0, true},
		{"no event", `[{"email":"a@b.c"}]`, 0, true},
		{"no email", `[{"event":"bounce"}]`, 0, true},
		{"processed only", `[{"event":"processed","email":"a@b.c"}]`, 0, false},
		{"attempt as number", `[{"event":"deferred","email":"a@b.c","attempt":5,"response":"451 4.3.0 try later"}]`, 1, false},
		{"timestamp as string", `[{"event":"bounce","email":"a@b.c","timestamp":"1767225600","reason":"550 5.1.1 user unknown"}]`, 1, false},
		{"timestamp odd", `[{"event":"bounce","email":"a@b.c","timestamp":-5}]`, 1, false},
		{"no sg_event_id", `[{"event":"dropped","email":"a@b.c","reason":"Invalid"}]`, 1, false},
		{"one bad element fails the batch", `[{"event":"delivered","email":"a@b.c"},{"event":"bounce"}]`, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs, err := (&SendGrid{}).Parse([]byte(c.body))
			var pe *PayloadError
			if c.bad != errors.As(err, &pe) || (!c.bad && err != nil) {
				t.Fatalf("Parse() error = %v, want payload error %v", err, c.bad)
			}
			if len(evs) != c.events {
				t.Fatalf("Parse() = %d events, want %d", len(evs), c.events)
			}
			checkParsed(t, evs)
		})
	}
	big := "[" + strings.Repeat(`{"event":"processed","email":"a@b.c"},`, maxBatch) + `{"event":"processed","email":"a@b.c"}]`
	if _, err := (&SendGrid{}).Parse([]byte(big)); err == nil {
		t.Error("Parse(batch over the limit) = nil error")
	}
}

func FuzzSendGridParse(f *testing.F) {
	seedFuzz(f, "sendgrid")
	s := &SendGrid{}
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := s.Parse(body)
		if err == nil {
			checkParsed(t, evs)
		}
	})
}

// sendgridBatch builds a realistic batch of n events, a third of them
// failures.
func sendgridBatch(n, round int) []byte {
	kinds := []string{
		`{"email":"kunde%d@example.de","timestamp":1767225610,"smtp-id":"<%d.abc@shop.example>","bounce_classification":"Invalid Address","event":"bounce","type":"bounce","category":["order"],"sg_event_id":"bounce-%d-%d","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0","reason":"550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. - gsmtp","status":"5.1.1","tls":1,"ip":"198.51.100.7"}`,
		`{"email":"kunde%d@example.com","timestamp":1767225600,"smtp-id":"<%d.def@shop.example>","event":"delivered","category":["order"],"sg_event_id":"delivered-%d-%d","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.1","response":"250 2.0.0 OK 1767225600 - gsmtp","tls":1,"ip":"198.51.100.7"}`,
		`{"email":"kunde%d@example.com","timestamp":1767226100,"smtp-id":"<%d.def@shop.example>","event":"open","sg_machine_open":false,"sg_event_id":"open-%d-%d","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.1","useragent":"Mozilla/5.0","ip":"203.0.113.51"}`,
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

func BenchmarkSendGridBatch100(b *testing.B) {
	key := newSendGridKey(b)
	s := &SendGrid{PublicKey: key.pub, Tolerance: -1}
	const rounds = 64
	type req struct {
		body []byte
		sig  string
	}
	reqs := make([]req, rounds)
	for i := range reqs {
		body := sendgridBatch(100, i)
		reqs[i] = req{body, key.sign(b, "1767226400", body)}
	}
	n := 0
	events := 0
	b.ReportAllocs()
	for b.Loop() {
		rq := reqs[n%rounds]
		now := time.Unix(1767226400, 0).Add(time.Duration(n/rounds) * 6 * time.Minute)
		r := sendgridRequest(rq.body, rq.sig, "1767226400")
		if err := s.Verify(r, rq.body, now); err != nil {
			b.Fatal(err)
		}
		evs, err := s.Parse(rq.body)
		if err != nil || len(evs) != 100 {
			b.Fatal(len(evs), err)
		}
		events += len(evs)
		n++
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

package event

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testTopic   = "arn:aws:sns:eu-central-1:123456789012:ses-feedback"
	testCertURL = "https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-6209c161c6221fdf56ec1eb5c821d112.pem"
)

// snsSigner holds a key and a self-signed certificate made in the test.
type snsSigner struct {
	key  *rsa.PrivateKey
	cert []byte // PEM
}

var testSigner = sync.OnceValue(func() *snsSigner {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return &snsSigner{key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
})

// sign sets SignatureVersion, SigningCertURL and Signature of an SNS
// envelope and returns the JSON body.
func (s *snsSigner) sign(t testing.TB, env map[string]any, version, certURL string) []byte {
	t.Helper()
	env["SignatureVersion"] = version
	env["SigningCertURL"] = certURL
	var m snsMessage
	b, _ := json.Marshal(env)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	msg, err := m.canonical()
	if err != nil {
		t.Fatal(err)
	}
	var sig []byte
	if version == "1" {
		h := sha1.Sum(msg)
		sig, err = rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA1, h[:])
	} else {
		h := sha256.Sum256(msg)
		sig, err = rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, h[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	env["Signature"] = base64.StdEncoding.EncodeToString(sig)
	out, _ := json.Marshal(env)
	return out
}

func loadEnvelope(t testing.TB, name string) map[string]any {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal(readTestdata(t, "ses/"+name), &env); err != nil {
		t.Fatal(err)
	}
	return env
}

// fakeSNS is an http.RoundTripper standing in for SNS: it serves the test
// certificate and records subscription confirmations.
type fakeSNS struct {
	mu        sync.Mutex
	cert      []byte
	fetches   int
	confirmed []string
	fail      bool
}

func (f *fakeSNS) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{}, Request: r}
	switch {
	case f.fail:
		return nil, errors.New("connection refused")
	case strings.HasSuffix(r.URL.Path, ".pem"):
		f.fetches++
		resp.Body = io.NopCloser(strings.NewReader(string(f.cert)))
	case r.URL.Query().Get("Action") == "ConfirmSubscription":
		f.confirmed = append(f.confirmed, r.URL.String())
		resp.Body = io.NopCloser(strings.NewReader("<ConfirmSubscriptionResponse/>"))
	default:
		resp.StatusCode, resp.Status = 404, "404 Not Found"
		resp.Body = io.NopCloser(strings.NewReader(""))
	}
	return resp, nil
}

func newSES(f *fakeSNS) *SES {
	return &SES{TopicARNs: []string{testTopic}, Client: &http.Client{Transport: f}}
}

func TestSESVerify(t *testing.T) {
	s := testSigner()
	now := time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC)
	bounce := func() map[string]any { return loadEnvelope(t, "bounce-permanent.json") }
	withSubject := bounce()
	withSubject["Subject"] = "Amazon SES Email Event Notification"
	otherTopic := bounce()
	otherTopic["TopicArn"] = "arn:aws:sns:eu-central-1:999999999999:attacker"
	tampered := s.sign(t, bounce(), "2", testCertURL)
	tampered = []byte(strings.Replace(string(tampered), "kunde@example.de", "kundX@example.de", 1))
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	forged := (&snsSigner{key: other}).sign(t, bounce(), "2", testCertURL)

	cases := []struct {
		name string
		body []byte
		now  time.Time
		want error
	}{
		{"signed v2", s.sign(t, bounce(), "2", testCertURL), now, nil},
		{"signed v1", s.sign(t, bounce(), "1", testCertURL), now, nil},
		{"signed with Subject", s.sign(t, withSubject, "2", testCertURL), now, nil},
		{"subscription confirmation", s.sign(t, loadEnvelope(t, "subscription-confirmation.json"), "1", testCertURL), now, nil},
		{"unsigned", readTestdata(t, "ses/bounce-permanent.json"), now, ErrBadSignature},
		{"tampered", tampered, now, ErrBadSignature},
		{"other key", forged, now, ErrBadSignature},
		{"version 3", s.sign(t, bounce(), "2", testCertURL), now, nil}, // body edited below
		{"cert URL http", s.sign(t, bounce(), "2", strings.Replace(testCertURL, "https", "http", 1)), now, ErrBadSignature},
		{"cert URL other host", s.sign(t, bounce(), "2", "https://sns.eu-central-1.amazonaws.com.evil.example/x.pem"), now, ErrBadSignature},
		{"cert URL lookalike", s.sign(t, bounce(), "2", "https://sns-eu-central-1.amazonaws.com/x.pem"), now, ErrBadSignature},
		{"cert URL with user", s.sign(t, bounce(), "2", "https://evil@sns.eu-central-1.amazonaws.com/x.pem"), now, ErrBadSignature},
		{"cert URL with port", s.sign(t, bounce(), "2", "https://sns.eu-central-1.amazonaws.com:8443/x.pem"), now, ErrBadSignature},
		{"topic not accepted", s.sign(t, otherTopic, "2", testCertURL), now, ErrBadSignature},
		{"stale", s.sign(t, bounce(), "2", testCertURL), now.Add(2 * time.Hour), ErrStale},
		{"cert expired", s.sign(t, bounce(), "2", testCertURL), time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC), ErrBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := c.body
			want := c.want
			if c.name == "version 3" {
				body = []byte(strings.Replace(string(body), `"SignatureVersion":"2"`, `"SignatureVersion":"3"`, 1))
				want = ErrBadSignature
			}
			ses := newSES(&fakeSNS{cert: s.cert})
			if c.name == "stale" || c.name == "cert expired" {
				ses.Tolerance = -1
				if c.name == "stale" {
					ses.Tolerance = time.Hour
				}
			}
			err := ses.Verify(newRequest(body), body, c.now)
			if !errors.Is(err, want) || (want == nil && err != nil) {
				t.Fatalf("Verify() = %v, want %v", err, want)
			}
		})
	}
}

func TestSESVerifyMisc(t *testing.T) {
	s := testSigner()
	now := time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC)
	f := &fakeSNS{cert: s.cert}
	ses := newSES(f)
	// Replay: SNS MessageId accepted once.
	body := s.sign(t, loadEnvelope(t, "bounce-permanent.json"), "2", testCertURL)
	if err := ses.Verify(newRequest(body), body, now); err != nil {
		t.Fatal(err)
	}
	if err := ses.Verify(newRequest(body), body, now); !errors.Is(err, ErrReplay) {
		t.Fatalf("replayed Verify() = %v, want ErrReplay", err)
	}
	// The certificate is fetched once and cached.
	body2 := s.sign(t, loadEnvelope(t, "complaint.json"), "2", testCertURL)
	if err := ses.Verify(newRequest(body2), body2, now); err != nil {
		t.Fatal(err)
	}
	if f.fetches != 1 {
		t.Errorf("certificate fetched %d times, want 1", f.fetches)
	}
	// Message type header must agree with the body.
	body3 := s.sign(t, loadEnvelope(t, "delivery.json"), "2", testCertURL)
	r := newRequest(body3)
	r.Header.Set("X-Amz-Sns-Message-Type", "SubscriptionConfirmation")
	if err := ses.Verify(r, body3, now); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Verify(type header mismatch) = %v", err)
	}
	// Fetch failures are reported as such (the handler answers 5xx so SNS retries).
	down := newSES(&fakeSNS{fail: true})
	if err := down.Verify(newRequest(body3), body3, now); !errors.Is(err, ErrCertFetch) {
		t.Errorf("Verify(cert fetch failed) = %v, want ErrCertFetch", err)
	}
	notPEM := newSES(&fakeSNS{cert: []byte("<html>")})
	if err := notPEM.Verify(newRequest(body3), body3, now); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Verify(cert not PEM) = %v, want ErrBadSignature", err)
	}
	// Malformed bodies are payload errors.
	var pe *PayloadError
	if err := ses.Verify(newRequest(nil), []byte(`{"Type":`), now); !errors.As(err, &pe) {
		t.Errorf("Verify(malformed) = %v, want *PayloadError", err)
	}
	if err := ses.Verify(newRequest(nil), []byte(`{"notificationType":"Bounce"}`), now); !errors.As(err, &pe) {
		t.Errorf("Verify(raw message delivery) = %v, want *PayloadError", err)
	}
}

func TestValidSNSURL(t *testing.T) {
	for u, want := range map[string]bool{
		testCertURL: true,
		"https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-x.pem": true,
		"https://sns.us-gov-west-1.amazonaws.com/x.pem":                           true,
		"http://sns.eu-central-1.amazonaws.com/x.pem":                             false,
		"https://sns.eu-central-1.amazonaws.com.evil.example/x.pem":               false,
		"https://evil.example/sns.eu-central-1.amazonaws.com/x.pem":               false,
		"https://sns.EU-central-1.amazonaws.com/x.pem":                            false,
		"https://s3.amazonaws.com/x.pem":                                          false,
		"https://sns.eu-central-1.amazonaws.com:443/x.pem":                        false,
		"":                            false,
		"::not a url":                 false,
		"https://sns..amazonaws.com/": false,
	} {
		if got := ValidSNSURL(u); got != want {
			t.Errorf("ValidSNSURL(%q) = %v, want %v", u, got, want)
		}
	}
}

func TestSESSubscriptionConfirmation(t *testing.T) {
	s := testSigner()
	now := time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC)
	body := s.sign(t, loadEnvelope(t, "subscription-confirmation.json"), "1", testCertURL)
	for _, confirm := range []bool{false, true} {
		f := &fakeSNS{cert: s.cert}
		ses := newSES(f)
		ses.ConfirmSubscriptions = confirm
		if err := ses.Verify(newRequest(body), body, now); err != nil {
			t.Fatal(err)
		}
		evs, err := ses.Parse(body)
		var n *Notice
		if len(evs) != 0 || !errors.As(err, &n) || n.Kind != "subscription-confirmation" || n.TopicARN != testTopic {
			t.Fatalf("Parse(confirmation) = %v, %v; want a Notice", evs, err)
		}
		if !strings.Contains(n.Message, EnvSESConfirmSubscription) {
			t.Errorf("notice %q does not say what to set", n.Message)
		}
		if err := ses.Confirm(context.Background(), n); err != nil {
			t.Fatal(err)
		}
		if confirm != (len(f.confirmed) == 1) {
			t.Errorf("ConfirmSubscriptions=%v: %d confirmations", confirm, len(f.confirmed))
		}
		if confirm && !strings.Contains(n.Message, "confirmed") {
			t.Errorf("notice after confirming: %q", n.Message)
		}
	}
	// A SubscribeURL off the SNS hosts is never visited.
	f := &fakeSNS{cert: s.cert}
	ses := newSES(f)
	ses.ConfirmSubscriptions = true
	n := &Notice{Provider: ProviderSES, Kind: "subscription-confirmation", URL: "https://evil.example/?Action=ConfirmSubscription"}
	if err := ses.Confirm(context.Background(), n); !errors.Is(err, ErrBadSignature) || len(f.confirmed) != 0 {
		t.Errorf("Confirm(evil URL) = %v, %d visits", err, len(f.confirmed))
	}
	// Unsubscribe confirmations are notices too.
	env := loadEnvelope(t, "subscription-confirmation.json")
	env["Type"] = "UnsubscribeConfirmation"
	b, _ := json.Marshal(env)
	if _, err := ses.Parse(b); !errors.As(err, &n) || n.Kind != "unsubscribe-confirmation" {
		t.Errorf("Parse(unsubscribe confirmation) = %v", err)
	}
}

func TestSESParse(t *testing.T) {
	type want struct {
		typ       Type
		recipient string
		reason    string
		action    string
		remote    string
	}
	cases := []struct {
		file      string
		messageID string
		domain    string
		time      time.Time
		events    []want
	}{
		{"bounce-permanent.json", "20260101.abc@shop.example", "shop.example", time.Date(2026, 1, 1, 0, 0, 5, 123e6, time.UTC), []want{
			{Bounced, "kunde@example.de", "userunknown", "suppress", "smtp; 550 5.1.1 <kunde@example.de>"},
			{Bounced, "leser@example.org", "mailboxfull", "", "smtp; 552 5.2.2 Mailbox full"},
		}},
		{"bounce-suppressed.json", "20260101.abc@shop.example", "shop.example", time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC), []want{
			{Bounced, "alt@example.org", "suppressed", "suppress", "Amazon SES did not send"},
		}},
		{"complaint.json", "20260101.abc@shop.example", "shop.example", time.Date(2026, 1, 2, 8, 0, 0, 0, time.UTC), []want{
			{Complained, "genervt@example.net", "feedback", "suppress", "Feedback-Type: abuse"},
		}},
		{"delivery.json", "20260101.abc@shop.example", "shop.example", time.Date(2026, 1, 1, 0, 0, 2, 512e6, time.UTC), []want{
			{Delivered, "kundin@example.com", "", "", "250 2.0.0 OK"},
		}},
		{"delivery-delay.json", "20260101.abc@shop.example", "shop.example", time.Date(2026, 1, 1, 0, 15, 0, 0, time.UTC), []want{
			{Deferred, "voll@example.com", "mailboxfull", "retry", "smtp; 452 4.2.2"},
		}},
	}
	ses := &SES{}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			body := readTestdata(t, "ses/"+c.file)
			evs, err := ses.Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			checkParsed(t, evs)
			if len(evs) != len(c.events) {
				t.Fatalf("Parse() = %d events, want %d", len(evs), len(c.events))
			}
			for i, w := range c.events {
				e := evs[i]
				if e.Type != w.typ || e.Recipient != w.recipient || e.MessageID != c.messageID || e.SendingDomain != c.domain || !e.Time.Equal(c.time) {
					t.Errorf("event %d = %s %s %s %s %v", i, e.Type, e.Recipient, e.MessageID, e.SendingDomain, e.Time)
				}
				if !strings.HasPrefix(e.RemoteText, w.remote) {
					t.Errorf("event %d remote text %q, want prefix %q", i, e.RemoteText, w.remote)
				}
				if w.reason != "" && e.Diagnosis.Reason != w.reason {
					t.Errorf("event %d reason %s, want %s; evidence %v", i, e.Diagnosis.Reason, w.reason, e.Diagnosis.Evidence)
				}
				if w.action != "" && e.Diagnosis.Action != w.action {
					t.Errorf("event %d action %s, want %s; evidence %v", i, e.Diagnosis.Action, w.action, e.Diagnosis.Evidence)
				}
				if e.ProviderEventID == "" || string(e.Raw) != strings.TrimSpace(string(body)) {
					t.Errorf("event %d: provider id %q, raw not the envelope", i, e.ProviderEventID)
				}
			}
			if len(evs) == 2 && evs[0].ID == evs[1].ID {
				t.Error("two recipients share an ID")
			}
		})
	}
}

func TestSESParseErrors(t *testing.T) {
	wrap := func(msg string) string {
		b, _ := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "m-1", "TopicArn": testTopic, "Message": msg, "Timestamp": "2026-01-01T00:00:00.000Z"})
		return string(b)
	}
	many := `{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[` +
		strings.Repeat(`{"emailAddress":"a@b.c"},`, 2000) + `{"emailAddress":"a@b.c"}]}}`
	cases := []struct {
		name   string
		body   string
		events int
		bad    bool
	}{
		{"malformed", `{"Type":"Notification"`, 0, true},
		{"not SNS", `{"notificationType":"Bounce"}`, 0, true},
		{"unknown type", `{"Type":"Other","MessageId":"m","TopicArn":"t"}`, 0, true},
		{"message not JSON", wrap("hello"), 0, true},
		{"message without type", wrap(`{"mail":{}}`), 0, true},
		{"bounce without bounce", wrap(`{"notificationType":"Bounce"}`), 0, true},
		{"bounce without recipients", wrap(`{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[]}}`), 0, true},
		{"send event skipped", wrap(`{"eventType":"Send","mail":{"destination":["a@b.c"]},"send":{}}`), 0, false},
		{"reject", wrap(`{"eventType":"Reject","mail":{"destination":["a@b.c"],"timestamp":"2026-01-01T00:00:00Z"},"reject":{"reason":"Bad content"}}`), 1, false},
		{"open", wrap(`{"eventType":"Open","mail":{"destination":["a@b.c"]},"open":{"timestamp":"2026-01-01T00:00:00Z"}}`), 1, false},
		{"click", wrap(`{"eventType":"Click","mail":{"destination":["a@b.c"]},"click":{"timestamp":"2026-01-01T00:00:00Z"}}`), 1, false},
		{"no diagnostic code", wrap(`{"notificationType":"Bounce","bounce":{"bounceType":"Transient","bounceSubType":"MailboxFull","bouncedRecipients":[{"emailAddress":"a@b.c"}]}}`), 1, false},
		{"recipients bounded", wrap(many), maxRecipient, false},
		{"odd types", wrap(`{"notificationType":"Bounce","bounce":{"bounceType":1,"bouncedRecipients":[{"emailAddress":"a@b.c"}]}}`), 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs, err := (&SES{}).Parse([]byte(c.body))
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
}

func FuzzSESParse(f *testing.F) {
	seedFuzz(f, "ses")
	s := &SES{}
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := s.Parse(body)
		if err == nil {
			checkParsed(t, evs)
		}
	})
}

package event

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/maildx/maildx"
)

const testMailgunKey = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"

// signMailgun replaces the signature object of a Mailgun body.
func signMailgun(t testing.TB, body []byte, key string, ts int64, token string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(strconv.FormatInt(ts, 10) + token))
	sig, _ := json.Marshal(map[string]string{"timestamp": strconv.FormatInt(ts, 10), "token": token, "signature": hex.EncodeToString(mac.Sum(nil))})
	m["signature"] = sig
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMailgunVerify(t *testing.T) {
	raw := readTestdata(t, "mailgun/failed-permanent.json")
	const ts = 1767225600
	now := time.Unix(ts+30, 0)
	signed := signMailgun(t, raw, testMailgunKey, ts, "tok-1")
	unsigned := []byte(`{"event-data":{"event":"delivered","recipient":"a@b.c"}}`)
	wrongKey := signMailgun(t, raw, "another-key", ts, "tok-2")
	tampered := []byte(strings.Replace(string(signMailgun(t, raw, testMailgunKey, ts, "tok-3")), `"token":"tok-3"`, `"token":"tok-X"`, 1))

	var parent map[string]any
	json.Unmarshal(signMailgun(t, raw, testMailgunKey, ts, "tok-4"), &parent)
	sig := parent["signature"].(map[string]any)
	sig["parent-signature"], sig["signature"] = sig["signature"], "00"
	parentSigned, _ := json.Marshal(parent)

	cases := []struct {
		name string
		m    *Mailgun
		body []byte
		now  time.Time
		want error
	}{
		{"signed", &Mailgun{SigningKey: testMailgunKey}, signed, now, nil},
		{"parent signature", &Mailgun{SigningKey: testMailgunKey}, parentSigned, now, nil},
		{"unsigned", &Mailgun{SigningKey: testMailgunKey}, unsigned, now, ErrBadSignature},
		{"wrong key", &Mailgun{SigningKey: testMailgunKey}, wrongKey, now, ErrBadSignature},
		{"tampered token", &Mailgun{SigningKey: testMailgunKey}, tampered, now, ErrBadSignature},
		{"stale", &Mailgun{SigningKey: testMailgunKey}, signed, time.Unix(ts+301, 0), ErrStale},
		{"future", &Mailgun{SigningKey: testMailgunKey}, signed, time.Unix(ts-301, 0), ErrStale},
		{"stale but tolerance 1h", &Mailgun{SigningKey: testMailgunKey, Tolerance: time.Hour}, signed, time.Unix(ts+1800, 0), nil},
		{"stale check off", &Mailgun{SigningKey: testMailgunKey, Tolerance: -1}, signed, time.Unix(ts+86400, 0), nil},
		{"not configured", &Mailgun{}, signed, now, ErrNotConfigured},
		{"malformed JSON", &Mailgun{SigningKey: testMailgunKey}, []byte(`{"signature":`), now, nil /* PayloadError */},
		{"timestamp not a number", &Mailgun{SigningKey: testMailgunKey}, []byte(`{"signature":{"timestamp":"abc","token":"t","signature":"00"}}`), now, ErrBadSignature},
		{"signature not hex", &Mailgun{SigningKey: testMailgunKey}, []byte(`{"signature":{"timestamp":"1767225600","token":"t","signature":"zz"}}`), now, ErrBadSignature},
		{"numeric timestamp", &Mailgun{SigningKey: testMailgunKey}, []byte(`{"signature":{"timestamp":1767225600,"token":"t","signature":"00"}}`), now, ErrBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.m.Verify(newRequest(c.body), c.body, c.now)
			if c.name == "malformed JSON" {
				var pe *PayloadError
				if !errors.As(err, &pe) {
					t.Fatalf("Verify() = %v, want *PayloadError", err)
				}
				return
			}
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("Verify() = %v, want %v", err, c.want)
			}
		})
	}
}

func TestMailgunReplay(t *testing.T) {
	m := &Mailgun{SigningKey: testMailgunKey}
	raw := readTestdata(t, "mailgun/delivered.json")
	body := signMailgun(t, raw, testMailgunKey, 1767225900, "replay-token")
	now := time.Unix(1767225910, 0)
	if err := m.Verify(newRequest(body), body, now); err != nil {
		t.Fatalf("first Verify() = %v", err)
	}
	if err := m.Verify(newRequest(body), body, now.Add(time.Minute)); !errors.Is(err, ErrReplay) {
		t.Fatalf("replayed Verify() = %v, want ErrReplay", err)
	}
	// A forged request with a seen token does not reach the cache check.
	forged := signMailgun(t, raw, "wrong", 1767225900, "replay-token")
	if err := m.Verify(newRequest(forged), forged, now); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("forged Verify() = %v, want ErrBadSignature", err)
	}
	// A shared cache sees tokens of other adapters (several serve processes).
	shared := &MemoryReplayCache{}
	a, b := &Mailgun{SigningKey: testMailgunKey, Replay: shared}, &Mailgun{SigningKey: testMailgunKey, Replay: shared}
	body2 := signMailgun(t, raw, testMailgunKey, 1767225900, "shared-token")
	if err := a.Verify(newRequest(body2), body2, now); err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(newRequest(body2), body2, now); !errors.Is(err, ErrReplay) {
		t.Fatalf("Verify() on second process = %v, want ErrReplay", err)
	}
}

func TestMailgunParse(t *testing.T) {
	cases := []struct {
		file      string
		typ       Type
		recipient string
		messageID string
		domain    string
		time      time.Time
		remote    string // prefix
		reason    string
		action    string
	}{
		{"failed-permanent.json", Bounced, "kunde@example.de", "20260101000000.1.ABCDEF0123456789@mg.shop.example", "mg.shop.example",
			time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(-2*time.Second + 123*time.Millisecond), "550 5.1.1 The email account", "userunknown", "suppress"},
		{"failed-temporary.json", Deferred, "leser@yahoo.com", "20260101000100.2.FEDCBA9876543210@mg.shop.example", "mg.shop.example",
			time.Unix(1767225699, 500_000_000).UTC(), "421 4.7.0 [TSS04]", "badreputation", "retry"},
		{"failed-suppress-bounce.json", Dropped, "alt@example.org", "20260101000200.3.0011223344556677@mg.shop.example", "mg.shop.example",
			time.Unix(1767225799, 0).UTC(), "Not delivering to previously bounced address", "suppressed", "suppress"},
		{"delivered.json", Delivered, "kundin@example.com", "20260101000300.4.8899AABBCCDDEEFF@mg.shop.example", "mg.shop.example",
			time.Unix(1767225899, 441_000_000).UTC(), "250 OK", "", ""},
		{"complained.json", Complained, "genervt@example.net", "20260101000400.5.0123456789ABCDEF@mg.shop.example", "shop.example",
			time.Unix(1767225999, 0).UTC(), "", "feedback", "suppress"},
		{"unsubscribed.json", Unsubscribed, "leser2@example.com", "20260101000500.6.FEDCBA9876543210@mg.shop.example", "",
			time.Unix(1767226099, 0).UTC(), "", "feedback", "suppress"},
		{"opened.json", Opened, "kundin@example.com", "20260101000300.4.8899AABBCCDDEEFF@mg.shop.example", "", time.Unix(1767226199, 0).UTC(), "", "", ""},
		{"clicked.json", Clicked, "kundin@example.com", "20260101000300.4.8899AABBCCDDEEFF@mg.shop.example", "", time.Unix(1767226299, 0).UTC(), "", "", ""},
	}
	m := &Mailgun{}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			body := readTestdata(t, "mailgun/"+c.file)
			evs, err := m.Parse(body)
			if err != nil || len(evs) != 1 {
				t.Fatalf("Parse(%s) = %d events, %v", c.file, len(evs), err)
			}
			checkParsed(t, evs)
			e := evs[0]
			if e.Type != c.typ || e.Recipient != c.recipient || e.MessageID != c.messageID || e.SendingDomain != c.domain || !e.Time.Equal(c.time) {
				t.Errorf("Parse(%s) = %s %s %s %s %v, want %s %s %s %s %v", c.file, e.Type, e.Recipient, e.MessageID, e.SendingDomain, e.Time,
					c.typ, c.recipient, c.messageID, c.domain, c.time)
			}
			if !strings.HasPrefix(e.RemoteText, c.remote) {
				t.Errorf("RemoteText = %q, want prefix %q", e.RemoteText, c.remote)
			}
			if c.reason != "" && (e.Diagnosis.Reason != c.reason || e.Diagnosis.Action != c.action) {
				t.Errorf("diagnosis = %s/%s, want %s/%s (evidence %v)", e.Diagnosis.Reason, e.Diagnosis.Action, c.reason, c.action, e.Diagnosis.Evidence)
			}
			if e.ProviderEventID == "" || string(e.Raw) == "" {
				t.Errorf("missing provider event id or raw")
			}
			// Deterministic: the same body gives the same event.
			again, _ := m.Parse(body)
			a, _ := json.Marshal(again[0])
			b, _ := json.Marshal(e)
			if string(a) != string(b) {
				t.Error("two parses differ")
			}
		})
	}
}

// The diagnosis is the classifier's own answer for the provider's fields.
func TestMailgunDiagnosisIsExplain(t *testing.T) {
	evs, err := (&Mailgun{Lang: "de"}).Parse(readTestdata(t, "mailgun/failed-permanent.json"))
	if err != nil {
		t.Fatal(err)
	}
	d := evs[0].Diagnosis
	want := maildx.Explain(d.Input, maildx.WithLang("de"), maildx.WithStatus("5.1.1"), maildx.WithFinal())
	if d.Reason != want.Reason || d.Action != want.Action || d.Title != want.Title || d.Lang != "de" {
		t.Errorf("diagnosis %s/%s %q, Explain says %s/%s %q", d.Reason, d.Action, d.Title, want.Reason, want.Action, want.Title)
	}
	if !d.HardBounce || d.Provider != "gmail" && d.Provider != "mailgun" {
		t.Errorf("hard_bounce %v provider %q", d.HardBounce, d.Provider)
	}
}

func TestMailgunIDStable(t *testing.T) {
	raw := readTestdata(t, "mailgun/failed-permanent.json")
	a, _ := (&Mailgun{}).Parse(signMailgun(t, raw, testMailgunKey, 1767225600, "t1"))
	b, _ := (&Mailgun{}).Parse(signMailgun(t, raw, testMailgunKey, 1767226600, "t2"))
	if a[0].ID != b[0].ID {
		t.Errorf("redelivered event got a new ID: %s vs %s", a[0].ID, b[0].ID)
	}
	c, _ := (&Mailgun{}).Parse(readTestdata(t, "mailgun/failed-temporary.json"))
	if c[0].ID == a[0].ID {
		t.Error("different events share an ID")
	}
}

func TestMailgunParseErrors(t *testing.T) {
	huge := `{"event-data":{"event":"failed","severity":"permanent","recipient":"` + strings.Repeat("a", 1<<16) + `@x","delivery-status":{"code":550,"message":"` + strings.Repeat("x", 1<<20) + `"}}}`
	cases := []struct {
		name   string
		body   string
		events int
		bad    bool
	}{
		{"malformed", `{"event-data":`, 0, true},
		{"not an object", `[1,2]`, 0, true},
		{"no event-data", `{"signature":{}}`, 0, true},
		{"event-data null", `{"event-data":null}`, 0, true},
		{"event-data string", `{"event-data":"x"}`, 0, true},
		{"no event", `{"event-data":{"recipient":"a@b.c"}}`, 0, true},
		{"no recipient", `{"event-data":{"event":"failed"}}`, 0, true},
		{"timestamp as object", `{"event-data":{"event":"failed","recipient":"a@b.c","timestamp":{}}}`, 0, true},
		{"accepted is skipped", string(readTestdata(t, "mailgun/accepted.json")), 0, false},
		{"unknown event skipped", `{"event-data":{"event":"stored","recipient":"a@b.c"}}`, 0, false},
		{"huge values are clipped", huge, 1, false},
		{"odd types", `{"event-data":{"event":"failed","recipient":"a@b.c","timestamp":"1767225600.5","delivery-status":{"code":"550","message":"5.1.1 user unknown"}}}`, 1, false},
		{"no delivery-status", `{"event-data":{"event":"failed","severity":"permanent","recipient":"a@b.c"}}`, 1, false},
		{"invalid utf-8", "{\"event-data\":{\"event\":\"failed\",\"recipient\":\"a\xff@b.c\",\"delivery-status\":{\"message\":\"550 \xfe\"}}}", 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs, err := (&Mailgun{}).Parse([]byte(c.body))
			var pe *PayloadError
			if c.bad != errors.As(err, &pe) || (!c.bad && err != nil) {
				t.Fatalf("Parse() error = %v, want payload error %v", err, c.bad)
			}
			if len(evs) != c.events {
				t.Fatalf("Parse() = %d events, want %d", len(evs), c.events)
			}
			checkParsed(t, evs)
			for _, e := range evs {
				if len(e.Recipient) > maxField || len(e.RemoteText) > maxText {
					t.Errorf("fields not bounded: %d, %d", len(e.Recipient), len(e.RemoteText))
				}
			}
		})
	}
}

func FuzzMailgunParse(f *testing.F) {
	seedFuzz(f, "mailgun")
	m := &Mailgun{}
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := m.Parse(body)
		if err == nil {
			checkParsed(t, evs)
		}
	})
}

func BenchmarkMailgunVerifyParse(b *testing.B) {
	raw := readTestdata(b, "mailgun/failed-permanent.json")
	const ts = 1767225600
	bodies := make([][]byte, 1024)
	for i := range bodies {
		bodies[i] = signMailgun(b, raw, testMailgunKey, ts, "token-"+strconv.Itoa(i))
	}
	m := &Mailgun{SigningKey: testMailgunKey, Tolerance: -1}
	r := newRequest(nil)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		// Tokens repeat every len(bodies) requests; by then their replay
		// entries have expired.
		now := time.Unix(ts, 0).Add(time.Duration(n/len(bodies)) * 6 * time.Minute)
		body := bodies[n%len(bodies)]
		if err := m.Verify(r, body, now); err != nil {
			b.Fatal(err)
		}
		if _, err := m.Parse(body); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

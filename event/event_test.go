package event

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seedFuzz adds every testdata file of a provider as a fuzz seed.
func seedFuzz(f *testing.F, provider string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", provider, "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no testdata for %s: %v", provider, err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{"", "null", "[]", "{}", "[{}]", `{"a":`, "[null]", `"x"`, "1e999", `[{"event":"bounce","email":""}]`} {
		f.Add([]byte(s))
	}
}

// checkParsed asserts the invariants every parsed event keeps.
func checkParsed(t *testing.T, evs []Event) {
	t.Helper()
	for _, e := range evs {
		if e.ID == "" || len(e.ID) != 32 || e.Provider == "" || e.Recipient == "" || len(e.Raw) == 0 {
			t.Fatalf("incomplete event %+v", e)
		}
		if e.Type.Diagnosed() != (e.Diagnosis != nil) {
			t.Fatalf("event type %s with diagnosis %v", e.Type, e.Diagnosis != nil)
		}
		if !e.Time.IsZero() && e.Time.Location() != time.UTC {
			t.Fatalf("time %v not UTC", e.Time)
		}
		if strings.ContainsAny(e.MessageID, "<>") {
			t.Fatalf("message id %q keeps angle brackets", e.MessageID)
		}
		if !json.Valid(e.Raw) {
			t.Fatalf("raw of %s is not JSON", e.ID)
		}
		if _, err := json.Marshal(e); err != nil {
			t.Fatalf("marshal: %v", err)
		}
	}
}

func newRequest(body []byte) *http.Request {
	return httptest.NewRequest(http.MethodPost, "/webhooks/x", strings.NewReader(string(body)))
}

func TestEventJSONNames(t *testing.T) {
	b, err := json.Marshal(Event{ID: "x", Provider: "p", ProviderEventID: "pe", Type: Bounced, Recipient: "r", MessageID: "m",
		SendingDomain: "d", RemoteText: "t", Raw: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"id", "message_id", "provider", "provider_event_id", "raw", "recipient", "remote_text", "sending_domain", "time", "type"}
	if !slices.Equal(keys, want) {
		t.Errorf("Event JSON keys = %v, want %v", keys, want)
	}
}

func TestNotConfiguredError(t *testing.T) {
	cases := []struct {
		a   Adapter
		env string
	}{
		{&Mailgun{}, EnvMailgunSigningKey},
		{&SendGrid{}, EnvSendGridPublicKey},
		{&SES{}, EnvSESTopicARNs},
		{&Postmark{User: "u"}, EnvPostmarkPassword},
		{&Generic{}, EnvAPIToken},
	}
	for _, c := range cases {
		t.Run(c.a.Provider(), func(t *testing.T) {
			err := c.a.Verify(newRequest([]byte(`{}`)), []byte(`{}`), time.Now())
			var nc *NotConfiguredError
			if !errors.Is(err, ErrNotConfigured) || !errors.As(err, &nc) || !slices.Contains(nc.Env, c.env) {
				t.Fatalf("Verify() = %v, want NotConfiguredError naming %s", err, c.env)
			}
			if !strings.Contains(err.Error(), c.env) {
				t.Errorf("error %q does not name %s", err, c.env)
			}
		})
	}
}

func TestMemoryReplayCache(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1767225600, 0)
	c := &MemoryReplayCache{Max: 10}
	if seen, _ := c.Seen(ctx, "a", now, now.Add(time.Minute)); seen {
		t.Fatal("first Seen(a) = true")
	}
	if seen, _ := c.Seen(ctx, "a", now.Add(30*time.Second), now.Add(time.Minute)); !seen {
		t.Fatal("second Seen(a) = false")
	}
	if seen, _ := c.Seen(ctx, "a", now.Add(2*time.Minute), now.Add(3*time.Minute)); seen {
		t.Fatal("Seen(a) after expiry = true")
	}
	for i := range 1000 {
		c.Seen(ctx, strings.Repeat("k", i%50+1)+string(rune('a'+i%26)), now, now.Add(time.Hour))
	}
	if len(c.keys) > 10 || len(c.order) > 10 {
		t.Fatalf("cache holds %d keys (%d in order), bound 10", len(c.keys), len(c.order))
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"<20260101.abc@shop.example>": "20260101.abc@shop.example",
		" 20260101.abc@shop.example ": "20260101.abc@shop.example",
		"<>":                          "",
	} {
		if got := NormalizeMessageID(in); got != want {
			t.Errorf("NormalizeMessageID(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"Shop <info@Shop.Example>":            "shop.example",
		"bounce+x=y@mg.shop.example":          "mg.shop.example",
		"no address":                          "",
		"\"a@b\" <info@shop.example>":         "shop.example",
		"bounce+3f.kunde=example.de@mg.a.b.c": "mg.a.b.c",
	} {
		if got := domainOf(in); got != want {
			t.Errorf("domainOf(%q) = %q, want %q", in, got, want)
		}
	}
	if got := clip("äöü", 3); got != "ä" {
		t.Errorf("clip = %q", got)
	}
	if got := clip("a\xffb", 10); got != "a\uFFFDb" {
		t.Errorf("clip(invalid) = %q", got)
	}
}

func TestReclassify(t *testing.T) {
	var all []Event
	mg, _ := (&Mailgun{}).Parse(readTestdata(t, "mailgun/failed-permanent.json"))
	sg, _ := (&SendGrid{}).Parse(readTestdata(t, "sendgrid/batch.json"))
	ses, _ := (&SES{}).Parse(readTestdata(t, "ses/bounce-permanent.json"))
	pm, _ := (&Postmark{}).Parse(readTestdata(t, "postmark/bounce-hard.json"))
	ge, _ := (&Generic{}).Parse(readTestdata(t, "generic/batch.json"))
	for _, l := range [][]Event{mg, sg, ses, pm, ge} {
		if len(l) == 0 {
			t.Fatal("a testdata file gave no events")
		}
		all = append(all, l...)
	}
	for _, e := range all {
		got, err := Reclassify(e, "de")
		if err != nil {
			t.Fatalf("Reclassify(%s %s) = %v", e.Provider, e.ID, err)
		}
		if got.ID != e.ID || got.Type != e.Type || got.Recipient != e.Recipient {
			t.Errorf("Reclassify(%s %s) = %s %s %s, want %s %s %s", e.Provider, e.ID, got.ID, got.Type, got.Recipient, e.ID, e.Type, e.Recipient)
		}
		if got.Diagnosis != nil && got.Diagnosis.Lang != "de" {
			t.Errorf("Reclassify(%s, de) lang = %q", e.ID, got.Diagnosis.Lang)
		}
	}
	if _, err := Reclassify(Event{Provider: "nope"}, "en"); err == nil {
		t.Error("Reclassify(unknown provider) = nil error")
	}
}

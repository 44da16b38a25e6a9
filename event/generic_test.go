package event

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/maildx/maildx"
)

func TestGenericVerify(t *testing.T) {
	g := &Generic{Token: "tok-0123456789abcdef"}
	cases := []struct {
		name   string
		g      *Generic
		header string
		want   error
	}{
		{"signed", g, "Bearer tok-0123456789abcdef", nil},
		{"scheme case", g, "bearer tok-0123456789abcdef", nil},
		{"unsigned", g, "", ErrBadSignature},
		{"wrong token", g, "Bearer tok-0123456789abcdeX", ErrBadSignature},
		{"prefix of token", g, "Bearer tok-0123", ErrBadSignature},
		{"basic auth", g, "Basic dG9rOng=", ErrBadSignature},
		{"no token", g, "Bearer", ErrBadSignature},
		{"not configured", &Generic{}, "Bearer x", ErrNotConfigured},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRequest(nil)
			if c.header != "" {
				r.Header.Set("Authorization", c.header)
			}
			err := c.g.Verify(r, nil, time.Now())
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("Verify() = %v, want %v", err, c.want)
			}
		})
	}
}

func TestGenericParse(t *testing.T) {
	evs, err := (&Generic{}).Parse(readTestdata(t, "generic/gmail.json"))
	if err != nil || len(evs) != 1 {
		t.Fatalf("Parse(gmail) = %v, %v", evs, err)
	}
	checkParsed(t, evs)
	e := evs[0]
	if e.Type != Bounced || e.Recipient != "kunde@example.de" || e.MessageID != "20260101.abc@app.example" || e.SendingDomain != "app.example" ||
		!e.Time.Equal(time.Date(2026, 1, 1, 0, 0, 5, 0, time.UTC)) {
		t.Errorf("Parse(gmail) = %+v", e)
	}
	// The error text is explained as it is.
	want := maildx.Explain(e.RemoteText)
	if e.Diagnosis.Reason != "userunknown" || e.Diagnosis.Reason != want.Reason || e.Diagnosis.Action != want.Action || e.Diagnosis.Input != e.RemoteText {
		t.Errorf("diagnosis %s/%s, Explain says %s/%s", e.Diagnosis.Reason, e.Diagnosis.Action, want.Reason, want.Action)
	}

	evs, err = (&Generic{Lang: "de"}).Parse(readTestdata(t, "generic/batch.json"))
	if err != nil || len(evs) != 3 {
		t.Fatalf("Parse(batch) = %d, %v", len(evs), err)
	}
	checkParsed(t, evs)
	if e := evs[0]; e.Type != Bounced || e.Diagnosis.Reason != "securityerror" || e.ProviderEventID != "send-1001" || !e.Time.Equal(time.Unix(1767225605, 0)) {
		t.Errorf("event 0 = %s %s %q %v", e.Type, e.Diagnosis.Reason, e.ProviderEventID, e.Time)
	}
	// A temporary error (nodemailer object with a 421) is a deferral.
	if e := evs[1]; e.Type != Deferred || !e.Diagnosis.Temporary || e.Diagnosis.Lang != "de" || !e.Time.Equal(time.Date(2025, 12, 31, 23, 1, 0, 0, time.UTC)) {
		t.Errorf("event 1 = %s temporary=%v lang=%s %v", e.Type, e.Diagnosis.Temporary, e.Diagnosis.Lang, e.Time)
	}
	if e := evs[2]; e.Type != Delivered || e.Diagnosis != nil {
		t.Errorf("event 2 = %s %v", e.Type, e.Diagnosis)
	}
	if evs[0].ID == evs[1].ID || evs[1].ID == evs[2].ID {
		t.Error("IDs not distinct")
	}
}

func TestGenericParseErrors(t *testing.T) {
	cases := []struct {
		name   string
		body   string
		events int
		bad    bool
	}{
		{"malformed", `{"recipient":`, 0, true},
		{"empty", ``, 0, true},
		{"empty array", `[]`, 0, true},
		{"string", `"550 user unknown"`, 0, true},
		{"no recipient", `{"error":"550 5.1.1 user unknown"}`, 0, true},
		{"no error", `{"recipient":"a@b.c"}`, 0, true},
		{"error a number", `{"recipient":"a@b.c","error":550}`, 0, true},
		{"unknown type", `{"recipient":"a@b.c","error":"x","type":"exploded"}`, 0, true},
		{"bad time", `{"recipient":"a@b.c","error":"550 5.1.1 user unknown","time":"yesterday"}`, 0, true},
		{"time out of range", `{"recipient":"a@b.c","error":"550 5.1.1 user unknown","time":1e300}`, 0, true},
		{"no time", `{"recipient":"a@b.c","error":"550 5.1.1 user unknown"}`, 1, false},
		{"complaint without error", `{"recipient":"a@b.c","type":"complained"}`, 1, false},
		{"explicit deferred", `{"recipient":"a@b.c","type":"deferred","error":"451 4.7.1 Greylisted, try again later"}`, 1, false},
		{"one bad element fails the batch", `[{"recipient":"a@b.c","error":"x"},{"error":"y"}]`, 0, true},
		{"huge error", `{"recipient":"a@b.c","error":"` + strings.Repeat("550 5.1.1 x ", 100000) + `"}`, 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs, err := (&Generic{}).Parse([]byte(c.body))
			var pe *PayloadError
			if c.bad != errors.As(err, &pe) || (!c.bad && err != nil) {
				t.Fatalf("Parse() error = %v, want payload error %v", err, c.bad)
			}
			if len(evs) != c.events {
				t.Fatalf("Parse() = %d events, want %d", len(evs), c.events)
			}
			checkParsed(t, evs)
			if c.bad && !strings.Contains(err.Error(), "generic") {
				t.Errorf("error %q does not name the provider", err)
			}
		})
	}
}

func FuzzGenericParse(f *testing.F) {
	seedFuzz(f, "generic")
	g := &Generic{}
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := g.Parse(body)
		if err == nil {
			checkParsed(t, evs)
		}
	})
}

package event

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPostmarkVerify(t *testing.T) {
	p := &Postmark{User: "maildx", Password: "s3cret-Pa55"}
	body := readTestdata(t, "postmark/bounce-hard.json")
	cases := []struct {
		name       string
		p          *Postmark
		user, pass string
		noAuth     bool
		header     string
		want       error
	}{
		{"signed", p, "maildx", "s3cret-Pa55", false, "", nil},
		{"unsigned", p, "", "", true, "", ErrBadSignature},
		{"wrong password", p, "maildx", "s3cret-Pa56", false, "", ErrBadSignature},
		{"wrong user", p, "admin", "s3cret-Pa55", false, "", ErrBadSignature},
		{"password prefix", p, "maildx", "s3cret", false, "", ErrBadSignature},
		{"empty credentials", p, "", "", false, "", ErrBadSignature},
		{"bearer instead", p, "", "", true, "Bearer s3cret-Pa55", ErrBadSignature},
		{"not configured", &Postmark{}, "maildx", "s3cret-Pa55", false, "", ErrNotConfigured},
		{"only user configured", &Postmark{User: "maildx"}, "maildx", "", false, "", ErrNotConfigured},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRequest(body)
			if !c.noAuth {
				r.SetBasicAuth(c.user, c.pass)
			}
			if c.header != "" {
				r.Header.Set("Authorization", c.header)
			}
			err := c.p.Verify(r, body, time.Now())
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("Verify() = %v, want %v", err, c.want)
			}
		})
	}
}

func TestPostmarkParse(t *testing.T) {
	cases := []struct {
		file      string
		typ       Type
		recipient string
		messageID string
		id        string
		time      time.Time
		remote    string
		reason    string
		action    string
	}{
		{"bounce-hard.json", Bounced, "kunde@example.de", "883953f4-6105-42a2-a16a-77a8eac79483", "4323372036854775807",
			time.Date(2026, 1, 1, 0, 0, 5, 123456700, time.UTC), "smtp;550 5.1.1", "userunknown", "suppress"},
		{"bounce-soft.json", Deferred, "voll@example.com", "9a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "4323372036854775808",
			time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC), "smtp;452 4.2.2", "mailboxfull", "retry"},
		{"spam-complaint.json", Complained, "genervt@example.net", "00000000-0000-0000-0000-000000000000", "42",
			time.Date(2026, 1, 2, 8, 0, 0, 0, time.UTC), "Test spam complaint details", "feedback", "suppress"},
		{"delivery.json", Delivered, "kundin@example.com", "883953f4-6105-42a2-a16a-77a8eac79484", "",
			time.Date(2026, 1, 1, 0, 0, 3, 0, time.UTC), "smtp;250 2.0.0 OK", "", ""},
		{"subscription-change.json", Unsubscribed, "leser2@example.com", "883953f4-6105-42a2-a16a-77a8eac79485", "",
			time.Date(2026, 1, 3, 10, 0, 0, 0, time.UTC), "ManualSuppression Recipient", "feedback", "suppress"},
		{"open.json", Opened, "kundin@example.com", "883953f4-6105-42a2-a16a-77a8eac79484", "", time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), "", "", ""},
		{"click.json", Clicked, "kundin@example.com", "883953f4-6105-42a2-a16a-77a8eac79484", "", time.Date(2026, 1, 1, 9, 1, 0, 0, time.UTC), "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			body := readTestdata(t, "postmark/"+c.file)
			evs, err := (&Postmark{}).Parse(body)
			if err != nil || len(evs) != 1 {
				t.Fatalf("Parse() = %d events, %v", len(evs), err)
			}
			checkParsed(t, evs)
			e := evs[0]
			if e.Type != c.typ || e.Recipient != c.recipient || e.MessageID != c.messageID || e.ProviderEventID != c.id || !e.Time.Equal(c.time) {
				t.Errorf("Parse() = %s %s %s %q %v", e.Type, e.Recipient, e.MessageID, e.ProviderEventID, e.Time)
			}
			if !strings.HasPrefix(e.RemoteText, c.remote) {
				t.Errorf("RemoteText = %q, want prefix %q", e.RemoteText, c.remote)
			}
			if c.reason != "" && (e.Diagnosis.Reason != c.reason || e.Diagnosis.Action != c.action) {
				t.Errorf("diagnosis %s/%s, want %s/%s; evidence %v", e.Diagnosis.Reason, e.Diagnosis.Action, c.reason, c.action, e.Diagnosis.Evidence)
			}
			// Postmark has no timestamp to refuse a replay by: a replayed
			// request gives the same ID and is stored once.
			again, _ := (&Postmark{}).Parse(body)
			if again[0].ID != e.ID {
				t.Error("replayed body gives another ID")
			}
		})
	}
}

func TestPostmarkParseErrors(t *testing.T) {
	cases := []struct {
		name   string
		body   string
		events int
		bad    bool
	}{
		{"malformed", `{"RecordType":`, 0, true},
		{"array", `[{"RecordType":"Bounce"}]`, 0, true},
		{"no record type", `{"Email":"a@b.c"}`, 0, true},
		{"no email", `{"RecordType":"Bounce","Type":"HardBounce"}`, 0, true},
		{"inbound skipped", `{"RecordType":"Inbound","From":"a@b.c"}`, 0, false},
		{"reactivation skipped", `{"RecordType":"SubscriptionChange","Recipient":"a@b.c","SuppressSending":false}`, 0, false},
		{"ID not a number", `{"RecordType":"Bounce","ID":"x","Type":"HardBounce","Email":"a@b.c"}`, 1, false},
		{"TypeCode odd", `{"RecordType":"Bounce","TypeCode":"1","Type":"HardBounce","Email":"a@b.c"}`, 1, false},
		{"no details", `{"RecordType":"Bounce","ID":1,"Type":"HardBounce","Email":"a@b.c","Description":"The server was unable to deliver your message"}`, 1, false},
		{"bad time", `{"RecordType":"Bounce","ID":1,"Type":"SoftBounce","Email":"a@b.c","BouncedAt":"yesterday"}`, 1, false},
		{"huge details", `{"RecordType":"Bounce","ID":1,"Type":"HardBounce","Email":"a@b.c","Details":"` + strings.Repeat("550 x ", 100000) + `"}`, 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs, err := (&Postmark{}).Parse([]byte(c.body))
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

func FuzzPostmarkParse(f *testing.F) {
	seedFuzz(f, "postmark")
	p := &Postmark{}
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := p.Parse(body)
		if err == nil {
			checkParsed(t, evs)
		}
	})
}

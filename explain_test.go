package maildx

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestDeterministic(t *testing.T) {
	cases := loadCorpusDiagnostics(t)
	run := func() []byte {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		for _, c := range cases {
			for _, lang := range []string{"en", "de"} {
				if err := enc.Encode(Explain(c.text, WithLang(lang))); err != nil {
					t.Fatal(err)
				}
			}
		}
		return b.Bytes()
	}
	first := run()
	for i := 0; i < 3; i++ {
		if !bytes.Equal(first, run()) {
			t.Fatal("the same inputs gave different output")
		}
	}
	// A fresh classifier (new automaton, new maps) must agree too.
	c := NewClassifier(defaultClassifier().kb)
	for _, cs := range cases {
		a, _ := json.Marshal(Explain(cs.text))
		b, _ := json.Marshal(c.Explain(cs.text))
		if !bytes.Equal(a, b) {
			t.Fatalf("fresh classifier differs on %q", cs.text)
		}
	}
}

// TestExplainTo holds ExplainTo to Explain's results while one Diagnosis
// is reused across texts of every shape (more and fewer codes, entries and
// evidence lines than the one before, no match at all), and checks that a
// loop over it stops allocating.
func TestExplainTo(t *testing.T) {
	texts := append(loadBenchErrors(t), "", "   ", "the weather is nice today", "550 5.1.1 user unknown")
	var d Diagnosis
	for _, lang := range []string{"en", "de"} {
		for _, text := range texts {
			want := Explain(text, WithLang(lang))
			ExplainTo(&d, text, WithLang(lang))
			if a, b := want.AppendJSON(nil), d.AppendJSON(nil); !bytes.Equal(a, b) {
				t.Fatalf("ExplainTo differs from Explain on %q:\n%s\n%s", text, b, a)
			}
		}
	}
	// Codes the classifier names from the text itself, more than the
	// input keeps in place, with options that add candidates of their own.
	many := "ECONNREFUSED ETIMEDOUT ESOCKET EAUTH EENVELOPE EMESSAGE TSS04 RP-001 0x800CCC0E 0x800CCC0F X.7.1"
	for _, opts := range [][]Option{nil, {WithCommand("DATA")}, {WithReason("blocked"), WithHTTPStatus(429)}} {
		want := Explain(many, opts...)
		ExplainTo(&d, many, opts...)
		if a, b := want.AppendJSON(nil), d.AppendJSON(nil); !bytes.Equal(a, b) {
			t.Fatalf("ExplainTo differs from Explain on %q:\n%s\n%s", many, b, a)
		}
		if len(want.Evidence) == 0 || !strings.Contains(strings.Join(want.Evidence, "\n"), "→ "+want.Entries[0].ID) {
			t.Errorf("no evidence line for the winner %s: %q", want.Entries[0].ID, want.Evidence)
		}
	}
	// The reason wins, and it was the twelfth detail the call kept.
	if d := Explain(many, WithReason("blocked")); !strings.Contains(strings.Join(d.Evidence, "\n"), "context blocked → ") {
		t.Errorf("the winning context reason is not named: %q", d.Evidence)
	}
	for _, text := range []string{
		"550 5.1.1 user unknown",
		"550-5.7.26 This mail has been blocked because the sender is unauthenticated.\r\n550 5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM. gsmtp",
		"host mx.example.com[192.0.2.1] said: 550 5.1.1 <a@b>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)",
		"421 4.3.0 Temporary System Problem. Try again later (10). d2e1a72fcca58-6c0b5e5f5a5si1234567b3.123 - gsmtp",
		"the weather is nice today",
		"",
		strings.Repeat("Delivery to the following recipient failed permanently: ", 12) + "550 5.1.1 user unknown", // longer than the stack buffer
	} {
		if n := testing.AllocsPerRun(20, func() { ExplainTo(&d, text, WithLang("de"), WithAttempt(2)) }); n != 0 {
			t.Errorf("ExplainTo allocates %.0f times per call on %q", n, text)
		}
	}
}

// TestResultSlices checks Explain's Codes, Entries and Evidence, which
// share one allocation: they do not overlap (appending to one leaves the
// others as they are), and ExplainTo reuses them like its own.
func TestResultSlices(t *testing.T) {
	// entryRefs relies on an EntryRef being exactly two strings.
	rt := reflect.TypeFor[EntryRef]()
	if rt.NumField() != 2 || rt.Field(0).Type.Kind() != reflect.String || rt.Field(1).Type.Kind() != reflect.String || rt.Size() != 2*reflect.TypeFor[string]().Size() {
		t.Fatalf("EntryRef is no longer two strings: entryRefs must change")
	}
	text := "host mx.example.com[192.0.2.1] said: 550 5.1.1 <a@b>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)"
	d := Explain(text)
	want := d.AppendJSON(nil)
	if len(d.Codes) < 2 || len(d.Entries) < 2 || len(d.Evidence) < 2 {
		t.Fatalf("want a text with several codes, entries and evidence lines: %+v", d)
	}
	if cap(d.Codes) != len(d.Codes) || cap(d.Entries) != len(d.Entries) || cap(d.Evidence) != len(d.Evidence) {
		t.Errorf("a fresh result's slices have spare capacity: codes %d/%d entries %d/%d evidence %d/%d",
			len(d.Codes), cap(d.Codes), len(d.Entries), cap(d.Entries), len(d.Evidence), cap(d.Evidence))
	}
	_ = append(d.Entries, EntryRef{ID: "x", Source: "x"})
	_ = append(d.Codes, "x")
	_ = append(d.Evidence, "x")
	if got := d.AppendJSON(nil); !bytes.Equal(got, want) {
		t.Errorf("appending to one slice changed another:\n%s\n%s", got, want)
	}
	for _, next := range []string{"550 5.7.26 unauthenticated gsmtp", text, "the weather is nice today", "ECONNREFUSED ETIMEDOUT ESOCKET EAUTH TSS04 0x800CCC0E 550 5.1.1"} {
		ExplainTo(&d, next)
		fresh := Explain(next)
		if got, want := d.AppendJSON(nil), fresh.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("ExplainTo into Explain's result differs on %q:\n%s\n%s", next, got, want)
		}
	}
}

func TestEmptyAndUnknown(t *testing.T) {
	d := Explain("   ")
	if d.Reason != "undefined" || d.Kind != KindEmpty || d.Title == "" {
		t.Errorf("empty: %+v", d)
	}
	d = Explain("the weather is nice today", WithLang("de"))
	if d.Reason != "onhold" || d.Action != "none" || d.Lang != "de" || d.Title != "Zu wenig Information" {
		t.Errorf("unknown: %+v", d)
	}
}

func TestHardBounceRule(t *testing.T) {
	for _, tt := range []struct {
		reason    string
		temporary bool
		want      bool
	}{
		{"userunknown", false, true}, {"hostunknown", true, true}, {"hasmoved", false, true},
		{"notaccept", false, true}, {"notaccept", true, false}, {"mailboxfull", false, false},
		{"blocked", false, false}, {"badreputation", false, false},
	} {
		if got := hardBounce(tt.reason, tt.temporary); got != tt.want {
			t.Errorf("hardBounce(%s, %v) = %v", tt.reason, tt.temporary, got)
		}
	}
}

func FuzzExplain(f *testing.F) {
	for _, s := range []string{
		"550 5.1.1 user unknown", "550-5.7.26 x\r\n550 5.7.26 y gsmtp", "0x800CCC0E", "X.7.26",
		`{"code":"EENVELOPE","response":"421 4.3.0 x","responseCode":421}`, "HTTP 400 {\"message\":\"x\"}",
		"HTTP/1.1 429", "[TSS04]", "5.", "555.5.5.5", "\x00\xff", "{", "[[[[", "0x", "X.", "550-",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := Explain(s)
		reused := Explain("550-5.7.26 x\r\n550 5.7.26 y gsmtp 0x800CCC0E HTTP 400 {\"message\":\"x\"}")
		ExplainTo(&reused, s)
		if a, b := d.AppendJSON(nil), reused.AppendJSON(nil); !bytes.Equal(a, b) {
			t.Fatalf("ExplainTo into a used Diagnosis differs on %q:\n%s\n%s", s, b, a)
		}
		if d.Reason == "" || d.Category == "" || d.Action == "" || d.Fault == "" || d.Title == "" {
			t.Fatalf("incomplete diagnosis for %q: %+v", s, d)
		}
		if d.HardBounce != hardBounce(d.Reason, d.Temporary) {
			t.Fatalf("hard_bounce inconsistent for %q", s)
		}
		if d.Action == "suppress" && d.Temporary {
			t.Fatalf("temporary failure suppressed for %q", s)
		}
	})
}

func TestWithCommand(t *testing.T) {
	if d := Explain("550 5.1.1 User unknown", WithCommand("DATA")); d.Reason != "filtered" || d.HardBounce {
		t.Errorf("after DATA: %s hard=%v", d.Reason, d.HardBounce)
	}
	if d := Explain("550 5.1.1 User unknown", WithCommand("rcpt")); d.Reason != "userunknown" {
		t.Errorf("at RCPT: %s", d.Reason)
	}
	if d := Explain("554 Access denied", WithCommand("CONN")); d.Reason != "blocked" {
		t.Errorf("at CONN: %s", d.Reason)
	}
}

func TestPermanentMailboxFull(t *testing.T) {
	d := Explain("552 5.2.2 <jane@example.com>: mailbox full")
	if d.Reason != "mailboxfull" || d.Temporary || d.Action != "contact-recipient" || d.HardBounce {
		t.Errorf("%s temporary=%v action=%s hard=%v", d.Reason, d.Temporary, d.Action, d.HardBounce)
	}
}

func TestWithCommandMail(t *testing.T) {
	if d := Explain("550 5.1.1 unknown user", WithCommand("MAIL")); d.Reason != "rejected" || d.HardBounce {
		t.Errorf("at MAIL: %s hard=%v", d.Reason, d.HardBounce)
	}
}

// TestProviderOwnEntry: where two providers word an error alike, the text
// of the provider that sent it explains it. Gmail's and Yahoo's 5.7.26 and
// 5.7.9 texts share "blocked because the sender is unauthenticated", and a
// Gmail text once got Yahoo's explanation, as Yahoo's own "temporarily
// deferred" [GL01] got SendGrid's; a phrase match inside a longer
// word does not count either (SubmissionQuotaExceededException is the
// sender's quota, not a full mailbox).
func TestProviderOwnEntry(t *testing.T) {
	for _, c := range []struct{ text, entry string }{
		{"550-5.7.26 This mail has been blocked because the sender is unauthenticated.\n550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.\n550 5.7.26 https://support.google.com/mail/answer/81126#authentication a1b2 - gsmtp", "gmail-550-5.7.26-unauthenticated"},
		{"550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders to authenticate with either SPF or DKIM.", "yahoo-550-5.7.9-unauthenticated"},
		{"421 4.7.0 [GL01] Message from (203.0.113.169) temporarily deferred - 4.16.50. Please refer to https://postmaster.yahooinc.com/error-codes", "yahoo-421-gl01-4.16.50-complaints"},
		{"554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception", "microsoft-5.2.2-submission-quota-exceeded"},
		{"554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded", "microsoft-5.2.2-mailbox-full"},
	} {
		d := Explain(c.text)
		if len(d.Entries) == 0 || d.Entries[0].ID != c.entry {
			t.Errorf("%q: entries %v, want %s first", c.text, d.Entries, c.entry)
		}
	}
}

// TestCompoundFragments holds the rule for match fragments in parts
// ("empfänger … unbekannt"): the parts in order, each within maxGap bytes
// of the one before.
func TestCompoundFragments(t *testing.T) {
	gap := func(n int) string { return strings.Repeat("x", n) }
	for _, tt := range []struct {
		text string
		want string
	}{
		{"Die Nachricht konnte nicht zugestellt werden: Empfänger bob@example.com unbekannt", "userunknown"},
		{"Die Domäne mail.example.com existiert nicht.", "hostunknown"},
		{"Empfänger " + gap(maxGap-2) + " unbekannt", "userunknown"},          // 100 bytes between the parts
		{"Empfänger " + gap(maxGap-1) + " unbekannt", "onhold"},               // 101: too far apart
		{"unbekannt: Empfänger bob@example.com", "onhold"},                    // wrong order
		{"Empfänger a@b.example, Domäne c.example existiert nicht", "onhold"}, // the parts of two compounds mixed
	} {
		if d := Explain(tt.text); d.Reason != tt.want {
			t.Errorf("%.60q: %s, want %s (%v)", tt.text, d.Reason, tt.want, d.Evidence)
		}
	}
}

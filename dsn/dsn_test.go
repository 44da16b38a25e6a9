package dsn

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const postfixBounce = `Return-Path: <>
From: MAILER-DAEMON@example.com (Mail Delivery System)
To: sender@example.org
Subject: Undelivered Mail Returned to Sender
Date: Thu, 22 Feb 2024 20:50:02 +0100
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain; charset=us-ascii

<jane@example.net>: host mx.example.net[192.0.2.4] said: 550 5.1.1
    <jane@example.net>: Recipient address rejected: User unknown in virtual
    mailbox table (in reply to RCPT TO command)

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.example.com
Arrival-Date: Thu, 22 Feb 2024 20:50:00 +0100

Final-Recipient: rfc822; jane@example.net
Original-Recipient: rfc822;jane@example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550 5.1.1 <jane@example.net>: Recipient address
    rejected: User unknown in virtual mailbox table

Final-Recipient: rfc822; full@example.net
Action: delayed
Status: 4.2.2
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full

--B
Content-Type: message/rfc822

Message-ID: <abc@example.org>
From: Sender <sender@example.org>
To: jane@example.net
Subject: Hello

Hi
--B--
`

func TestParseRFC3464(t *testing.T) {
	res, err := Parse([]byte(postfixBounce), Options{File: "x.eml"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("want 2 results, got %d", len(res))
	}
	r := res[0]
	if r.Recipient != "jane@example.net" || r.Reason != "userunknown" || !r.HardBounce || r.DSNAction != "failed" ||
		r.ReportingMTA != "mail.example.com" || r.RemoteMTA != "mx.example.net" || r.Command != "RCPT" ||
		r.MessageID != "<abc@example.org>" || r.Subject != "Hello" || r.File != "x.eml" || r.DecodedBy != "rfc3464" {
		t.Errorf("first result: %+v", r)
	}
	if d := res[1]; d.Reason != "mailboxfull" || !d.Temporary || d.Action != "retry" {
		t.Errorf("delayed result: reason %s temporary %v action %s", d.Reason, d.Temporary, d.Action)
	}
}

// TestLineEndings: LF, CRLF and bare CR give the same results.
func TestLineEndings(t *testing.T) {
	lf := []byte(postfixBounce)
	want, _ := json.Marshal(mustParse(t, lf))
	for name, data := range map[string][]byte{
		"crlf": bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n")),
		"cr":   bytes.ReplaceAll(lf, []byte("\n"), []byte("\r")),
	} {
		got, _ := json.Marshal(mustParse(t, data))
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs:\n%s\nwant\n%s", name, got, want)
		}
	}
}

func mustParse(t *testing.T, b []byte) []Result {
	t.Helper()
	res, err := Parse(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestNotAMessage(t *testing.T) {
	for _, in := range []string{"", "just some text without header", "\x00\x01\x02"} {
		res, err := Parse([]byte(in), Options{})
		if err == nil && len(res) > 0 {
			t.Errorf("%q: got results", in)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(postfixBounce))
	files, _ := filepath.Glob("testdata/set-of-emails/maildir/*.eml")
	for i, p := range files {
		if i%20 == 0 {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		res, _ := Parse(b, Options{})
		for _, r := range res {
			if r.Reason == "" || r.DecodedBy == "" {
				t.Fatalf("incomplete result %+v", r)
			}
		}
	})
}

func TestHelpAddress(t *testing.T) {
	for _, c := range []struct {
		text string
		want bool
	}{
		{"For further assistance, please contact <support@example.net>", true},
		{"If you need help, contact postmaster@example.net", true},
		{"Please contact: helpdesk@example.net", true},
		{"Could not contact <user@example.net>: connection refused", false},
		{"<user@example.net>: host said: 550 unknown user; please contact your administrator", false},
		{"user@example.net", false},
	} {
		at := strings.IndexByte(c.text, '@')
		at = strings.LastIndexAny(c.text[:at], " <:") + 1
		if got := helpAddress(c.text, at); got != c.want {
			t.Errorf("helpAddress(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}

func TestNotARecipient(t *testing.T) {
	for _, c := range []struct {
		text string
		want bool
	}{
		{"Message-Id: <0AE85451-E088@example.jp>", true},
		{"\tfor <shironeko@example.co.jp>; Thu, 29 Apr 2009 23:34:45 +0900", true},
		{"by mx.example.net (Postfix) with ESMTP id 1 for user@example.net; Mon, 1 Jan 2024", true},
		{"<user@example.net>: 550 unknown user", false},
		{"Delivery to the following recipient failed: user@example.net", false},
	} {
		at := strings.IndexByte(c.text, '@')
		at = strings.LastIndexAny(c.text[:at], " <:") + 1
		end := at + strings.IndexAny(c.text[at:]+" ", ">; ")
		if got := onHeaderLine(c.text, at) || receivedFor(c.text, []int{at, end}); got != c.want {
			t.Errorf("%q: not a recipient = %v, want %v", c.text, got, c.want)
		}
	}
}

func TestDisplayName(t *testing.T) {
	for _, c := range []struct {
		text string
		want bool
	}{
		{"a@example.com <b@example.net>: malformed address", true},
		{">>> a@example.org <a@example.org>", false}, // one address, twice
		{"a@example.com: 550 user unknown", false},
		{"a@example.com <b@example.net and more", false},
	} {
		loc := findAddrs(c.text, 1)[0]
		if got := displayName(c.text, loc); got != c.want {
			t.Errorf("displayName(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}

func TestMailAddress(t *testing.T) {
	for a, want := range map[string]bool{
		"user@example.net":                true,
		"nyaan%gol.com@q002.example.com":  true,
		"@mx.example.org":                 false,
		"user@":                           false,
		"/mail/spool/example.com/n2.user": false,
		"|/usr/bin/procmail":              false,
		"localuser":                       false,
	} {
		if got := mailAddress(a); got != want {
			t.Errorf("mailAddress(%q) = %v, want %v", a, got, want)
		}
	}
}

func TestSenderDomainRefused(t *testing.T) {
	bounce := func(sender string) []byte {
		return []byte("Return-path: <>\nFrom: Mail Delivery System <Mailer-Daemon@mx.example.org>\nTo: " + sender +
			"\nSubject: Mail delivery failed: returning message to sender\n\n" +
			"A message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n" +
			"  kijitora@example.net\n    host mx.example.net [192.0.2.222]\n    SMTP error from remote mail server after end of data:\n    553 neko.example.com does not exist\n")
	}
	for sender, want := range map[string]string{
		"sironeko@neko.example.com": "rejected", // the sender's domain
		"sironeko@other.example.jp": "onhold",   // some other domain: nothing to go on
	} {
		res, err := Parse(bounce(sender), Options{})
		if err != nil || len(res) != 1 {
			t.Fatalf("%s: %v, %d results", sender, err, len(res))
		}
		if res[0].Recipient != "kijitora@example.net" || res[0].Reason != want {
			t.Errorf("%s: got %s %s, want kijitora@example.net %s", sender, res[0].Recipient, res[0].Reason, want)
		}
	}
}

package maildx

import (
	"fmt"
	"strings"
	"testing"

	"github.com/maildx/maildx/internal/strtab"
)

func TestScanCodes(t *testing.T) {
	tests := []struct {
		in     string
		reply  int
		status string
		hex    string
		name   string
	}{
		{"550 5.1.1 <a@example.com>: Recipient address rejected: User unknown", 550, "5.1.1", "", ""},
		{"550-5.1.1 The email account that you tried to reach does not exist.\r\n550 5.1.1 https://support.google.com/mail/?p=NoSuchUser gsmtp", 550, "5.1.1", "", ""},
		{"host mx.example.com[192.0.2.1] said: 451 4.7.1 Greylisted (in reply to RCPT TO command)", 451, "4.7.1", "", ""},
		{"452", 452, "", "", ""},
		{"5.7.26", 0, "5.7.26", "", ""},
		{"X.2.2", 0, "X.2.2", "", ""},
		{"x.2.2", 0, "X.2.2", "", ""},
		// The registry form after lower-case words, found from its digit.
		{"mailbox quota exceeded x.2.2 for box", 0, "X.2.2", "", ""},
		{"the box ax.7.1 is a word", 0, "", "", ""},
		{"550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP", 550, "5.7.708", "", ""},
		{"4.7.500 Server busy, please try again later", 0, "4.7.500", "", ""},
		// IP addresses, versions, dates, times, ports and ids are not codes.
		{"connect ECONNREFUSED 192.0.2.1:25", 0, "", "", "ECONNREFUSED"},
		{"Postfix 3.5.1 on 10.4.4.2 at 2024-05-01 12:30:45", 0, "", "", ""},
		{"server v5.1.1 released", 0, "", "", ""},
		{"Message-ID: <550.4.2.2@example.com>", 0, "", "", ""},
		{"delay=550, 1.2.3", 0, "", "", ""},
		{"we sent 550 messages today", 0, "", "", ""},
		{"queue id 4.2.2.1 waiting", 0, "", "", ""},
		{"version 2.0.0-beta", 0, "", "", ""},
		// Client codes anywhere in a message.
		{"Der Server wurde nicht gefunden. Konto: 'Max', Server: 'smtp.example.com', Protokoll: SMTP, Port: 25, Secure (SSL): Nein, Socketfehler: 11001, Fehlernummer: 0x800CCC0E", 0, "", "0x800CCC0E", ""},
		{"error 0x800ccc0e while sending", 0, "", "0x800CCC0E", ""},
		{"421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred", 421, "4.7.0", "", "TSS04"},
		{"Diagnostic-Code: smtp; 550 5.2.2 mailbox full", 550, "5.2.2", "", ""},
		{"Error: Invalid login: 535-5.7.8 Username and Password not accepted.", 535, "5.7.8", "", ""},
		{"#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##", 550, "5.1.1", "", "RESOLVER.ADR.RecipNotFound"},
	}
	for _, tt := range tests {
		in := parseInput(tt.in, nil)
		if in.reply != tt.reply || in.status != tt.status {
			t.Errorf("%q: reply %d status %q; want %d %q", tt.in, in.reply, in.status, tt.reply, tt.status)
		}
		if tt.hex != "" && (len(in.hex.list()) == 0 || in.hex.list()[0] != tt.hex) {
			t.Errorf("%q: hex %v; want %s", tt.in, in.hex.list(), tt.hex)
		}
		if tt.hex == "" && len(in.hex.list()) > 0 {
			t.Errorf("%q: unexpected hex %v", tt.in, in.hex.list())
		}
		if tt.name != "" && !contains(in.names.list(), tt.name) {
			t.Errorf("%q: names %v lack %s", tt.in, in.names.list(), tt.name)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestNormalizeJoinsContinuationLines(t *testing.T) {
	in := "550-5.1.1 The email account that you tried to reach does\r\n550-5.1.1 not exist. Please try double-checking\r\n550 5.1.1 the recipient's email address for typos. gsmtp"
	got := string(parseInput(in, nil).norm)
	want := "the email account that you tried to reach does not exist. please try double-checking the recipients email address for typos. gsmtp"
	if got != want {
		t.Errorf("norm = %q\nwant  %q", got, want)
	}
}

func TestReadJSON(t *testing.T) {
	in := parseInput(`{"code":"EENVELOPE","response":"421 4.3.0 Temporary System Problem. Try again later ... gsmtp","responseCode":421,"command":"RCPT TO"}`, nil)
	if in.jsonCode != "EENVELOPE" || in.jsonCommand != "RCPT TO" || in.reply != 421 || in.status != "4.3.0" {
		t.Errorf("nodemailer JSON: %+v", in)
	}
	in = parseInput(`HTTP 400 {"message": "'from' parameter is missing"}`, nil)
	if in.httpStatus != 400 || !strings.Contains(string(in.norm), "parameter is missing") || in.reply != 0 {
		t.Errorf("Mailgun JSON: %+v", in)
	}
	in = parseInput(`{"errors":[{"message":"The from address does not match a verified Sender Identity.","field":"from"}]}`, nil)
	if !strings.Contains(string(in.norm), "verified sender identity") {
		t.Errorf("SendGrid JSON: %+v", in)
	}
	in = parseInput(`{not json`, nil)
	if string(in.norm) != "{not json" {
		t.Errorf("broken JSON must be read as text: %q", in.norm)
	}
}

// TestShaped holds the one-pass shape test to codeShaped.
func TestShaped(t *testing.T) {
	for _, tok := range []string{"TSS04", "S3150", "RP-001", "EENVELOPE", "MessageRejected", "HardBounce", "RESOLVER.ADR.RecipNotFound",
		"Content", "Invalid", "mailbox", "a.b.c", "Ab.c", "aB", "AB", "x-y_z", "Resolver.adr", "iPhone", "ABc", "A_b", "Ab-Cd"} {
		j, seen, ups := tokenEnd(tok, 0, 0, 0)
		if j != len(tok) {
			t.Fatalf("%q: token ends at %d", tok, j)
		}
		if got, want := shaped(seen, ups, tok), codeShaped(tok); got != want {
			t.Errorf("%q: shaped %v, codeShaped %v", tok, got, want)
		}
	}
}

// TestKeepDetails: a call keeps any number of details, the first four in
// place and the rest beyond, and gives each back by its number.
func TestKeepDetails(t *testing.T) {
	var in input
	var nums []int32
	for i := range 10 {
		nums = append(nums, in.keep(fmt.Sprint("code", i)))
	}
	for i, n := range nums {
		if n >= 0 {
			t.Fatalf("detail %d numbered %d, want below 0 (strs numbers are not)", i, n)
		}
		if got, want := in.kept(n), fmt.Sprint("code", i); got != want {
			t.Errorf("kept(%d) = %q, want %q", n, got, want)
		}
	}
}

// parseInput extracts codes and the normalized text, as the classifier
// does on its stack (a test helper). It never fails: a
// text it cannot read yields an input with no codes.
//
// known reports whether a code-shaped token names a knowledge-base code;
// only those are kept, so ordinary texts allocate nothing for names.
func parseInput(text string, known *strtab.Table) *input {
	in := &input{}
	in.norm = normalize(in.parse(text, known))
	return in
}

// codeShaped, the oracle of shaped, reports tokens that look like a vendor or library code rather
// than a word: they contain a digit (TSS04, S3150, RP-001), are all
// upper-case (EENVELOPE), are CamelCase identifiers (MessageRejected,
// HardBounce) or dotted identifiers with capitals
// (RESOLVER.ADR.RecipNotFound). "Content" or "Invalid" are words.
func codeShaped(s string) bool {
	upper, lower, digit, dot := false, false, false, false
	uppers := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'A' && c <= 'Z':
			upper = true
			uppers++
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= '0' && c <= '9':
			digit = true
		case c == '.':
			dot = true
		}
	}
	return digit || upper && !lower || upper && dot || uppers >= 2 && s[0] >= 'A' && s[0] <= 'Z'
}

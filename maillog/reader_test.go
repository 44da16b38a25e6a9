package maillog

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var ref2025 = time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)

// run feeds lines to a new Reader (UTC, reference 2025-01-02) and returns
// the outcomes.
func run(t *testing.T, opt Options, lines ...string) ([]Outcome, *Reader) {
	t.Helper()
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	r := NewReader(opt)
	r.SetSource("test", ref2025)
	var out []Outcome
	err := r.Read(context.Background(), strings.NewReader(strings.Join(lines, "\n")+"\n"), func(o Outcome) error {
		out = append(out, o)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, r
}

// brief is the part of an Outcome the line-shape tests compare.
type brief struct {
	MTA, QueueID, Sender, Rcpt, Orig, Host, IP, Status, DSN string
	Reply                                                   int
	Text, Command                                           string
}

func short(o Outcome) brief {
	return brief{o.MTA, o.QueueID, o.Sender, o.Recipient, o.OrigRecipient, o.RelayHost, o.RelayIP, string(o.Status), o.DSN, o.ReplyCode, o.Text, o.Command}
}

func TestLineShapes(t *testing.T) {
	tests := []struct {
		name string
		line string
		want brief
	}{
		{"postfix 2.x smtp bounced",
			`Mar  3 10:00:00 mx postfix/smtp[1]: 3F2A81C0123: to=<a@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.1] said: 550 5.1.1 <a@example.net>: User unknown (in reply to RCPT TO command))`,
			brief{"postfix", "3F2A81C0123", "", "a@example.net", "", "mx.example.net", "192.0.2.1", "bounced", "5.1.1", 550, "550 5.1.1 <a@example.net>: User unknown", "RCPT TO"}},
		{"postfix 3.x long queue id, conn_use, orig_to",
			`2024-06-01T08:00:00+02:00 mx postfix/smtp[1]: 4Vx2Lq6Y1Jz9tX: to=<b@example.net>, orig_to=<alias@example.org>, relay=mx.example.net[2001:db8::25]:25, conn_use=2, delay=0.3, delays=0/0/0.1/0.2, dsn=4.2.1, status=deferred (host mx.example.net[2001:db8::25] said: 450 4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered. (in reply to RCPT TO command))`,
			brief{"postfix", "4Vx2Lq6Y1Jz9tX", "", "b@example.net", "alias@example.org", "mx.example.net", "2001:db8::25", "deferred", "4.2.1", 450, "450 4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.", "RCPT TO"}},
		{"postfix relay=none connect failure",
			`Mar  3 10:00:00 mx postfix/smtp[1]: AB12345: to=<c@example.org>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.example.org[192.0.2.9]:25: Connection refused)`,
			brief{"postfix", "AB12345", "", "c@example.org", "", "mx.example.org", "192.0.2.9", "deferred", "4.4.1", 0, "connect to mx.example.org[192.0.2.9]:25: Connection refused", ""}},
		{"postfix sent",
			`Mar  3 10:00:00 mx postfix/smtp[1]: AB12345: to=<d@example.org>, relay=mx.example.org[192.0.2.9]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 123)`,
			brief{"postfix", "AB12345", "", "d@example.org", "", "mx.example.org", "192.0.2.9", "sent", "2.0.0", 250, "250 2.0.0 Ok: queued as 123", ""}},
		{"postfix soft_bounce",
			`Mar  3 10:00:00 mx postfix/smtp[1]: AB12345: to=<e@example.org>, relay=mx.example.org[192.0.2.9]:25, delay=1, dsn=5.1.1, status=SOFTBOUNCE (host mx.example.org[192.0.2.9] said: 550 5.1.1 unknown (in reply to RCPT TO command))`,
			brief{"postfix", "AB12345", "", "e@example.org", "", "mx.example.org", "192.0.2.9", "deferred", "5.1.1", 550, "550 5.1.1 unknown", "RCPT TO"}},
		{"postfix NOQUEUE smtpd",
			`Mar  3 10:00:00 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.5]: 550 5.7.1 <f@example.com>: Recipient address rejected: Access denied; from=<s@example.biz> to=<f@example.com> proto=ESMTP helo=<x>`,
			brief{"postfix", "", "s@example.biz", "f@example.com", "", "", "192.0.2.5", "rejected", "5.7.1", 550, "550 5.7.1 <f@example.com>: Recipient address rejected: Access denied", "RCPT TO"}},
		{"postfix NOQUEUE MAIL stage, null sender",
			`Mar  3 10:00:00 mx postfix/smtpd[1]: NOQUEUE: reject: MAIL from client.example.net[192.0.2.6]: 452 4.3.1 Insufficient system storage; from=<> proto=ESMTP helo=<client.example.net>`,
			brief{"postfix", "", "", "", "", "client.example.net", "192.0.2.6", "rejected", "4.3.1", 452, "452 4.3.1 Insufficient system storage", "MAIL FROM"}},
		{"exim fail",
			`2025-02-03 10:00:03 1tf2Ab-000Xyz-1a ** sam@example.net R=dnslookup T=remote_smtp H=mx.example.net [198.51.100.20]:25 X=TLS1.3:x:256 CV=yes: SMTP error from remote mail server after pipelined RCPT TO:<sam@example.net>: 550 5.1.1 unknown user`,
			brief{"exim", "1tf2Ab-000Xyz-1a", "", "sam@example.net", "", "mx.example.net", "198.51.100.20", "bounced", "5.1.1", 550, "550 5.1.1 unknown user", "RCPT TO"}},
		{"exim 4.97 id, defer after MAIL FROM",
			`2025-02-03 10:00:03.123 +0100 1tf2Ab-000000004Xy-2KAB == t@example.org R=dnslookup T=remote_smtp defer (-46) H=mx.example.org [203.0.113.80]: SMTP error from remote mail server after MAIL FROM:<n@example.com> SIZE=1234: 421 4.7.0 Try again later`,
			brief{"exim", "1tf2Ab-000000004Xy-2KAB", "", "t@example.org", "", "mx.example.org", "203.0.113.80", "deferred", "4.7.0", 421, "421 4.7.0 Try again later", "MAIL FROM"}},
		{"exim via syslog",
			`Feb  3 10:00:03 mx exim[77]: 2025-02-03 10:00:03 1tf2Ab-000Xyz-1a ** u@nowhere.example: Unrouteable address`,
			brief{"exim", "1tf2Ab-000Xyz-1a", "", "u@nowhere.example", "", "", "", "bounced", "", 0, "Unrouteable address", ""}},
		{"exim reject",
			`2025-02-03 10:11:00 H=(helo.example) [192.0.2.88]:50212 I=[203.0.113.9]:25 F=<o@example.biz> rejected RCPT <v@example.com>: relay not permitted`,
			brief{"exim", "", "o@example.biz", "v@example.com", "", "", "192.0.2.88", "rejected", "", 0, "relay not permitted", "RCPT TO"}},
		{"sendmail bounced",
			`Jun 12 08:01:03 gw sm-mta[4003]: 55C811a1004001: to=<cody@example.com>, delay=00:00:02, xdelay=00:00:01, mailer=esmtp, pri=152048, relay=mx.example.com. [198.51.100.70], dsn=5.1.1, stat=User unknown`,
			brief{"sendmail", "55C811a1004001", "", "cody@example.com", "", "mx.example.com", "198.51.100.70", "bounced", "5.1.1", 0, "User unknown", ""}},
		{"sendmail deferred with reply",
			`Jun 12 08:04:00 gw sendmail[4012]: 55C814a0004012: to=fred@example.de, delay=00:00:03, mailer=esmtp, pri=120385, relay=mx.example.de. [192.0.2.44], dsn=4.7.1, stat=Deferred: 421 4.7.1 Service not available`,
			brief{"sendmail", "55C814a0004012", "", "fred@example.de", "", "mx.example.de", "192.0.2.44", "deferred", "4.7.1", 421, "421 4.7.1 Service not available", ""}},
		{"sendmail ruleset reject",
			`Jun 12 08:03:00 gw sm-mta[4011]: 55C813a0004011: ruleset=check_rcpt, arg1=<eve@example.net>, relay=client.example [192.0.2.120], reject=550 5.7.1 <eve@example.net>... Relaying denied`,
			brief{"sendmail", "55C813a0004011", "", "eve@example.net", "", "client.example", "192.0.2.120", "rejected", "5.7.1", 550, "550 5.7.1 <eve@example.net>... Relaying denied", "RCPT TO"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, r := run(t, Options{}, tt.line)
			if len(out) != 1 {
				t.Fatalf("%d outcomes, want 1 (stats %+v)", len(out), r.Stats())
			}
			if got := short(out[0]); got != tt.want {
				t.Errorf("Line(%q)\n got %+v\nwant %+v", tt.line, got, tt.want)
			}
			if out[0].Diagnosis == nil || out[0].Diagnosis.Reason == "" {
				t.Errorf("no diagnosis: %+v", out[0])
			}
		})
	}
}

// TestJoinInterleaved checks that the queue-id join keeps interleaved
// messages apart and counts attempts per recipient.
func TestJoinInterleaved(t *testing.T) {
	out, r := run(t, Options{},
		`Mar  3 10:00:00 mx postfix/qmgr[1]: AAAAA1: from=<one@example.org>, size=1, nrcpt=1 (queue active)`,
		`Mar  3 10:00:00 mx postfix/qmgr[1]: BBBBB2: from=<two@example.org>, size=1, nrcpt=1 (queue active)`,
		`Mar  3 10:00:01 mx postfix/smtp[2]: BBBBB2: to=<x@example.net>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to mx.example.net[192.0.2.1]:25: Connection timed out)`,
		`Mar  3 10:00:01 mx postfix/smtp[3]: AAAAA1: to=<x@example.net>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to mx.example.net[192.0.2.1]:25: Connection timed out)`,
		`Mar  3 11:00:01 mx postfix/smtp[2]: BBBBB2: to=<x@example.net>, relay=none, delay=3601, dsn=4.4.1, status=deferred (connect to mx.example.net[192.0.2.1]:25: Connection timed out)`,
		`Mar  3 11:00:02 mx postfix/qmgr[1]: AAAAA1: removed`,
		`Mar  3 12:00:01 mx postfix/smtp[2]: BBBBB2: to=<x@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=7201, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.1] said: 550 5.1.1 no such user (in reply to RCPT TO command))`,
		`Mar  3 12:00:02 mx postfix/qmgr[1]: BBBBB2: removed`,
	)
	type sa struct {
		id, sender string
		n          int
	}
	var got []sa
	for _, o := range out {
		got = append(got, sa{o.QueueID, o.Sender, o.Attempts})
	}
	want := []sa{{"BBBBB2", "two@example.org", 1}, {"AAAAA1", "one@example.org", 1}, {"BBBBB2", "two@example.org", 2}, {"BBBBB2", "two@example.org", 3}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if st := r.Stats(); st.Open != 0 || st.Outcomes != 4 {
		t.Errorf("stats %+v, want 0 open, 4 outcomes", st)
	}
	if out[3].Diagnosis.Reason != "userunknown" || !out[3].Diagnosis.HardBounce {
		t.Errorf("final bounce diagnosed %s hard=%v", out[3].Diagnosis.Reason, out[3].Diagnosis.HardBounce)
	}
}

// TestNewYear: classic timestamps take the reference's year, or the year
// before when they would lie after it.
func TestNewYear(t *testing.T) {
	out, _ := run(t, Options{},
		`Dec 31 23:59:59 mx postfix/smtp[1]: AAAAA1: to=<x@example.net>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to mx.example.net[192.0.2.1]:25: Connection timed out)`,
		`Jan  1 00:00:01 mx postfix/smtp[1]: AAAAA1: to=<x@example.net>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to mx.example.net[192.0.2.1]:25: Connection timed out)`,
		`Jan  1 01:00:00 mx postfix/qmgr[1]: AAAAA1: from=<s@example.org>, status=expired, returned to sender`,
	)
	want := []time.Time{
		time.Date(2024, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2025, 1, 1, 0, 0, 1, 0, time.UTC),
		time.Date(2025, 1, 1, 1, 0, 0, 0, time.UTC),
	}
	if len(out) != 3 {
		t.Fatalf("%d outcomes, want 3", len(out))
	}
	for i, o := range out {
		if !o.Time.Equal(want[i]) {
			t.Errorf("outcome %d: time %v, want %v", i, o.Time, want[i])
		}
	}
	if e := out[2]; e.Status != StatusExpired || e.Recipient != "x@example.net" || e.Attempts != 2 || e.Sender != "s@example.org" || !strings.Contains(e.Text, "Connection timed out") {
		t.Errorf("expired outcome %+v", short(e))
	}
	if d := out[2].Diagnosis; d.Temporary {
		t.Errorf("expired diagnosed as temporary: %+v", d)
	}
}

func TestInstances(t *testing.T) {
	out, _ := run(t, Options{},
		`Mar  3 10:00:00 mx postfix-out/qmgr[1]: CCCCC3: from=<bulk@example.org>, size=1, nrcpt=1 (queue active)`,
		`Mar  3 10:00:01 mx postfix-out/smtp[2]: CCCCC3: to=<x@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, dsn=5.7.1, status=bounced (host mx.example.net[192.0.2.1] said: 554 5.7.1 rejected (in reply to end of DATA command))`,
		`Mar  3 10:00:02 mx postfix/submission/smtpd[3]: NOQUEUE: reject: RCPT from laptop.example.org[203.0.113.40]: 554 5.7.1 <y@example.net>: Relay access denied; from=<u@example.org> to=<y@example.net> proto=ESMTP helo=<laptop>`,
	)
	if len(out) != 2 || out[0].Instance != "postfix-out" || out[0].Transport != "smtp" || out[0].Sender != "bulk@example.org" || out[1].Instance != "postfix/submission" {
		t.Fatalf("got %+v", out)
	}
}

func TestNotUnderstoodCounted(t *testing.T) {
	out, r := run(t, Options{},
		``,
		`garbage`,
		`Mar 33 10:00:00 mx postfix/smtp[1]: AB12345: to=<x@y>, status=sent (ok)`,
		`Mar  3 10:00:00 mx postfix/smtp[1]: AB12345: to=<x@y>, relay=x, status=`,
		`Mar  3 10:00:00 mx postfix/smtp[1]: AB12345: to=<x@y, relay`,
		`2025-13-01T00:00:00Z mx postfix/smtp[1]: AB12345: to=<x@y>, status=sent (ok)`,
		`Mar  3 10:00:00 mx postfix/smtpd[1]: connect from a[192.0.2.1]`,
		`Mar  3 10:00:00 mx dovecot: imap(bob): Logged out`,
		`2025-03-03 10:00:00 Start queue run: pid=1`,
	)
	st := r.Stats()
	if len(out) != 0 || st.Lines != 9 || st.NotUnderstood != 5 || st.Other != 4 {
		t.Errorf("outcomes %d, stats %+v; want 0 outcomes, 9 lines, 5 not understood, 4 other", len(out), st)
	}
}

func TestEviction(t *testing.T) {
	var lines []string
	for i := range 10 {
		lines = append(lines, fmt.Sprintf(`Mar  3 10:00:00 mx postfix/qmgr[1]: AAAA%03d: from=<s%d@example.org>, size=1, nrcpt=1 (queue active)`, i, i))
	}
	lines = append(lines,
		`Mar  3 10:00:01 mx postfix/smtp[2]: AAAA000: to=<x@example.net>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to mx.example.net[192.0.2.1]:25: Connection refused)`,
		`Mar  3 10:00:01 mx postfix/smtp[2]: AAAA009: to=<x@example.net>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to mx.example.net[192.0.2.1]:25: Connection refused)`)
	out, r := run(t, Options{MaxOpen: 4}, lines...)
	st := r.Stats()
	if st.Open > 4 || st.Evicted != 7 {
		t.Errorf("stats %+v, want at most 4 open and 7 evicted", st)
	}
	if len(out) != 2 || out[0].Sender != "" || out[1].Sender != "s9@example.org" {
		t.Errorf("evicted message must still yield its outcome without sender: %+v", out)
	}
}

func TestKeepSkipsDiagnosis(t *testing.T) {
	kept := 0
	out, r := run(t, Options{Keep: func(o *Outcome) bool {
		if o.Diagnosis != nil {
			t.Error("Keep called after diagnosis")
		}
		kept++
		return o.Status != StatusSent
	}},
		`Mar  3 10:00:00 mx postfix/smtp[1]: AB12345: to=<d@example.org>, relay=mx.example.org[192.0.2.9]:25, delay=1, dsn=2.0.0, status=sent (250 ok)`,
		`Mar  3 10:00:00 mx postfix/smtp[1]: AB12345: to=<e@example.org>, relay=mx.example.org[192.0.2.9]:25, delay=1, dsn=5.1.1, status=bounced (550 no)`)
	if kept != 2 || len(out) != 1 || r.Stats().Outcomes != 2 {
		t.Errorf("kept %d, out %d, stats %+v", kept, len(out), r.Stats())
	}
}

func TestGzipAndOrder(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string, gz bool) string {
		p := filepath.Join(dir, name)
		var b bytes.Buffer
		if gz {
			zw := gzip.NewWriter(&b)
			zw.Write([]byte(text))
			zw.Close()
		} else {
			b.WriteString(text)
		}
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, ref2025, ref2025)
		return p
	}
	// The from= line is in the oldest file, the delivery in the live one.
	p2 := write("mail.log.2.gz", "Jan  1 09:00:00 mx postfix/qmgr[1]: DDDDD4: from=<old@example.org>, size=1, nrcpt=1 (queue active)\n", true)
	p1 := write("mail.log.1", "Jan  1 10:00:00 mx postfix/smtp[1]: DDDDD4: to=<x@example.net>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to mx.example.net[192.0.2.1]:25: Connection refused)\n", false)
	p0 := write("mail.log", "Jan  1 11:00:00 mx postfix/smtp[1]: DDDDD4: to=<x@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.1] said: 550 5.1.1 unknown (in reply to RCPT TO command))", false)
	p10 := write("mail.log.10.gz", "", true)
	files := SortFiles([]string{p0, p1, "-", p2, p10})
	want := []string{p10, p2, p1, p0, "-"}
	if !reflect.DeepEqual(files, want) {
		t.Fatalf("SortFiles = %v, want %v", files, want)
	}
	r := NewReader(Options{Location: time.UTC})
	var out []Outcome
	for _, f := range files[:4] {
		if err := r.ReadFile(context.Background(), f, func(o Outcome) error { out = append(out, o); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if len(out) != 2 || out[1].Sender != "old@example.org" || out[1].Attempts != 2 || out[1].Status != StatusBounced || out[1].File != p0 {
		t.Fatalf("got %+v", out)
	}
	if err := r.ReadFile(context.Background(), filepath.Join(dir, "missing"), func(Outcome) error { return nil }); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: err %v", err)
	}
}

func TestSortFilesDateext(t *testing.T) {
	got := SortFiles([]string{"/l/maillog", "/l/maillog-20250105.gz", "/l/maillog-20241229.gz", "/l/exim_mainlog", "/l/exim_mainlog.1"})
	want := []string{"/l/maillog-20241229.gz", "/l/maillog-20250105.gz", "/l/maillog", "/l/exim_mainlog.1", "/l/exim_mainlog"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SortFiles = %v, want %v", got, want)
	}
}

func TestLongLine(t *testing.T) {
	long := "Mar  3 10:00:00 mx postfix/smtp[1]: AB12345: to=<x@y>, " + strings.Repeat("x", maxLine+10)
	out, r := run(t, Options{}, long, `Mar  3 10:00:00 mx postfix/smtp[1]: AB12345: to=<d@example.org>, relay=none, delay=1, dsn=5.1.1, status=bounced (550 no)`)
	if st := r.Stats(); len(out) != 1 || st.Lines != 2 || st.NotUnderstood != 1 {
		t.Errorf("out %d, stats %+v", len(out), st)
	}
}

func TestTally(t *testing.T) {
	out, _ := readAll(t, "postfix.log", Options{})
	tl := NewTally()
	for i := range out {
		tl.Add(&out[i])
	}
	if got := tl.TopDomains(1); len(got) != 1 || got[0] != (Count{"example.com", 6}) {
		t.Errorf("TopDomains(1) = %v", got)
	}
	if got := tl.Statuses(); got[0] != (Count{"bounced", 6}) || got[len(got)-1] != (Count{"sent", 4}) {
		t.Errorf("Statuses() = %v", got)
	}
}

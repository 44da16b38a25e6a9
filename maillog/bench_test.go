package maillog

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

// genLog writes a synthetic, typical Postfix log of about n lines: per
// message connect, client=, message-id, from=, one delivery (94% sent, 4%
// deferred, 2% bounced), removed, disconnect, plus IMAP noise. bench/logs.sh
// writes the same shape with awk.
func genLog(n int) []byte {
	var b bytes.Buffer
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; b.Len() >= 0; i++ {
		ts := start.Add(time.Duration(i) * time.Second).Format(time.Stamp)
		id := fmt.Sprintf("%X", 0x4A0F21C0000+i)
		ip := fmt.Sprintf("198.51.%d.%d", i%200, i%250+1)
		fmt.Fprintf(&b, "%s mx1 postfix/smtpd[%d]: connect from client%d.example.org[%s]\n", ts, 2000+i%500, i%1000, ip)
		fmt.Fprintf(&b, "%s mx1 postfix/smtpd[%d]: %s: client=client%d.example.org[%s]\n", ts, 2000+i%500, id, i%1000, ip)
		fmt.Fprintf(&b, "%s mx1 postfix/cleanup[%d]: %s: message-id=<%d.%d@example.org>\n", ts, 3000+i%300, id, i, i*7)
		fmt.Fprintf(&b, "%s mx1 postfix/qmgr[1044]: %s: from=<sender%d@example.org>, size=%d, nrcpt=1 (queue active)\n", ts, id, i%5000, 1000+i%50000)
		fmt.Fprintf(&b, "%s mx1 postfix/smtpd[%d]: disconnect from client%d.example.org[%s] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5\n", ts, 2000+i%500, i%1000, ip)
		switch {
		case i%50 == 7:
			fmt.Fprintf(&b, "%s mx1 postfix/smtp[%d]: %s: to=<user%d@example.net>, relay=mx.example.net[192.0.2.20]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.20] said: 550 5.1.1 <user%d@example.net>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))\n", ts, 4000+i%800, id, i, i)
		case i%25 == 3:
			fmt.Fprintf(&b, "%s mx1 postfix/smtp[%d]: %s: to=<user%d@example.com>, relay=mx.example.com[192.0.2.30]:25, delay=1.3, delays=0.1/0/0.5/0.7, dsn=4.7.1, status=deferred (host mx.example.com[192.0.2.30] said: 451 4.7.1 Greylisting in action, please come back later (in reply to RCPT TO command))\n", ts, 4000+i%800, id, i)
		default:
			fmt.Fprintf(&b, "%s mx1 postfix/smtp[%d]: %s: to=<user%d@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.27.27]:25, delay=0.9, delays=0.1/0/0.3/0.5, dsn=2.0.0, status=sent (250 2.0.0 OK  1740787200 ffacd0b85a97d-%d - gsmtp)\n", ts, 4000+i%800, id, i, i)
		}
		fmt.Fprintf(&b, "%s mx1 postfix/qmgr[1044]: %s: removed\n", ts, id)
		fmt.Fprintf(&b, "%s mx1 dovecot: imap(user%d@example.org)<%d><abc>: Logged out in=100 out=2000 deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0\n", ts, i%300, 7000+i)
		if (i+1)*9 >= n {
			break
		}
	}
	return b.Bytes()
}

// BenchmarkReader reads a typical Postfix log (mostly unrelated and
// success lines, failures only diagnosed as the CLI does without --all);
// the target (issue 8) is 500,000 lines/s on one core.
func BenchmarkReader(b *testing.B) {
	data := genLog(200_000)
	lines := bytes.Count(data, []byte{'\n'})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r := NewReader(Options{Location: time.UTC, Keep: func(o *Outcome) bool { return o.Status != StatusSent }})
		r.SetSource("bench", time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC))
		if err := r.Read(context.Background(), bytes.NewReader(data), func(Outcome) error { return nil }); err != nil {
			b.Fatal(err)
		}
		if st := r.Stats(); st.NotUnderstood != 0 || st.Lines != int64(lines) {
			b.Fatalf("stats %+v", st)
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

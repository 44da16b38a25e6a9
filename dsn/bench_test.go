package dsn

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkParseCorpus parses every bounce of the corpus, held in memory.
func BenchmarkParseCorpus(b *testing.B) {
	files, _ := filepath.Glob("testdata/set-of-emails/maildir/*.eml")
	var msgs [][]byte
	size := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, data)
		size += len(data)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, m := range msgs {
			Parse(m, Options{})
		}
	}
	b.ReportMetric(float64(b.N*len(msgs))/b.Elapsed().Seconds(), "messages/s")
}

// largeBounce builds a bounce of about 20 MB: a multipart/report with a
// text part, a delivery-status part and the returned original
// (message/rfc822) carrying a 15 MB base64 attachment. CRLF line endings,
// as mail servers write them.
func largeBounce() []byte {
	var b strings.Builder
	w := func(s string) { b.WriteString(strings.ReplaceAll(s, "\n", "\r\n")) }
	w(`From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: sender@example.com
Subject: Undelivered Mail Returned to Sender
Date: Thu, 1 Jan 2026 00:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="OUTER"

--OUTER
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<nobody@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1
    <nobody@example.org>: Recipient address rejected: User unknown in local
    recipient table (in reply to RCPT TO command)

--OUTER
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Arrival-Date: Thu, 1 Jan 2026 00:00:00 +0000

Final-Recipient: rfc822; nobody@example.org
Original-Recipient: rfc822;nobody@example.org
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.org>: Recipient address
    rejected: User unknown in local recipient table

--OUTER
Content-Type: message/rfc822

From: sender@example.com
To: nobody@example.org
Subject: The quarterly figures
Message-ID: <big-1@example.com>
Date: Thu, 1 Jan 2026 00:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="INNER"

--INNER
Content-Type: text/plain

Please find the figures attached.

--INNER
Content-Type: application/octet-stream; name="figures.bin"
Content-Disposition: attachment; filename="figures.bin"
Content-Transfer-Encoding: base64

`)
	raw := make([]byte, 15<<20)
	for i := range raw {
		raw[i] = byte(i*7 + i>>9)
	}
	enc := base64.StdEncoding.EncodeToString(raw)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	w("\n\n--INNER--\n\n--OUTER--\n")
	return []byte(b.String())
}

// BenchmarkParseLargeAttachment parses a 20 MB bounce whose original
// carries a 15 MB attachment (target: under 0.5 s per message).
func BenchmarkParseLargeAttachment(b *testing.B) {
	msg := largeBounce()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Parse(msg, Options{})
		if err != nil || len(res) != 1 || res[0].Reason != "userunknown" || res[0].MessageID != "<big-1@example.com>" {
			b.Fatalf("got %+v, %v", res, err)
		}
	}
}

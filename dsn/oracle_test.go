package dsn

// The functions rewritten for speed, as they were, and fuzz tests that
// hold the rewrites to them on any input.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-message"
)

func cutOriginalOld(t string) string {
	l := strings.ToLower(t)
	cut := len(t)
	for _, m := range originalMarkers {
		if m == "----- transcript of session follows" {
			continue
		}
		if i := strings.Index(l[:min(len(l), cut+len(m)-1)], m); i >= 0 && i < cut && i > 40 {
			cut = i
		}
	}
	return t[:cut]
}

func stripHTMLOld(s string) string {
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '<':
			in = true
			rest := strings.ToLower(s[i+1 : min(len(s), i+4)])
			if strings.HasPrefix(rest, "br") || strings.HasPrefix(rest, "p") || strings.HasPrefix(rest, "/p") || strings.HasPrefix(rest, "div") || strings.HasPrefix(rest, "tr") || strings.HasPrefix(rest, "/tr") || strings.HasPrefix(rest, "li") {
				b.WriteByte('\n')
			}
		case c == '>' && in:
			in = false
		case !in:
			b.WriteByte(c)
		}
	}
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&quot;", "\"", "&nbsp;", " ", "&#39;", "'").Replace(b.String())
}

func sanitizeHeaderOld(b []byte) []byte {
	end := bytes.Index(b, []byte("\n\n"))
	if end < 0 {
		end = len(b)
	}
	head := b[:end]
	clean := true
	for _, line := range bytes.Split(head, []byte("\n")) {
		if !headerLine(line) {
			clean = false
			break
		}
	}
	if clean {
		return b
	}
	var out bytes.Buffer
	out.Grow(len(b))
	for _, line := range bytes.Split(head, []byte("\n")) {
		if headerLine(line) {
			out.Write(line)
			out.WriteByte('\n')
		}
	}
	out.Write(b[end:])
	return out.Bytes()
}

func dropQmailTrailerOld(b string) string {
	return strings.TrimSpace(qmailGiveUp.ReplaceAllString(b, " "))
}

// oracleSeeds adds corpus texts and tricky strings to a fuzz corpus.
func oracleSeeds(f *testing.F) {
	for _, s := range []string{
		"", "a", "İ", "\u212a", "Giving up on 192.0.2.1.\n", "<BR><P>x</p><dİv><lİ>&amp;&lt;",
		"0123456789012345678901234567890123456789012345 ----- Original message -----\nx",
		"ẞaaȺ ORIGINAL MESSAGE FOLLOWS" + strings.Repeat("x", 40) + "Content-Type: message/rfc822",
		"From x\nSubject: y\n\nbody", "\xff\xfe--- Message Text Follows",
	} {
		f.Add(s)
	}
	files, _ := filepath.Glob("testdata/set-of-emails/maildir/*.eml")
	for i, p := range files {
		if i%10 == 0 {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(string(b))
			}
		}
	}
}

func FuzzOracleText(f *testing.F) {
	oracleSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := cutOriginal(s), cutOriginalOld(s); got != want {
			t.Fatalf("cutOriginal(%q) = %q, want %q", s, got, want)
		}
		if got, want := stripHTML(s), stripHTMLOld(s); got != want {
			t.Fatalf("stripHTML(%q) = %q, want %q", s, got, want)
		}
		if got, want := sanitizeHeader([]byte(s)), sanitizeHeaderOld([]byte(s)); !bytes.Equal(got, want) {
			t.Fatalf("sanitizeHeader(%q) = %q, want %q", s, got, want)
		}
		if got, want := dropQmailTrailer(s), dropQmailTrailerOld(s); got != want {
			t.Fatalf("dropQmailTrailer(%q) = %q, want %q", s, got, want)
		}
		for _, n := range []string{"content-type: message/delivery-status", "giving up on", "i", "k", "-- "} {
			if got, want := lowerContains(s, n), strings.Contains(strings.ToLower(s), n); got != want {
				t.Fatalf("lowerContains(%q, %q) = %v, want %v", s, n, got, want)
			}
		}
	})
}

func readOriginalOld(s string) origInfo {
	msg, err := mail.ReadMessage(strings.NewReader(s + "\n\n"))
	if err != nil {
		return origInfo{}
	}
	dec := new(mimeWordDecoder)
	return origInfo{
		messageID: strings.TrimSpace(msg.Header.Get("Message-Id")),
		subject:   dec.decode(msg.Header.Get("Subject")),
		from:      dec.decode(msg.Header.Get("From")),
		to:        dec.decode(msg.Header.Get("To")),
	}
}

func FuzzOracleOriginal(f *testing.F) {
	oracleSeeds(f)
	for _, s := range []string{
		" x: y\nTo: a@b", "To: a@b\n \nFrom: c@d\nTO: e@f\nmessage-ID:  <x>\n\nbody", "Subject\nTo: a",
		"To: a\r\n\tb\r\nSubject: =?utf-8?q?h=C3=A9?=\r\n", ": empty\nTo: x", "To: a\n\t", "ſubject: x\nSubject: y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := readOriginal(s), readOriginalOld(s); got != want {
			t.Fatalf("readOriginal(%q) = %+v, want %+v", s, got, want)
		}
	})
}

// FuzzOracleBlockLines holds blocks.nextLine to the loop over the
// lower-cased lines it replaces.
func FuzzOracleBlockLines(f *testing.F) {
	f.Add("Hello\n<User@Example.COM>: 550 no\nuser@example.com\n", "user@example.com")
	f.Add("x\n\u212aat@example.com\nKAT@example.com", "kat@example.com")
	f.Add("İx@a.b\nix@a.b", "ix@a.b")
	f.Fuzz(func(t *testing.T, text, addr string) {
		if addr == "" {
			return
		}
		la := strings.ToLower(addr)
		bs := newBlocks(text)
		bs.find(la) // sets up the lines
		lower := strings.Split(strings.ToLower(text), "\n")
		var want, got []int
		for i := range lower {
			if strings.Contains(lower[i], la) {
				want = append(want, i)
			}
		}
		for i := bs.nextLine(0, la); i >= 0; i = bs.nextLine(i+1, la) {
			got = append(got, i)
		}
		if len(got) != len(want) || len(got) > 0 && !slices.Equal(got, want) {
			t.Fatalf("lines of %q in %q: got %v, want %v", la, text, got, want)
		}
	})
}

// FuzzOracleAddr holds appendAddrMatches to addrRE.
func FuzzOracleAddr(f *testing.F) {
	oracleSeeds(f)
	for _, s := range []string{
		"a@b.com.x@y.org", "a@b..com", "a@.com", "@@x.com", "a@b.c", "a@b.comx123", "a@b-.com", "a@-b.com",
		"x@" + strings.Repeat("a", 64) + ".com", "x@" + strings.Repeat("a", 65) + ".com", strings.Repeat("l", 70) + "@e.org",
		"a@b.c.d.e.fg.h1", "a@b." + strings.Repeat("q", 30), "a.b@c@d.ef", "u@1.2.3.4", "a@b.co_m", "a@b.com@c.org",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, n := range []int{-1, 1, 2} {
			want := addrRE.FindAllStringIndex(s, n)
			got := appendAddrMatches(nil, s, 0, n)
			if len(got) != len(want) {
				t.Fatalf("%q, %d: got %v, want %v", s, n, got, want)
			}
			for i := range got {
				if !slices.Equal(got[i], want[i]) {
					t.Fatalf("%q, %d: got %v, want %v", s, n, got, want)
				}
			}
		}
	})
}

// FuzzOracleHeader holds readEntity to message.Read: the same fields in
// the same order, the same body, the same errors.
func FuzzOracleHeader(f *testing.F) {
	oracleSeeds(f)
	for _, s := range []string{
		"A: b\n\nbody", "A: b\n c\n\td\n\nx", " A: b\n\n", "A b\n\n", ": x\nB: y\n\n", "A: b", "A: b\n", "",
		"\n\nbody", "A : b\nb: c\nA: d\n\n", "Foo\n bar: baz\n\n", "A\x01: b\n\n", "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nh=E9llo",
		"Content-Type: multipart/mixed; boundary=X\n\n--X\nContent-Type: text/plain\n\nhi\n--X--\n", "A: b\r\n\r\nx", "A:\n \n\nx",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, data := range [][]byte{[]byte(s), normalizeNewlines([]byte(s))} {
			want, werr := message.Read(bytes.NewReader(data))
			got, gerr := readEntity(data)
			if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
				t.Fatalf("%q: error %v, want %v", data, gerr, werr)
			}
			if (want == nil) != (got == nil) {
				t.Fatalf("%q: entity %v, want %v", data, got, want)
			}
			if want == nil {
				continue
			}
			if got.Header.Len() != want.Header.Len() {
				t.Fatalf("%q: %d fields, want %d", data, got.Header.Len(), want.Header.Len())
			}
			gf, wf := got.Header.Fields(), want.Header.Fields()
			for wf.Next() {
				if !gf.Next() || gf.Key() != wf.Key() || gf.Value() != wf.Value() {
					t.Fatalf("%q: field %q: %q differs", data, wf.Key(), wf.Value())
				}
			}
			for _, k := range []string{"Content-Type", "Subject", "X-Failed-Recipients", "a"} {
				if !slices.Equal(got.Header.Values(k), want.Header.Values(k)) {
					t.Fatalf("%q: values of %s: %q, want %q", data, k, got.Header.Values(k), want.Header.Values(k))
				}
			}
			gb, gerr := io.ReadAll(got.Body)
			wb, werr := io.ReadAll(want.Body)
			if !bytes.Equal(gb, wb) || (werr == nil) != (gerr == nil) {
				t.Fatalf("%q: body %q, %v, want %q, %v", data, gb, gerr, wb, werr)
			}
		}
	})
}

// FuzzOracleQP holds qpReader to mime/quotedprintable's Reader, read at
// once and in small pieces.
func FuzzOracleQP(f *testing.F) {
	for _, s := range []string{
		"h=C3=A9llo =\nworld\n", "a=\r\nb", "=4", "=zz x", "=\n", "x=", "a \t\n", "bad\x01byte", "=0a=0D\r\n", strings.Repeat("x", 5000) + "\n=41",
		"line =  \nnext", "=\t\r\n", "\x7f", "é=E9",
	} {
		f.Add(s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, s string, chunk uint8) {
		read := func(r io.Reader, n int) ([]byte, string) {
			var out []byte
			buf := make([]byte, n)
			for i := 0; i < 1<<20; i++ {
				k, err := r.Read(buf)
				out = append(out, buf[:k]...)
				if err != nil {
					return out, err.Error()
				}
			}
			return out, ""
		}
		for _, n := range []int{int(chunk%16) + 1, 4096} {
			want, werr := read(quotedprintable.NewReader(strings.NewReader(s)), n)
			got, gerr := read(newQPReader(strings.NewReader(s)), n)
			if !bytes.Equal(got, want) || gerr != werr {
				t.Fatalf("%q (reads of %d): %q, %s; want %q, %s", s, n, got, gerr, want, werr)
			}
		}
	})
}

// FuzzOracleWalk holds readEntity and walk to message.Read and
// Entity.Walk: the same parts, bodies and errors.
func FuzzOracleWalk(f *testing.F) {
	oracleSeeds(f)
	f.Add("Content-Type: multipart/mixed; boundary=X\n\n--X\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: Quoted-Printable\n\nh=E9llo=\n w\n--X\nContent-Type: multipart/alternative; boundary=Y\nContent-Transfer-Encoding: quoted-printable\n\n--Y\nContent-Transfer-Encoding: x-bogus\n\nz\n--Y--\n--X--\n")
	f.Add("Content-Transfer-Encoding: quoted-printable\n\n=41=\n")
	f.Add("Content-Type: multipart/mixed; boundary=X\n\n--X\nContent-Transfer-Encoding: quoted-printable\n\n=4")
	f.Fuzz(func(t *testing.T, s string) {
		type seen struct {
			ct, body, err string
			rerr          bool
		}
		collect := func(walkErr error, parts []seen) string {
			var b strings.Builder
			for _, p := range parts {
				fmt.Fprintf(&b, "%q %q %q %v\n", p.ct, p.body, p.err, p.rerr)
			}
			fmt.Fprintf(&b, "walk: %v", walkErr)
			return b.String()
		}
		visit := func(parts *[]seen) func(part *message.Entity, mediaType string, err error) error {
			return func(part *message.Entity, mediaType string, err error) error {
				mt, params, cerr := part.Header.ContentType()
				if mediaType != mt {
					t.Fatalf("media type %q, want %q", mediaType, mt)
				}
				sp := seen{ct: fmt.Sprint(mt, params, cerr, part.Header.Len())}
				if err != nil {
					sp.err = err.Error()
				}
				if len(*parts) > 50 {
					return errors.New("too many")
				}
				if !strings.HasPrefix(mt, "multipart/") {
					b, rerr := io.ReadAll(io.LimitReader(part.Body, 1<<16))
					sp.body, sp.rerr = string(b), rerr != nil
				}
				*parts = append(*parts, sp)
				return nil
			}
		}
		data := normalizeNewlines([]byte(s))
		var want, got []seen
		var wantStr, gotStr string
		if e, err := message.Read(bytes.NewReader(data)); e != nil {
			v := visit(&want)
			wantStr = collect(e.Walk(func(_ []int, p *message.Entity, err error) error {
				mt, _, _ := p.Header.ContentType()
				return v(p, mt, err)
			}), want)
		} else {
			wantStr = fmt.Sprint(err)
		}
		if e, err := readEntity(data); e != nil {
			gotStr = collect(walk(e, visit(&got)), got)
		} else {
			gotStr = fmt.Sprint(err)
		}
		if gotStr != wantStr {
			t.Fatalf("%q:\ngot  %s\nwant %s", data, gotStr, wantStr)
		}
	})
}

func headerEndOld(b []byte, from int) int {
	if from == 0 {
		if bytes.HasPrefix(b, []byte("\n")) {
			return 1
		}
		if bytes.HasPrefix(b, []byte("\r\n")) {
			return 2
		}
	}
	for i := from; i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		if i+1 < len(b) && b[i+1] == '\n' {
			return i + 2
		}
		if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' {
			return i + 3
		}
	}
	return -1
}

func FuzzOracleHeaderEnd(f *testing.F) {
	f.Add([]byte("a\nb\n\nc"), uint8(0))
	f.Add([]byte("a\r\n\r\nc"), uint8(2))
	f.Add([]byte("\n"), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, from uint8) {
		fr := int(from) % (len(b) + 1)
		if got, want := headerEnd(b, fr), headerEndOld(b, fr); got != want {
			t.Fatalf("headerEnd(%q, %d) = %d, want %d", b, fr, got, want)
		}
	})
}

func smtpCommandOld(s string) string {
	l := strings.ToLower(s)
	if strings.Contains(l, "need rcpt") || strings.Contains(l, "no valid recipients") {
		return "RCPT"
	}
	for _, c := range []struct{ needle, cmd string }{
		{"in reply to rcpt to", "RCPT"}, {"after rcpt to", "RCPT"}, {">>> rcpt to", "RCPT"}, {"rcpt to:", "RCPT"},
		{"in reply to mail from", "MAIL"}, {"after mail from", "MAIL"}, {">>> mail from", "MAIL"},
		{"in reply to end of data", "DATA"}, {"after end of data", "DATA"}, {"in reply to data", "DATA"},
		{"after data", "DATA"}, {">>> data", "DATA"}, {"after the message", "DATA"},
		{"in reply to ehlo", "EHLO"}, {"in reply to helo", "HELO"}, {"after ehlo", "EHLO"}, {"after helo", "HELO"},
		{"while connected to", "CONN"}, {"after connect", "CONN"}, {"after initial connection", "CONN"},
		{"in reply to starttls", "STARTTLS"}, {"after starttls", "STARTTLS"}, {"in reply to auth", "AUTH"},
	} {
		if strings.Contains(l, c.needle) {
			return c.cmd
		}
	}
	return ""
}

func FuzzOracleCommand(f *testing.F) {
	oracleSeeds(f)
	for _, s := range []string{
		"550 (in reply to RCPT TO command)", "After DATA: after connect", ">>> DATA\n<<< 503 need RCPT", "after after data",
		"In reply to end of data command", "while connected to x after ehlo", "after initial connection; rcpt to:<a>", "İn reply to auth",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := smtpCommand(s), smtpCommandOld(s); got != want {
			t.Fatalf("smtpCommand(%q) = %q, want %q", s, got, want)
		}
	})
}

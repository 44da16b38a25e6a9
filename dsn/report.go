package dsn

import (
	"bufio"
	"io"
	"mime"
	"net/textproto"
	"strings"

	"github.com/emersion/go-message/charset"

	"github.com/maildx/maildx"
)

// mimeWordDecoder decodes RFC 2047 encoded words with every charset
// go-message knows.
type mimeWordDecoder struct{ d *mime.WordDecoder }

func (w *mimeWordDecoder) decode(s string) string {
	if w.d == nil {
		w.d = &mime.WordDecoder{CharsetReader: charset.Reader}
	}
	if out, err := w.d.DecodeHeader(s); err == nil {
		return strings.TrimSpace(out)
	}
	return strings.TrimSpace(s)
}

// fieldGroups splits a message/delivery-status body into its field groups
// (RFC 3464 section 2.1: one per-message group, then one per recipient).
// Folded lines are joined. Malformed lines are skipped, never fatal.
func fieldGroups(body string) []textproto.MIMEHeader {
	body = splitRecipientGroups(body)
	in := strings.TrimLeft(body, "\n") + "\n\n"
	// A buffer the size of the input, not bufio's 4 KiB for every group
	// list: textproto reads lines longer than the buffer all the same.
	r := textproto.NewReader(bufio.NewReaderSize(strings.NewReader(in), min(len(in), 4096)))
	var groups []textproto.MIMEHeader
	for len(groups) < maxRecips+1 {
		h, err := r.ReadMIMEHeader()
		if len(h) > 0 {
			groups = append(groups, h)
		}
		if err != nil {
			if err == io.EOF {
				break
			}
			// A malformed line ends the group; skip to the next blank line.
			for {
				line, err := r.ReadLine()
				if err != nil || line == "" {
					break
				}
			}
			if _, err := r.R.Peek(1); err != nil {
				break
			}
		}
	}
	return groups
}

// splitRecipientGroups inserts the blank line some MTAs leave out between
// per-recipient groups (AOL): a Final-Recipient or Original-Recipient
// field in a group that already has a Final-Recipient starts a new group.
// A line inside a group that is no field is the unindented continuation
// of the field before it (Symantec writes the later lines of a multi-line
// reply in Diagnostic-Code so): it is folded.
func splitRecipientGroups(body string) string {
	lines := strings.Split(body, "\n")
	var b strings.Builder
	b.Grow(len(body) + 16)
	hasFinal, hasOrig := false, false
	for i, line := range lines {
		if i > 0 && strings.TrimSpace(lines[i-1]) != "" && strings.TrimSpace(line) != "" && !headerLineString(line) {
			line = " " + line
		}
		isFinal := hasLowerPrefix(line, "final-recipient:")
		isOrig := hasLowerPrefix(line, "original-recipient:")
		if isFinal && hasFinal || isOrig && hasOrig {
			b.WriteByte('\n')
			hasFinal, hasOrig = false, false
		}
		if strings.TrimSpace(line) == "" {
			hasFinal, hasOrig = false, false
		}
		hasFinal = hasFinal || isFinal
		hasOrig = hasOrig || isOrig
		b.WriteString(line)
		if i < len(lines)-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// hasLowerPrefix reports strings.HasPrefix(strings.ToLower(s), prefix) for
// an ASCII lower-case prefix, without lower-casing s when its first bytes
// are ASCII.
func hasLowerPrefix(s, prefix string) bool {
	if len(s) < len(prefix) {
		return strings.HasPrefix(strings.ToLower(s), prefix)
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if c >= 0x80 {
			return strings.HasPrefix(strings.ToLower(s), prefix)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// typed strips the "type;" prefix of a DSN field value (rfc822; smtp; dns;).
func typed(v string) string {
	if i := typeEnd(v); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}

// typeEnd returns the index of the ';' that ends a typed field's type
// ("smtp; 550 …", "rfc822; a@b"), -1 when the field has no type.
func typeEnd(v string) int {
	if i := strings.IndexByte(v, ';'); i >= 0 && i < 12 && !strings.ContainsAny(v[:i], " <@") {
		return i
	}
	return -1
}

// fieldType returns the lower-cased type of a typed field ("smtp" of
// "smtp; 550 …"), or "" when it has none.
func fieldType(v string) string {
	if i := typeEnd(v); i >= 0 {
		return strings.ToLower(strings.TrimSpace(v[:i]))
	}
	return ""
}

func cleanAddress(a string) string {
	a = strings.TrimSpace(typed(a))
	a = strings.Trim(a, "<>\"' ")
	return a
}

// dsnResults reads the RFC 3464 report(s).
func (m *parsed) dsnResults(opts Options) []Result {
	var out []Result
	text := m.text()
	bf := newBlocks(text)
	for _, body := range m.reports {
		groups := fieldGroups(body)
		if len(groups) == 0 {
			continue
		}
		msgFields := groups[0]
		reporting := typed(msgFields.Get("Reporting-Mta"))
		rcpts := groups[1:]
		if msgFields.Get("Final-Recipient") != "" || msgFields.Get("Original-Recipient") != "" {
			// No per-message group (seen in the wild): the first group is a recipient.
			rcpts = groups
		}
		for _, g := range rcpts {
			rcpt := cleanAddress(g.Get("Final-Recipient"))
			if rcpt == "" {
				rcpt = cleanAddress(g.Get("Original-Recipient"))
			}
			if rcpt == "" || len(out) >= maxRecips {
				continue
			}
			if !mailAddress(rcpt) {
				// A file or program delivery (Exim's "/mail/spool/…",
				// "|/usr/bin/…") or a mangled address (Sendmail's
				// "@mx.example.org"): the address the text names for it.
				if a := cleanAddress(g.Get("Original-Recipient")); mailAddress(a) {
					rcpt = a
				} else if a := m.textRecipient(text, bf, rcpt); a != "" {
					rcpt = a
				}
			}
			r := Result{Bounce: Bounce{
				Recipient:    rcpt,
				DSNAction:    strings.ToLower(strings.TrimSpace(firstWord(g.Get("Action")))),
				DSNStatus:    strings.TrimSpace(firstWord(g.Get("Status"))),
				RemoteMTA:    typed(g.Get("Remote-Mta")),
				ReportingMTA: reporting,
				Date:         strings.TrimSpace(g.Get("Last-Attempt-Date")),
				DecodedBy:    "rfc3464",
			}}
			r.Diagnostic = completeReply(typed(g.Get("Diagnostic-Code")), text)
			r.DiagnosticType = fieldType(g.Get("Diagnostic-Code"))
			if r.Diagnostic == "" || isBareCode(r.Diagnostic) {
				// Many MTAs leave Diagnostic-Code empty or bare and say it in the text part.
				if block := bf.blockFor(rcpt); block != "" {
					r.Diagnostic = strings.TrimSpace(r.Diagnostic + " " + block)
				}
			}
			r.Command = smtpCommand(r.Diagnostic + "\n" + bf.blockFor(rcpt))
			out = append(out, r)
		}
	}
	for i := range out {
		out[i].Diagnosis = explain(out[i], opts)
		if out[i].Reason != "onhold" && out[i].Reason != "undefined" {
			continue
		}
		// The remote reply says too little ("550 #5.1.0 Address
		// rejected."): the reporting MTA's own words about this recipient
		// in the text part may say what it made of it (Gmail: "the
		// address couldn't be found").
		block := bf.blockFor(out[i].Recipient)
		if block == "" || strings.Contains(out[i].Diagnostic, block) {
			continue
		}
		r := out[i]
		r.Diagnostic = strings.TrimSpace(r.Diagnostic + "\n" + block)
		if d := explain(r, opts); d.Reason != "onhold" && d.Reason != "undefined" {
			d.Input = out[i].Diagnostic
			d.Evidence = append(d.Evidence, "the remote reply alone decides nothing; the report's text about this recipient does")
			out[i].Diagnosis = d
		}
	}
	return out
}

// mailAddress reports a recipient that is a mail address: a local part,
// an '@' and a domain, no path.
func mailAddress(a string) bool {
	at := strings.LastIndexByte(a, '@')
	return at > 0 && at < len(a)-1 && !strings.HasPrefix(a, "/") && !strings.HasPrefix(a, "|")
}

// textRecipient finds the mail address that stands for a recipient the
// report names by something else (a file, a program, a mangled address):
// the first address in the text's block about it ("save to /path
// generated by user@example.net"), else the first address the text
// reports an error for.
func (m *parsed) textRecipient(text string, bf *blocks, rcpt string) string {
	if block := bf.blockFor(rcpt); block != "" {
		if a := firstAddress(block); a != "" {
			return a
		}
	}
	skip := m.notRecipients()
	for _, loc := range findAddrs(text, -1) {
		a := text[loc[0]:loc[1]]
		if skip(strings.ToLower(a)) || mentionOnly(text, loc) || helpAddress(text, loc[0]) {
			continue
		}
		if bf.blockFor(a) != "" {
			return a
		}
	}
	return ""
}

func firstWord(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " \t("); i >= 0 {
		return s[:i]
	}
	return s
}

// completeReply returns the whole multi-line SMTP reply when diag is only
// its first line. Sendmail puts just the first line of a reply such as
// "550-5.7.1 ..." into Diagnostic-Code; its transcript in the text part
// ("<<< 550-5.7.1 ...") holds every line, and the reason is often in the
// later ones.
func completeReply(diag, text string) string {
	d := strings.TrimSpace(diag)
	if len(d) < 8 || d[3] != '-' || strings.Trim(d[:3], "0123456789") != "" || text == "" {
		return diag
	}
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if !strings.HasPrefix(t, "<<<") || strings.TrimSpace(t[3:]) != d {
			continue
		}
		parts := []string{d}
		for _, next := range lines[i+1:] {
			n := strings.TrimSpace(next)
			if !strings.HasPrefix(n, "<<<") {
				break
			}
			n = strings.TrimSpace(n[3:])
			if len(n) < 4 || n[:3] != d[:3] || n[3] != '-' && n[3] != ' ' {
				break
			}
			parts = append(parts, n)
			if n[3] == ' ' {
				break // the last line of the reply
			}
		}
		return strings.Join(parts, "\n")
	}
	return diag
}

// isBareCode reports a diagnostic that is only a code ("550", "5.1.1",
// "smtp; 550"), which says less than the text part usually does.
func isBareCode(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) <= 12 && strings.Trim(s, "0123456789. -#") == ""
}

// explain diagnoses one result with the context the bounce adds.
func explain(r Result, opts Options) maildx.Diagnosis { return Diagnose(r.Bounce, opts.Lang) }

// Diagnose explains what a bounce says about one recipient with the one
// classifier, in the context the bounce gives: the SMTP command, the DSN
// Status and Action (failed is final, delayed temporary), a feedback
// report or an auto-reply. Parse uses it; so does re-classifying stored
// bounce events after a knowledge-base update.
func Diagnose(r Bounce, lang string) maildx.Diagnosis {
	o := []maildx.Option{maildx.WithLang(lang)}
	switch r.DecodedBy {
	case "arf":
		return maildx.Explain(r.Diagnostic, append(o, maildx.WithReason("feedback"))...)
	case "rfc3834":
		return maildx.Explain(r.Diagnostic, append(o, maildx.WithReason("vacation"))...)
	}
	if r.Command != "" {
		o = append(o, maildx.WithCommand(r.Command))
	}
	if r.DSNStatus != "" {
		o = append(o, maildx.WithStatus(r.DSNStatus))
	}
	switch r.DSNAction {
	case "failed":
		o = append(o, maildx.WithFinal())
	case "expired":
		// Not an RFC 3464 action, but what some MTAs (SendGrid) write when
		// they stopped retrying.
		o = append(o, maildx.WithFinal(), maildx.WithReason("expired"))
	case "delivered", "relayed", "expanded":
		o = append(o, maildx.WithReason("delivered"))
	}
	text := r.Diagnostic
	if text == "" {
		text = r.DSNStatus
	}
	d := maildx.Explain(text, o...)
	if r.DiagnosticType == "x-unix" && (d.Reason == "onhold" || d.Reason == "undefined" || d.Reason == "systemerror") {
		// The text came from a local delivery program (a pipe or
		// command), not a remote server: when it names no cause, the
		// program failed.
		d = maildx.Explain(text, append(o, maildx.WithReason("mailererror"))...)
	}
	if r.DSNAction == "failed" && d.ReplyCode == 0 && gaveUpConnecting(r.DSNStatus) {
		// "failed" with a transient X.4.1/X.4.2 status and no server reply:
		// no server ever answered, the MTA retried until its queue lifetime
		// ran out and gave up (Postfix reports the last connect error so).
		d = maildx.Explain(text, append(o, maildx.WithReason("expired"))...)
	}
	return d
}

// gaveUpConnecting reports a transient status for a destination that
// could not be reached: 4.4.1 (no answer from host), 4.4.2 (bad connection).
func gaveUpConnecting(status string) bool {
	return status == "4.4.1" || status == "4.4.2"
}

// smtpCommand finds the SMTP command at which the failure happened.
func smtpCommand(s string) string {
	var buf [1024]byte
	l := lowerInto(buf[:], s)
	if strings.Contains(l, "need rcpt") || strings.Contains(l, "no valid recipients") {
		// With PIPELINING the transcript shows ">>> DATA" before the
		// refusal of the recipient; a 503 "need RCPT" (or 554 "no valid
		// recipients") to DATA says the failure was at RCPT.
		return "RCPT"
	}
	// The first of commandNeedles that l holds: the needles that start
	// with a common prefix are looked for where the prefix stands, in one
	// pass per prefix.
	var found uint32
	for _, g := range commandPrefixes {
		for i := 0; ; {
			j := strings.Index(l[i:], g.prefix)
			if j < 0 {
				break
			}
			i += j
			for _, k := range g.needles {
				if strings.HasPrefix(l[i:], commandNeedles[k].needle) {
					found |= 1 << k
				}
			}
			i += len(g.prefix)
		}
	}
	for k, c := range commandNeedles {
		if found&(1<<k) != 0 || commandLoose[k] && strings.Contains(l, c.needle) {
			return c.cmd
		}
	}
	return ""
}

// commandNeedles are the words that name the command of a failure, the
// first found deciding.
var commandNeedles = []struct{ needle, cmd string }{
	{"in reply to rcpt to", "RCPT"},
	{"after rcpt to", "RCPT"},
	{">>> rcpt to", "RCPT"},
	{"rcpt to:", "RCPT"},
	{"in reply to mail from", "MAIL"},
	{"after mail from", "MAIL"},
	{">>> mail from", "MAIL"},
	{"in reply to end of data", "DATA"},
	{"after end of data", "DATA"},
	{"in reply to data", "DATA"},
	{"after data", "DATA"},
	{">>> data", "DATA"},
	{"after the message", "DATA"},
	{"in reply to ehlo", "EHLO"},
	{"in reply to helo", "HELO"},
	{"after ehlo", "EHLO"},
	{"after helo", "HELO"},
	{"while connected to", "CONN"},
	{"after connect", "CONN"},
	{"after initial connection", "CONN"}, // Exim
	{"in reply to starttls", "STARTTLS"},
	{"after starttls", "STARTTLS"},
	{"in reply to auth", "AUTH"},
}

// commandPrefixes groups the commandNeedles by prefix; commandLoose flags
// the needles of no group, looked for one by one.
var commandPrefixes, commandLoose = func() ([]struct {
	prefix  string
	needles []int
}, []bool) {
	groups := []struct {
		prefix  string
		needles []int
	}{{prefix: "in reply to "}, {prefix: "after "}, {prefix: ">>> "}}
	loose := make([]bool, len(commandNeedles))
	if len(commandNeedles) > 32 {
		panic("too many command needles")
	}
	for k, c := range commandNeedles {
		loose[k] = true
		for g := range groups {
			if strings.HasPrefix(c.needle, groups[g].prefix) {
				groups[g].needles = append(groups[g].needles, k)
				loose[k] = false
				break
			}
		}
	}
	return groups, loose
}()

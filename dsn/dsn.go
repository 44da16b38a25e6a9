// Package dsn reads bounce emails and returns one result per failed
// recipient, each diagnosed by maildx's one classifier.
//
// It understands delivery status notifications (RFC 3464) inside
// multipart/report (RFC 6522), internationalized DSNs (RFC 6533,
// message/global-delivery-status), feedback reports (RFC 5965, ARF),
// automatic replies (RFC 3834) and the plain-text bounces of MTAs that send
// no machine-readable part (qmail, older Sendmail and Exim, Exchange 2003,
// many providers): for those it finds the failed addresses in the text and
// the error lines that belong to them.
//
// MIME decoding (quoted-printable, base64, legacy charsets such as
// ISO-2022-JP, Shift_JIS, ISO-8859-x, Windows-125x) is done by
// github.com/emersion/go-message. Input of any line ending (LF, CRLF, bare
// CR) is accepted. Every part is read with a size bound; the parser never
// panics on any input.
package dsn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"strings"
	"unsafe"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // legacy charsets

	"github.com/maildx/maildx"
)

// Result is one recipient of one bounce: the diagnosis of maildx.Explain
// and the fields the bounce adds, both inline in JSON.
type Result struct {
	maildx.Diagnosis
	Bounce
}

// Bounce holds what a bounce says about one recipient, before any
// diagnosis. DSNAction is the DSN's Action field (RFC 3464 section 2.3.3);
// it is named dsn_action in JSON because "action" is the diagnosis' advice.
type Bounce struct {
	File       string `json:"file,omitempty"`
	Recipient  string `json:"recipient"`
	DSNAction  string `json:"dsn_action,omitempty"`
	DSNStatus  string `json:"dsn_status,omitempty"`
	Diagnostic string `json:"diagnostic,omitempty"`
	// DiagnosticType is the type of the DSN's Diagnostic-Code field:
	// "smtp" for a remote server's reply, "x-unix" for a local delivery
	// program (Postfix pipe/local), "x-postfix", …
	DiagnosticType string `json:"diagnostic_type,omitempty"`
	RemoteMTA      string `json:"remote_mta,omitempty"`
	ReportingMTA   string `json:"reporting_mta,omitempty"`
	Command        string `json:"command,omitempty"`
	Date           string `json:"date,omitempty"`
	MessageID      string `json:"message_id,omitempty"`
	Subject        string `json:"subject,omitempty"`
	From           string `json:"from,omitempty"`
	FeedbackType   string `json:"feedback_type,omitempty"`
	DecodedBy      string `json:"decoded_by"`
}

// Options adjust Parse.
type Options struct {
	Lang string // language of the diagnosis texts: "en" (default) or "de"
	File string // copied into every Result.File
}

// Bounds on what one message may make the parser read.
const (
	maxMessage = 64 << 20 // whole message
	maxPart    = 1 << 20  // one MIME part's decoded body
	maxParts   = 500      // MIME parts per message
	maxRecips  = 1000     // results per message
)

// ErrTooLarge is returned for a message above the size bound.
var ErrTooLarge = errors.New("message too large")

// Parse reads one message. It returns the results (none when the message
// is not a bounce, feedback report or auto-reply) or an error when the
// message cannot be read at all.
func Parse(data []byte, opts Options) (results []Result, err error) {
	if len(data) > maxMessage {
		return nil, ErrTooLarge
	}
	defer func() {
		// The MIME library is third-party code; a bug there must cost one
		// message, not the whole run.
		if r := recover(); r != nil {
			results, err = nil, fmt.Errorf("malformed message: %v", r)
		}
	}()
	m, err := readMessage(sanitizeHeader(normalizeNewlines(data)))
	if err != nil {
		return nil, err
	}
	var out []Result
	ses := m.sesNotification()
	switch {
	case ses != nil && len(m.reports) == 0 && m.feedback == "":
		out = m.sesResults(ses, opts)
	case len(m.reports) > 0:
		out = m.dsnResults(opts)
	case m.feedback != "":
		out = m.feedbackResults(opts)
	case m.isBounce():
		out = m.textResults(opts)
	case m.isAutoReply():
		out = m.autoReplyResults(opts)
	}
	for i := range out {
		out[i].File = opts.File
		m.fill(&out[i])
		m.senderDomainRefused(&out[i], opts)
	}
	return out, nil
}

// normalizeNewlines turns CRLF and bare CR into LF.
func normalizeNewlines(b []byte) []byte {
	i := bytes.IndexByte(b, '\r')
	if i < 0 {
		return b
	}
	// One pass, one copy: "\r\n" becomes "\n", every other "\r" too.
	out := make([]byte, i, len(b))
	copy(out, b[:i])
	for i < len(b) {
		j := bytes.IndexByte(b[i:], '\r')
		if j < 0 {
			out = append(out, b[i:]...)
			break
		}
		out = append(out, b[i:i+j]...)
		out = append(out, '\n')
		i += j + 1
		if i < len(b) && b[i] == '\n' {
			i++
		}
	}
	return out
}

// sanitizeHeader drops what makes a strict header parser give up on a
// message that is otherwise readable: a leading mbox "From " line and
// header lines that are neither a field nor a continuation.
func sanitizeHeader(b []byte) []byte {
	end := bytes.Index(b, []byte("\n\n"))
	if end < 0 {
		end = len(b)
	}
	head := b[:end]
	clean := true
	for rest := head; ; {
		line, more := nextLine(rest)
		if !headerLine(line) {
			clean = false
			break
		}
		if more == nil {
			break
		}
		rest = more
	}
	if clean {
		return b
	}
	var out bytes.Buffer
	out.Grow(len(b))
	for rest := head; ; {
		line, more := nextLine(rest)
		if headerLine(line) {
			out.Write(line)
			out.WriteByte('\n')
		}
		if more == nil {
			break
		}
		rest = more
	}
	out.Write(b[end:])
	return out.Bytes()
}

// nextLine splits b at its first "\n": the line before it and the rest
// after it, or b and nil when it has none (the lines of bytes.Split(b,
// "\n"), one at a time).
func nextLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

// headerLineString is headerLine for a string.
func headerLineString(line string) bool {
	if len(line) == 0 {
		return true
	}
	if line[0] == ' ' || line[0] == '\t' {
		return true
	}
	i := strings.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	for _, c := range []byte(line[:i]) {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// headerLine reports a header field ("Name: value", RFC 5322 section 2.2)
// or a continuation line.
func headerLine(line []byte) bool {
	if len(line) == 0 {
		return true
	}
	if line[0] == ' ' || line[0] == '\t' {
		return true
	}
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	for _, c := range line[:i] {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// parsed is what the MIME walk collects.
type parsed struct {
	header   message.Header
	subject  string
	from     string
	to       string
	texts    []string // human-readable parts, in order
	reports  []string // message/delivery-status bodies
	feedback string   // message/feedback-report body
	orig     origInfo
	rawText  string // body of a single-part message
}

type origInfo struct {
	messageID, subject, from, to string
}

func readMessage(data []byte) (*parsed, error) {
	e, err := readEntity(data)
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return nil, fmt.Errorf("reading message header: %w", err)
	}
	if e == nil {
		return nil, errors.New("reading message: no header")
	}
	m := &parsed{header: e.Header}
	m.subject = decodedHeader(e.Header, "Subject")
	m.from = decodedHeader(e.Header, "From")
	m.to = decodedHeader(e.Header, "To")
	if e.Header.Len() == 0 {
		return nil, errors.New("not an email: no header fields")
	}
	parts := 0
	walkErr := walk(e, func(part *message.Entity, mt string, err error) error {
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			return err
		}
		parts++
		if parts > maxParts {
			return errors.New("too many MIME parts")
		}
		mt = strings.ToLower(mt)
		if strings.HasPrefix(mt, "multipart/") {
			return nil
		}
		var body []byte
		var rerr error
		switch {
		case isOriginal(mt):
			if m.orig != (origInfo{}) {
				return nil // only the first original is read
			}
			// Only the original's header is needed: stop at the blank
			// line, never decode the body (attachments).
			body, rerr = readHeaderBlock(part.Body, maxPart)
		case isWanted(mt):
			body, rerr = io.ReadAll(io.LimitReader(part.Body, maxPart))
		default:
			return nil // an attachment or other part the parser does not use: not read
		}
		if rerr != nil && len(body) == 0 {
			return nil // an undecodable part: skip it, keep the rest
		}
		// body is not written to after this: the string shares its bytes.
		s := unsafe.String(unsafe.SliceData(body), len(body))
		switch mt {
		case "message/delivery-status", "message/global-delivery-status":
			m.reports = append(m.reports, s)
		case "message/feedback-report":
			m.feedback = s
		case "message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers", "message/global-headers":
			m.orig = readOriginal(s)
		case "text/html":
			m.texts = append(m.texts, stripHTML(s))
		case "", "text/plain", "text/enriched", "message/partial":
			m.texts = append(m.texts, s)
		default:
			if strings.HasPrefix(mt, "text/") {
				m.texts = append(m.texts, s)
			}
		}
		return nil
	})
	if len(m.reports) == 0 && m.feedback == "" {
		// A report whose MIME structure was lost (no Content-Type in the
		// header of a multipart message): its fields are in the text.
		// Or a report pasted into the text part (Amazon WorkMail: "Technical
		// report:" followed by the DSN fields).
		for _, t := range m.texts {
			if lowerContains(t, "content-type: message/delivery-status") || hasReportFields(t) {
				if r := reportInText(t); r != "" {
					m.reports = append(m.reports, r)
					break
				}
			}
		}
	}
	if walkErr != nil && len(m.texts) == 0 && len(m.reports) == 0 {
		// A broken MIME structure (truncated multipart, malformed part
		// header): read the body as plain text rather than lose the bounce.
		if i := bytes.Index(data, []byte("\n\n")); i >= 0 {
			body := data[i+2:]
			if len(body) > maxPart {
				body = body[:maxPart]
			}
			m.texts = append(m.texts, string(body))
			if r := reportInText(string(body)); r != "" {
				m.reports = append(m.reports, r)
			}
		}
	}
	return m, nil
}

// isOriginal reports the media types that carry the returned original
// message or its header.
func isOriginal(mt string) bool {
	switch mt {
	case "message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers", "message/global-headers":
		return true
	}
	return false
}

// isWanted reports the media types whose body the parser reads: reports
// and text. Everything else (images, application/*, ...) is skipped unread.
func isWanted(mt string) bool {
	switch mt {
	case "message/delivery-status", "message/global-delivery-status", "message/feedback-report",
		"", "text/plain", "text/enriched", "message/partial":
		return true
	}
	return strings.HasPrefix(mt, "text/")
}

// readHeaderBlock reads r up to and including the blank line that ends a
// header (a line that is empty once its "\n" or "\r\n" is removed), at
// most limit bytes. What a header parser makes of the result is what it
// makes of the whole body: it stops at that line. An error is returned
// with the bytes read before it, as io.ReadAll does.
func readHeaderBlock(r io.Reader, limit int) ([]byte, error) {
	buf := make([]byte, 0, 4096)
	scanned := 0 // bytes of buf already searched for the blank line
	for len(buf) < limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		room := buf[len(buf):min(cap(buf), limit)]
		n, err := r.Read(room)
		buf = buf[:len(buf)+n]
		if end := headerEnd(buf, scanned); end >= 0 {
			return buf[:end], nil
		}
		scanned = max(0, len(buf)-2)
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// headerEnd returns the offset just after the first empty line of b that
// starts at or after from-1, or -1.
func headerEnd(b []byte, from int) int {
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
			j := bytes.IndexByte(b[i:], '\n')
			if j < 0 {
				break
			}
			i += j
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

// hasReportFields reports text that carries the per-recipient fields of a
// delivery status report at the start of lines: Final-Recipient together
// with Action and Status (RFC 3464 section 2.3).
func hasReportFields(t string) bool {
	return strings.Contains(t, "\nFinal-Recipient:") && strings.Contains(t, "\nAction:") && strings.Contains(t, "\nStatus:")
}

// reportInText finds delivery-status fields in undecoded text (a report
// part whose MIME header is broken): from the first Reporting-MTA or
// Final-Recipient line to the next MIME boundary.
func reportInText(s string) string {
	i := strings.Index(s, "\nReporting-MTA:")
	if j := strings.Index(s, "\nFinal-Recipient:"); i < 0 || j >= 0 && j < i {
		i = j
	}
	if i < 0 {
		return ""
	}
	r := s[i+1:]
	if k := strings.Index(r, "\n--"); k >= 0 {
		r = r[:k]
	}
	return r
}

func decodedHeader(h message.Header, key string) string {
	if v, err := h.Text(key); err == nil {
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(h.Get(key))
}

// readOriginal reads the header of the returned original message.
//
// It reads as net/mail.ReadMessage(strings.NewReader(s + "\n\n")) does
// (the same textproto line reading, the same errors) but keeps only the
// four fields it needs: no map of every field, no copy of s.
func readOriginal(s string) origInfo {
	in := io.MultiReader(strings.NewReader(s), strings.NewReader("\n\n"))
	r := textproto.NewReader(bufio.NewReaderSize(in, min(len(s)+2, 4096)))
	var messageID, subject, from, to string
	var seen [4]bool
	// net/mail's readHeader: the first line cannot start with a leading
	// space.
	if buf, err := r.R.Peek(1); err == nil && (buf[0] == ' ' || buf[0] == '\t') {
		return origInfo{}
	}
	fields := 0 // fields with a name, as net/mail counts them
	for {
		kv, err := r.ReadContinuedLine()
		if kv == "" {
			if err != nil && (err != io.EOF || fields == 0) {
				return origInfo{}
			}
			break
		}
		k, v, ok := strings.Cut(kv, ":")
		if !ok {
			return origInfo{} // malformed header line
		}
		if k != "" {
			fields++
		}
		// The first value of each field, as Header.Get returns it.
		if f := origField(k); f >= 0 && !seen[f] {
			seen[f] = true
			v = strings.TrimLeft(v, " \t")
			switch f {
			case 0:
				messageID = v
			case 1:
				subject = v
			case 2:
				from = v
			case 3:
				to = v
			}
		}
		if err != nil {
			if err != io.EOF || fields == 0 {
				return origInfo{}
			}
			break
		}
	}
	dec := new(mimeWordDecoder)
	return origInfo{
		messageID: strings.TrimSpace(messageID),
		subject:   dec.decode(subject),
		from:      dec.decode(from),
		to:        dec.decode(to),
	}
}

// origField returns 0, 1, 2 or 3 for a field name that
// textproto.CanonicalMIMEHeaderKey makes Message-Id, Subject, From or To,
// else -1. Canonicalizing changes only the case of ASCII letters, and the
// four names hold nothing else but '-'.
func origField(k string) int {
	for f, name := range [...]string{"message-id", "subject", "from", "to"} {
		if len(k) == len(name) && hasFoldAt(k, 0, name) {
			return f
		}
	}
	return -1
}

// fill copies the message-level fields into a result.
func (m *parsed) fill(r *Result) {
	if r.Date == "" {
		r.Date = m.header.Get("Date")
	}
	r.MessageID = m.orig.messageID
	r.Subject = m.orig.subject
	r.From = m.orig.from
	if r.Subject == "" {
		r.Subject = m.subject
	}
}

// text returns the human-readable text of the message, the returned
// original cut off.
func (m *parsed) text() string {
	t := strings.Join(m.texts, "\n")
	return cutOriginal(t)
}

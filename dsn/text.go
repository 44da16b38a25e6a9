package dsn

import (
	"regexp"
	"strings"

	"github.com/maildx/maildx"
)

// addrRE finds email addresses in bounce prose. Domains need a dot and a
// letter TLD, so "user@localhost" and message ids rarely match.
var addrRE = regexp.MustCompile(`[A-Za-z0-9._%+=/!#$&'*^{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}`)

// originalMarkers start the copy of the returned message inside a text
// part; everything after them is the sender's own mail, not the report.
var originalMarkers = []string{
	"------ this is a copy of the message",
	"----- original message -----",
	"-----original message-----",
	"--- below this line is a copy of the message",
	"------ original message follows",
	"----- original message follows",
	"original message follows",
	"--- the header of the original message",
	"----- transcript of session follows",
	"----- unsent message follows",
	"------ the original message",
	"----- the following is a copy",
	"original message headers",
	"--- message text follows",
	"-- original message --",
	"content-type: message/rfc822",
}

// cutOriginal removes a copy of the returned message from a text. The
// transcript of a session is kept: it carries the error.
func cutOriginal(t string) string {
	l := strings.ToLower(t)
	cut := len(t)
	for _, m := range originalMarkers {
		if m == "----- transcript of session follows" {
			continue
		}
		if i := strings.Index(l, m); i >= 0 && i < cut && i > 40 {
			cut = i
		}
	}
	return t[:cut]
}

// blockFor returns the lines of text that belong to addr: the paragraph
// that names it, continued through indented or "said:" lines, plus the
// next paragraph when the first holds no error yet.
func blockFor(text, addr string) string {
	if text == "" || addr == "" {
		return ""
	}
	lines := strings.Split(text, "\n")
	la := strings.ToLower(addr)
	for i, line := range lines {
		if !strings.Contains(strings.ToLower(line), la) {
			continue
		}
		b := collect(lines, i)
		if looksLikeError(b) {
			return b
		}
	}
	return ""
}

// collect takes the line at i and the lines after it up to a blank line;
// if that holds no error text, it takes the next paragraph too.
func collect(lines []string, i int) string {
	var b []string
	if i > 0 && strings.HasSuffix(strings.TrimSpace(lines[i-1]), ":") && strings.TrimSpace(lines[i-1]) != "" && len(lines[i-1]) < 120 {
		b = append(b, strings.TrimSpace(lines[i-1]))
	}
	j := i
	for ; j < len(lines) && j < i+12; j++ {
		t := strings.TrimSpace(lines[j])
		if t == "" && j > i {
			break
		}
		b = append(b, t)
	}
	if !looksLikeError(strings.Join(b, " ")) {
		// Skip blank lines, then take one more paragraph.
		for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
			j++
		}
		for k := j; k < len(lines) && k < j+8; k++ {
			t := strings.TrimSpace(lines[k])
			if t == "" {
				break
			}
			b = append(b, t)
		}
	}
	return strings.Join(b, " ")
}

// looksLikeError reports whether a block says anything the classifier
// can use: a code or a phrase of the knowledge base.
func looksLikeError(b string) bool {
	d := maildx.Explain(b)
	return d.Reason != "onhold" && d.Reason != "undefined" || d.ReplyCode != 0 || d.Status != ""
}

// textResults reads a bounce without a machine-readable part.
func (m *parsed) textResults(opts Options) []Result {
	text := m.text()
	skip := m.notRecipients()
	var out []Result
	seen := map[string]bool{}
	for _, loc := range addrRE.FindAllStringIndex(text, -1) {
		addr := text[loc[0]:loc[1]]
		key := strings.ToLower(addr)
		if seen[key] || skip(key) || insideURL(text, loc[0]) {
			continue
		}
		seen[key] = true
		block := blockFor(text, addr)
		if block == "" {
			continue
		}
		out = append(out, Result{Recipient: addr, Diagnostic: block, Command: smtpCommand(block), DecodedBy: "text"})
		if len(out) >= maxRecips {
			break
		}
	}
	if len(out) == 0 {
		// No address with an error next to it: the returned message's
		// recipient, diagnosed from the whole report text.
		rcpt := firstAddress(m.orig.to)
		if rcpt == "" {
			return nil
		}
		diag := squeeze(text, 2000)
		out = append(out, Result{Recipient: rcpt, Diagnostic: diag, Command: smtpCommand(diag), DecodedBy: "text"})
	}
	for i := range out {
		out[i].ReportingMTA = reportingMTA(m)
		out[i].Diagnosis = explain(out[i], opts)
		if out[i].Reason == "onhold" || out[i].Reason == "undefined" {
			// The block alone was not enough; the whole report may be.
			d := maildx.Explain(squeeze(text, 4000), maildx.WithLang(opts.Lang), maildx.WithFinal())
			if d.Reason != "onhold" && d.Reason != "undefined" {
				out[i].Diagnosis = d
			}
		}
		out[i].Diagnosis.Input = out[i].Diagnostic
	}
	return out
}

// notRecipients returns a predicate for addresses that appear in bounce
// prose but are not the failed recipient: the bounce's own sender and
// addressee, the original sender, and administrative mailboxes.
func (m *parsed) notRecipients() func(string) bool {
	own := map[string]bool{}
	for _, h := range []string{m.from, m.to, m.orig.from} {
		for _, a := range addrRE.FindAllString(h, -1) {
			own[strings.ToLower(a)] = true
		}
	}
	return func(a string) bool {
		if own[a] {
			return true
		}
		local := a[:strings.IndexByte(a, '@')]
		switch local {
		case "postmaster", "mailer-daemon", "mailer_daemon", "abuse", "noreply", "no-reply", "double-bounce":
			return true
		}
		return false
	}
}

func insideURL(text string, at int) bool {
	start := strings.LastIndexAny(text[:at], " \t\n<(\"")
	return strings.Contains(text[start+1:at], "://") || strings.HasSuffix(text[:at], "mailto:")
}

func firstAddress(s string) string { return addrRE.FindString(s) }

// squeeze collapses whitespace and bounds the length.
func squeeze(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n]
	}
	return s
}

func reportingMTA(m *parsed) string {
	return ""
}

// bounceSubjects and bounceSenders identify non-standard bounces.
var bounceSubjects = []string{
	"undeliver", "undelivered", "delivery status notification", "returned mail", "failure notice",
	"delivery failure", "mail delivery failed", "delivery failed", "non-delivery", "nondelivery",
	"could not be delivered", "unzustellbar", "nicht zustellbar", "warning: could not send",
	"delivery report", "mail system error", "delivery notification", "message not delivered",
	"rejected:", "returned to sender", "delivery problem", "unable to deliver", "mail failure",
	"permanent delivery failure", "delivery has failed", "undeliverable", "delivery error",
	"fehlgeschlagen", "nicht zugestellt", "delivery status", "nondeliverable", "mail could not be delivered",
	"fatal error", "transient failure", "delayed mail", "delivery delayed", "warning: message",
}

var bounceSenders = []string{"mailer-daemon", "postmaster", "mail delivery", "mail administrator", "mailer_daemon", "mdaemon", "maildelivery"}

// isBounce decides whether a message without a DSN part is a bounce.
func (m *parsed) isBounce() bool {
	mt, params, _ := m.header.ContentType()
	if strings.EqualFold(mt, "multipart/report") && !strings.EqualFold(params["report-type"], "disposition-notification") {
		return true
	}
	subj := strings.ToLower(m.subject)
	from := strings.ToLower(m.from)
	for _, s := range bounceSenders {
		if strings.Contains(from, s) {
			return true
		}
	}
	for _, s := range bounceSubjects {
		if strings.Contains(subj, s) {
			return true
		}
	}
	rp := strings.TrimSpace(m.header.Get("Return-Path"))
	return rp == "<>" && !m.isAutoReply()
}

// autoReplySubjects identify automatic replies when headers do not.
var autoReplySubjects = []string{"out of office", "out of the office", "automatic reply", "auto reply", "autoreply", "auto-reply", "abwesenheit", "abwesend", "vacation", "automatische antwort", "im urlaub", "auto:", "automatische antwort"}

// isAutoReply applies RFC 3834 (Auto-Submitted: auto-replied) and the
// headers and subjects that mail programs use instead.
func (m *parsed) isAutoReply() bool {
	as := strings.ToLower(m.header.Get("Auto-Submitted"))
	if strings.HasPrefix(as, "auto-replied") {
		return true
	}
	if m.header.Get("X-Autoreply") != "" || m.header.Get("X-Autorespond") != "" || strings.EqualFold(m.header.Get("X-Auto-Response-Suppress"), "All") && strings.Contains(strings.ToLower(m.subject), "automatic reply") {
		return true
	}
	subj := strings.ToLower(m.subject)
	for _, s := range autoReplySubjects {
		if strings.Contains(subj, s) {
			return true
		}
	}
	return false
}

// autoReplyResults reports an automatic reply: not a bounce, nothing to do.
func (m *parsed) autoReplyResults(opts Options) []Result {
	rcpt := firstAddress(m.from)
	if rcpt == "" {
		return nil
	}
	diag := squeeze(m.subject+" "+m.text(), 500)
	d := maildx.Explain(diag, maildx.WithLang(opts.Lang), maildx.WithReason("vacation"))
	return []Result{{Diagnosis: d, Recipient: rcpt, Diagnostic: diag, DecodedBy: "rfc3834"}}
}

// feedbackResults reads an ARF report (RFC 5965).
func (m *parsed) feedbackResults(opts Options) []Result {
	groups := fieldGroups(m.feedback)
	if len(groups) == 0 {
		return nil
	}
	g := groups[0]
	rcpt := cleanAddress(g.Get("Original-Rcpt-To"))
	if rcpt == "" {
		rcpt = cleanAddress(g.Get("Removal-Recipient"))
	}
	if rcpt == "" {
		rcpt = firstAddress(m.orig.to)
	}
	ft := strings.ToLower(strings.TrimSpace(g.Get("Feedback-Type")))
	diag := "Feedback-Type: " + ft
	d := maildx.Explain(diag, maildx.WithLang(opts.Lang), maildx.WithReason("feedback"))
	return []Result{{Diagnosis: d, Recipient: rcpt, Diagnostic: diag, FeedbackType: ft, Date: g.Get("Arrival-Date"), DecodedBy: "arf"}}
}

// stripHTML turns an HTML part into text: tags become line breaks where
// they break lines, entities for the common characters are decoded.
func stripHTML(s string) string {
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

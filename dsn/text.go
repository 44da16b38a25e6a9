package dsn

import (
	"regexp"
	"sort"
	"strings"

	"github.com/maildx/maildx"
)

// addrRE finds email addresses in bounce prose. Domains need a dot and a
// letter TLD, so "user@localhost" and message ids rarely match.
//
// It is run only on the runs of address characters that hold an '@' (see
// findAddrs): a match cannot reach past such a run, and the pattern has no
// anchors or word boundaries, so the matches are those of the whole text.
var addrRE = regexp.MustCompile(`[A-Za-z0-9._%+=/!#$&'*^{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}`)

// addrChar reports a byte addrRE can match: the local-part characters,
// '@' and what a domain is made of.
func addrChar(c byte) bool {
	return addrChars[c]
}

var addrChars = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+=/!#$&'*^{|}~-@") {
		t[c] = true
	}
	return t
}()

// findAddrs returns what addrRE.FindAllStringIndex(s, n) returns (n < 0:
// all), running the expression only on the runs of address characters
// around each '@'.
func findAddrs(s string, n int) [][]int {
	var out [][]int
	from := 0 // where the next run may start
	for n < 0 || len(out) < n {
		at := strings.IndexByte(s[from:], '@')
		if at < 0 {
			break
		}
		at += from
		start := at
		for start > from && addrChar(s[start-1]) {
			start--
		}
		end := at + 1
		for end < len(s) && addrChar(s[end]) {
			end++
		}
		limit := -1
		if n >= 0 {
			limit = n - len(out)
		}
		out = appendAddrMatches(out, s[start:end], start, limit)
		from = end
	}
	return out
}

// findAllAddrs returns the addresses in s, as addrRE.FindAllString(s, -1).
func findAllAddrs(s string) []string {
	var out []string
	for _, loc := range findAddrs(s, -1) {
		out = append(out, s[loc[0]:loc[1]])
	}
	return out
}

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
	"message headers follow",
	"------- returned message",
	"original mail as follows", // fml
}

// cutOriginal removes a copy of the returned message from a text. The
// transcript of a session is kept: it carries the error.
//
// The cut is where the lower-cased text holds the first occurrence of a
// marker, the earliest such occurrence that lies beyond the first 40
// bytes (a marker first found within them is not looked for further).
func cutOriginal(t string) string {
	l := t
	if !isASCII(t) {
		// Offsets in the lower-cased text are applied to t, as always.
		l = strings.ToLower(t)
	}
	cut := len(t)
	take := func(i int) {
		if i > 40 && i < cut {
			cut = i
		}
	}
	// The markers that start with dashes: a marker with d leading dashes
	// can only match d bytes before the end of a run of dashes.
	var found uint32
	for i := 0; i < min(len(l), cut); {
		j := strings.IndexByte(l[i:min(len(l), cut)], '-')
		if j < 0 {
			break
		}
		a := i + j
		b := a + 1
		for b < len(l) && l[b] == '-' {
			b++
		}
		for k, mk := range dashMarkers {
			d := dashMarkerRun[k]
			if found&(1<<k) == 0 && b-a >= d && hasFoldAt(l, b-d, mk) {
				found |= 1 << k
				take(b - d)
			}
		}
		i = b
	}
	// "original m…": three markers.
	for i := 0; i < min(len(l), cut); {
		j := indexFoldAt(l[i:min(len(l), cut+len("original m")-1)], "original m", 3)
		if j < 0 {
			break
		}
		i += j
		for k, mk := range originalMMarkers {
			if found&(1<<(16+k)) == 0 && hasFoldAt(l, i, mk) {
				found |= 1 << (16 + k)
				take(i)
			}
		}
		i++
	}
	if i := indexFoldAt(l[:min(len(l), cut+len(markerContentType)-1)], markerContentType, 12); i >= 0 {
		take(i)
	}
	if i := indexFoldAt(l[:min(len(l), cut+len(markerHeadersFollow)-1)], markerHeadersFollow, 21); i >= 0 {
		take(i)
	}
	return t[:cut]
}

// The originalMarkers by their shape, for cutOriginal.
var (
	dashMarkers, originalMMarkers []string
	dashMarkerRun                 []int // leading dashes of each dashMarker
)

const (
	markerContentType   = "content-type: message/rfc822"
	markerHeadersFollow = "message headers follow"
)

func init() {
	for _, mk := range originalMarkers {
		switch d := len(mk) - len(strings.TrimLeft(mk, "-")); {
		case mk == "----- transcript of session follows":
		case d > 0:
			dashMarkers = append(dashMarkers, mk)
			dashMarkerRun = append(dashMarkerRun, d)
		case strings.HasPrefix(mk, "original m"):
			originalMMarkers = append(originalMMarkers, mk)
		case mk == markerContentType, mk == markerHeadersFollow:
		default:
			panic("cutOriginal does not look for " + mk)
		}
	}
	if len(dashMarkers) > 16 || len(originalMMarkers) > 16 {
		panic("too many markers")
	}
}

// blocks finds the lines of one text that belong to an address. The text
// is split into lines and lower-cased once; the block of each address and
// the verdict of looksLikeError on each candidate are computed once.
type blocks struct {
	text   string
	lines  []string // text split at "\n"
	starts []int    // offset of each line in text
	foldOK bool     // foldSafe(text)
	lower  []string // lines lower-cased, made on first use
	memo   map[string]string
	errs   map[string]bool
}

func newBlocks(text string) *blocks {
	return &blocks{text: text}
}

// blockFor returns the lines of text that belong to addr: the paragraph
// that names it, continued through indented or "said:" lines, plus the
// next paragraph when the first holds no error yet.
func (bs *blocks) blockFor(addr string) string {
	if bs.text == "" || addr == "" {
		return ""
	}
	la := strings.ToLower(addr)
	if b, ok := bs.memo[la]; ok {
		return b
	}
	if bs.memo == nil {
		bs.memo = map[string]string{}
	}
	b := bs.find(la)
	bs.memo[la] = b
	return b
}

func (bs *blocks) find(la string) string {
	if bs.lines == nil {
		bs.lines = strings.Split(bs.text, "\n")
		bs.starts = make([]int, len(bs.lines))
		off := 0
		for i, l := range bs.lines {
			bs.starts[i] = off
			off += len(l) + 1
		}
		bs.foldOK = foldSafe(bs.text)
	}
	lines := bs.lines
	for i := bs.nextLine(0, la); i >= 0; i = bs.nextLine(i+1, la) {
		b := bs.collect(i, la)
		if bs.looksLikeError(b) {
			return b
		}
		// The error may stand before the address ("The user(s) account is
		// disabled." then "<addr>"): the paragraph before, then the address.
		if p := prevParagraph(lines, i); p != "" && bs.looksLikeError(p) {
			return p + " " + b
		}
	}
	return ""
}

// nextLine returns the first line from i on whose lower-cased text holds
// la, or -1.
func (bs *blocks) nextLine(i int, la string) int {
	if i >= len(bs.lines) {
		return -1
	}
	if bs.foldOK && isASCII(la) && strings.IndexByte(la, '\n') < 0 {
		// An ASCII case-insensitive search of the whole text finds what
		// the lower-cased lines hold (see lowerContains); a match cannot
		// span lines.
		j := indexFold(bs.text[bs.starts[i]:], la)
		if j < 0 {
			return -1
		}
		p := bs.starts[i] + j
		for i+1 < len(bs.starts) && bs.starts[i+1] <= p {
			i++
		}
		return i
	}
	if bs.lower == nil {
		// strings.ToLower maps rune by rune and keeps every "\n" (and
		// makes none): the lines of the lower-cased text are the
		// lower-cased lines, made with one copy.
		bs.lower = strings.Split(strings.ToLower(bs.text), "\n")
	}
	for ; i < len(bs.lines); i++ {
		if strings.Contains(bs.lower[i], la) {
			return i
		}
	}
	return -1
}

// looksLikeError is the package's looksLikeError, remembered per block.
func (bs *blocks) looksLikeError(b string) bool {
	if v, ok := bs.errs[b]; ok {
		return v
	}
	if bs.errs == nil {
		bs.errs = map[string]bool{}
	}
	v := looksLikeError(b)
	bs.errs[b] = v
	return v
}

// startsWithOtherAddress reports a line that opens with an address other
// than addr (lower-case): the entry of the next recipient in a list.
func startsWithOtherAddress(line, addr string) bool {
	t := strings.TrimLeft(line, "\"'<*-  \t")
	// An address at the start lies within the leading run of address
	// characters, which must hold an '@'.
	n := 0
	for n < len(t) && addrChar(t[n]) {
		n++
	}
	if strings.IndexByte(t[:n], '@') < 0 {
		return false
	}
	loc := appendAddrMatches(nil, t[:n], 0, 1)
	return loc != nil && loc[0][0] == 0 && strings.ToLower(t[:loc[0][1]]) != addr
}

// prevParagraph returns the paragraph before the one holding line i.
// Only where the address opens its paragraph or the paragraph is a
// heading's ("Message details:"): elsewhere the paragraph before is prose.
func prevParagraph(lines []string, i int) string {
	j := i
	for j > 0 && j > i-12 && strings.TrimSpace(lines[j-1]) != "" {
		j--
	}
	if j != i && !strings.HasSuffix(strings.TrimSpace(lines[j]), ":") {
		return ""
	}
	for j > 0 && strings.TrimSpace(lines[j-1]) == "" {
		j--
	}
	var b []string
	for k := j - 1; k >= 0 && k >= j-8; k-- {
		t := strings.TrimSpace(lines[k])
		if t == "" {
			break
		}
		b = append(b, t)
	}
	for l, r := 0, len(b)-1; l < r; l, r = l+1, r-1 {
		b[l], b[r] = b[r], b[l]
	}
	return strings.Join(b, " ")
}

// collect takes the line at i and the lines after it up to a blank line;
// if that holds no error text, it takes the next paragraph too.
func (bs *blocks) collect(i int, addr string) string {
	lines := bs.lines
	var b []string
	if i > 0 && strings.HasSuffix(strings.TrimSpace(lines[i-1]), ":") && strings.TrimSpace(lines[i-1]) != "" && len(lines[i-1]) < 120 {
		b = append(b, strings.TrimSpace(lines[i-1]))
	}
	j := i
	for ; j < len(lines) && j < i+12; j++ {
		t := strings.TrimSpace(lines[j])
		if t == "" && j > i || j > i && startsWithOtherAddress(t, addr) {
			break
		}
		b = append(b, t)
	}
	// While the block holds no error yet, take the next paragraph: up to
	// two, so that a heading ("For the following reason:") is passed.
	for extra := 0; extra < 2 && !bs.looksLikeError(strings.Join(b, " ")); extra++ {
		for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
			j++
		}
		k := j
		for ; k < len(lines) && k < j+8; k++ {
			t := strings.TrimSpace(lines[k])
			if t == "" {
				break
			}
			b = append(b, t)
		}
		j = k
	}
	// Lines stay lines: a reply code at the start of one is a reply
	// ("----- Transcript of session follows -----" then "550 …").
	return strings.Join(b, "\n")
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
	bf := newBlocks(text)
	skip := m.notRecipients()
	var out []Result
	seen := map[string]bool{}
	if failed := m.failedRecipients(text); len(failed) > 0 {
		// The MTA named the failed recipients in a header (Exim, Google):
		// those and no others, each with its block of the text, else the
		// whole report.
		for _, addr := range failed {
			block := bf.blockFor(addr)
			if block == "" {
				block = squeeze(text, 2000)
			}
			out = append(out, Result{Bounce: Bounce{Recipient: addr, Diagnostic: block, Command: smtpCommand(block), DecodedBy: "text"}})
		}
		seen = nil
	}
	for _, loc := range findAddrs(text, -1) {
		if seen == nil {
			break
		}
		addr := text[loc[0]:loc[1]]
		key := strings.ToLower(addr)
		if seen[key] || skip(key) || mentionOnly(text, loc) {
			continue
		}
		seen[key] = true
		if helpAddress(text, loc[0]) || displayName(text, loc) {
			continue // and its later mentions, in any language
		}
		block := bf.blockFor(addr)
		if block == "" {
			continue
		}
		block = dropQmailTrailer(block)
		out = append(out, Result{Bounce: Bounce{Recipient: addr, Diagnostic: block, Command: smtpCommand(block), DecodedBy: "text"}})
		if len(out) >= maxRecips {
			break
		}
	}
	if len(out) == 0 {
		// Sent to oneself: the bounce's own addressee may be the failed
		// recipient, when an error stands next to it.
		for _, loc := range findAddrs(text, -1) {
			addr := text[loc[0]:loc[1]]
			key := strings.ToLower(addr)
			if !strings.EqualFold(firstAddress(m.to), addr) || mentionOnly(text, loc) {
				continue
			}
			if block := bf.blockFor(addr); block != "" && !seen[key] {
				seen[key] = true
				out = append(out, Result{Bounce: Bounce{Recipient: addr, Diagnostic: block, Command: smtpCommand(block), DecodedBy: "text"}})
			}
		}
	}
	if len(out) == 0 {
		// No address with an error next to it: the returned message's
		// recipient, diagnosed from the whole report text and the subject.
		rcpt := m.originalRecipient(text)
		if rcpt == "" {
			return nil
		}
		diag := squeeze(m.subject+"\n"+text, 2000)
		out = append(out, Result{Bounce: Bounce{Recipient: rcpt, Diagnostic: diag, Command: smtpCommand(diag), DecodedBy: "text"}})
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
		if out[i].Reason == "networkerror" && out[i].Temporary && permanentReport(text) {
			// A transient network failure (no server reachable) in a
			// report that calls the failure permanent: the sending MTA
			// stopped retrying, so the message expired (Zoho: "This is a
			// permanent error." over "421 … Host not reachable").
			d := maildx.Explain(out[i].Diagnostic, maildx.WithLang(opts.Lang), maildx.WithFinal(), maildx.WithReason("expired"))
			d.Evidence = append(d.Evidence, "the report calls a transient network failure permanent: the sending MTA gave up")
			out[i].Diagnosis = d
		}
		out[i].Diagnosis.Input = out[i].Diagnostic
	}
	return out
}

// permanentReport reports a bounce text that declares its failures
// permanent, which is how an MTA says it gave up.
func permanentReport(text string) bool {
	return lowerContains(text, "this is a permanent error") || lowerContains(text, "had permanent fatal errors")
}

// notRecipients returns a predicate for addresses that appear in bounce
// prose but are not the failed recipient: the bounce's own sender and
// addressee, the original sender, and administrative mailboxes.
func (m *parsed) notRecipients() func(string) bool {
	own := map[string]bool{}
	for _, h := range []string{m.from, m.to, m.orig.from} {
		for _, a := range findAllAddrs(h) {
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

// failedRecipients reads X-Failed-Recipients (Exim, Google), in the order
// the addresses first appear in the report text, the others after them.
func (m *parsed) failedRecipients(text string) []string {
	var list []string
	seen := map[string]bool{}
	for _, v := range m.header.Values("X-Failed-Recipients") {
		for _, a := range findAllAddrs(v) {
			if k := strings.ToLower(a); !seen[k] && len(list) < maxRecips {
				seen[k] = true
				list = append(list, a)
			}
		}
	}
	if len(list) < 2 {
		return list
	}
	lt := strings.ToLower(text)
	pos := func(a string) int {
		if i := strings.Index(lt, strings.ToLower(a)); i >= 0 {
			return i
		}
		return len(lt)
	}
	sort.SliceStable(list, func(i, j int) bool { return pos(list[i]) < pos(list[j]) })
	return list
}

// originalRecipient is the recipient of the returned message when the
// report names none with an error: the X-Original-To of the bounce when it
// is not the bounce's own addressee (DragonFly), the To of the attached
// original, or the To of an original quoted inline after a marker.
func (m *parsed) originalRecipient(text string) string {
	skip := m.notRecipients()
	for _, v := range m.header.Values("X-Original-To") {
		if a := firstAddress(v); a != "" && !m.ownAddress(a) {
			return a
		}
	}
	if a := firstAddress(m.orig.to); a != "" {
		return a
	}
	// The first address the report itself names (ezweb, Notes).
	for _, loc := range findAddrs(text, -1) {
		a := text[loc[0]:loc[1]]
		if !skip(strings.ToLower(a)) && !mentionOnly(text, loc) {
			return a
		}
	}
	all := strings.Join(m.texts, "\n")
	if i := originalStart(all); i >= 0 {
		o := readOriginal(strings.TrimLeft(all[i:], "\n"))
		if a := firstAddress(o.to); a != "" && !skip(strings.ToLower(a)) {
			return a
		}
	}
	return ""
}

// ownAddress reports an address of the bounce's own From or To.
func (m *parsed) ownAddress(a string) bool {
	a = strings.ToLower(a)
	for _, h := range []string{m.from, m.to} {
		for _, x := range findAllAddrs(h) {
			if strings.ToLower(x) == a {
				return true
			}
		}
	}
	return false
}

// originalStart returns the offset just after the line of the first
// original-message marker in t, or -1.
func originalStart(t string) int {
	l := strings.ToLower(t)
	best := -1
	for _, mk := range originalMarkers {
		if mk == "----- transcript of session follows" {
			continue // the report itself, not the returned message
		}
		if i := strings.Index(l, mk); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	if best < 0 {
		return -1
	}
	if j := strings.IndexByte(t[best:], '\n'); j >= 0 {
		return best + j + 1
	}
	return -1
}

// onHeaderLine reports an address on a quoted header line of the
// original message ("To: ...", "From: ..."), which names the message,
// not the failed recipient (Exchange: "Your message To: ... did not reach
// the following recipient(s)").
func onHeaderLine(text string, at int) bool {
	line := strings.TrimSpace(lineBefore(text, at))
	for _, h := range []string{"to:", "cc:", "from:", "reply-to:", "sender:", "return-path:", "message-id:", "in-reply-to:", "references:"} {
		if strings.HasPrefix(line, h) {
			return true
		}
	}
	return false
}

// qmailGiveUp is qmail's closing line for a host that refused the
// recipient permanently ("Giving up on 192.0.2.1."): it ends every
// permanent failure, says nothing about a queue lifetime, and would read
// as "expired".
var qmailGiveUp = regexp.MustCompile(`(?i)\bgiving up on \[?[0-9a-z][0-9a-z.:-]{0,252}\]?\.(\s|$)`)

func dropQmailTrailer(b string) string {
	// The expression matches only where "giving up on " stands, in any
	// case (its letters fold to ASCII letters only): most blocks are
	// passed without running it.
	if indexFold(b, "giving up on ") < 0 {
		return strings.TrimSpace(b)
	}
	return strings.TrimSpace(qmailGiveUp.ReplaceAllString(b, " "))
}

// helpAddress reports an address offered for help ("For further
// assistance, please contact <support@example.net>"): the reporting
// site's helpdesk, not a failed recipient.
func helpAddress(text string, at int) bool {
	line := lineBefore(text, at)
	before := strings.TrimRight(line, " \t<:")
	// "contact" right before the address, in a request for help: "could
	// not contact <rcpt>" is an error about the recipient, not a helpdesk.
	return strings.HasSuffix(before, "contact") &&
		(strings.Contains(line, "please") || strings.Contains(line, "assistance") || strings.Contains(line, "help"))
}

// receivedFor reports the "for <addr>; date" clause of a Received header
// (often a continuation line of the returned message's header): the
// original's addressee on some hop, not a failure.
func receivedFor(text string, loc []int) bool {
	before := strings.TrimRight(strings.ToLower(text[max(0, loc[0]-6):loc[0]]), "< ")
	after := strings.TrimLeft(text[loc[1]:], ">")
	return strings.HasSuffix(before, "for") && strings.HasPrefix(after, ";")
}

// lineBefore returns the text of at's line before at, lower-cased.
func lineBefore(text string, at int) string {
	start := strings.LastIndexByte(text[:at], '\n') + 1
	return strings.ToLower(text[start:at])
}

// mentionOnly reports an address at loc that the text mentions without
// reporting a failure for it: in a URL, on a header line, in a Received
// header's "for <addr>;", in a salutation.
func mentionOnly(text string, loc []int) bool {
	return insideURL(text, loc[0]) || onHeaderLine(text, loc[0]) || receivedFor(text, loc) || greeting(text, loc[0])
}

// displayName reports an address at loc written as the display name of
// another address in angle brackets right after it ("a@example.com
// <b@example.net>", Exim's "malformed address" report): the address is
// the one in brackets.
func displayName(text string, loc []int) bool {
	rest := strings.TrimLeft(text[loc[1]:], " \t\"'")
	if !strings.HasPrefix(rest, "<") {
		return false
	}
	at := findAddrs(rest, 1)
	return at != nil && at[0][0] == 1 && strings.HasPrefix(rest[at[0][1]:], ">") &&
		!strings.EqualFold(rest[1:at[0][1]], text[loc[0]:loc[1]]) // "a@b <a@b>" names one address
}

// greeting reports an address in a salutation ("Hello kijitora@...,").
func greeting(text string, at int) bool {
	line := strings.TrimSpace(lineBefore(text, at))
	for _, g := range []string{"hello", "hi", "dear", "hallo", "bonjour"} {
		if line == g || strings.HasPrefix(line, g+" ") {
			return true
		}
	}
	return false
}

func insideURL(text string, at int) bool {
	start := strings.LastIndexAny(text[:at], " \t\n<(\"")
	return strings.Contains(text[start+1:at], "://") || strings.HasSuffix(text[:at], "mailto:")
}

func firstAddress(s string) string {
	if loc := findAddrs(s, 1); loc != nil {
		return s[loc[0][0]:loc[0][1]]
	}
	return ""
}

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
	"メールエラー", "配信エラー", "送信エラー", "配送エラー", "不達",
}

var bounceSenders = []string{"mailer-daemon", "postmaster", "post_master", "mail delivery", "mail administrator", "mailer_daemon", "mdaemon", "maildelivery"}

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
	if m.fmlAlert() {
		return true
	}
	rp := strings.TrimSpace(m.header.Get("Return-Path"))
	return rp == "<>" && !m.isAutoReply()
}

// fmlAlertSubjects start the subjects of the error reports fml (a mailing
// list manager) sends to the list owner when it refuses a posting.
var fmlAlertSubjects = []string{"loop alert:", "loop back warning:", "warning: unix from loop", "fml system error message", "security alert"}

// fmlAlert reports an error report of the fml mailing list manager: it
// comes from the list's admin address, not from a mailer daemon, and
// names itself in X-MLServer.
func (m *parsed) fmlAlert() bool {
	if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(m.header.Get("X-MLServer"))), "fml") {
		return false
	}
	subj := strings.ToLower(m.subject)
	for _, s := range fmlAlertSubjects {
		if strings.HasPrefix(subj, s) {
			return true
		}
	}
	return false
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
	return []Result{{Diagnosis: d, Bounce: Bounce{Recipient: rcpt, Diagnostic: diag, DecodedBy: "rfc3834"}}}
}

// feedbackResults reads an ARF report (RFC 5965).
func (m *parsed) feedbackResults(opts Options) []Result {
	groups := fieldGroups(m.feedback)
	if len(groups) == 0 {
		return nil
	}
	g := groups[0]
	// A report may name several recipients (RFC 5965 section 3.2:
	// Original-Rcpt-To may appear more than once): one result each.
	var rcpts []string
	for _, field := range []string{"Original-Rcpt-To", "Removal-Recipient"} {
		for _, v := range g.Values(field) {
			if a := cleanAddress(v); a != "" && len(rcpts) < maxRecips {
				rcpts = append(rcpts, a)
			}
		}
		if len(rcpts) > 0 {
			break
		}
	}
	if len(rcpts) == 0 {
		rcpts = append(rcpts, firstAddress(m.orig.to))
	}
	ft := strings.ToLower(strings.TrimSpace(g.Get("Feedback-Type")))
	diag := "Feedback-Type: " + ft
	d := maildx.Explain(diag, maildx.WithLang(opts.Lang), maildx.WithReason("feedback"))
	out := make([]Result, 0, len(rcpts))
	for _, rcpt := range rcpts {
		out = append(out, Result{Diagnosis: d, Bounce: Bounce{Recipient: rcpt, Diagnostic: diag, FeedbackType: ft, Date: g.Get("Arrival-Date"), DecodedBy: "arf"}})
	}
	return out
}

// stripHTML turns an HTML part into text: tags become line breaks where
// they break lines, entities for the common characters are decoded.
func stripHTML(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		// Text: up to the next '<' ('>' outside a tag is text).
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(s[i : i+j])
		i += j
		// A tag, at its '<': it ends at the next '>'; another '<' before
		// that starts a tag again.
		gt := -1 // the next '>' after i, len(s) for none
		for {
			if tagBreaksLine(s[i+1 : min(len(s), i+4)]) {
				b.WriteByte('\n')
			}
			if gt <= i {
				gt = len(s)
				if k := strings.IndexByte(s[i+1:], '>'); k >= 0 {
					gt = i + 1 + k
				}
			}
			if k := strings.IndexByte(s[i+1:gt], '<'); k >= 0 {
				i += 1 + k
				continue
			}
			i = min(gt+1, len(s))
			break
		}
	}
	t := b.String()
	if strings.IndexByte(t, '&') < 0 {
		return t // no entity
	}
	return htmlEntities.Replace(t)
}

var htmlEntities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&quot;", "\"", "&nbsp;", " ", "&#39;", "'")

// tagBreaksLine reports the start of a tag name (the up to three bytes
// after '<') that breaks a line: br, p, /p, div, tr, /tr, li.
func tagBreaksLine(rest string) bool {
	if !isASCII(rest) {
		rest = strings.ToLower(rest)
	}
	return hasFoldAt(rest, 0, "br") || hasFoldAt(rest, 0, "p") || hasFoldAt(rest, 0, "/p") || hasFoldAt(rest, 0, "div") || hasFoldAt(rest, 0, "tr") || hasFoldAt(rest, 0, "/tr") || hasFoldAt(rest, 0, "li")
}

// senderDomainRefused corrects a result whose remote text says that the
// sender's domain does not exist ("553 neko.example.com does not exist"):
// the refusal is about the envelope sender, whatever the classifier made
// of the words (nothing, or an unknown recipient domain). The sender's
// domains are those of the bounce's addressee (a bounce goes to the
// envelope sender) and of the original's From; a domain the recipient
// shares is left alone.
func (m *parsed) senderDomainRefused(r *Result, opts Options) {
	if r.Reason != "onhold" && r.Reason != "hostunknown" || r.DecodedBy == "arf" || r.DecodedBy == "rfc3834" {
		return
	}
	diag := strings.ToLower(r.Diagnostic)
	rcptDomain := strings.ToLower(r.Recipient[strings.LastIndexByte(r.Recipient, '@')+1:])
	for _, h := range []string{m.to, m.orig.from} {
		for _, a := range findAllAddrs(h) {
			dom := strings.ToLower(a[strings.LastIndexByte(a, '@')+1:])
			if dom == rcptDomain || strings.HasSuffix(rcptDomain, "."+dom) {
				continue
			}
			for i := 0; i < len(diag); {
				j := strings.Index(diag[i:], dom)
				if j < 0 {
					break
				}
				j += i
				before := j == 0 || !addrChar(diag[j-1])
				after := strings.TrimLeft(diag[j+len(dom):], ">: ")
				if before && strings.HasPrefix(after, "does not exist") {
					d := maildx.Explain(r.Diagnostic, maildx.WithLang(opts.Lang), maildx.WithReason("rejected"))
					d.Input = r.Diagnosis.Input
					d.Evidence = append(d.Evidence, dom+" is the sender's domain: the refusal is about the envelope sender, not the recipient")
					r.Diagnosis = d
					return
				}
				i = j + len(dom)
			}
		}
	}
}

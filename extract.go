package maildx

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/maildx/maildx/internal/strtab"
	"github.com/maildx/maildx/internal/swar"
	"github.com/maildx/maildx/smtpcode"
)

// maxInput bounds the text the classifier looks at. Real error texts are a
// few hundred bytes; a pasted bounce may be larger, but the diagnosis lives
// in its first part, and the bound keeps the cost of one call predictable.
const maxInput = 64 << 10

// input is an error text taken apart: the codes found in it and a
// normalized form for phrase matching.
type input struct {
	raw string

	// Filled from a JSON object (nodemailer error, ESP API response).
	jsonCode     string // nodemailer "code": EENVELOPE
	jsonCommand  string // nodemailer "command": RCPT TO
	jsonResponse string // the remote SMTP reply or provider message inside the JSON
	jsonProvider string // the provider whose payload shape this is
	httpStatus   int

	reply     int             // first reply code that reads as an SMTP reply, 0 if none
	replyLine bool            // the reply code starts a line (a real reply, not a number in prose)
	status    string          // first enhanced status code, "" if none
	st        smtpcode.Status // status, parsed
	statusX   bool            // the status code was given in registry form X.Y.Z
	hex       codeList
	names     codeList // tokens with an upper-case letter or digit, for name-code lookup

	norm []byte // lower-cased, continuation prefixes removed, whitespace collapsed

	known    *strtab.Table // name codes of the knowledge base; nil keeps every code-shaped token
	provider string        // set by the classifier's scan from provider signals

	// details are the codes that candidates name and the classifier has
	// no number for: a code as the text writes it, an option's value.
	details  [4]string
	ndetails int
	more     []string // beyond the four
}

// keep files a detail of this call and returns its number for a
// candidate (below 0; see candidate.detail).
func (in *input) keep(s string) int32 {
	n := in.ndetails
	in.ndetails++
	if n < len(in.details) {
		in.details[n] = s
	} else {
		in.more = append(in.more, s)
	}
	return int32(-1 - n)
}

// knows reports whether tok is a name code of the knowledge base.
func (in *input) knows(tok string) bool {
	_, ok := in.known.Get(tok)
	return ok
}

// kept returns the detail keep numbered d.
func (in *input) kept(d int32) string {
	n := int(-1 - d)
	if n < len(in.details) {
		return in.details[n]
	}
	return in.more[n-len(in.details)]
}

// parse fills in all but norm of a zero input and returns the text to
// normalize; the classifier calls it on a value on its stack and
// normalizes into a buffer on its stack, as the normalized text does not
// outlive the call.
func (in *input) parse(text string, known *strtab.Table) (body string) {
	if len(text) > maxInput {
		text = text[:maxInput]
	}
	in.raw, in.known = text, known
	body = text
	if i := firstNonSpace(text); i < len(text) && (text[i] == '{' || text[i] == '[' || text[i] == 'H') {
		if t := strings.TrimSpace(text); t[0] != 'H' || httpPrefix(t) > 0 {
			body = in.readJSON(t)
		}
	}
	in.scanCodes(body)
	return body
}

func firstNonSpace(s string) int {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		i++
	}
	return i
}

// httpPrefix reads a leading "HTTP 400" / "HTTP/1.1 400" / "400 Bad Request {"
// and returns the status, or 0.
func httpPrefix(t string) int {
	rest, ok := strings.CutPrefix(t, "HTTP")
	if !ok {
		return 0
	}
	if strings.HasPrefix(rest, "/") {
		i := strings.IndexByte(rest, ' ')
		if i < 0 {
			return 0
		}
		rest = rest[i:]
	}
	rest = strings.TrimLeft(rest, " :")
	if len(rest) < 3 {
		return 0
	}
	n, err := strconv.Atoi(rest[:3])
	if err != nil || n < 100 || n > 599 {
		return 0
	}
	return n
}

// readJSON understands the JSON shapes people paste: a nodemailer error
// object ({"code":"EENVELOPE","response":"421 …","responseCode":421,
// "command":"RCPT TO"}), ESP API responses ({"message": "…"},
// {"errors":[{"message": "…"}]}, Postmark's {"ErrorCode":406,"Message":"…"})
// and ESP events (Mailgun's "delivery-status", SES bounce objects), optionally
// after an "HTTP 400" prefix. It returns the text to classify – the text
// fields joined, in document order of the known keys, nested objects
// included – or the original text when it is not JSON.
func (in *input) readJSON(t string) string {
	if n := httpPrefix(t); n > 0 {
		in.httpStatus = n
		if i := strings.IndexAny(t, "{["); i >= 0 {
			t = t[i:]
		} else {
			return t
		}
	}
	np := nodePool.Get().(*[]jsonNode)
	doc, ok := parseJSON(t, *np)
	var pbuf [8]string
	parts := pbuf[:0]
	if ok {
		parts = in.walkJSON(doc, 0, 0, parts)
	}
	// The text fields point into t or into strings of their own, never
	// into the nodes, which go back to the pool emptied (they must not
	// keep a text alive).
	clear(doc)
	if cap(doc) <= maxPooledNodes {
		*np = doc[:0]
		nodePool.Put(np)
	}
	if len(parts) == 0 {
		return t
	}
	return strings.Join(parts, "\n")
}

// nodePool recycles readJSON's parse trees: a tree lives only for the call,
// and allocating one for every JSON input was a quarter of the bytes the
// classifier allocated. Sized for the usual error object; a larger document
// grows its slice, which goes back to the pool up to maxPooledNodes.
var nodePool = sync.Pool{New: func() any { s := make([]jsonNode, 0, 16); return &s }}

const maxPooledNodes = 256

// walkJSON collects the text fields of node n and what they say about the
// error, depth levels down (at most 6): the known keys of an object in the
// order of jsonKeys, arrays element by element.
func (in *input) walkJSON(doc jsonDoc, n int32, depth int, parts []string) []string {
	if depth > 6 {
		return parts
	}
	switch doc[n].kind {
	case 'a':
		for c := doc[n].first; c >= 0; c = doc[c].next {
			parts = in.walkJSON(doc, c, depth+1, parts)
		}
	case 'o':
		// One pass over the members finds the known keys (the last
		// member of a name counts, as in encoding/json) and the first
		// provider key in the order of jsonProviderKeys; the members
		// are then read in the order of jsonKeys.
		var found [len(jsonKeys)]int32
		for i := range found {
			found[i] = -1
		}
		provider := len(jsonProviderKeys)
		for c := doc[n].first; c >= 0; c = doc[c].next {
			if info, ok := jsonKeyIndex.lookup(doc[c].key); ok {
				if info.key >= 0 {
					found[info.key] = c
				}
				if info.provider >= 0 {
					provider = min(provider, int(info.provider))
				}
			}
		}
		if in.jsonProvider == "" && provider < len(jsonProviderKeys) {
			in.jsonProvider = jsonProviderKeys[provider].provider
		}
		for i, c := range found {
			if c < 0 {
				continue
			}
			k := jsonKeys[i]
			switch v := &doc[c]; v.kind {
			case 's':
				switch k {
				case "code":
					if in.jsonCode == "" {
						in.jsonCode = v.val
					}
					parts = append(parts, v.val)
				case "command":
					in.jsonCommand = v.val
				case "response":
					if in.jsonResponse == "" {
						in.jsonResponse = v.val
					}
					parts = append(parts, v.val)
				default:
					parts = append(parts, v.val)
				}
			case 'n':
				f, _ := strconv.ParseFloat(v.val, 64)
				n := int(f)
				switch k {
				case "code", "responseCode":
					// An SMTP reply code (nodemailer, Mailgun's delivery-status).
					if smtpcode.ValidReply(n) && in.reply == 0 {
						in.reply = n
					}
				case "statusCode", "status", "http_status":
					if n >= 100 && n < 600 && in.httpStatus == 0 {
						in.httpStatus = n
					}
				}
			case 'o', 'a':
				parts = in.walkJSON(doc, c, depth+1, parts)
			}
		}
	}
	return parts
}

// jsonProviderKeys name the provider whose payloads carry a key.
var jsonProviderKeys = []struct{ key, provider string }{
	{"sg_event_id", "sendgrid"},
	{"sg_message_id", "sendgrid"},
	{"delivery-status", "mailgun"},
	{"log-level", "mailgun"},
	{"notificationType", "ses"},
	{"eventType", "ses"},
	{"bounceType", "ses"},
	{"ErrorCode", "postmark"},
	{"RecordType", "postmark"},
	{"MessageStream", "postmark"},
}

// jsonKeys are the keys whose values carry an error's text or codes, in
// the order they are read (a fixed order: JSON object order is not kept).
var jsonKeys = [...]string{
	"code", "command", "responseCode", "statusCode", "status", "http_status",
	"enhanced-code", "response", "message", "Message", "error", "Error", "errors",
	"reason", "description", "diagnosticCode", "diagnostic-code", "bounceType", "bounceSubType",
	"Type", "Description", "Details", "details", "delivery-status", "bounce", "bouncedRecipients",
	"complaint", "complaintFeedbackType", "deliveryDelay", "delayType", "event", "severity",
	"ErrorCode",
}

// jsonKeyInfo is what a member name is to walkJSON: its index in jsonKeys
// and in jsonProviderKeys, -1 where it has none.
type jsonKeyInfo struct{ key, provider int8 }

// jsonKeyIndex files jsonKeys and jsonProviderKeys by name; it is built
// once and only read.
var jsonKeyIndex = newJSONKeyTable()

// jsonKeyTable is the type of jsonKeyIndex: names numbers a member name,
// infos says what it is.
type jsonKeyTable struct {
	names *strtab.Table
	infos []jsonKeyInfo
}

// lookup returns what name is to walkJSON; false when it is neither a
// key nor a provider key.
func (t *jsonKeyTable) lookup(name string) (jsonKeyInfo, bool) {
	i, ok := t.names.Get(name)
	if !ok {
		return jsonKeyInfo{key: -1, provider: -1}, false
	}
	return t.infos[i], true
}

func newJSONKeyTable() jsonKeyTable {
	m := map[string]jsonKeyInfo{}
	info := func(k string) jsonKeyInfo {
		if v, ok := m[k]; ok {
			return v
		}
		return jsonKeyInfo{key: -1, provider: -1}
	}
	for i, k := range jsonKeys {
		v := info(k)
		v.key = int8(i)
		m[k] = v
	}
	for i, h := range jsonProviderKeys {
		if v := info(h.key); v.provider < 0 {
			v.provider = int8(i)
			m[h.key] = v
		}
	}
	var t jsonKeyTable
	t.names, t.infos = strtab.FromMap(m)
	return t
}

// scanCodes finds the reply code, the enhanced status code, hex client
// codes and name tokens. Boundaries are strict so that IP addresses,
// version numbers, dates, ports and message ids are not read as codes.
func (in *input) scanCodes(s string) {
	lineStart := true
	for i := 0; ; {
		kind, a, b, ls := nextCode(s, i, lineStart)
		switch kind {
		case codeEnd:
			return
		case codeName:
			in.nameToken(s[a:b])
			i = b
		case codeDigit:
			j := numberEnd(s, a)
			tok := trimDots(s[a:j])
			if boundaryBefore(s, a) && boundaryAfter(s, a+len(tok)) {
				in.numberToken(s, a, tok, ls)
			}
			if s[a] == '0' && j == a+1 && j < len(s) && (s[j] == 'x' || s[j] == 'X') {
				j = in.hexToken(s, a)
			}
			i = j
		case codeX:
			i = in.xToken(s, a)
		}
		lineStart = false
	}
}

// What nextCode stops at.
const (
	codeEnd   = iota // the end of the text
	codeName         // a word token shaped like a code, s[a:b]
	codeDigit        // a digit at a, which may start a number
	codeX            // an x or X at a, which may start a registry-form status code (x.7.1)
)

// nextCodeGo is nextCode in Go (see nextcode_amd64.s): from i on, where
// lineStart says whether only blanks are between the last line break and
// i, it returns the next place scanCodes has to look at – kind, where it
// is (a, and the end b of a name token) and whether only blanks are
// before it on its line – and passes over everything else: lower-case
// words, ordinary capitalised words, spaces and punctuation.
func nextCodeGo(s string, i int, lineStart bool) (kind, a, b int, ls bool) {
	for i < len(s) {
		// Every code holds a digit or a capital (the registry form
		// "x.Y.Z" too, whose token is found from its digit); a line
		// break matters for the next reply code. Bytes without any of
		// them – lower-case words, spaces, punctuation, most of a text –
		// are passed over eight at a time to the next one that has, and
		// the scan resumes where the token around it begins: after the
		// bytes that a token goes on with (letters, digits, '-', '_', a
		// dot before a letter or digit), at its first letter.
		if j := indexCode(s, i); j > i {
			if j == len(s) {
				break
			}
			k := j
			for k > i && (tokenClass[s[k-1]] != 0 || s[k-1] == '.' && isAlnumByte(s[k])) {
				k--
			}
			for k < j && tokenClass[s[k]] != tokLower {
				k++ // a token starts at a letter, not at '-', '_' or '.'
			}
			lineStart = lineStart && onlyBlanks(s[i:k])
			i = k
		}
		c := s[i]
		if c == ' ' || c >= 'a' && c <= 'z' && c != 'x' {
			// Most of a text is lower-case words and single spaces, which
			// are never codes: the run of them is passed over eight bytes
			// at a time. Only its last word can go on with something
			// else (a capital, a digit, a dot) and be part of a token.
			j := lowerRunEnd(s, i, true)
			if j == len(s) || s[j-1] == ' ' || tokenClass[s[j]] == 0 && s[j] != '.' {
				i, lineStart = j, lineStart && onlyBlanks(s[i:j])
				continue
			}
			w := j - 1
			for w > i && s[w-1] != ' ' {
				w--
			}
			lineStart = lineStart && onlyBlanks(s[i:w])
			if s[w] == 'x' && w+1 == j && s[j] == '.' {
				i = w // "x.7.1": the registry form of a status code, below
				continue
			}
			k, seen, ups := tokenEnd(s, j, tokLower, 0)
			if shaped(seen, ups, s[w:k]) {
				return codeName, w, k, false
			}
			i, lineStart = k, false
			continue
		}
		switch scanClass[c] {
		case scanLetter:
			// A capitalised word: its lower-case rest is passed over at
			// once, and only a token that goes on with something else
			// takes tokenEnd.
			j, seen, ups := i+1, uint8(tokUpper), 1
			k := j
			j = lowerRunEnd(s, j, false)
			if j > k {
				seen |= tokLower
			}
			if j < len(s) && (tokenClass[s[j]] != 0 || s[j] == '.') {
				j, seen, ups = tokenEnd(s, j, seen, ups)
			}
			if shaped(seen, ups, s[i:j]) { // not an ordinary capitalised word
				return codeName, i, j, false
			}
			i, lineStart = j, false
		case scanSpace:
			i++
		case scanNewline:
			i, lineStart = i+1, true
		case scanDigit:
			return codeDigit, i, 0, lineStart
		case scanX:
			return codeX, i, 0, lineStart
		default:
			i, lineStart = i+1, false
		}
	}
	return codeEnd, len(s), 0, lineStart
}

// The rare tokens below are read by functions of their own, so that
// their code does not sit between the lines of scanCodes' loop.

// hexToken reads a client code 0x800CCC0E at s[i:] (s[i] is '0' and
// s[i+1] an x) and returns its end.
//
//go:noinline
func (in *input) hexToken(s string, i int) int {
	k := i + 2 // past "0x"
	for k < len(s) && isHex(s[k]) {
		k++
	}
	if digits := k - i - 2; digits >= 4 && digits <= 8 && !isAlnum(s, k) && boundaryBefore(s, i) {
		in.hex.add(hexCode(s[i:k]))
	}
	return k
}

// xToken reads a token that starts with a lower-case x at s[i:]: the
// registry form of a status code (x.7.1) or a word, and returns its end.
//
//go:noinline
func (in *input) xToken(s string, i int) int {
	if i+1 < len(s) && s[i+1] == '.' && boundaryBefore(s, i) {
		j := numberEnd(s, i+2)
		tok := trimDots(s[i:j])
		if st, ok := smtpcode.ParseStatus(tok); ok && st.Subject <= 7 && boundaryAfter(s, i+len(tok)) && in.status == "" {
			in.status, in.st, in.statusX = registryForm(tok), st, true
		}
		return j
	}
	// An x that starts a word.
	j, seen, ups := tokenEnd(s, i, 0, 0)
	if shaped(seen, ups, s[i:j]) {
		in.nameToken(s[i:j])
	}
	return j
}

// lowerRunEnd returns the end of the run of lower-case ASCII letters at
// s[i:] – and of spaces, when spaces is set – eight bytes at a time.
func lowerRunEnd(s string, i int, spaces bool) int {
	var spaceMask uint64
	if spaces {
		spaceMask = swar.High
	}
	for ; i+8 <= len(s); i += 8 {
		x := swar.String(s, i)
		y := x & swar.Low7
		in := swar.InRange(y, 'a', 'z') | swar.Equal(y, ' ')&spaceMask
		if out := (^in | x) & swar.High; out != 0 {
			return i + swar.First(out)
		}
	}
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] == ' ' && spaces) {
		i++
	}
	return i
}

// onlyBlanks reports whether s holds nothing but spaces and tabs, which
// leave a line's start a line's start.
func onlyBlanks(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\t' {
			return false
		}
	}
	return true
}

// tokenEnd goes on with a word token of scanCodes from j, where the bytes
// before (from the token's start) had the classes seen and ups capitals. It
// returns the token's end and the classes and capitals of all of it – what
// shaped needs, found in the same pass. A dot is part of the token when a
// letter or digit follows it.
func tokenEnd(s string, j int, seen uint8, ups int) (int, uint8, int) {
	for j < len(s) {
		cl := tokenClass[s[j]]
		if cl == 0 {
			if s[j] != '.' || !isAlnum(s, j+1) {
				break
			}
			cl = tokDot
		}
		seen |= cl
		ups += int(cl & tokUpper)
		j++
	}
	return j, seen, ups
}

// nameToken keeps a word token of scanCodes that is shaped like a code
// (the callers ask shaped, which trailing '-' and '_' do not change) when
// the knowledge base knows it.
func (in *input) nameToken(tok string) {
	for len(tok) > 0 && (tok[len(tok)-1] == '-' || tok[len(tok)-1] == '_') {
		tok = tok[:len(tok)-1]
	}
	if len(tok) >= 4 && len(tok) <= 40 && (in.known == nil || in.knows(tok)) {
		in.names.add(tok)
	}
}

// Classes of the first byte of a token (scanCodes).
const (
	scanOther = iota
	scanLetter
	scanSpace
	scanNewline
	scanDigit
	scanX // may start a registry-form status code, X.7.1
)

var scanClass = func() (t [256]uint8) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c], t[c+'a'-'A'] = scanLetter, scanLetter
	}
	t['X'], t['x'] = scanX, scanX
	for c := '0'; c <= '9'; c++ {
		t[c] = scanDigit
	}
	t[' '], t['\t'] = scanSpace, scanSpace
	t['\n'], t['\r'] = scanNewline, scanNewline
	return t
}()

// numberToken looks at one digits-and-dots token.
func (in *input) numberToken(s string, at int, tok string, lineStart bool) {
	if st, ok := smtpcode.ParseStatus(tok); ok {
		if st.Subject > 7 {
			return // no subject above 7 is defined (RFC 3463); "Exim 4.96.2" is a version
		}
		if end := at + len(tok); end+1 < len(s) && s[end] == '-' && isAlnumByte(s[end+1]) {
			return // "2.0.0-beta"
		}
		if w := s[max(0, at-9):at]; mayHold(w, lettersVersion, lettersRelease) {
			var lb [12]byte
			if before := lowerWindow(&lb, w); bytes.Contains(before, []byte("version")) || bytes.Contains(before, []byte("release")) {
				return
			}
		}
		if in.status == "" {
			// tok is the code as String renders it: ParseStatus takes a
			// digit class and no leading zeros only. Keeping the text
			// saves an allocation.
			in.status, in.st = tok, st
		}
		return
	}
	if len(tok) != 3 {
		return
	}
	n, ok := smtpcode.ParseReply(tok, false)
	if !ok {
		return
	}
	var lb [12]byte
	if w := s[max(0, at-10):at]; mayHold(w, lettersHTTP, lettersErrorcode) {
		before := lowerWindow(&lb, w)
		if h := bytes.Index(before, []byte("http")); h >= 0 && (bytes.HasSuffix(before, []byte("http ")) || bytes.Contains(before[h:], []byte("http/1")) || bytes.Contains(before[h:], []byte("http/2"))) {
			if in.httpStatus == 0 {
				in.httpStatus = n
			}
			return
		} else if bytes.Contains(before, []byte("errorcode")) {
			return // Postmark's API error numbers are not SMTP replies
		}
	}
	// A reply code either starts a line (possibly after "said:" and the
	// like on the same line), is followed by an enhanced code or a
	// continuation dash, or is the whole input.
	after := s[at+3:]
	strong := lineStart || strings.HasPrefix(after, "-") || followedByStatus(after) || strings.TrimSpace(s) == tok
	if !strong {
		// Each of these words ends in ':' or ';', so most windows are
		// ruled out by looking for those two bytes before lower-casing.
		if w := s[max(0, at-12):at]; strings.IndexByte(w, ':') >= 0 || strings.IndexByte(w, ';') >= 0 {
			before := lowerWindow(&lb, w)
			strong = bytes.Contains(before, []byte("said:")) || bytes.Contains(before, []byte("reply:")) || bytes.Contains(before, []byte("smtp;")) ||
				bytes.Contains(before, []byte("error:")) || bytes.Contains(before, []byte("failed:")) || bytes.Contains(before, []byte("response:")) ||
				bytes.HasSuffix(bytes.TrimSpace(before), []byte(":"))
		}
	}
	if !strong {
		return
	}
	if in.reply == 0 || (!in.replyLine && lineStart) {
		in.reply, in.replyLine = n, lineStart
	}
}

// letters is the set of the ASCII letters in w, case folded, as bits (a is
// bit 0). A byte of 0x80 and above counts as every letter: Unicode case
// folding may turn a letter of another script into an ASCII one (K, the
// Kelvin sign, into k).
func letters(w string) uint32 {
	var set uint32
	for i := 0; i < len(w); i++ {
		set |= letterBits[w[i]]
	}
	return set
}

// letterBits is what each byte adds to letters: one table load a byte,
// where the tests took twice the instructions (numberToken asks it of
// the twenty bytes before most numbers).
var letterBits = func() (t [256]uint32) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = 1<<(c-'a'), 1<<(c-'a')
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = 1<<26 - 1
	}
	return t
}()

// The letters of the words numberToken looks for before a number.
var (
	lettersVersion   = letters("version")
	lettersRelease   = letters("release")
	lettersHTTP      = letters("http")
	lettersErrorcode = letters("errorcode")
)

// mayHold reports whether the window w before a number may hold a word
// with the letters a or one with the letters b: most numbers follow a
// space, a bracket, another number or words without them, and lower-casing
// the window and searching it is left for the few that may.
func mayHold(w string, a, b uint32) bool {
	set := letters(w)
	return set&a == a || set&b == b
}

// lowerWindow is strings.ToLower of a short window of text, lower-cased
// into buf when it is ASCII (the common case) so that it does not allocate.
func lowerWindow(buf *[12]byte, w string) []byte {
	if len(w) > len(buf) {
		return []byte(strings.ToLower(w))
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= 0x80 {
			return []byte(strings.ToLower(w))
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return buf[:len(w)]
}

// numberEnd returns the end of the run of digits and dots at s[i:], the
// shape of reply and enhanced status codes (and of versions and IP
// addresses, which the callers tell apart).
func numberEnd(s string, i int) int {
	// Eight bytes at a time: the run's length varies, and a loop that
	// stops at an unpredictable byte costs a misprediction.
	for ; i+8 <= len(s); i += 8 {
		x := swar.String(s, i)
		y := x & swar.Low7
		if out := (^(swar.InRange(y, '0', '9') | swar.Equal(y, '.')) | x) & swar.High; out != 0 {
			return i + swar.First(out)
		}
	}
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	return i
}

func trimDots(s string) string {
	for len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

func followedByStatus(after string) bool {
	after = strings.TrimLeft(after, " -#")
	j := numberEnd(after, 0)
	_, ok := smtpcode.ParseStatus(strings.TrimRight(after[:j], "."))
	return ok
}

// boundaryBefore: the token at i is not glued to a word, number, or dotted
// quad before it ("v5.1.1", "192.168.1.1", "a550").
func boundaryBefore(s string, i int) bool {
	if i == 0 {
		return true
	}
	if boundaryClass[s[i-1]]&(bAlnum|bGlueBefore) != 0 {
		return false
	}
	// "-550" after a word ("x-550") is glued; after a number it is a range.
	return s[i-1] != '-' || i < 2 || boundaryClass[s[i-2]]&(bAlnum|bDigit) != bAlnum
}

// boundaryAfter: the token ending at i is not followed by more of a word,
// a decimal part, an IP octet, a time ("12:30") or a unit-less id.
func boundaryAfter(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	c := boundaryClass[s[i]]
	if c&(bAlnum|bGlueAfter) != 0 {
		return false
	}
	return c&bDecimal == 0 || i+1 == len(s) || boundaryClass[s[i+1]]&bDigit == 0
}

// Byte classes of boundaryBefore and boundaryAfter, looked up in
// boundaryClass: one load instead of a comparison per byte value.
const (
	bAlnum      = 1 << iota // ASCII letter or digit
	bDigit                  // ASCII digit
	bGlueBefore             // . _ / @ + : a token right after it is part of something else
	bGlueAfter              // _ @ / : a token right before it goes on
	bDecimal                // . : , : with a digit after it, a number goes on
)

var boundaryClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = bAlnum | bDigit
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = bAlnum, bAlnum
	}
	for _, c := range "._/@+" {
		t[c] |= bGlueBefore
	}
	for _, c := range "_@/" {
		t[c] |= bGlueAfter
	}
	for _, c := range ".:," {
		t[c] |= bDecimal
	}
	return t
}()

func isAlnumByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isAlnum(s string, i int) bool { return i < len(s) && isAlnumByte(s[i]) }

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// Classes of the bytes of a name token (scanCodes); 0 ends the token,
// except for a dot followed by a letter or digit.
const (
	tokUpper = 1 << iota
	tokLower
	tokDigit
	tokOther // '-' and '_'
	tokDot   // '.' inside a token (set by tokenEnd, not in the table)
)

var tokenClass = func() (t [256]uint8) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = tokUpper
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = tokLower
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = tokDigit
	}
	t['-'], t['_'] = tokOther, tokOther
	return t
}()

// shaped is codeShaped(tok) (its oracle, in the tests) for a token whose
// byte classes (seen, with tokDot for a dot) and capitals (ups) were
// collected in one pass; trailing '-' and '_' change neither.
func shaped(seen uint8, ups int, tok string) bool {
	switch {
	case seen&tokDigit != 0:
		return true
	case seen&tokUpper == 0:
		return false // lower-case words, with or without dots, are words
	case seen&tokLower == 0:
		return true
	}
	return seen&tokDot != 0 || ups >= 2 && tok[0] >= 'A' && tok[0] <= 'Z'
}

// registryForm is the canonical spelling of a status code in registry
// form that ParseStatus accepted (x.2.2 → X.2.2): digits without leading
// zeros are canonical already, so only the X may need changing.
func registryForm(tok string) string {
	if tok[0] == 'X' {
		return tok
	}
	return "X" + tok[1:]
}

// codeList is a list of distinct codes kept in place: most texts carry
// none or one, and the input lives on the classifier's stack, where a slice
// of its own would have to be allocated (escape analysis cannot keep a
// pointer into the input from leaking with the strings the result takes).
type codeList struct {
	first [3]string
	n     int
	more  []string // all of them, once there are more than fit in first
}

// add appends s unless the list has it.
func (l *codeList) add(s string) {
	if slices.Contains(l.list(), s) {
		return
	}
	if l.more == nil && l.n < len(l.first) {
		l.first[l.n] = s
		l.n++
		return
	}
	if l.more == nil {
		l.more = append(l.more, l.first[:l.n]...)
	}
	l.more = append(l.more, s)
}

// list returns the codes in the order they were added.
func (l *codeList) list() []string {
	if l.more != nil {
		return l.more
	}
	return l.first[:l.n]
}

// hexCode is the canonical form of a client code written 0x…: upper-case
// digits after a lower-case x, as the knowledge base files them. It only
// builds a new string when the text wrote it otherwise.
func hexCode(s string) string {
	for i := 2; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'f' {
			return "0x" + strings.ToUpper(s[2:])
		}
	}
	if s[1] == 'X' {
		return "0x" + s[2:]
	}
	return s
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// normalize prepares text for phrase matching: it drops the "550-5.1.1 "
// prefixes of continuation lines (Gmail splits sentences across them),
// drops quote characters (straight, typographic, backticks), collapses
// whitespace to single spaces, and lower-cases. Knowledge-base phrases go
// through the same function, so both sides always agree.
func normalize(s string) []byte { return appendNormalized(make([]byte, 0, len(s)), s) }

// Byte classes of normalize, looked up in normClass: most bytes of an
// error text are lower-case letters, digits or punctuation, copied as they
// are, and one table load tells them apart from the few that need care.
const (
	normCopy  = iota // copied unchanged
	normUpper        // A–Z: lower-cased
	normSpace        // space, tab, CR: collapsed
	normQuote        // ' " `: dropped
	normHigh         // 0x80 and above: UTF-8, lower-cased by lowerUTF8
)

var normClass = func() (t [256]uint8) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = normUpper
	}
	t[' '], t['\t'], t['\r'] = normSpace, normSpace, normSpace
	t['\''], t['"'], t['`'] = normQuote, normQuote, normQuote
	for c := 0x80; c < 0x100; c++ {
		t[c] = normHigh
	}
	return t
}()

// appendNormalized appends the normalized form of s to dst (see normalize).
// The output is never longer than s, so a dst of capacity len(s) is not
// grown.
func appendNormalized(dst []byte, s string) []byte {
	out := dst
	base := len(dst) // out[base:] is this text's part; "space" needs it non-empty
	space, ascii := false, true
	for len(s) > 0 {
		line := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		line = line[replyPrefixLen(line):]
		// Room for the line and a pending space; a dst of capacity
		// len(s) has it, as the pending space stands for the line break.
		room := len(line)
		if space {
			room++
		}
		if cap(out)-len(out) < room {
			out = slices.Grow(out, room)
		}
		var n int
		n, ascii = normLine(out, base, line, space, ascii)
		out = out[:n]
		// A space at the end of the line is dropped; the next line, if
		// any, starts with one.
		if len(out) > base && out[len(out)-1] == ' ' {
			out = out[:len(out)-1]
		}
		space = len(out) > base
	}
	if !ascii {
		return lowerUTF8(out, base)
	}
	return out
}

// normLineGo is normLine in Go (see normline_amd64.s): it appends the
// normalized line to out, whose capacity has room for the line and a
// pending space (space), and returns the new length of out and whether
// the text is still all ASCII. base is where the text's part of out
// starts. The line's output may or may not end with a space, which the
// caller drops.
func normLineGo(out []byte, base int, line string, space, ascii bool) (int, bool) {
	for i := 0; i < len(line); i++ {
		// Eight bytes at a time while they hold nothing to drop or
		// collapse (lowerCopy): only capitals change, and a space
		// is written at once (a space left at the end of the line is
		// taken back by the caller). The first byte that needs care goes
		// through the switch.
		if i+8 <= len(line) {
			var carry uint64 // a space here would follow a space, or start the text
			if space || len(out) == base || out[len(out)-1] == ' ' {
				carry = 0x80
			}
			// A pending space goes first; it is taken back when
			// nothing follows it here.
			if space {
				out = append(out, ' ')
			}
			if n := lowerCopy(out[len(out):cap(out)], line, i, carry); n > 0 {
				out, i, space = out[:len(out)+n], i+n, false
			} else if space {
				out = out[:len(out)-1]
			}
		}
		if i == len(line) {
			break
		}
		c := line[i]
		switch normClass[c] {
		case normSpace:
			space = len(out) > base && out[len(out)-1] != ' '
			continue
		case normQuote:
			continue // quoting differs between servers and copies of a message
		case normUpper:
			c += 'a' - 'A'
		case normHigh:
			if c == 0xE2 && i+2 < len(line) && line[i+1] == 0x80 && line[i+2] >= 0x98 && line[i+2] <= 0x9F {
				i += 2 // typographic quotes ‘ ’ ‚ ‛ “ ” „ ‟
				continue
			}
			ascii = false
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		out = append(out, c)
	}
	return len(out), ascii
}

// indexCode returns the index of the first byte of s at or after i that is
// an ASCII digit, a capital letter or a control character (a line break),
// or len(s) when there is none: where the classifier's code scanner has to
// look, as every code holds a digit or a capital. It is the skip of
// nextCodeGo; nextcode_amd64.s has its own, sixteen bytes a step.
func indexCode(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		x := swar.String(s, i)
		y := x & swar.Low7
		code := swar.InRange(y, '0', '9') | swar.InRange(y, 'A', 'Z') | swar.Below(y, 0x20)
		if out := code &^ x & swar.High; out != 0 {
			return i + swar.First(out)
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c < 0x20 {
			return i
		}
	}
	return i
}

// lowerCopy copies s[i:] to dst with the capitals A–Z lower-cased, eight
// bytes at a time, up to the first byte that needs care: a byte of 0x80
// and above, a control byte, one of ! " # $ % & ' and `, or a space after
// a space (or, for the first byte, after whatever carry stands for: 0x80
// counts as a space). Only whole groups of eight bytes of s and of dst are
// read and written, so it may stop up to seven bytes before the end or
// before such a byte; it writes the whole group the byte is in. It
// returns how many bytes it copied. It is the fast path of normLineGo;
// normline_amd64.s has its own, sixteen bytes a step. i must be between 0
// and len(s).
func lowerCopy(dst []byte, s string, i int, carry uint64) int {
	start, end := i, min(len(s), i+len(dst))
	for i+8 <= end {
		// In the top bit of each byte of stop: a byte of 0x80 and
		// above, a control byte, one of ! " # $ % & ' and `, or a space
		// after a space (carry has 0x80 when the byte before counts as
		// one). lower is x with capitals lower-cased, the carry for the
		// next eight bytes isSpace's last byte.
		x := swar.String(s, i)
		y := x & swar.Low7
		isSpace := swar.Equal(y, ' ') & swar.High
		care := swar.Below(y, '(')&^isSpace | swar.Equal(y, '`')
		stop := (x | care | isSpace&(isSpace<<8|carry)) & swar.High
		n := swar.First(stop) // 8 when nothing stops
		if n == 0 {
			break
		}
		binary.LittleEndian.PutUint64(dst[i-start:], x|swar.InRange(y, 'A', 'Z')&swar.High>>2)
		i, carry = i+n, isSpace>>56
		if n < 8 {
			break
		}
	}
	return i - start
}

// lowerUTF8 lower-cases the UTF-8 text out[base:] in place of it (Ü → ü)
// as bytes.ToLower does, invalid bytes becoming U+FFFD, without its
// allocation; ASCII bytes are copied as they are, as appendNormalized has
// lower-cased them already. The text can grow (İ lower-cased takes three
// bytes), so it is read from a copy.
//
//go:noinline
func lowerUTF8(out []byte, base int) []byte {
	var buf [512]byte
	src := append(buf[:0], out[base:]...)
	out = out[:base]
	for i := 0; i < len(src); {
		if c := src[i]; c < utf8.RuneSelf {
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(src[i:])
		out = utf8.AppendRune(out, unicode.ToLower(r))
		i += n
	}
	return out
}

// replyPrefixLen returns the length of a leading "550-5.1.1 " or
// "550 5.1.1 " (with any indentation), 0 when the line has none.
func replyPrefixLen(line string) int {
	t := line[firstNonSpace(line):]
	if len(t) < 4 || t[3] != '-' && t[3] != ' ' {
		return 0
	}
	if _, ok := smtpcode.ParseReply(t[:3], false); !ok {
		return 0
	}
	rest := t[4:]
	j := numberEnd(rest, 0)
	if _, ok := smtpcode.ParseStatus(rest[:j]); ok {
		rest = rest[j:]
	}
	return len(line) - len(rest)
}

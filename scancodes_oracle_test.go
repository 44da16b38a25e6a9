package maildx

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/maildx/maildx/internal/strtab"
	"github.com/maildx/maildx/smtpcode"
)

// scanCodesOracle is scanCodes before lower-case words got their own fast
// loop: the reference FuzzScanCodes holds the faster version to.
func (in *input) scanCodesOracle(s string) {
	lineStart := true
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\n' || c == '\r':
			lineStart = true
			i++
			continue
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			tok := trimDots(s[i:j])
			end := i + len(tok)
			if boundaryBeforeOracle(s, i) && boundaryAfterOracle(s, end) {
				in.numberTokenOracle(s, i, tok, lineStart)
			}
			if c == '0' && j < len(s) && (s[j] == 'x' || s[j] == 'X') && j == i+1 {
				k := j + 1
				for k < len(s) && isHex(s[k]) {
					k++
				}
				if k-j-1 >= 4 && k-j-1 <= 8 && !isAlnum(s, k) && boundaryBeforeOracle(s, i) {
					in.hex.add("0x" + strings.ToUpper(s[j+1:k]))
				}
				j = k
			}
			i = j
		case c == 'X' || c == 'x':
			if i+1 < len(s) && s[i+1] == '.' && boundaryBeforeOracle(s, i) {
				j := i + 2
				for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
					j++
				}
				tok := trimDots(s[i:j])
				if st, ok := smtpcode.ParseStatus(tok); ok && st.Subject <= 7 && boundaryAfterOracle(s, i+len(tok)) && in.status == "" {
					in.status, in.st, in.statusX = st.String(), st, true
				}
				i = j
				break
			}
			fallthrough
		case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
			// One pass over the token finds its end and what codeShaped
			// needs; most tokens are lower-case words and are dropped here.
			j := i
			var seen uint8
			for j < len(s) {
				cl := tokenClass[s[j]]
				if cl == 0 && !(s[j] == '.' && isAlnum(s, j+1)) {
					break
				}
				seen |= cl
				j++
			}
			tok := s[i:j]
			for len(tok) > 0 && (tok[len(tok)-1] == '-' || tok[len(tok)-1] == '_') {
				tok = tok[:len(tok)-1]
			}
			if len(tok) >= 4 && len(tok) <= 40 && shapedClasses(seen, tok) && (in.known == nil || in.knows(tok)) {
				in.names.add(tok)
			}
			i = j
		default:
			i++
		}
		if c != ' ' && c != '\t' {
			lineStart = false
		}
	}
}

// shapedClasses is the oracle's shape test: codeShaped(tok) for a token
// whose byte classes were collected in one pass (seen, the union of tokenClass; trailing '-' and '_'
// change nothing). Only mixed-case tokens, rare, need codeShaped itself.
func shapedClasses(seen uint8, tok string) bool {
	switch {
	case seen&tokDigit != 0:
		return true
	case seen&tokUpper == 0:
		return false // lower-case words, with or without dots, are words
	case seen&tokLower == 0:
		return true
	}
	return codeShaped(tok)
}

// checkScan holds scanCodes to the oracle on s, with and without the
// knowledge base's names.
func checkScan(t *testing.T, s string) {
	t.Helper()
	for _, known := range []*strtab.Table{nil, defaultClassifier().names} {
		got, want := &input{known: known}, &input{known: known}
		got.scanCodes(s)
		want.scanCodesOracle(s)
		if !(got.reply == want.reply && got.replyLine == want.replyLine && got.status == want.status && got.st == want.st &&
			got.statusX == want.statusX && got.httpStatus == want.httpStatus && slices.Equal(got.hex.list(), want.hex.list()) && slices.Equal(got.names.list(), want.names.list())) {
			t.Errorf("%q: got %+v, want %+v", s, got, want)
		}
	}
}

func FuzzScanCodes(f *testing.F) {
	for _, s := range []string{"550-5.1.1 The email account <a@b.c> EENVELOPE\n550 5.1.1 gsmtp", "x.5.1 X.7.1 0x800CCC0E abcDEF_ mx1.example.com eEnvelope-", "Exim 4.96.2 HTTP 400 said: 421 4.7.0 [TS03]", "a.b-c_d.E9 \r\n 452", "mailbox x.2.2 ax.7.1 .x.5.1 xABC x1", "Version 5.1.1 RELEASE 2.0.0 HTTP/1.1 404 errorcode 406 said: 550 reply; 421 K 5.1.1 Kelvin 5.2.2", ""} {
		f.Add(s)
	}
	f.Fuzz(checkScan)
}

func TestScanCodesOracle(t *testing.T) {
	for _, s := range goldenTexts(t) {
		checkScan(t, s)
	}
}

// numberTokenOracle is numberToken before it looked at the letters of the
// window before a number ahead of lower-casing it: the reference
// scanCodesOracle uses.
func (in *input) numberTokenOracle(s string, at int, tok string, lineStart bool) {
	if st, ok := smtpcode.ParseStatus(tok); ok {
		if st.Subject > 7 {
			return // no subject above 7 is defined (RFC 3463); "Exim 4.96.2" is a version
		}
		if end := at + len(tok); end+1 < len(s) && s[end] == '-' && isAlnumByte(s[end+1]) {
			return // "2.0.0-beta"
		}
		if w := s[max(0, at-9):at]; hasLetterOracle(w) {
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
	if w := s[max(0, at-10):at]; hasLetterOracle(w) {
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
		// ruled out by looking for those two bytes.
		before := lowerWindow(&lb, s[max(0, at-12):at])
		strong = (bytes.IndexByte(before, ':') >= 0 || bytes.IndexByte(before, ';') >= 0) && (bytes.Contains(before, []byte("said:")) || bytes.Contains(before, []byte("reply:")) || bytes.Contains(before, []byte("smtp;")) ||
			bytes.Contains(before, []byte("error:")) || bytes.Contains(before, []byte("failed:")) || bytes.Contains(before, []byte("response:")) ||
			bytes.HasSuffix(bytes.TrimSpace(before), []byte(":")))
	}
	if !strong {
		return
	}
	if in.reply == 0 || (!in.replyLine && lineStart) {
		in.reply, in.replyLine = n, lineStart
	}
}

// hasLetterOracle reports whether the window w before a number holds a letter;
// the words numberToken looks for there ("version", "HTTP") need one, and
// most numbers follow a space, a bracket or another number.
func hasLetterOracle(w string) bool {
	for i := 0; i < len(w); i++ {
		if c := w[i] | 0x20; c >= 'a' && c <= 'z' || w[i] >= 0x80 {
			return true
		}
	}
	return false
}

// boundaryBeforeOracle and boundaryAfterOracle are the first, plainer
// versions of boundaryBefore and boundaryAfter.
func boundaryBeforeOracle(s string, i int) bool {
	if i == 0 {
		return true
	}
	p := s[i-1]
	return !(isAlnumByte(p) || p == '.' || p == '_' || p == '/' || p == '@' || p == '+' || p == '-' && i >= 2 && isAlnumByte(s[i-2]) && !(s[i-2] >= '0' && s[i-2] <= '9'))
}

func boundaryAfterOracle(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	c := s[i]
	if isAlnumByte(c) || c == '_' || c == '@' || c == '/' {
		return false
	}
	if (c == '.' || c == ':' || c == ',') && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
		return false
	}
	return true
}

// TestBoundaryOracle tries every pair of bytes, at the start, in the
// middle and at the end of a text.
func TestBoundaryOracle(t *testing.T) {
	for a := range 256 {
		for b := range 256 {
			s := string([]byte{byte(a), byte(b)})
			for i := 0; i <= 2; i++ {
				if got, want := boundaryBefore(s, i), boundaryBeforeOracle(s, i); got != want {
					t.Fatalf("boundaryBefore(%q, %d) = %v, want %v", s, i, got, want)
				}
				if got, want := boundaryAfter(s, i), boundaryAfterOracle(s, i); got != want {
					t.Fatalf("boundaryAfter(%q, %d) = %v, want %v", s, i, got, want)
				}
			}
		}
	}
}

package maildx

import (
	"slices"
	"strings"
	"testing"

	"github.com/maildx/maildx/kb"
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
			if boundaryBefore(s, i) && boundaryAfter(s, end) {
				in.numberToken(s, i, tok, lineStart)
			}
			if c == '0' && j < len(s) && (s[j] == 'x' || s[j] == 'X') && j == i+1 {
				k := j + 1
				for k < len(s) && isHex(s[k]) {
					k++
				}
				if k-j-1 >= 4 && k-j-1 <= 8 && !isAlnum(s, k) && boundaryBefore(s, i) {
					in.hex.add("0x" + strings.ToUpper(s[j+1:k]))
				}
				j = k
			}
			i = j
		case c == 'X' || c == 'x':
			if i+1 < len(s) && s[i+1] == '.' && boundaryBefore(s, i) {
				j := i + 2
				for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
					j++
				}
				tok := trimDots(s[i:j])
				if st, ok := smtpcode.ParseStatus(tok); ok && st.Subject <= 7 && boundaryAfter(s, i+len(tok)) && in.status == "" {
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
			if len(tok) >= 4 && len(tok) <= 40 && shapedClasses(seen, tok) && (in.known == nil || in.known[tok] != nil) {
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
	for _, known := range []map[string][]*kb.Entry{nil, defaultClassifier().byName} {
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
	for _, s := range []string{"550-5.1.1 The email account <a@b.c> EENVELOPE\n550 5.1.1 gsmtp", "x.5.1 X.7.1 0x800CCC0E abcDEF_ mx1.example.com eEnvelope-", "Exim 4.96.2 HTTP 400 said: 421 4.7.0 [TS03]", "a.b-c_d.E9 \r\n 452", "mailbox x.2.2 ax.7.1 .x.5.1 xABC x1", ""} {
		f.Add(s)
	}
	f.Fuzz(checkScan)
}

func TestScanCodesOracle(t *testing.T) {
	for _, s := range goldenTexts(t) {
		checkScan(t, s)
	}
}

package maildx

import (
	"bytes"
	"strings"
	"testing"
)

// appendNormalizedOracle is appendNormalized before runs of ordinary bytes
// went on through single spaces: the reference FuzzNormalize holds the
// faster version to.
func appendNormalizedOracle(dst []byte, s string) []byte {
	out := dst
	base := len(dst)
	space, ascii := false, true
	for len(s) > 0 {
		line := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		line = line[replyPrefixLen(line):]
		for i := 0; i < len(line); i++ {
			j := i
			for j < len(line) && normClass[line[j]] == normCopy {
				j++
			}
			if j > i {
				if space {
					out = append(out, ' ')
					space = false
				}
				out = append(out, line[i:j]...)
				if i = j; i == len(line) {
					break
				}
			}
			c := line[i]
			switch normClass[c] {
			case normSpace:
				space = len(out) > base
				continue
			case normQuote:
				continue
			case normUpper:
				c += 'a' - 'A'
			case normHigh:
				if c == 0xE2 && i+2 < len(line) && line[i+1] == 0x80 && line[i+2] >= 0x98 && line[i+2] <= 0x9F {
					i += 2
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
		space = len(out) > base
	}
	if !ascii {
		return append(out[:base], bytes.ToLower(out[base:])...)
	}
	return out
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"550-5.1.1 The email account  that you tried\n550-5.1.1 to reach does not exist", "a b  c\t d \r\n e ", " x", "x ", "Ü ber ‘quote’ \"q\" `b`", "", "İSTANBUL \xff\xfe ÜNÏCÖDE ΣΑΣ \xe2\x80",
		"  The Email  Account\tthat 'you' tried `to` reach #$%& does NOT exist   \n   550 5.1.1   Leading spaces and a long line of ordinary text, then\r\n",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789 ~!@()*+,-./:;<=>?[]^_{|}\x7f\x00\x01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendNormalized([]byte("pre"), s), appendNormalizedOracle([]byte("pre"), s); !bytes.Equal(got, want) {
			t.Errorf("%q: got %q, want %q", s, got, want)
		}
	})
}

func TestNormalizeOracle(t *testing.T) {
	for _, s := range goldenTexts(t) {
		if got, want := normalize(s), appendNormalizedOracle(nil, s); !bytes.Equal(got, want) {
			t.Errorf("%q: got %q, want %q", s, got, want)
		}
	}
}

// TestNormalizeInPlace holds appendNormalized to its promise that a dst of
// capacity len(s) is not grown (Explain normalizes into a stack buffer);
// only non-ASCII text, whose lower case can be longer, may grow it.
func TestNormalizeInPlace(t *testing.T) {
	for _, s := range goldenTexts(t) {
		if strings.IndexFunc(s, func(r rune) bool { return r >= 0x80 }) >= 0 {
			continue
		}
		dst := make([]byte, 0, len(s))
		out := appendNormalized(dst, s)
		if cap(out) != cap(dst) || len(out) > 0 && &out[0] != &dst[:1][0] {
			t.Errorf("%q: the output left dst's array (cap %d, now %d)", s, cap(dst), cap(out))
		}
	}
}

// Package jsonstr decodes the contents of JSON string literals (RFC 8259
// section 7) exactly as encoding/json decodes them, without reflection:
// the classifier reads pasted JSON with it, and the server the body of an
// explain request.
package jsonstr

import (
	"unicode/utf16"
	"unicode/utf8"

	"github.com/maildx/maildx/internal/swar"
)

// Literal finds the string literal that starts at s[i] (a '"'): end is
// the index of its closing quote, escaped and ascii say whether its
// contents s[i+1:end] hold a backslash escape and whether they are all
// ASCII. ok is false when there is no literal there, it is not closed, or
// it holds a control character (RFC 8259 section 7).
func Literal[T string | []byte](s T, i int) (end int, escaped, ascii, ok bool) {
	if i >= len(s) || s[i] != '"' {
		return 0, false, false, false
	}
	ascii = true
	for j := i + 1; j < len(s); j++ {
		// Eight bytes at a time while none of them is a quote, a
		// backslash, a control character or a byte of 0x80 and above:
		// most of a literal is plain text.
		for ; j+8 <= len(s); j += 8 {
			x := swar.Load(s, j)
			y := x & swar.Low7
			if stop := (x | swar.Equal(y, '"') | swar.Equal(y, '\\') | swar.Below(y, 0x20)) & swar.High; stop != 0 {
				j += swar.First(stop)
				break
			}
		}
		if j == len(s) {
			break
		}
		switch c := s[j]; {
		case c == '"':
			return j, escaped, ascii, true
		case c == '\\':
			escaped = true
			j++ // the escaped byte cannot end the literal
		case c < 0x20:
			return 0, false, false, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return 0, false, false, false
}

// Unquote decodes raw, the bytes between a string literal's quotes: the
// escapes, UTF-16 surrogate pairs, U+FFFD for an unpaired surrogate and
// for each byte of invalid UTF-8. ok is false for an invalid escape.
func Unquote[T string | []byte](raw T) (s string, ok bool) {
	var stack [512]byte
	out := stack[:0]
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\':
			if i+1 == len(raw) {
				return "", false
			}
			switch e := raw[i+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := hex4(raw, i)
				if !ok {
					return "", false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if r2, ok := hex4(raw, i); ok {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							out = utf8.AppendRune(out, d)
							i += 6
							continue
						}
					}
					r = utf8.RuneError // the next escape stays for the next round
				}
				out = utf8.AppendRune(out, r)
				continue
			default:
				return "", false
			}
			i += 2
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			var rb [utf8.UTFMax]byte
			n := copy(rb[:], raw[i:min(len(raw), i+utf8.UTFMax)])
			r, size := utf8.DecodeRune(rb[:n])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, rb[:size]...)
			}
			i += size
		}
	}
	return string(out), true
}

// hex4 decodes the escape \uXXXX at s[i:].
func hex4[T string | []byte](s T, i int) (rune, bool) {
	if i+6 > len(s) || s[i] != '\\' || s[i+1] != 'u' {
		return 0, false
	}
	var r rune
	for j := i + 2; j < i+6; j++ {
		c := s[j]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// Package jsonstr decodes the contents of JSON string literals (RFC 8259
// section 7) exactly as encoding/json decodes them, without reflection:
// the classifier reads pasted JSON with it, and the server the body of an
// explain request.
package jsonstr

import (
	"unicode/utf16"
	"unicode/utf8"
)

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

package maildx

import (
	"strconv"
	"unicode/utf8"

	"github.com/maildx/maildx/internal/swar"
)

// AppendJSON appends the diagnosis as one JSON object, byte for byte what
// encoding/json produces with HTML escaping off (a test holds the two
// together), at a fraction of the cost: explain --lines writes a million
// of these.
func (d *Diagnosis) AppendJSON(b []byte) []byte {
	b = append(b, `{"input":`...)
	b = appendString(b, d.Input)
	b = append(b, `,"kind":`...)
	b = appendString(b, d.Kind)
	if d.Provider != "" {
		b = append(b, `,"provider":`...)
		b = appendString(b, d.Provider)
	}
	b = append(b, `,"reply_code":`...)
	b = strconv.AppendInt(b, int64(d.ReplyCode), 10)
	b = append(b, `,"status":`...)
	b = appendString(b, d.Status)
	b = append(b, `,"codes":`...)
	b = appendStrings(b, d.Codes)
	b = append(b, `,"reason":`...)
	b = appendString(b, d.Reason)
	b = append(b, `,"category":`...)
	b = appendString(b, d.Category)
	b = append(b, `,"hard_bounce":`...)
	b = strconv.AppendBool(b, d.HardBounce)
	b = append(b, `,"temporary":`...)
	b = strconv.AppendBool(b, d.Temporary)
	b = append(b, `,"action":`...)
	b = appendString(b, d.Action)
	if d.RetryAfter != 0 {
		b = append(b, `,"retry_after":`...)
		b = strconv.AppendInt(b, int64(d.RetryAfter), 10)
	}
	b = append(b, `,"fault":`...)
	b = appendString(b, d.Fault)
	if d.Severity != "" {
		b = append(b, `,"severity":`...)
		b = appendString(b, d.Severity)
	}
	if d.Frequency != "" {
		b = append(b, `,"frequency":`...)
		b = appendString(b, d.Frequency)
	}
	b = append(b, `,"lang":`...)
	b = appendString(b, d.Lang)
	b = append(b, `,"title":`...)
	b = appendString(b, d.Title)
	b = append(b, `,"meaning":`...)
	b = appendString(b, d.Meaning)
	b = append(b, `,"solution":`...)
	b = appendStrings(b, d.Solution)
	b = append(b, `,"entries":`...)
	if d.Entries == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, e := range d.Entries {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = appendString(b, e.ID)
			b = append(b, `,"source":`...)
			b = appendString(b, e.Source)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"evidence":`...)
	b = appendStrings(b, d.Evidence)
	return append(b, '}')
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// plainASCII returns, for the eight bytes of w (little-endian), a mask with
// the top bit set in each byte that a JSON string cannot hold as it is: a
// control character, '"', '\\', or a byte of 0x80 and above (the start or
// part of a UTF-8 sequence, which the byte loop checks).
func plainASCII(w uint64) uint64 {
	y := w & swar.Low7
	return (w | swar.Below(y, 0x20) | swar.Equal(y, '"') | swar.Equal(y, '\\')) & swar.High
}

// appendString quotes s as encoding/json does without HTML escaping:
// control characters escaped (\n, \r, \t, \b, \f, else \u00XX), invalid UTF-8
// replaced by U+FFFD, and U+2028/U+2029 escaped for JavaScript.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Most of a diagnosis is plain ASCII text: eight bytes are looked
		// at together, and the byte loop takes over at the first that
		// needs care (see plainASCII).
		for i+8 <= len(s) {
			if m := plainASCII(swar.String(s, i)); m != 0 {
				i += swar.First(m)
				break
			}
			i += 8
		}
		if i == len(s) {
			break
		}
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

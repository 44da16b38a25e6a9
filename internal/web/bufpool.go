package web

import (
	"encoding/json"
	"io"
	"sync"
	"unicode/utf8"
)

// bufferPool recycles the byte buffers of request bodies and JSON answers.
// Buffers that grew beyond maxPooledBuffer are left to the collector so
// that one large upload does not pin its memory.
var bufferPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

const maxPooledBuffer = 64 << 10

func getBuffer() *[]byte { return bufferPool.Get().(*[]byte) }

// putBuffer returns a buffer; nothing may use its bytes afterwards (an
// http.ResponseWriter does not keep the slice passed to Write).
func putBuffer(b *[]byte) {
	if cap(*b) > maxPooledBuffer {
		return
	}
	*b = (*b)[:0]
	bufferPool.Put(b)
}

// readAll is io.ReadAll appending to b.
func readAll(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
	}
}

// decodeExplainRequest decodes the common shapes of an explain request –
// an object of the members "text" and "lang", string-valued – without
// encoding/json's decoder. It reports false for anything else (other
// members, other types, a differently cased name, invalid or trailing
// data), and the caller then decodes body with decodeJSON, which also
// words the errors. Where it reports true, req holds what decodeJSON would
// have decoded (TestDecodeExplainRequestMatchesDecoder).
func decodeExplainRequest(body []byte, req *ExplainRequest) bool {
	i := skipSpace(body, 0)
	if i == len(body) || body[i] != '{' {
		return false
	}
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return skipSpace(body, i+1) == len(body)
	}
	for {
		key, next, ok := jsonString(body, i)
		if !ok {
			return false
		}
		i = skipSpace(body, next)
		if i == len(body) || body[i] != ':' {
			return false
		}
		val, next, ok := jsonString(body, skipSpace(body, i+1))
		if !ok {
			return false
		}
		switch key {
		case "text":
			req.Text = &val
		case "lang":
			req.Lang = val
		default:
			return false
		}
		i = skipSpace(body, next)
		if i == len(body) {
			return false
		}
		switch body[i] {
		case ',':
			i = skipSpace(body, i+1)
		case '}':
			return skipSpace(body, i+1) == len(body)
		default:
			return false
		}
	}
}

// skipSpace skips JSON white space from i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// jsonString decodes the JSON string literal at b[i:] and returns the index
// after it. A literal with escapes is decoded by encoding/json; ok is false
// if there is no valid literal.
func jsonString(b []byte, i int) (s string, next int, ok bool) {
	if i == len(b) || b[i] != '"' {
		return "", 0, false
	}
	escaped := false
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			raw := b[i+1 : j]
			if escaped {
				if err := json.Unmarshal(b[i:j+1], &s); err != nil {
					return "", 0, false
				}
				return s, j + 1, true
			}
			if !utf8.Valid(raw) {
				return "", 0, false // encoding/json replaces the bad bytes
			}
			switch string(raw) { // no allocation for the usual languages and member names
			case "text":
				return "text", j + 1, true
			case "lang":
				return "lang", j + 1, true
			case "en":
				return "en", j + 1, true
			case "de":
				return "de", j + 1, true
			}
			return string(raw), j + 1, true
		case c == '\\':
			escaped = true
			j++ // the escaped byte cannot end the literal
		case c < 0x20:
			return "", 0, false
		}
	}
	return "", 0, false
}

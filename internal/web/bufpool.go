package web

import (
	"io"
	"net/http"
	"sync"
	"unicode/utf8"

	"github.com/maildx/maildx/internal/jsonstr"
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

// readBody appends the body r to b, at most limit bytes; a longer body
// is a *http.MaxBytesError, as http.MaxBytesReader would report it. It
// replaces that reader where the handler reads the whole body into a
// pooled buffer anyway: one allocation less per request, and nothing lost,
// since the reader's other effect (closing the connection after the answer)
// never happened behind wrap's recorder.
func readBody(b []byte, r io.Reader, limit int64) ([]byte, error) {
	start := len(b)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		// Read one byte more than allowed to tell a body of exactly
		// limit bytes from a longer one.
		room := b[len(b):cap(b)]
		if left := limit + 1 - int64(len(b)-start); int64(len(room)) > left {
			room = room[:left]
		}
		n, err := r.Read(room)
		b = b[:len(b)+n]
		if int64(len(b)-start) > limit {
			return b[:start+int(limit)], &http.MaxBytesError{Limit: limit}
		}
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
	}
}

// explainFields are the members of an explain request that
// decodeExplainRequest decodes. They are values, not pointers as in
// ExplainRequest, so that the handler's copy of the text stays off the heap.
type explainFields struct {
	text    string
	hasText bool
	lang    string
}

// decodeExplainRequest decodes the common shapes of an explain request –
// an object of the members "text" and "lang", string-valued – without
// encoding/json's decoder. It reports false for anything else (other
// members, other types, a differently cased name, invalid or trailing
// data), and the caller then decodes body with decodeJSON, which also
// words the errors. Where it reports true, f holds what decodeJSON would
// have decoded (TestDecodeExplainRequestMatchesDecoder).
func decodeExplainRequest(body []byte) (f explainFields, ok bool) {
	i := skipSpace(body, 0)
	if i == len(body) || body[i] != '{' {
		return f, false
	}
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return f, skipSpace(body, i+1) == len(body)
	}
	for {
		key, next, ok := jsonString(body, i)
		if !ok {
			return f, false
		}
		i = skipSpace(body, next)
		if i == len(body) || body[i] != ':' {
			return f, false
		}
		val, next, ok := jsonString(body, skipSpace(body, i+1))
		if !ok {
			return f, false
		}
		switch key {
		case "text":
			f.text, f.hasText = val, true
		case "lang":
			f.lang = val
		default:
			return f, false
		}
		i = skipSpace(body, next)
		if i == len(body) {
			return f, false
		}
		switch body[i] {
		case ',':
			i = skipSpace(body, i+1)
		case '}':
			return f, skipSpace(body, i+1) == len(body)
		default:
			return f, false
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
// after it, as encoding/json would decode it; ok is false if there is no
// valid literal, and for invalid UTF-8 (which encoding/json replaces).
func jsonString(b []byte, i int) (s string, next int, ok bool) {
	end, escaped, _, ok := jsonstr.Literal(b, i)
	if !ok {
		return "", 0, false
	}
	raw := b[i+1 : end]
	if !utf8.Valid(raw) {
		return "", 0, false
	}
	if escaped {
		s, ok := jsonstr.Unquote(raw)
		return s, end + 1, ok
	}
	switch string(raw) { // no allocation for the usual languages and member names
	case "text":
		return "text", end + 1, true
	case "lang":
		return "lang", end + 1, true
	case "en":
		return "en", end + 1, true
	case "de":
		return "de", end + 1, true
	}
	return string(raw), end + 1, true
}

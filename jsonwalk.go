package maildx

import (
	"strconv"

	"github.com/maildx/maildx/internal/jsonstr"
)

// jsonNode is one value of a JSON document read by parseJSON: the nodes of
// a document sit in one slice, children linked through first/next, so that
// reading the small objects people paste costs no reflection and, for
// texts without escapes, no copies.
type jsonNode struct {
	kind  byte   // 's' string, 'n' number, 'o' object, 'a' array, 'l' true/false/null
	key   string // the member name, for a member of an object
	val   string // a string's decoded value, a number's text
	first int32  // first child of an object or array, -1 if none
	next  int32  // next sibling, -1 if none
}

// maxJSONDepth is encoding/json's nesting limit: deeper documents are
// invalid there, so they are here.
const maxJSONDepth = 10000

// parseJSON reads the JSON document t into nodes (node 0 is the root) and
// returns them, also the ones written before a syntax error. It
// accepts exactly what encoding/json's Unmarshal into an any accepts:
// RFC 8259 syntax, white space around, numbers that fit a float64, at most
// 10,000 levels of nesting; strings are decoded as encoding/json decodes
// them (invalid UTF-8 and unpaired surrogates become U+FFFD).
func parseJSON(t string, nodes []jsonNode) (jsonDoc, bool) {
	p := jsonParser{s: t, nodes: nodes[:0]}
	p.space()
	if _, ok := p.value(0); !ok {
		return p.nodes, false
	}
	p.space()
	return p.nodes, p.i == len(p.s)
}

// jsonDoc is a parsed document; node 0 is the root.
type jsonDoc []jsonNode

type jsonParser struct {
	s     string
	i     int
	nodes []jsonNode
}

func (p *jsonParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *jsonParser) add(kind byte, val string) int32 {
	p.nodes = append(p.nodes, jsonNode{kind: kind, val: val, first: -1, next: -1})
	return int32(len(p.nodes) - 1)
}

// value reads one value at p.i (white space skipped before it) and
// returns its node.
func (p *jsonParser) value(depth int) (int32, bool) {
	if p.i >= len(p.s) {
		return 0, false
	}
	switch c := p.s[p.i]; {
	case c == '{' || c == '[':
		if depth >= maxJSONDepth {
			return 0, false
		}
		n := p.add('a', "")
		closing := byte(']')
		if c == '{' {
			p.nodes[n].kind, closing = 'o', '}'
		}
		p.i++
		p.space()
		if p.i < len(p.s) && p.s[p.i] == closing {
			p.i++
			return n, true
		}
		last := int32(-1)
		for {
			var key string
			if closing == '}' {
				k, ok := p.str()
				if !ok {
					return 0, false
				}
				key = k
				p.space()
				if p.i >= len(p.s) || p.s[p.i] != ':' {
					return 0, false
				}
				p.i++
				p.space()
			}
			child, ok := p.value(depth + 1)
			if !ok {
				return 0, false
			}
			p.nodes[child].key = key
			if last < 0 {
				p.nodes[n].first = child
			} else {
				p.nodes[last].next = child
			}
			last = child
			p.space()
			if p.i >= len(p.s) {
				return 0, false
			}
			switch p.s[p.i] {
			case ',':
				p.i++
				p.space()
			case closing:
				p.i++
				return n, true
			default:
				return 0, false
			}
		}
	case c == '"':
		v, ok := p.str()
		if !ok {
			return 0, false
		}
		return p.add('s', v), true
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if len(p.s)-p.i >= len(lit) && p.s[p.i:p.i+len(lit)] == lit {
				p.i += len(lit)
				return p.add('l', lit), true
			}
		}
		return 0, false
	case c == '-' || c >= '0' && c <= '9':
		start := p.i
		if !p.number() {
			return 0, false
		}
		v := p.s[start:p.i]
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return 0, false // out of float64 range: encoding/json refuses it too
		}
		return p.add('n', v), true
	}
	return 0, false
}

// digitsEnd returns the end of the run of decimal digits at s[i:].
func digitsEnd(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// number reads the JSON number grammar at p.i.
func (p *jsonParser) number() bool {
	s := p.s
	i := p.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = digitsEnd(s, i)
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		d := i + 1
		if i = digitsEnd(s, d); i == d {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		if i = digitsEnd(s, d); i == d {
			return false
		}
	}
	p.i = i
	return true
}

// str reads a string literal at p.i and returns its decoded value: a
// substring of the input when it holds no escape and only valid UTF-8.
func (p *jsonParser) str() (string, bool) {
	end, escaped, ascii, ok := jsonstr.Literal(p.s, p.i)
	if !ok {
		return "", false
	}
	raw := p.s[p.i+1 : end]
	p.i = end + 1
	if !escaped && ascii {
		return raw, true
	}
	return jsonstr.Unquote(raw)
}

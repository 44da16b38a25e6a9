package jsonstr

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// check holds Literal and Unquote to encoding/json on the literal "raw":
// where encoding/json decodes it, Literal must find its closing quote and
// Unquote (over a string and over bytes) must give the same text.
func check(t *testing.T, raw string) {
	var want string
	lit := `"` + raw + `"`
	err := json.Unmarshal([]byte(lit), &want)
	if end, _, _, ok := Literal(lit, 0); err == nil && (!ok || end != len(lit)-1) {
		t.Errorf("Literal(%q) = %d, %v; want the closing quote at %d", lit, end, ok, len(lit)-1)
	}
	for _, got := range []struct {
		s  string
		ok bool
	}{pair(Unquote(raw)), pair(Unquote([]byte(raw)))} {
		if err == nil && (!got.ok || got.s != want) {
			t.Errorf("Unquote(%q) = %q, %v; encoding/json: %q", raw, got.s, got.ok, want)
		}
	}
}

func pair(s string, ok bool) struct {
	s  string
	ok bool
} {
	return struct {
		s  string
		ok bool
	}{s, ok}
}

var samples = []string{
	``, `plain`, `a\"b\\c\/d\b\f\n\r\t`, `\u00e4\u00C4`, `\ud83d\ude00`, `\ud83d`, `\ud83dx`, `\udc00\ud83d`,
	`\ud83d\u0041`, "\xff\xfe", "ok \xed\xa0\x80 ok", "é ü 😀", `\x`, `\u12`, `\u12g4`, `end\`,
}

func TestUnquote(t *testing.T) {
	for _, s := range samples {
		check(t, s)
	}
	for _, bad := range []string{`\x`, `\u12`, `\u12g4`, `end\`} {
		if _, ok := Unquote(bad); ok {
			t.Errorf("Unquote(%q) accepted an invalid escape", bad)
		}
	}
}

func FuzzUnquote(f *testing.F) {
	for _, s := range samples {
		f.Add(s)
	}
	f.Fuzz(check)
}

// literalOracle is Literal before it passed over plain bytes eight at a
// time: the reference FuzzLiteral holds it to.
func literalOracle(s string, i int) (end int, escaped, ascii, ok bool) {
	if i >= len(s) || s[i] != '"' {
		return 0, false, false, false
	}
	ascii = true
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			return j, escaped, ascii, true
		case c == '\\':
			escaped = true
			j++
		case c < 0x20:
			return 0, false, false, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return 0, false, false, false
}

func checkLiteral(t *testing.T, s string) {
	for i := range len(s) + 1 {
		type result struct {
			end                int
			escaped, ascii, ok bool
		}
		var want, got, gotBytes result
		want.end, want.escaped, want.ascii, want.ok = literalOracle(s, i)
		got.end, got.escaped, got.ascii, got.ok = Literal(s, i)
		gotBytes.end, gotBytes.escaped, gotBytes.ascii, gotBytes.ok = Literal([]byte(s), i)
		if got != want || gotBytes != want {
			t.Fatalf("Literal(%q, %d) = %+v (bytes %+v), want %+v", s, i, got, gotBytes, want)
		}
	}
}

func TestLiteral(t *testing.T) {
	for _, s := range literalSamples {
		checkLiteral(t, s)
	}
}

var literalSamples = []string{
	`"plain text of some length, longer than eight"`, `"a\"b" tail`, `"12345678\"12345678"`, `"1234567\\"`,
	"\"abcdefg\x01hijklmn\"", "\"abcdefgh\xc3\xa4ijklmnop\"", `"unterminated and long enough`, `"`, `""`,
	`"\\\\\\\\\\\\\\\\"`, `x"abc"`, `"abcdefghijklmno\`,
}

func FuzzLiteral(f *testing.F) {
	for _, s := range literalSamples {
		f.Add(s)
	}
	f.Fuzz(checkLiteral)
}

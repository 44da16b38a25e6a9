package jsonstr

import (
	"encoding/json"
	"testing"
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

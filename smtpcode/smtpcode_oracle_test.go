package smtpcode

import (
	"strings"
	"testing"
)

// parseStatusOracle and parseReplyOracle are the first, plainer versions
// of ParseStatus and ParseReply, kept as the reference the fast ones are
// held to.
func parseStatusOracle(s string) (Status, bool) {
	if len(s) < 5 || s[1] != '.' {
		return Status{}, false
	}
	var st Status
	switch s[0] {
	case '2':
		st.Class = ClassSuccess
	case '4':
		st.Class = ClassTransient
	case '5':
		st.Class = ClassPermanent
	case 'X', 'x':
		st.Class = ClassNone
	default:
		return Status{}, false
	}
	rest := s[2:]
	dot := strings.IndexByte(rest, '.')
	if dot < 0 {
		return Status{}, false
	}
	var ok bool
	if st.Subject, ok = numberOracle(rest[:dot]); !ok {
		return Status{}, false
	}
	if st.Detail, ok = numberOracle(rest[dot+1:]); !ok {
		return Status{}, false
	}
	return st, true
}

func numberOracle(s string) (int, bool) {
	if len(s) == 0 || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func parseReplyOracle(s string, allowSocket bool) (int, bool) {
	if len(s) != 3 {
		return 0, false
	}
	for i := 0; i < 3; i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n := int(s[0]-'0')*100 + int(s[1]-'0')*10 + int(s[2]-'0')
	if allowSocket && (n == 101 || n == 111) {
		return n, true
	}
	if !ValidReply(n) {
		return 0, false
	}
	return n, true
}

func checkParse(t *testing.T, s string) {
	t.Helper()
	if got, ok := ParseStatus(s); true {
		want, wok := parseStatusOracle(s)
		if got != want || ok != wok {
			t.Fatalf("ParseStatus(%q) = %v %v, want %v %v", s, got, ok, want, wok)
		}
	}
	for _, socket := range []bool{false, true} {
		got, ok := ParseReply(s, socket)
		want, wok := parseReplyOracle(s, socket)
		if got != want || ok != wok {
			t.Fatalf("ParseReply(%q, %v) = %v %v, want %v %v", s, socket, got, ok, want, wok)
		}
	}
}

// TestParseOracle tries every string of up to six bytes over the bytes
// that matter (digits at the edges of the ranges, dots, X, a neighbour),
// every one of up to nine over fewer of them (four digits after a dot),
// and every three bytes of digits and their neighbours.
func TestParseOracle(t *testing.T) {
	var walk func(alphabet, prefix string, n int)
	walk = func(alphabet, prefix string, n int) {
		checkParse(t, prefix)
		if len(prefix) < n {
			for i := range len(alphabet) {
				walk(alphabet, prefix+alphabet[i:i+1], n)
			}
		}
	}
	walk("0159.Xx/", "", 6)
	walk("05.", "", 9)
	const digits = "/0123456789:"
	for _, a := range digits {
		for _, b := range digits {
			for _, c := range digits {
				checkParse(t, string([]rune{a, b, c}))
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"5.1.1", "4.7.500", "X.2.2", "5.01.1", "5.1.1000", "550", "101", "2.0.0.1", "x.7.1"} {
		f.Add(s)
	}
	f.Fuzz(checkParse)
}

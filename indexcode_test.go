package maildx

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// indexCodeBytes is indexCode byte by byte, its reference.
func indexCodeBytes(s string, i int) int {
	for ; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c < 0x20 {
			return i
		}
	}
	return len(s)
}

func checkIndexCode(t *testing.T, s string) {
	t.Helper()
	for i := 0; i <= len(s); i++ {
		want := indexCodeBytes(s, i)
		if got := indexCode(s, i); got != want {
			t.Fatalf("indexCode(%q, %d) = %d, want %d", s, i, got, want)
		}
	}
}

func TestIndexCode(t *testing.T) {
	for _, s := range []string{"", "a", "Z", "mailbox unavailable", "mailbox 550", "user unknown\nx",
		"abcdefg@", "abcdefgh[", "abcdefghij/:;<=>?@[\\]^_`{|}~\x7f", "\x80\x90\xc3\xbc\xff abc 0", "\t"} {
		checkIndexCode(t, s)
	}
	// Every byte at every place of the sixteen- and eight-byte steps and
	// of the tail.
	for c := range 256 {
		for at := range 37 {
			b := []byte(strings.Repeat("a", 37))
			b[at] = byte(c)
			checkIndexCode(t, string(b))
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		checkIndexCode(t, randomText(r, 40, "abcxyz .@/-\x80\xff"))
	}
}

func FuzzIndexCode(f *testing.F) {
	f.Add("550 5.1.1 <a@example.com>: recipient address rejected")
	f.Add("ünknown user \x00")
	f.Fuzz(func(t *testing.T, s string) {
		// checkIndexCode tries every start: quadratic, so the
		// fuzzer's rare huge inputs are cut.
		checkIndexCode(t, s[:min(len(s), 256)])
	})
}

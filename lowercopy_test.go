package maildx

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// lowerCopyBytes is lowerCopy byte by byte: the bytes of the whole groups
// of eight that fit in s and dst, up to the first that needs care.
func lowerCopyBytes(s string, i, dstLen int, carry uint64) []byte {
	end := min(len(s), i+dstLen)
	end = i + max(end-i, 0)/8*8
	var out []byte
	prevSpace := carry != 0
	for p := i; p < end; p++ {
		c := s[p]
		if c >= 0x80 || c < '(' && c != ' ' || c == '`' || c == ' ' && prevSpace {
			break
		}
		prevSpace = c == ' '
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out = append(out, c)
	}
	return out
}

func checkLowerCopy(t *testing.T, s string, dstLen int) {
	t.Helper()
	for i := 0; i <= len(s); i++ {
		for _, carry := range []uint64{0, 0x80} {
			want := lowerCopyBytes(s, i, dstLen, carry)
			dst := make([]byte, dstLen)
			n := lowerCopy(dst, s, i, carry)
			if n != len(want) || !bytes.Equal(dst[:n], want) {
				t.Fatalf("lowerCopy(%d bytes, %q, %d, %#x) = %d %q, want %d %q", dstLen, s, i, carry, n, dst[:n], len(want), want)
			}
		}
	}
}

func TestLowerCopy(t *testing.T) {
	for _, s := range []string{"", "Mailbox", "Mailbox Unavailable For This User", "user  unknown in table here",
		"550 5.1.1 \"quoted\" text `here` and 'there'", "über alles ÜBER", "tab\there and CR\r\nnext line",
		"eight ch", "exactly sixteen!", "A-Z a-z 0-9 [](){}<>@#$%&*+=~^|\\/?:;,._-"} {
		for _, n := range []int{0, 7, 8, 15, 16, len(s), len(s) + 8} {
			checkLowerCopy(t, s, n)
		}
	}
	// Every byte at every place of the sixteen- and eight-byte steps,
	// alone and after a space.
	for c := range 256 {
		for at := range 37 {
			b := []byte(strings.Repeat("a", 37))
			b[at] = byte(c)
			checkLowerCopy(t, string(b), 40)
			if at > 0 {
				b[at-1] = ' '
				checkLowerCopy(t, string(b), 40)
			}
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 1500 {
		s := randomText(r, 48, "abcXYZ  .@/-!`'\"\t\x80\xc3")
		checkLowerCopy(t, s, r.IntN(len(s)+10))
	}
}

func FuzzLowerCopy(f *testing.F) {
	f.Add("550 5.1.1 User Unknown  in \"virtual\" table", 64)
	f.Add("ÜBER", 8)
	f.Fuzz(func(t *testing.T, s string, dstLen int) {
		if dstLen < 0 || dstLen > 1<<12 {
			return
		}
		// checkLowerCopy tries every start: quadratic, so the fuzzer's
		// rare huge inputs are cut.
		checkLowerCopy(t, s[:min(len(s), 256)], dstLen)
	})
}

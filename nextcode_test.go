package maildx

import (
	"math/rand/v2"
	"testing"
)

// checkNextCode holds nextCode (in assembly where there is one) to
// nextCodeGo from every place of s, with and without a line start.
func checkNextCode(t *testing.T, s string) {
	t.Helper()
	for i := 0; i <= len(s); i++ {
		for _, ls := range []bool{false, true} {
			k1, a1, b1, l1 := nextCode(s, i, ls)
			k2, a2, b2, l2 := nextCodeGo(s, i, ls)
			if k1 != k2 || a1 != a2 || b1 != b2 || l1 != l2 {
				t.Fatalf("nextCode(%q, %d, %v) = %d %d %d %v, nextCodeGo = %d %d %d %v", s, i, ls, k1, a1, b1, l1, k2, a2, b2, l2)
			}
		}
	}
}

func TestNextCode(t *testing.T) {
	for _, s := range []string{"", "x", "X", "x.", "a x.7.1", "user123 Mailbox RESOLVER.ADR.RecipNotFound mx.Google.com a-550",
		"  \t 550 5.1.1\n\t\r 421", "Abc. Def.Ghi abC.d e.F", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa Word", "ü Über 5xx"} {
		checkNextCode(t, s)
	}
	for _, s := range goldenTexts(t)[:300] {
		checkNextCode(t, s)
	}
	r := rand.New(rand.NewPCG(9, 10))
	for range 3000 {
		checkNextCode(t, randomText(r, 70, "abcxyzABXZ0159 .-_\t\n\r@:/"))
	}
}

// randomText is up to n-1 bytes, four in five from alphabet and the rest
// any byte.
func randomText(r *rand.Rand, n int, alphabet string) string {
	b := make([]byte, r.IntN(n))
	for i := range b {
		if r.IntN(5) == 0 {
			b[i] = byte(r.IntN(256))
		} else {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
	}
	return string(b)
}

func FuzzNextCode(f *testing.F) {
	for _, s := range []string{"550-5.1.1 The email account <a@b.c> EENVELOPE\n550 5.1.1 gsmtp", "x.5.1 X.7.1 0x800CCC0E abcDEF_ mx1.example.com eEnvelope-", "a.b-c_d.E9 \r\n 452 aX.b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// checkNextCode tries every start: quadratic, so the fuzzer's
		// rare huge inputs are cut.
		checkNextCode(t, s[:min(len(s), 256)])
	})
}

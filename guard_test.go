//go:build unix

package maildx

import (
	"bytes"
	"math/rand/v2"
	"runtime/debug"
	"testing"
	"unsafe"

	"github.com/maildx/maildx/internal/guard"
)

// TestReadsStayInside runs the assembly loops (nextCode, normLine, and the
// phrase finder through Explain) over texts that end where an unreadable
// page begins: a load past the end of a text faults. Every length up to
// 48 and the golden texts, each against the same text in ordinary memory.
func TestReadsStayInside(t *testing.T) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	texts := goldenTexts(t)[:200]
	r := rand.New(rand.NewPCG(13, 14))
	const alphabet = "abcxAZX09 .-_'\"`\t\n@:[\xc3"
	for n := range 49 {
		for range 20 {
			b := make([]byte, n)
			for i := range b {
				b[i] = alphabet[r.IntN(len(alphabet))]
			}
			texts = append(texts, string(b))
		}
	}
	for _, text := range texts {
		g, free, err := guard.Bytes([]byte(text))
		if err != nil {
			t.Skipf("no guarded memory here: %v", err)
		}
		s := unsafe.String(unsafe.SliceData(g), len(g))
		for i := 0; i <= len(s); i++ {
			k1, a1, b1, l1 := nextCode(s, i, true)
			k2, a2, b2, l2 := nextCodeGo(text, i, true)
			if k1 != k2 || a1 != a2 || b1 != b2 || l1 != l2 {
				t.Fatalf("%q from %d: nextCode differs in guarded memory", text, i)
			}
		}
		if got, want := appendNormalized(nil, s), appendNormalized(nil, text); !bytes.Equal(got, want) {
			t.Fatalf("%q: normalized differently in guarded memory: %q, %q", text, got, want)
		}
		d1, d2 := Explain(s), Explain(text)
		if got, want := d1.AppendJSON(nil), d2.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("%q: explained differently in guarded memory:\n%s\n%s", text, got, want)
		}
		free()
	}
}

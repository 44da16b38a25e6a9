//go:build unix

package phrase

import (
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"testing"

	"github.com/maildx/maildx/internal/guard"
)

// TestFindReadsStayInside runs Find (scan and probes, in assembly on
// amd64) over texts of every length up to 64 that end where an unreadable
// page begins, with phrases that start and end near the end: a load past
// the end of the text faults.
func TestFindReadsStayInside(t *testing.T) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	r := rand.New(rand.NewPCG(15, 16))
	const alphabet = "ab -."
	for n := range 65 {
		for range 30 {
			text := make([]byte, n)
			for i := range text {
				text[i] = alphabet[r.IntN(len(alphabet))]
			}
			var patterns []string
			for range 1 + r.IntN(10) {
				at := r.IntN(n + 1)
				patterns = append(patterns, string(text[at:min(n, at+1+r.IntN(30))]))
			}
			m := New(patterns)
			g, free, err := guard.Bytes(text)
			if err != nil {
				t.Skipf("no guarded memory here: %v", err)
			}
			if got, want := m.Find(g, nil), m.Find(text, nil); !slices.Equal(got, want) {
				t.Fatalf("patterns %q text %q: %v in guarded memory, %v", patterns, text, got, want)
			}
			free()
		}
	}
}

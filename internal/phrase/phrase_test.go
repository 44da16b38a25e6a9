package phrase

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/maildx/maildx/internal/swar"
)

// naive is the obvious quadratic search, the reference for Find: a phrase
// that begins with a word byte is only found where a word begins.
func naive(patterns []string, text string) []Match {
	first := map[string]int{}
	for i, p := range patterns {
		if _, ok := first[p]; !ok && p != "" {
			first[p] = i
		}
	}
	var out []Match
	for end := 1; end <= len(text); end++ {
		var here []Match
		for p, i := range first {
			if s := end - len(p); strings.HasSuffix(text[:end], p) && (s == 0 || !WordByte(text[s-1]) || !WordByte(p[0])) {
				here = append(here, Match{int32(i), int32(end)})
			}
		}
		slices.SortFunc(here, func(a, b Match) int { return len(patterns[b.Pattern]) - len(patterns[a.Pattern]) })
		out = append(out, here...)
	}
	return out
}

// find is m.Find(text, nil), checked against Find into slices with room
// for one, two, three and many matches, and after matches already there:
// the probing appends within dst's capacity and leaves a position whose
// matches do not fit to be probed again where dst can grow.
func find(t testing.TB, m *Matcher, text string) []Match {
	t.Helper()
	want := m.Find([]byte(text), nil)
	prefix := []Match{{7, 7}, {8, 8}}
	for _, room := range []int{1, 2, 3, 256} {
		dst := make([]Match, len(prefix), len(prefix)+room)
		copy(dst, prefix)
		got := m.Find([]byte(text), dst)
		if !slices.Equal(got[:len(prefix)], prefix) || !slices.Equal(got[len(prefix):], want) {
			t.Fatalf("text %q: Find into room for %d gives %v, into nil %v", text, room, got, want)
		}
	}
	return want
}

func sorted(ms []Match) []Match {
	ms = slices.Clone(ms)
	slices.SortFunc(ms, func(a, b Match) int {
		if a.End != b.End {
			return int(a.End - b.End)
		}
		return int(a.Pattern - b.Pattern)
	})
	return ms
}

func TestFind(t *testing.T) {
	// Phrases that go on past the end of a text with NUL bytes must not
	// match there: the bytes missing at the end read as zero.
	patterns := []string{"he", "she", "his", "hers", "user unknown", "unknown", "user", "", "he", "user unknown\x00", "rejected: user unknown in virtual\x00"}
	m := New(patterns)
	for _, text := range []string{"ushers", "recipient address rejected: user unknown in virtual mailbox table", "", "hhhhe", "sheshe", "user unknown", "rejected: user unknown in virtual"} {
		got, want := sorted(find(t, m, text)), sorted(naive(patterns, text))
		if !slices.Equal(got, want) {
			t.Errorf("%q: got %v want %v", text, got, want)
		}
	}
}

func TestFindRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abc "[r.IntN(4)]
		}
		return string(b)
	}
	for round := 0; round < 200; round++ {
		var patterns []string
		for i := 0; i < 1+r.IntN(20); i++ {
			patterns = append(patterns, word(1+r.IntN(5)))
		}
		text := word(r.IntN(60))
		got, want := sorted(find(t, New(patterns), text)), sorted(naive(patterns, text))
		if !slices.Equal(got, want) {
			t.Fatalf("patterns %q text %q: got %v want %v", patterns, text, got, want)
		}
	}
}

// TestFindWordStarts holds the eight-at-a-time word arithmetic to WordByte:
// texts of letters of both cases, digits, UTF-8, spaces and punctuation,
// long enough to take the fast loop, with phrases that start with each.
func TestFindWordStarts(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	alphabet := []string{"a", "z", "Q", "0", "9", " ", " ", ".", "[", "@", "`", "{", "/", ":", "ü", "\xa0", "\x00", "\x7f"}
	word := func(n int) string {
		var b strings.Builder
		for b.Len() < n {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	for round := 0; round < 2000; round++ {
		var patterns []string
		for i := 0; i < 1+r.IntN(12); i++ {
			patterns = append(patterns, word(1+r.IntN(10)))
		}
		text := word(r.IntN(70))
		for _, p := range patterns[:r.IntN(len(patterns)+1)] {
			at := r.IntN(len(text) + 1)
			text = text[:at] + p + text[at:] // plant some, at word starts or not
		}
		got, want := sorted(find(t, New(patterns), text)), sorted(naive(patterns, text))
		if !slices.Equal(got, want) {
			t.Fatalf("patterns %q text %q: got %v want %v", patterns, text, got, want)
		}
	}
}

func FuzzFind(f *testing.F) {
	f.Add("user unknown|mailbox full|unknown", "550 user unknown")
	f.Add("quotaexceededexception|[ts03]|- gsmtp| leading", "STOREDRV:QuotaExceededException submissionquotaexceededexception x[ts03] 4.7.0 - gsmtp  leading")
	f.Fuzz(func(t *testing.T, pats, text string) {
		patterns := strings.Split(pats, "|")
		if len(patterns) > 50 {
			patterns = patterns[:50]
		}
		got, want := sorted(find(t, New(patterns), text)), sorted(naive(patterns, text))
		if !slices.Equal(got, want) {
			t.Fatalf("got %v want %v", got, want)
		}
	})
}

// inOrder is the order Find promises: by start offset, longer phrases
// first at the same offset, then by pattern index.
func inOrder(patterns []string, ms []Match) []Match {
	ms = slices.Clone(ms)
	slices.SortStableFunc(ms, func(a, b Match) int {
		la, lb := int32(len(patterns[a.Pattern])), int32(len(patterns[b.Pattern]))
		if sa, sb := a.End-la, b.End-lb; sa != sb {
			return int(sa - sb)
		}
		if la != lb {
			return int(lb - la)
		}
		return int(a.Pattern - b.Pattern)
	})
	return ms
}

// TestFindLongRandom covers phrases of eight bytes and more, which share
// long prefixes, and holds Find to its documented order (shorter phrases
// are searched for separately and come last).
func TestFindLongRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "ab \x00"[r.IntN(4)]
		}
		return string(b)
	}
	for round := 0; round < 500; round++ {
		var patterns []string
		for i := 0; i < 1+r.IntN(30); i++ {
			patterns = append(patterns, word(4+r.IntN(21))) // the order holds for phrases of four bytes and more
		}
		text := word(r.IntN(80))
		got := find(t, New(patterns), text)
		if want := naive(patterns, text); !slices.Equal(sorted(got), sorted(want)) {
			t.Fatalf("patterns %q text %q: got %v want %v", patterns, text, got, want)
		}
		if want := inOrder(patterns, got); !slices.Equal(got, want) {
			t.Fatalf("patterns %q text %q: order %v, want %v", patterns, text, got, want)
		}
	}
}

// TestFindLongPhrases covers phrases of up to 48 bytes that share their
// first bytes and differ anywhere after them, in texts made of pieces of
// them, whole or with one byte changed: the tails of long phrases beyond
// their key and the word after it are compared apart.
func TestFindLongPhrases(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const alphabet = "abc -"
	for round := 0; round < 2000; round++ {
		base := make([]byte, 48)
		for i := range base {
			base[i] = alphabet[r.IntN(len(alphabet))]
		}
		var patterns []string
		for i := 0; i < 1+r.IntN(12); i++ {
			p := slices.Clone(base[:4+r.IntN(45)])
			if r.IntN(2) == 0 {
				p[r.IntN(len(p))] = alphabet[r.IntN(len(alphabet))]
			}
			patterns = append(patterns, string(p))
		}
		var b strings.Builder
		for n := r.IntN(160); b.Len() < n; {
			piece := slices.Clone(base[:r.IntN(len(base)+1)])
			if len(piece) > 0 && r.IntN(3) == 0 {
				piece[r.IntN(len(piece))] ^= 1
			}
			b.WriteString(alphabet[r.IntN(len(alphabet)):][:1])
			b.Write(piece)
		}
		text := b.String()
		got := find(t, New(patterns), text)
		if want := naive(patterns, text); !slices.Equal(sorted(got), sorted(want)) {
			t.Fatalf("patterns %q text %q: got %v want %v", patterns, text, got, want)
		}
		if want := inOrder(patterns, got); !slices.Equal(got, want) {
			t.Fatalf("patterns %q text %q: order %v, want %v", patterns, text, got, want)
		}
	}
}

// scanFunc is scan or scanGo.
type scanFunc func(text []byte, i int, carry, spaces uint64, f8 *[filterBits / 64]uint64, f4 *[filter4Bits / 64]uint64, hits *[hitsLen]int32) (n, next int, carryOut uint64)

// scanAll runs f over text from start as Find does, going on where it
// stopped, and returns the positions it filed, where it ended and the
// carry there; a call that breaks scan's contract is an error.
func scanAll(f scanFunc, text []byte, start int, carry, spaces uint64, f8 *[filterBits / 64]uint64, f4 *[filter4Bits / 64]uint64) ([]int32, int, uint64, error) {
	var all []int32
	i := start
	for i+8 <= len(text) {
		var hits [hitsLen]int32
		n, next, c := f(text, i, carry, spaces, f8, f4, &hits)
		if n < 0 || n > hitsLen || next <= i || next > len(text) || (next-i)%8 != 0 {
			return nil, 0, 0, fmt.Errorf("from %d: n %d, next %d", i, n, next)
		}
		for _, p := range hits[:n] {
			if q := int(max(p, ^p)); q < i || q >= next {
				return nil, 0, 0, fmt.Errorf("from %d to %d: filed %d", i, next, p)
			}
		}
		all = append(all, hits[:n]...)
		i, carry = next, c
	}
	return all, i, carry, nil
}

// scanDiff runs scan and scanGo over text with random filters from
// seed, from every start the scan can be resumed at, each to the end as
// Find does, and reports the first difference: where they stop to let
// Find probe may differ (scan takes sixteen bytes a step where it can),
// what they file may not.
func scanDiff(text []byte, seed uint64, spaces bool) string {
	r := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
	var f8 [filterBits / 64]uint64
	var f4 [filter4Bits / 64]uint64
	for i := range f8 {
		f8[i] = r.Uint64() & r.Uint64() & r.Uint64() // about one bit in eight
	}
	for i := range f4 {
		f4[i] = r.Uint64() & r.Uint64()
	}
	var sp uint64
	if spaces {
		sp = swar.High
	}
	for start := 0; start+8 <= len(text); start += 8 {
		for _, carry := range []uint64{0, 0x80} {
			a, ai, ac, aerr := scanAll(scan, text, start, carry, sp, &f8, &f4)
			b, bi, bc, berr := scanAll(scanGo, text, start, carry, sp, &f8, &f4)
			if aerr != nil || berr != nil || ai != bi || ac != bc || !slices.Equal(a, b) {
				return fmt.Sprintf("start %d carry %#x: scan = %v %d %#x %v, scanGo = %v %d %#x %v", start, carry, aerr, ai, ac, a, berr, bi, bc, b)
			}
		}
	}
	return ""
}

// TestScan holds scan (in assembly where there is one) to scanGo.
func TestScan(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	alphabet := []byte("abcxyzAZ09 .-[(@\x80\xc3\xbc\t\n")
	for round := range 3000 {
		text := make([]byte, r.IntN(300))
		for i := range text {
			if r.IntN(4) == 0 {
				text[i] = byte(r.IntN(256))
			} else {
				text[i] = alphabet[r.IntN(len(alphabet))]
			}
		}
		if d := scanDiff(text, uint64(round), round%2 == 0); d != "" {
			t.Fatalf("%q: %s", text, d)
		}
	}
}

func FuzzScan(f *testing.F) {
	f.Add([]byte("550 5.1.1 <a@example.com>: Recipient address rejected: User unknown"), uint64(1), false)
	f.Add([]byte("Ünknown   user [TS03] - spam (nowl) .amazonaws.com"), uint64(2), true)
	f.Fuzz(func(t *testing.T, text []byte, seed uint64, spaces bool) {
		// scanDiff resumes at every step: quadratic, so the fuzzer's
		// rare huge inputs are cut.
		text = text[:min(len(text), 256)]
		if d := scanDiff(text, seed, spaces); d != "" {
			t.Fatalf("%q: %s", text, d)
		}
	})
}

// Package phrase finds many literal phrases in a text in one pass. It is
// tuned for maildx's workload – about two thousand short lower-case phrases
// searched in texts of a few hundred bytes – where a classic Aho–Corasick
// automaton spends its time on cache misses (a dense DFA of 20,000 states
// does not fit the cache; a sparse one pays for fail-link walks).
//
// Instead every phrase is filed under its first sixteen bytes (phrases of
// eight to fifteen bytes under their first eight, shorter ones under their
// first four). A phrase that begins with a letter or digit only matches
// where a word of the text begins, so the text is scanned once for word
// starts and punctuation, eight bytes at a time; at each such position two
// bit filters (8 KiB and 512 bytes, cache-resident) over the first eight
// and the first four bytes of the phrases say whether any phrase can start
// there, and only then are the small hash tables of groups probed and the
// few phrases filed there compared. Phrases shorter than four bytes are
// searched for directly. The scan for word starts and the probing of the
// positions it finds are written in assembly on amd64 (scan_amd64.s,
// probe_amd64.s); scanGo and probe are the same in Go.
package phrase

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"math/bits"
	"slices"

	"github.com/maildx/maildx/internal/swar"
)

// Match is one occurrence of a phrase: its index in the list given to New
// and the byte offset just after its end.
type Match struct {
	Pattern int32
	End     int32
}

const (
	filterBits   = 1 << 16 // filter8 and filter16: some 1,500 keys, one in forty passes by chance
	filter8gBits = 1 << 14 // filter8g: the few hundred keys of phrases of eight to fifteen bytes
	filter4Bits  = 1 << 12 // filter4: the few keys of phrases shorter than eight bytes
)

// Matcher is immutable and safe for concurrent use.
type Matcher struct {
	patterns [][]byte
	filter8  [filterBits / 64]uint64  // hash8 of the first eight bytes of every phrase of eight bytes or more
	filter4  [filter4Bits / 64]uint64 // hash4 of the first four bytes of every phrase of four to seven bytes
	// Behind filter8, a position is only looked up in a group table when
	// that table's own filter lets it through: most positions that pass
	// filter8 begin a common word ("recipient", "message ") that does not
	// go on as any phrase does, and the tables are too large to stay in
	// the cache, where the filters are not.
	filter16 [filterBits / 64]uint64   // hashKey of the first sixteen bytes of every phrase of sixteen bytes or more
	filter8g [filter8gBits / 64]uint64 // hash8g of the first eight bytes of every phrase of eight to fifteen bytes
	groups4  table[uint64]             // first four bytes → patterns of 4–7 bytes, longest first
	groups8  table[uint64]             // first eight bytes → patterns of 8–15 bytes, longest first
	groups16 table[key]                // first sixteen bytes → longer patterns, longest first
	short    []int32                   // patterns shorter than four bytes
	spaces   uint64                    // swar.High when a pattern starts with a space: spaces are then tested too
}

func hash4(k uint32) uint32 { return (k * 2654435761) >> 20 } // 12 bits, for filter4
func hash8(k uint64) uint32 { return uint32((k * 0x9E3779B97F4A7C15) >> 48) }

// hash8g is a second hash of an eight-byte key, for filter8g: with other
// bits than hash8, a key that collides in one filter rarely does in both.
func hash8g(k uint64) uint32 { return uint32((k * 0xC2B2AE3D27D4EB4F) >> 50) }

// hashKey is the table hash of a sixteen-byte key.
func hashKey(k key) uint32 { return hash8(k.a ^ bits.RotateLeft64(k.b, 29)) }

func compareKeys(x, y key) int {
	if x.a != y.a {
		return cmp.Compare(x.a, y.a)
	}
	return cmp.Compare(x.b, y.b)
}

func set(f []uint64, h uint32) { f[h/64] |= 1 << (h % 64) }

// bit reports the filter bit h of f. Written as a test of 1<<h, it
// compiles to one BT instruction; a shift by h would need the CL
// register, which scanGo's loop and probe cannot spare without spilling.
func bit(f []uint64, h uint32) bool { return f[h/64]&(1<<(h%64)) != 0 }

// key is the key of a group of long phrases: their first sixteen bytes as
// two little-endian integers. Shorter keys are one uint64, which keeps the
// slots of their tables at sixteen bytes (the tables are read at random,
// so their size is cache misses).
type key struct{ a, b uint64 }

// table maps a phrase prefix to the patterns filed under it. It is an
// open-addressing hash table with linear probing, built once: a lookup
// costs a multiplication and usually one probe, where a Go map costs a
// function call and hashing.
type table[K comparable] struct {
	slots []slot[K] // len is a power of two, at most half full
	pats  []member  // the groups, back to back; a slot holds its group's span
}

type slot[K comparable] struct {
	key      K
	off, len uint32 // pats[off:off+len]; len 0 marks an empty slot
}

// member is one pattern of a group. Many phrases share their first bytes
// ("recipient address …"), so the next eight bytes are kept beside the
// index: one integer comparison rejects most members without touching the
// pattern itself. Phrases of sixteen bytes and more are filed under all
// sixteen, which splits the large groups of a common first word.
type member struct {
	pattern int32
	len     int32  // the pattern's length
	next    uint64 // the bytes after the group's key, up to eight, little-endian
	mask    uint64 // which bytes of next count
}

// newTable files the groups; keyLen is the length of their keys (4, 8 or
// 16), hash their table hash and compare their order.
func newTable[K comparable](groups map[K][]int32, patterns [][]byte, keyLen int, hash func(K) uint32, compare func(K, K) int) table[K] {
	n := 8
	for n < 2*len(groups) {
		n *= 2
	}
	t := table[K]{slots: make([]slot[K], n)}
	keys := make([]K, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compare) // a layout independent of map order
	for _, k := range keys {
		g := groups[k]
		h := hash(k) & uint32(n-1)
		for t.slots[h].len != 0 {
			h = (h + 1) & uint32(n-1)
		}
		t.slots[h] = slot[K]{key: k, off: uint32(len(t.pats)), len: uint32(len(g))}
		for _, p := range g {
			rest := patterns[p][keyLen:]
			next, mask := word(rest), uint64(1<<(8*min(len(rest), 8)))-1
			if len(rest) >= 8 {
				mask = ^uint64(0)
			}
			t.pats = append(t.pats, member{pattern: p, len: int32(len(patterns[p])), next: next, mask: mask})
		}
	}
	return t
}

// word reads up to eight bytes of b as a little-endian integer, the
// missing high bytes zero.
func word(b []byte) uint64 {
	if len(b) >= 8 {
		return binary.LittleEndian.Uint64(b)
	}
	var w uint64
	for i := len(b) - 1; i >= 0; i-- {
		w = w<<8 | uint64(b[i])
	}
	return w
}

// get returns the patterns filed under k, whose table hash is h; nil when
// there are none.
func (t *table[K]) get(k K, h uint32) []member {
	mask := uint32(len(t.slots) - 1)
	for h &= mask; ; h = (h + 1) & mask {
		s := &t.slots[h]
		if s.len == 0 {
			return nil
		}
		if s.key == k {
			return t.pats[s.off : s.off+s.len]
		}
	}
}

// match appends the members of g that occur at text[at:]; keyLen bytes are
// known to be equal already. Most members are rejected by the integer
// comparison; the rest is confirmed apart, which keeps this loop's few
// variables in registers.
func (m *Matcher) match(g []member, text []byte, at, keyLen int, dst []Match) []Match {
	next := word(text[at+keyLen:])
	for k := range g {
		if next&g[k].mask == g[k].next {
			dst = m.confirm(&g[k], text, at, keyLen, dst)
		}
	}
	return dst
}

// confirm appends mb's match at text[at:] when the bytes after the first
// keyLen+8 agree too.
//
//go:noinline
func (m *Matcher) confirm(mb *member, text []byte, at, keyLen int, dst []Match) []Match {
	end := at + int(mb.len)
	if end > len(text) {
		return dst
	}
	if int(mb.len) <= keyLen+8 || string(text[at+keyLen+8:end]) == string(m.patterns[mb.pattern][keyLen+8:]) {
		dst = append(dst, Match{mb.pattern, int32(end)})
	}
	return dst
}

// New builds a matcher for patterns. Empty patterns are ignored; a duplicate
// pattern matches under the index of its first occurrence.
func New(patterns []string) *Matcher {
	m := &Matcher{}
	groups4, groups8, groups16 := map[uint64][]int32{}, map[uint64][]int32{}, map[key][]int32{}
	seen := map[string]bool{}
	// The patterns share one array: thousands of small ones would be as
	// many objects for the garbage collector to mark in every cycle.
	total := 0
	for _, p := range patterns {
		total += len(p)
	}
	all := make([]byte, 0, total)
	for i, p := range patterns {
		all = append(all, p...)
		m.patterns = append(m.patterns, all[len(all)-len(p):len(all):len(all)])
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		if p[0] == ' ' {
			m.spaces = swar.High
		}
		b := m.patterns[i]
		switch {
		case len(p) < 4:
			m.short = append(m.short, int32(i))
		case len(p) < 8:
			k := binary.LittleEndian.Uint32(b)
			set(m.filter4[:], hash4(k))
			groups4[uint64(k)] = append(groups4[uint64(k)], int32(i))
		default:
			k := binary.LittleEndian.Uint64(b)
			set(m.filter8[:], hash8(k))
			if len(p) < 16 {
				set(m.filter8g[:], hash8g(k))
				groups8[k] = append(groups8[k], int32(i))
			} else {
				k16 := key{k, binary.LittleEndian.Uint64(b[8:])}
				set(m.filter16[:], hashKey(k16))
				groups16[k16] = append(groups16[k16], int32(i))
			}
		}
	}
	longestFirst := func(g []int32) {
		slices.SortFunc(g, func(a, b int32) int {
			if d := len(m.patterns[b]) - len(m.patterns[a]); d != 0 {
				return d
			}
			return int(a - b)
		})
	}
	for _, groups := range []map[uint64][]int32{groups4, groups8} {
		for _, g := range groups {
			longestFirst(g)
		}
	}
	for _, g := range groups16 {
		longestFirst(g)
	}
	m.groups4 = newTable(groups4, m.patterns, 4, hash8, cmp.Compare[uint64])
	m.groups8 = newTable(groups8, m.patterns, 8, hash8, cmp.Compare[uint64])
	m.groups16 = newTable(groups16, m.patterns, 16, hashKey, compareKeys)
	return m
}

// Find appends every occurrence of every pattern in text (overlapping ones
// included) to dst and returns it. A pattern that begins with a letter or
// digit occurs only where a word of the text begins – "unknown" is not
// found in "userunknown" – so a phrase never matches the tail of a longer
// word (see WordByte). Occurrences come in order of their start offset,
// longer phrases first at the same offset.
func (m *Matcher) Find(text []byte, dst []Match) []Match {
	// Only the positions where a word starts, or that hold punctuation, can
	// start a phrase: about one in four of an error text. scan picks them
	// out eight bytes at a time (sixteen in assembly) and passes on those
	// whose first bytes pass the filters, which few do; probes (or probe)
	// looks them up. The scan makes no calls, which keeps its variables
	// in registers.
	var hits [hitsLen]int32
	i, carry := 0, uint64(0)
	for i+8 <= len(text) {
		var n int
		n, i, carry = scan(text, i, carry, m.spaces, &m.filter8, &m.filter4, &hits)
		for h := hits[:n]; len(h) > 0; h = h[1:] {
			done, nd := probes(m, text, h, dst)
			if dst, h = dst[:nd], h[done:]; len(h) == 0 {
				break
			}
			// A position for at4, or one whose matches did not fit
			// into dst: probed here, where dst can grow.
			if p := h[0]; p < 0 {
				dst = m.at4(text, int(^p), dst)
			} else {
				dst = m.probe(text, int(p), dst)
			}
		}
	}
	for ; i+4 <= len(text); i++ {
		if !canStart(text, i) || text[i] == ' ' && m.spaces == 0 {
			continue
		}
		dst = m.at4(text, i, dst)
	}
	for _, p := range m.short {
		pat := m.patterns[p]
		for off := 0; ; {
			j := bytes.Index(text[off:], pat)
			if j < 0 {
				break
			}
			if s := off + j; canStart(text, s) {
				dst = append(dst, Match{p, int32(s + len(pat))})
			}
			off += j + 1
		}
	}
	return dst
}

// hitsLen is the room scan has for positions; it stops when fewer than
// eight places are left, as one step files up to eight (sixteen places
// for a step of sixteen bytes, in assembly).
const hitsLen = 32

// scanGo is scan in Go (see scan_amd64.s): it passes over text[i:] eight
// bytes at a time, from the step at i to the last full one or until hits
// may not have room for one more, and files in hits the positions that
// may start a phrase: where a word starts, or that hold punctuation (and
// spaces too, when spaces is swar.High), and whose first eight bytes pass
// filter8 or whose first four pass filter4. A position with fewer than
// eight bytes left is filed as ^p, for at4. carry is 0x80 when the byte
// before text[i] is a word byte. It returns how many positions it filed,
// where to go on and the carry there.
func scanGo(text []byte, i int, carry, spaces uint64, f8 *[filterBits / 64]uint64, f4 *[filter4Bits / 64]uint64, hits *[hitsLen]int32) (n, next int, carryOut uint64) {
	for ; i+8 <= len(text) && n <= hitsLen-8; i += 8 {
		// In the top bit of each byte (package swar): a word byte
		// (WordByte), a byte that is not a space, and together a
		// possible phrase start.
		x := binary.LittleEndian.Uint64(text[i:])
		y := x & swar.Low7
		l := y | 0x20*swar.Ones // A–Z fold onto a–z; nothing else lands there
		word := (swar.InRange(l, 'a', 'z')|swar.InRange(y, '0', '9'))&^x&swar.High | x&swar.High
		notSpace := (^swar.Equal(y, ' ') | x) & swar.High
		cand := (notSpace | spaces) &^ (word & (word<<8 | carry))
		carry = word >> 56
		for ; cand != 0; cand &= cand - 1 {
			p := i + bits.TrailingZeros64(cand)>>3
			if p+8 > len(text) {
				hits[n%hitsLen] = int32(^p)
				n++
				continue
			}
			// One eight-byte load gives both keys.
			k8 := binary.LittleEndian.Uint64(text[p : p+8])
			if bit(f8[:], hash8(k8)) || bit(f4[:], hash4(uint32(k8))) {
				hits[n%hitsLen] = int32(p)
				n++
			}
		}
	}
	return n, i, carry
}

// probe appends the phrases that start at text[p:], whose first eight
// bytes passed filter8 or whose first four passed filter4: the groups of
// sixteen, eight and four bytes, in this order, so that longer phrases
// come first.
func (m *Matcher) probe(text []byte, p int, dst []Match) []Match {
	k8 := binary.LittleEndian.Uint64(text[p : p+8])
	h8, h4 := hash8(k8), hash4(uint32(k8))
	if bit(m.filter8[:], h8) {
		if p+16 <= len(text) {
			k := key{k8, binary.LittleEndian.Uint64(text[p+8 : p+16])}
			if h := hashKey(k); bit(m.filter16[:], h) {
				if g := m.groups16.get(k, h); g != nil {
					dst = m.match(g, text, p, 16, dst)
				}
			}
		}
		if bit(m.filter8g[:], hash8g(k8)) {
			if g := m.groups8.get(k8, h8); g != nil {
				dst = m.match(g, text, p, 8, dst)
			}
		}
	}
	if bit(m.filter4[:], h4) {
		k4 := uint64(uint32(k8))
		if g := m.groups4.get(k4, hash8(k4)); g != nil {
			dst = m.match(g, text, p, 4, dst)
		}
	}
	return dst
}

// at4 appends the phrases of four to seven bytes that start at text[i:],
// where fewer than eight bytes are left (a longer phrase cannot fit).
func (m *Matcher) at4(text []byte, i int, dst []Match) []Match {
	if i+4 > len(text) {
		return dst
	}
	k4 := binary.LittleEndian.Uint32(text[i:])
	if bit(m.filter4[:], hash4(k4)) {
		if g := m.groups4.get(uint64(k4), hash8(uint64(k4))); g != nil {
			dst = m.match(g, text, i, 4, dst)
		}
	}
	return dst
}

// canStart reports whether a phrase may start at text[i]: a phrase that
// begins with a word byte only matches where a word begins.
func canStart(text []byte, i int) bool {
	return i == 0 || !WordByte(text[i-1]) || !WordByte(text[i])
}

// WordByte reports the bytes words are made of: ASCII letters and digits,
// and every byte of a multi-byte UTF-8 sequence (ü, ß).
func WordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

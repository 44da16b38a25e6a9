// Package phrase finds many literal phrases in a text in one pass. It is
// tuned for maildx's workload – about two thousand short lower-case phrases
// searched in texts of a few hundred bytes – where a classic Aho–Corasick
// automaton spends its time on cache misses (a dense DFA of 20,000 states
// does not fit the cache; a sparse one pays for fail-link walks).
//
// Instead every phrase is filed under its first eight bytes (phrases of four
// to seven bytes under their first four). The text is scanned once; at each
// position a 64-kbit filter (8 KiB, cache-resident) over the first four
// bytes of every phrase says whether any phrase can start there – in error
// texts fewer than one position in ten passes – and only then are the two
// small hash tables of groups probed and the few phrases filed there
// compared. Phrases shorter than four bytes are searched for directly.
package phrase

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// Match is one occurrence of a phrase: its index in the list given to New
// and the byte offset just after its end.
type Match struct {
	Pattern int32
	End     int32
}

const filterBits = 1 << 16

// Matcher is immutable and safe for concurrent use.
type Matcher struct {
	patterns [][]byte
	filter   [filterBits / 64]uint64 // hash4 of the first four bytes of every phrase of four bytes or more
	filter8  [filterBits / 64]uint64 // hash8 of the first eight bytes of every phrase of eight bytes or more
	groups4  table                   // first four bytes → patterns of 4–7 bytes, longest first
	groups8  table                   // first eight bytes → longer patterns, longest first
	short    []int32                 // patterns shorter than four bytes
}

func hash4(k uint32) uint32 { return (k * 2654435761) >> 16 }
func hash8(k uint64) uint32 { return uint32((k * 0x9E3779B97F4A7C15) >> 48) }

func set(f *[filterBits / 64]uint64, h uint32)      { f[h/64] |= 1 << (h % 64) }
func has(f *[filterBits / 64]uint64, h uint32) bool { return f[h/64]&(1<<(h%64)) != 0 }

// table maps a phrase prefix (four or eight bytes read as a little-endian
// integer) to the patterns filed under it. It is an open-addressing hash
// table with linear probing, built once: a lookup costs a multiplication
// and usually one probe, where a Go map costs a function call and hashing.
type table struct {
	slots []slot   // len is a power of two, at most half full
	pats  []member // the groups, back to back; a slot holds its group's span
}

type slot struct {
	key      uint64
	off, len uint32 // pats[off:off+len]; len 0 marks an empty slot
}

// member is one pattern of a group. Many phrases share their first eight
// bytes ("recipient address …"), so the next eight bytes are kept beside
// the index: one integer comparison rejects most members without touching
// the pattern itself.
type member struct {
	pattern int32
	len     int32  // the pattern's length
	next    uint64 // the bytes after the group's key, up to eight, little-endian
	mask    uint64 // which bytes of next count
}

// newTable files the groups; keyLen is the length of their keys (4 or 8).
func newTable(groups map[uint64][]int32, patterns [][]byte, keyLen int) table {
	n := 8
	for n < 2*len(groups) {
		n *= 2
	}
	t := table{slots: make([]slot, n)}
	keys := make([]uint64, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys) // a layout independent of map order
	for _, k := range keys {
		g := groups[k]
		h := hash8(k) & uint32(n-1)
		for t.slots[h].len != 0 {
			h = (h + 1) & uint32(n-1)
		}
		t.slots[h] = slot{key: k, off: uint32(len(t.pats)), len: uint32(len(g))}
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

// get returns the patterns filed under k, whose hash8 is h; nil when there
// are none.
func (t *table) get(k uint64, h uint32) []member {
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
	groups4, groups8 := map[uint64][]int32{}, map[uint64][]int32{}
	seen := map[string]bool{}
	for i, p := range patterns {
		m.patterns = append(m.patterns, []byte(p))
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		if len(p) < 4 {
			m.short = append(m.short, int32(i))
			continue
		}
		set(&m.filter, hash4(binary.LittleEndian.Uint32([]byte(p))))
		if len(p) < 8 {
			k := uint64(binary.LittleEndian.Uint32([]byte(p)))
			groups4[k] = append(groups4[k], int32(i))
		} else {
			k := binary.LittleEndian.Uint64([]byte(p))
			set(&m.filter8, hash8(k))
			groups8[k] = append(groups8[k], int32(i))
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
	for _, g := range groups4 {
		longestFirst(g)
	}
	for _, g := range groups8 {
		longestFirst(g)
	}
	m.groups4, m.groups8 = newTable(groups4, m.patterns, 4), newTable(groups8, m.patterns, 8)
	return m
}

// Find appends every occurrence of every pattern in text (overlapping ones
// included) to dst and returns it. Occurrences come in order of their start
// offset, longer phrases first at the same offset.
func (m *Matcher) Find(text []byte, dst []Match) []Match {
	// The eight bytes at i are read with one load and the four-byte key
	// taken from them: reading both from text separately lets the compiler
	// share the byte loads between the two and give up combining them,
	// which costs more than the filter test itself.
	// The loop walks t, the text from i on, so that the compiler sees the
	// eight bytes are there and checks no bounds.
	f := &m.filter
	i := 0
	for t := text; len(t) >= 8; t, i = t[1:], i+1 {
		k8 := binary.LittleEndian.Uint64(t)
		k4 := uint32(k8)
		if !has(f, hash4(k4)) {
			continue // no phrase starts with these four bytes
		}
		// A second filter over all eight bytes keeps most of these
		// positions out of the group table, which does not fit the
		// first-level cache.
		if h8 := hash8(k8); has(&m.filter8, h8) {
			if g := m.groups8.get(k8, h8); g != nil {
				dst = m.match(g, text, i, 8, dst)
			}
		}
		if g := m.groups4.get(uint64(k4), hash8(uint64(k4))); g != nil {
			dst = m.match(g, text, i, 4, dst)
		}
	}
	for ; i+4 <= len(text); i++ {
		k4 := binary.LittleEndian.Uint32(text[i : i+4])
		if !has(&m.filter, hash4(k4)) {
			continue
		}
		if g := m.groups4.get(uint64(k4), hash8(uint64(k4))); g != nil {
			dst = m.match(g, text, i, 4, dst)
		}
	}
	for _, p := range m.short {
		pat := m.patterns[p]
		for off := 0; ; {
			j := bytes.Index(text[off:], pat)
			if j < 0 {
				break
			}
			dst = append(dst, Match{p, int32(off + j + len(pat))})
			off += j + 1
		}
	}
	return dst
}

// Package phrase finds many literal phrases in a text in one pass. It is
// tuned for maildx's workload – about a thousand short lower-case phrases
// searched in texts of a few hundred bytes – where a classic Aho–Corasick
// automaton spends its time on cache misses (a dense DFA of 20,000 states
// does not fit the cache; a sparse one pays for fail-link walks).
//
// Instead every phrase is filed under its first eight bytes (phrases of four
// to seven bytes under their first four). The text is scanned once; at each
// position two 64-kbit filters (8 KiB each, cache-resident) say whether any
// phrase can start there, and only then are the few phrases filed under
// those bytes compared. Phrases shorter than four bytes are searched for
// directly.
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
	filter4  [filterBits / 64]uint64
	filter8  [filterBits / 64]uint64
	groups4  map[uint32][]int32 // first four bytes → patterns of 4–7 bytes, longest first
	groups8  map[uint64][]int32 // first eight bytes → longer patterns, longest first
	short    []int32            // patterns shorter than four bytes
}

func hash4(k uint32) uint32 { return (k * 2654435761) >> 16 }
func hash8(k uint64) uint32 { return uint32((k * 0x9E3779B97F4A7C15) >> 48) }

func set(f *[filterBits / 64]uint64, h uint32)      { f[h/64] |= 1 << (h % 64) }
func has(f *[filterBits / 64]uint64, h uint32) bool { return f[h/64]&(1<<(h%64)) != 0 }

// New builds a matcher for patterns. Empty patterns are ignored; a duplicate
// pattern matches under the index of its first occurrence.
func New(patterns []string) *Matcher {
	m := &Matcher{groups4: map[uint32][]int32{}, groups8: map[uint64][]int32{}}
	seen := map[string]bool{}
	for i, p := range patterns {
		m.patterns = append(m.patterns, []byte(p))
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		switch {
		case len(p) < 4:
			m.short = append(m.short, int32(i))
		case len(p) < 8:
			k := binary.LittleEndian.Uint32([]byte(p))
			m.groups4[k] = append(m.groups4[k], int32(i))
			set(&m.filter4, hash4(k))
		default:
			k := binary.LittleEndian.Uint64([]byte(p))
			m.groups8[k] = append(m.groups8[k], int32(i))
			set(&m.filter8, hash8(k))
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
	for _, g := range m.groups4 {
		longestFirst(g)
	}
	for _, g := range m.groups8 {
		longestFirst(g)
	}
	return m
}

// Find appends every occurrence of every pattern in text (overlapping ones
// included) to dst and returns it. Occurrences come in order of their start
// offset, longer phrases first at the same offset.
func (m *Matcher) Find(text []byte, dst []Match) []Match {
	for i := 0; i+4 <= len(text); i++ {
		if i+8 <= len(text) {
			if k := binary.LittleEndian.Uint64(text[i:]); has(&m.filter8, hash8(k)) {
				for _, p := range m.groups8[k] {
					if pat := m.patterns[p]; bytes.HasPrefix(text[i:], pat) {
						dst = append(dst, Match{p, int32(i + len(pat))})
					}
				}
			}
		}
		if k := binary.LittleEndian.Uint32(text[i:]); has(&m.filter4, hash4(k)) {
			for _, p := range m.groups4[k] {
				if pat := m.patterns[p]; bytes.HasPrefix(text[i:], pat) {
					dst = append(dst, Match{p, int32(i + len(pat))})
				}
			}
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

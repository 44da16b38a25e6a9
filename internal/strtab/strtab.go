// Package strtab looks strings up in a fixed set: the classifier asks, for
// nearly every text, whether a code-shaped token is a name code of the
// knowledge base, and for every member of a JSON object whether its name is
// one it reads. A Go map answers with a call into the runtime and a full
// hash of the string; at a few lookups per text that code alone took more
// room in the instruction cache than the lookups were worth. A Table is an
// open-addressing hash table built once, whose hash reads at most two
// eight-byte words of the key.
package strtab

import (
	"maps"
	"slices"

	"github.com/maildx/maildx/internal/swar"
)

// Table maps each of a fixed list of strings to its index in that list.
// It is immutable and safe for concurrent use; the zero Table is empty.
type Table struct {
	slots []slot // len is a power of two, at most half full
	shift uint8  // 64 - log2(len(slots))
}

type slot struct {
	key string
	val int32 // index in the list given to New; -1 marks an empty slot
}

// New files keys under their index. A repeated key keeps its first index.
func New(keys []string) *Table {
	n, shift := 8, uint8(61)
	for n < 2*len(keys) {
		n, shift = n*2, shift-1
	}
	t := &Table{slots: make([]slot, n), shift: shift}
	for i := range t.slots {
		t.slots[i].val = -1
	}
	for i, k := range keys {
		if _, ok := t.Get(k); ok {
			continue
		}
		h := t.hash(k)
		for t.slots[h].val >= 0 {
			h = (h + 1) & uint64(n-1)
		}
		t.slots[h] = slot{key: k, val: int32(i)}
	}
	return t
}

// FromMap files the keys of m in sorted order, so that the table does not
// depend on the map's iteration order, and returns the values in the same
// order: vals[i] is m's value for the key Get numbers i.
func FromMap[V any](m map[string]V) (t *Table, vals []V) {
	keys := slices.Sorted(maps.Keys(m))
	vals = make([]V, len(keys))
	for i, k := range keys {
		vals[i] = m[k]
	}
	return New(keys), vals
}

// Get returns the index of k in the list given to New.
func (t *Table) Get(k string) (int, bool) {
	if len(t.slots) == 0 {
		return -1, false
	}
	mask := uint64(len(t.slots) - 1)
	for h := t.hash(k); ; h = (h + 1) & mask {
		s := &t.slots[h]
		if s.val < 0 {
			return -1, false
		}
		if s.key == k {
			return int(s.val), true
		}
	}
}

// hash mixes the length and the first and last eight bytes of k (the first
// and last four of a shorter key, which overlap when it is shorter still)
// with one multiplication, and keeps the top bits.
func (t *Table) hash(k string) uint64 {
	var w uint64
	switch n := len(k); {
	case n >= 8:
		w = swar.String(k, 0) ^ swar.String(k, n-8)<<1
	case n >= 4:
		w = uint64(load32(k, 0)) | uint64(load32(k, n-4))<<32
	default:
		for i := 0; i < n; i++ {
			w = w<<8 | uint64(k[i])
		}
	}
	return ((w ^ uint64(len(k))) * 0x9E3779B97F4A7C15) >> t.shift
}

func load32(s string, i int) uint32 {
	s = s[i : i+4]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

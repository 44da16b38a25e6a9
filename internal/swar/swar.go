// Package swar tests eight bytes at once in a uint64 ("SIMD within a
// register"): the scanners of maildx pass over the ordinary bytes of a
// text eight at a time and stop at the first one that needs a look.
//
// The tests work on the seven low bits of each byte (y = x & Low7, the
// top bit clear): adding a constant below 0x80 to such a byte never
// carries into the next one, so each byte's result lands in its own top
// bit. Results are masks with the top bit of each byte set where the test
// holds; the other bits are not meaningful, so callers and them with High
// (or with each other and then with High). Bytes of 0x80 and above must
// be told apart by the caller from x's own top bits.
//
// The tests are small enough to be inlined, and with constant arguments
// they compile to the same few instructions as the arithmetic written
// out.
package swar

import "math/bits"

const (
	Ones = 0x0101010101010101
	High = 0x80 * Ones // the top bit of every byte
	Low7 = 0x7F * Ones // the seven low bits of every byte
)

// InRange reports, in the top bit of each byte of y (top bits clear),
// whether the byte lies in [lo, hi]: adding 0x80-lo sets the top bit when
// it is lo or more, adding 0x7F-hi when it is above hi.
func InRange(y uint64, lo, hi byte) uint64 {
	return (y + (0x80-uint64(lo))*Ones) &^ (y + (0x7F-uint64(hi))*Ones)
}

// Below reports, in the top bit of each byte of y (top bits clear),
// whether the byte is below c.
func Below(y uint64, c byte) uint64 { return ^(y + (0x80-uint64(c))*Ones) }

// Equal reports, in the top bit of each byte of y (top bits clear),
// whether the byte is c: the xor is zero exactly there, and adding 0x7F
// sets the top bit of every other byte.
func Equal(y uint64, c byte) uint64 {
	e := y ^ uint64(c)*Ones
	return ^((e + Low7) | e)
}

// First returns the index of the first byte (the lowest in little-endian
// order) whose top bit is set in m, or 8 when none is.
func First(m uint64) int { return bits.TrailingZeros64(m&High) >> 3 }

// String reads the eight bytes of s at i as a little-endian integer; the
// compiler combines the byte loads into one.
func String(s string, i int) uint64 { return Load(s, i) }

// Load is String for code written for both strings and byte slices.
func Load[T string | []byte](s T, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

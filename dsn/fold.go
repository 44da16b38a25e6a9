package dsn

import (
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/maildx/maildx/internal/swar"
)

// Case-insensitive search without lower-casing a copy of the text.
//
// strings.ToLower maps every rune on its own; an ASCII letter becomes one
// ASCII byte and every other rune becomes non-ASCII bytes, except U+0130
// (İ, lower-cased to "i") and U+212A (Kelvin sign, to "k"). So for a
// needle of ASCII lower-case bytes, strings.Contains(strings.ToLower(s),
// needle) equals an ASCII case-insensitive search of s in which bytes
// above 0x7f match nothing, as long as s holds neither of those two
// runes. The functions below fall back to strings.ToLower when it does.

// lowerTable maps A-Z to a-z and every other byte to itself.
var lowerTable = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = byte(c) + 'a' - 'A'
	}
	return t
}()

// foldSafe reports a string in which an ASCII case-insensitive search for
// an ASCII needle finds what a search in strings.ToLower(s) finds.
func foldSafe(s string) bool {
	return !strings.Contains(s, "\u0130") && !strings.Contains(s, "\u212a")
}

// isASCII reports a string of bytes below 0x80 only.
func isASCII(s string) bool {
	for len(s) >= 8 {
		if swar.String(s, 0)&swar.High != 0 {
			return false
		}
		s = s[8:]
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// indexFold returns the index of the first ASCII case-insensitive match
// of needle (ASCII lower-case) in s, or -1.
func indexFold(s, needle string) int {
	if needle == "" {
		return 0
	}
	return indexFoldAt(s, needle, 0)
}

// hasFoldAt reports an ASCII case-insensitive match of needle (ASCII
// lower-case) at s[i:].
func hasFoldAt(s string, i int, needle string) bool {
	if len(s)-i < len(needle) {
		return false
	}
	s = s[i : i+len(needle)]
	for k := 0; k < len(needle); k++ {
		if lowerTable[s[k]] != needle[k] {
			return false
		}
	}
	return true
}

// lowerContains is strings.Contains(strings.ToLower(s), needle) for a
// needle of ASCII lower-case bytes.
func lowerContains(s, needle string) bool {
	if !foldSafe(s) {
		return strings.Contains(strings.ToLower(s), needle)
	}
	return indexFold(s, needle) >= 0
}

// indexFoldAt is indexFold (needle non-empty), looking for the byte at
// needle[anchor] first: a byte rarer than the first makes fewer candidates
// to check. It jumps from one offset of that byte, in either case, to the
// next with IndexByte.
func indexFoldAt(s, needle string, anchor int) int {
	n := len(needle)
	c := needle[anchor]
	up := c
	if 'a' <= c && c <= 'z' {
		up = c - ('a' - 'A')
	}
	if len(s) < n {
		return -1
	}
	// Anchor offsets run from anchor to len(s)-n+anchor.
	end := len(s) - n + anchor + 1
	lo, hi := -2, -2
	if up == c {
		hi = -1
	}
	for i := anchor; i < end; i++ {
		if lo != -1 && lo < i {
			if k := strings.IndexByte(s[i:end], c); k >= 0 {
				lo = i + k
			} else {
				lo = -1
			}
		}
		if hi != -1 && hi < i {
			if k := strings.IndexByte(s[i:end], up); k >= 0 {
				hi = i + k
			} else {
				hi = -1
			}
		}
		switch {
		case lo < 0 && hi < 0:
			return -1
		case hi < 0 || lo >= 0 && lo < hi:
			i = lo
		default:
			i = hi
		}
		if hasFoldAt(s, i-anchor, needle) {
			return i - anchor
		}
	}
	return -1
}

// lowerInto returns strings.ToLower(s), made in buf when s is ASCII and
// fits: a string that shares buf's bytes, valid while buf is.
func lowerInto(buf []byte, s string) string {
	if len(s) > len(buf) || !isASCII(s) {
		return strings.ToLower(s)
	}
	for i := 0; i < len(s); i++ {
		buf[i] = lowerTable[s[i]]
	}
	return unsafe.String(unsafe.SliceData(buf), len(s))
}

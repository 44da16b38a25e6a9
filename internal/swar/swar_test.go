package swar

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestAgainstBytes holds every test to its byte-by-byte meaning, for all
// byte values in every position: random words, and words of one repeated
// byte so that each value meets each neighbour.
func TestAgainstBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var words []uint64
	for c := 0; c < 256; c++ {
		for d := 0; d < 256; d += 17 {
			words = append(words, uint64(c)*Ones^uint64(d)<<(8*(c%8)))
		}
	}
	for range 20000 {
		words = append(words, r.Uint64())
	}
	for _, x := range words {
		y := x & Low7
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], y)
		check := func(name string, got uint64, want func(byte) bool) {
			t.Helper()
			for i, c := range b {
				if bit := got>>(8*i+7)&1 == 1; bit != want(c) {
					t.Fatalf("%s(%#016x): byte %d (%#02x) gives %v", name, y, i, c, bit)
				}
			}
		}
		check("InRange a-z", InRange(y, 'a', 'z'), func(c byte) bool { return c >= 'a' && c <= 'z' })
		check("InRange 0-9", InRange(y, '0', '9'), func(c byte) bool { return c >= '0' && c <= '9' })
		check("InRange \"-'", InRange(y, '"', '\''), func(c byte) bool { return c >= '"' && c <= '\'' })
		check("Below 0x20", Below(y, 0x20), func(c byte) bool { return c < 0x20 })
		check("Equal space", Equal(y, ' '), func(c byte) bool { return c == ' ' })
		check("Equal x", Equal(y, 'x'), func(c byte) bool { return c == 'x' })
		check("Equal 0", Equal(y, 0), func(c byte) bool { return c == 0 })
		first := 8
		for i, c := range b {
			if c == ' ' {
				first = i
				break
			}
		}
		if got := First(Equal(y, ' ')); got != first {
			t.Fatalf("First(Equal(%#016x, ' ')) = %d, want %d", y, got, first)
		}
	}
}

func TestString(t *testing.T) {
	s := "0123456789abcdef"
	for i := 0; i+8 <= len(s); i++ {
		want := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		if got := String(s, i); got != want {
			t.Errorf("String(%d) = %#x, want %#x", i, got, want)
		}
		if got := Load([]byte(s), i); got != want {
			t.Errorf("Load([]byte, %d) = %#x, want %#x", i, got, want)
		}
	}
}

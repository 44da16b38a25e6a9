//go:build amd64 && !purego

package swar

// LowerCopy copies s[i:] to dst with the capitals A–Z lower-cased, eight
// bytes at a time, up to the first byte that needs care: a byte of 0x80
// and above, a control byte, one of ! " # $ % & ' and `, or a space after
// a space (or, for the first byte, after whatever carry stands for: 0x80
// counts as a space). Only whole groups of eight bytes of s and of dst are
// read and written, so it may stop up to seven bytes before the end or
// before such a byte; it writes the whole group the byte is in. It
// returns how many bytes it copied. This is the fast path of the
// classifier's normaliser, which takes the byte that stopped it.
//
// It is written in assembly (lowercopy_amd64.s): the Go compiler reloads
// the eight-byte constants of the tests at every step, which took the
// loop to some seventy-five instructions per eight bytes; here it takes
// under fifty. i must be between 0 and len(s).
//
//go:noescape
func LowerCopy(dst []byte, s string, i int, carry uint64) int

package swar

import "encoding/binary"

// LowerCopy copies s[i:] to dst with the capitals A–Z lower-cased, eight
// bytes at a time, up to the first byte that needs care: a byte of 0x80
// and above, a control byte, one of ! " # $ % & ' and `, or a space after
// a space (or, for the first byte, after whatever carry stands for: 0x80
// counts as a space). Only whole groups of eight bytes of s and of dst are
// read and written, so it may stop up to seven bytes before the end or
// before such a byte; it writes the whole group the byte is in. It
// returns how many bytes it copied. This is the fast path of the Go
// version of the classifier's normaliser; on amd64 the normaliser's loop
// is written in assembly with this copy inside it (normline_amd64.s in
// package maildx). i must be between 0 and len(s).
func LowerCopy(dst []byte, s string, i int, carry uint64) int {
	start, end := i, min(len(s), i+len(dst))
	for i+8 <= end {
		// In the top bit of each byte of stop: a byte of 0x80 and
		// above, a control byte, one of ! " # $ % & ' and `, or a space
		// after a space (carry has 0x80 when the byte before counts as
		// one). lower is x with capitals lower-cased, the carry for the
		// next eight bytes isSpace's last byte.
		x := String(s, i)
		y := x & Low7
		isSpace := Equal(y, ' ') & High
		care := Below(y, '(')&^isSpace | Equal(y, '`')
		stop := (x | care | isSpace&(isSpace<<8|carry)) & High
		n := First(stop) // 8 when nothing stops
		if n == 0 {
			break
		}
		binary.LittleEndian.PutUint64(dst[i-start:], x|InRange(y, 'A', 'Z')&High>>2)
		i, carry = i+n, isSpace>>56
		if n < 8 {
			break
		}
	}
	return i - start
}

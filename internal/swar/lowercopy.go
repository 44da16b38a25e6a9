package swar

import "encoding/binary"

// LowerCopyGo is LowerCopy in Go, used where there is no assembly version
// and by the tests, which hold the two to each other.
func LowerCopyGo(dst []byte, s string, i int, carry uint64) int {
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

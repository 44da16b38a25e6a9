package swar

// IndexCode returns the index of the first byte of s at or after i that is
// an ASCII digit, a capital letter or a control character (a line break),
// or len(s) when there is none: where the classifier's code scanner has to
// look, as every code holds a digit or a capital. On amd64 the scanner's
// loop is written in assembly with this skip inside it (nextcode_amd64.s
// in package maildx); this is the skip of its Go version.
func IndexCode(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		x := String(s, i)
		y := x & Low7
		code := InRange(y, '0', '9') | InRange(y, 'A', 'Z') | Below(y, 0x20)
		if out := code &^ x & High; out != 0 {
			return i + First(out)
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c < 0x20 {
			return i
		}
	}
	return i
}

package swar

// IndexCodeGo is IndexCode in Go, used where there is no assembly version
// and by the tests, which hold the two to each other.
func IndexCodeGo(s string, i int) int {
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

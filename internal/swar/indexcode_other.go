//go:build !amd64 || purego

package swar

// IndexCode returns the index of the first byte of s at or after i that is
// an ASCII digit, a capital letter or a control character (a line break),
// or len(s) when there is none: where the classifier's code scanner has to
// look, as every code holds a digit or a capital.
func IndexCode(s string, i int) int { return IndexCodeGo(s, i) }

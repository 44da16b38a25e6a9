//go:build amd64 && !purego

package swar

// IndexCode returns the index of the first byte of s at or after i that is
// an ASCII digit, a capital letter or a control character (a line break),
// or len(s) when there is none: where the classifier's code scanner has to
// look, as every code holds a digit or a capital.
//
// It is written in assembly (indexcode_amd64.s): the Go compiler reloads
// the six eight-byte constants of the tests at every step, which more than
// doubled the loop. i must be between 0 and len(s).
//
//go:noescape
func IndexCode(s string, i int) int

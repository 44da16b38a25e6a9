//go:build !amd64 || purego

package maildx

// normLine is normLineGo where there is no assembly version.
func normLine(out []byte, base int, line string, space, ascii bool) (int, bool) {
	return normLineGo(out, base, line, space, ascii)
}

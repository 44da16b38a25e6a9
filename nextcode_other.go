//go:build !amd64 || purego

package maildx

// nextCode is nextCodeGo where there is no assembly version.
func nextCode(s string, i int, lineStart bool) (kind, a, b int, ls bool) {
	return nextCodeGo(s, i, lineStart)
}

//go:build !amd64 || purego

package phrase

// scan is scanGo where there is no assembly version.
func scan(text []byte, i int, carry, spaces uint64, f8 *[filterBits / 64]uint64, f4 *[filter4Bits / 64]uint64, hits *[hitsLen]int32) (n, next int, carryOut uint64) {
	return scanGo(text, i, carry, spaces, f8, f4, hits)
}

// probes probes none of the positions where there is no assembly
// version: Find probes each of them itself (see scan_amd64.go).
func probes(m *Matcher, text []byte, hits []int32, dst []Match) (done, n int) {
	return 0, len(dst)
}

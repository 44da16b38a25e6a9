//go:build amd64 && !purego

package phrase

// scan is scanGo in assembly (scan_amd64.s). The Go compiler keeps the
// word arithmetic's eight-byte constants out of registers and reloads
// them, and spills the scan's variables around its loops; written out,
// the scan takes about a third fewer instructions. FuzzScan holds the two
// to each other.
//
//go:noescape
func scan(text []byte, i int, carry, spaces uint64, f8 *[filterBits / 64]uint64, f4 *[filter4Bits / 64]uint64, hits *[hitsLen]int32) (n, next int, carryOut uint64)

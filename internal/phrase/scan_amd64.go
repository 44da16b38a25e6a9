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

// The assembly has these sizes written in: hits holds 32 positions (it
// stops at 24 filed, indexes with n&31), and the hashes index filters of
// 2^16 and 2^12 bits. A change here must change scan_amd64.s; these
// declarations fail to compile until the numbers agree.
var (
	_ [hitsLen - 32]struct{}
	_ [32 - hitsLen]struct{}
	_ [filterBits - 1<<16]struct{}
	_ [1<<16 - filterBits]struct{}
	_ [filter4Bits - 1<<12]struct{}
	_ [1<<12 - filter4Bits]struct{}
)

//go:build amd64 && !purego

package phrase

import "unsafe"

// scan is scanGo in assembly (scan_amd64.s). The Go compiler keeps the
// word arithmetic's eight-byte constants out of registers and reloads
// them, and spills the scan's variables around its loops; written out,
// the scan takes about a third fewer instructions. While 24 bytes and 16
// places in hits are left it takes sixteen bytes a step with SSE2 (a
// candidate there needs no test for its eight bytes), so it may stop at
// other places than scanGo to let Find probe; what it files is the same,
// which TestScan and FuzzScan hold it to.
//
//go:noescape
func scan(text []byte, i int, carry, spaces uint64, f8 *[filterBits / 64]uint64, f4 *[filter4Bits / 64]uint64, hits *[hitsLen]int32) (n, next int, carryOut uint64)

// probes is the probing of Find's positions in assembly
// (probe_amd64.s): probe for each of hits in order, appending to dst
// within its capacity. It returns how many positions it probed and the
// new length of dst; it stops at a position filed for at4 and at one
// whose matches do not fit, which Find then probes in Go. Written out, a
// position's probe keeps its keys and the group's members in registers
// and makes no calls: about a third of the instructions of probe, match
// and confirm, in a tenth of their code. TestFindRoom and the Find tests
// and fuzzers hold it to the naive search.
//
//go:noescape
func probes(m *Matcher, text []byte, hits []int32, dst []Match) (done, n int)

// The assembly has these sizes written in: hits holds 32 positions (it
// takes a sixteen-byte step with up to 16 filed and an eight-byte one
// with up to 24, and indexes with n&31), and the hashes index filters of
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

// probe_amd64.s reads the generic types at these offsets (go_asm.h has
// the others): a table's slots at 0 and members at 24; a slot[key] of 24
// bytes with off at 16 and len at 20; a slot[uint64] of 16 with off at 8
// and len at 12; a Match of 8 with End at 4.
var (
	_ [0 - unsafe.Offsetof(table[key]{}.slots) - unsafe.Offsetof(table[uint64]{}.slots)]struct{}
	_ [unsafe.Offsetof(table[key]{}.pats) - 24]struct{}
	_ [24 - unsafe.Offsetof(table[key]{}.pats)]struct{}
	_ [unsafe.Offsetof(table[uint64]{}.pats) - 24]struct{}
	_ [24 - unsafe.Offsetof(table[uint64]{}.pats)]struct{}
	_ [unsafe.Sizeof(slot[key]{}) - 24]struct{}
	_ [24 - unsafe.Sizeof(slot[key]{})]struct{}
	_ [unsafe.Offsetof(slot[key]{}.off) - 16]struct{}
	_ [16 - unsafe.Offsetof(slot[key]{}.off)]struct{}
	_ [unsafe.Offsetof(slot[key]{}.len) - 20]struct{}
	_ [20 - unsafe.Offsetof(slot[key]{}.len)]struct{}
	_ [unsafe.Sizeof(slot[uint64]{}) - 16]struct{}
	_ [16 - unsafe.Sizeof(slot[uint64]{})]struct{}
	_ [unsafe.Offsetof(slot[uint64]{}.off) - 8]struct{}
	_ [8 - unsafe.Offsetof(slot[uint64]{}.off)]struct{}
	_ [unsafe.Offsetof(slot[uint64]{}.len) - 12]struct{}
	_ [12 - unsafe.Offsetof(slot[uint64]{}.len)]struct{}
	_ [unsafe.Sizeof(Match{}) - 8]struct{}
	_ [8 - unsafe.Sizeof(Match{})]struct{}
	_ [unsafe.Offsetof(Match{}.End) - 4]struct{}
	_ [4 - unsafe.Offsetof(Match{}.End)]struct{}
)

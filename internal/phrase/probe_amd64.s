//go:build amd64 && !purego

#include "textflag.h"
#include "go_asm.h"

// The layouts of the generic types probes reads (checked in
// scan_amd64.go): a table's slots are a slice at 0, its members a slice at
// 24; a slot[key] is 24 bytes (key 0 and 8, off 16, len 20), a
// slot[uint64] 16 (key 0, off 8, len 12). A Match is 8 bytes (Pattern 0,
// End 4).

// func probes(m *Matcher, text []byte, hits []int32, dst []Match) (done, n int)
//
// probe (phrase.go) over the positions in hits, in order, appending to
// dst within its capacity. It stops at the first position filed for at4
// (below 0) and at the first whose matches do not fit; that position's
// matches are dropped again, and Find probes it in Go, where dst can grow.
//
// AX text, BX len(text), SI dst, DI len(dst), R10 m, R8 p, R9 the key or
// the word after it, R11 a slot, then a member, DX a group's members left,
// R15 the slots, then the key length of the group being matched, CX the
// key length of the table being looked up (or scratch); R12-R14 scratch.
// 0(SP) holds how many positions are done, 8(SP) len(dst) before the
// current one.
TEXT ·probes(SB), NOSPLIT, $16-96
	MOVQ m+0(FP), R10
	MOVQ text_base+8(FP), AX
	MOVQ text_len+16(FP), BX
	MOVQ dst_base+56(FP), SI
	MOVQ dst_len+64(FP), DI
	MOVQ $0, 0(SP)

position:
	MOVQ    0(SP), CX
	CMPQ    CX, hits_len+40(FP)
	JGE     out
	MOVQ    hits_base+32(FP), R12
	MOVLQSX (R12)(CX*4), R8
	TESTQ   R8, R8
	JS      out                   // fewer than eight bytes left: at4's
	MOVQ    DI, 8(SP)

	// k8 = the eight bytes at p. Unless hash8(k8) passes filter8, only
	// the phrases of four to seven bytes can start here.
	MOVQ  (AX)(R8*1), R9
	MOVQ  $0x9e3779b97f4a7c15, R12
	IMULQ R9, R12
	SHRQ  $48, R12
	MOVQ  R12, R13
	SHRQ  $6, R13
	MOVQ  Matcher_filter8(R10)(R13*8), R13
	BTQ   R12, R13
	JCC   try4

	// The sixteen-byte key (R9, R13) and hashKey of it, when sixteen
	// bytes are left.
	LEAQ  16(R8), R13
	CMPQ  R13, BX
	JGT   try8
	MOVQ  8(AX)(R8*1), R13
	MOVQ  R13, R12
	ROLQ  $29, R12
	XORQ  R9, R12
	MOVQ  $0x9e3779b97f4a7c15, R14
	IMULQ R14, R12
	SHRQ  $48, R12
	MOVQ  R12, R14
	SHRQ  $6, R14
	MOVQ  Matcher_filter16(R10)(R14*8), R14
	BTQ   R12, R14
	JCC   try8
	MOVQ  Matcher_groups16+8(R10), R14
	DECQ  R14                           // the slot mask
	MOVQ  Matcher_groups16+0(R10), R15

look16:
	ANDQ R14, R12
	LEAQ (R12)(R12*2), R11              // the slot's offset / 8
	MOVL 20(R15)(R11*8), DX
	TESTL DX, DX
	JZ   try8                           // an empty slot: no group
	CMPQ 0(R15)(R11*8), R9
	JNE  skip16
	CMPQ 8(R15)(R11*8), R13
	JEQ  found16

skip16:
	INCQ R12
	JMP  look16

found16:
	MOVL   16(R15)(R11*8), R11
	IMUL3Q $member__size, R11, R11
	ADDQ   Matcher_groups16+24(R10), R11
	MOVQ   $16, R15
	JMP    match

	// Phrases of eight to fifteen bytes: filter8g, then groups8.
try8:
	MOVQ  (AX)(R8*1), R9
	MOVQ  $0xc2b2ae3d27d4eb4f, R12
	IMULQ R9, R12
	SHRQ  $50, R12
	MOVQ  R12, R13
	SHRQ  $6, R13
	MOVQ  Matcher_filter8g(R10)(R13*8), R13
	BTQ   R12, R13
	JCC   try4
	MOVQ  $0x9e3779b97f4a7c15, R12
	IMULQ R9, R12
	SHRQ  $48, R12
	LEAQ  Matcher_groups8(R10), R13
	MOVL  $8, CX
	JMP   look

	// Phrases of four to seven bytes: hash4 of the first four bytes
	// against filter4, then groups4 (hashed with hash8).
try4:
	MOVL   (AX)(R8*1), R9
	IMUL3L $0x9e3779b1, R9, R12
	SHRL   $20, R12
	MOVQ   R12, R13
	SHRQ   $6, R13
	MOVQ   Matcher_filter4(R10)(R13*8), R13
	BTQ    R12, R13
	JCC    next
	MOVQ   $0x9e3779b97f4a7c15, R12
	IMULQ  R9, R12
	SHRQ   $48, R12
	LEAQ   Matcher_groups4(R10), R13
	MOVL   $4, CX

	// look: the group of the key R9, whose hash8 is R12, in the table at
	// R13 (groups8 or groups4, their keys CX bytes long); then match,
	// or on to the next table.
look:
	MOVQ 8(R13), R14
	DECQ R14                            // the slot mask
	MOVQ 0(R13), R15

lookSlot:
	ANDQ  R14, R12
	MOVQ  R12, R11
	SHLQ  $4, R11
	MOVL  12(R15)(R11*1), DX
	TESTL DX, DX
	JZ    lookMiss                      // an empty slot: no group
	CMPQ  0(R15)(R11*1), R9
	JEQ   lookHit
	INCQ  R12
	JMP   lookSlot

lookMiss:
	CMPQ CX, $8
	JEQ  try4
	JMP  next

lookHit:
	MOVL   8(R15)(R11*1), R11
	IMUL3Q $member__size, R11, R11
	ADDQ   24(R13), R11
	MOVQ   CX, R15
	JMP    match

next:
	INCQ 0(SP)
	JMP  position

	// match: the DX members at R11 of a group whose first R15 bytes
	// equal the text's at p. next (R9) is the word after them, its
	// missing bytes zero at the end of the text.
match:
	LEAQ (R8)(R15*1), R12
	LEAQ 8(R12), R13
	CMPQ R13, BX
	JGT  shortNext
	MOVQ (AX)(R12*1), R9
	JMP  member

shortNext:
	XORQ R9, R9
	CMPQ R12, BX
	JGE  member                          // the text ends with the key
	MOVQ -8(AX)(BX*1), R9                // inside the text: p+8 <= len
	MOVQ R13, CX
	SUBQ BX, CX
	SHLQ $3, CX
	SHRQ CX, R9                          // the bytes from p+R15 on

member:
	MOVQ    member_mask(R11), R13
	ANDQ    R9, R13
	CMPQ    R13, member_next(R11)
	JNE     nextMember
	MOVLQSX member_len(R11), R13
	LEAQ    (R8)(R13*1), R14             // end
	CMPQ    R14, BX
	JGT     nextMember
	SUBQ    R15, R13
	SUBQ    $8, R13                      // the bytes after key and next
	JLE     emit

	// Compare them with the pattern's, eight at a time; the last eight
	// end where the phrase ends (they overlap bytes already compared,
	// and lie inside text and pattern, which are both longer).
	MOVLQSX member_pattern(R11), R12
	LEAQ    (R12)(R12*2), R12
	MOVQ    Matcher_patterns(R10), R14
	MOVQ    (R14)(R12*8), R12
	LEAQ    8(R12)(R15*1), R12
	LEAQ    8(AX)(R8*1), CX
	ADDQ    R15, CX

compare:
	CMPQ R13, $8
	JLE  compareLast
	MOVQ (CX), R14
	CMPQ R14, (R12)
	JNE  nextMember
	ADDQ $8, CX
	ADDQ $8, R12
	SUBQ $8, R13
	JMP  compare

compareLast:
	MOVQ -8(CX)(R13*1), R14
	CMPQ R14, -8(R12)(R13*1)
	JNE  nextMember

emit:
	CMPQ    DI, dst_cap+72(FP)
	JGE     full
	MOVLQSX member_len(R11), R13
	ADDQ    R8, R13
	MOVL    member_pattern(R11), R12
	MOVL    R12, 0(SI)(DI*8)
	MOVL    R13, 4(SI)(DI*8)
	INCQ    DI

nextMember:
	ADDQ $member__size, R11
	DECQ DX
	JNZ  member
	CMPQ R15, $8
	JGT  try8                            // after the sixteen-byte group
	JEQ  try4                            // after the eight-byte one
	JMP  next

full:
	MOVQ 8(SP), DI

out:
	MOVQ 0(SP), CX
	MOVQ CX, done+80(FP)
	MOVQ DI, n+88(FP)
	RET

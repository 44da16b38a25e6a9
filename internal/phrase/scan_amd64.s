//go:build amd64 && !purego

#include "textflag.h"

// Constants of the word arithmetic (see scanGo and package swar): each
// byte of a word holds the same value.
DATA scanK<>+0(SB)/8, $0x7f7f7f7f7f7f7f7f  // Low7
DATA scanK<>+8(SB)/8, $0x8080808080808080  // High
DATA scanK<>+16(SB)/8, $0x5050505050505050 // 0x80-'0': from '0' up the top bit is set
DATA scanK<>+24(SB)/8, $0x4646464646464646 // 0x7f-'9': above '9' the top bit is set
DATA scanK<>+32(SB)/8, $0x2020202020202020 // ' ', and the bit that folds A-Z onto a-z
DATA scanK<>+40(SB)/8, $0x1f1f1f1f1f1f1f1f // 0x80-'a'
DATA scanK<>+48(SB)/8, $0x1a1a1a1a1a1a1a1a // ('z'-'a')+1: from 0x80-'a' to 0x7f-'z'
DATA scanK<>+56(SB)/8, $0x9e3779b97f4a7c15 // hash8's multiplier
GLOBL scanK<>(SB), RODATA|NOPTR, $64

// The sixteen-byte steps' constants (SSE2 compares bytes as signed: a
// range lo–hi is moved to the bottom by adding 0x80-lo, where one
// comparison with -128+(hi-lo+1) tells it apart).
DATA scanX<>+0(SB)/8, $0x2020202020202020  // ' ', and the bit that folds A-Z onto a-z
DATA scanX<>+8(SB)/8, $0x2020202020202020
DATA scanX<>+16(SB)/8, $0x1f1f1f1f1f1f1f1f // + 0x80-'a'
DATA scanX<>+24(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA scanX<>+32(SB)/8, $0x9a9a9a9a9a9a9a9a // -128+26
DATA scanX<>+40(SB)/8, $0x9a9a9a9a9a9a9a9a
DATA scanX<>+48(SB)/8, $0x5050505050505050 // + 0x80-'0'
DATA scanX<>+56(SB)/8, $0x5050505050505050
DATA scanX<>+64(SB)/8, $0x8a8a8a8a8a8a8a8a // -128+10
DATA scanX<>+72(SB)/8, $0x8a8a8a8a8a8a8a8a
GLOBL scanX<>(SB), RODATA|NOPTR, $80

// FILTER tests the position p (R11), which has eight bytes: hash8 of
// them (R12) against filter8 (R8), hash4 of the first four (R13) against
// filter4 (R9). It goes to pass when one passes and to again when none
// does. R14 is scratch.
#define FILTER(pass, again) \
	MOVQ   (AX)(R11*1), R12; \
	MOVL   R12, R13; \
	IMUL3L $0x9e3779b1, R13, R13; \
	SHRL   $20, R13; \
	IMULQ  scanK<>+56(SB), R12; \
	SHRQ   $48, R12; \
	MOVQ   R12, R14; \
	SHRQ   $6, R14; \
	MOVQ   (R8)(R14*8), R14; \
	BTQ    R12, R14; \
	JCS    pass; \
	MOVQ   R13, R14; \
	SHRQ   $6, R14; \
	MOVQ   (R9)(R14*8), R14; \
	BTQ    R13, R14; \
	JCC    again

// func scan(text []byte, i int, carry, spaces uint64, f8 *[1024]uint64, f4 *[64]uint64, hits *[32]int32) (n, next int, carryOut uint64)
//
// AX text, BX len(text), CX i, DX carry, SI hits, DI n, R8 f8, R9 f4,
// R10 the candidates of a step, R11-R14 scratch.
TEXT ·scan(SB), NOSPLIT, $0-96
	MOVQ text_base+0(FP), AX
	MOVQ text_len+8(FP), BX
	MOVQ i+24(FP), CX
	MOVQ carry+32(FP), DX
	MOVQ f8+48(FP), R8
	MOVQ f4+56(FP), R9
	MOVQ hits+64(FP), SI
	XORQ DI, DI

	// Sixteen bytes a step with SSE2 (part of every amd64) while at
	// least 24 are left, so that every candidate has its eight bytes and
	// needs no test, and 16 places are left in hits. The masks are taken
	// to sixteen bits, one per byte: DX is the carry as bit 0, R15
	// spaces as 0xffff or 0.
	MOVOU scanX<>+0(SB), X8
	MOVOU scanX<>+16(SB), X9
	MOVOU scanX<>+32(SB), X10
	MOVOU scanX<>+48(SB), X11
	MOVOU scanX<>+64(SB), X12
	SHRQ  $7, DX
	MOVQ  spaces+40(FP), R15
	SHRQ  $63, R15
	NEGQ  R15
	ANDQ  $0xffff, R15

step16:
	LEAQ     24(CX), R11
	CMPQ     R11, BX
	JGT      words
	CMPQ     DI, $16
	JGT      words
	MOVOU    (AX)(CX*1), X0
	PMOVMSKB X0, R11         // 0x80 and above: word bytes
	MOVO     X0, X1
	POR      X8, X1
	PADDB    X9, X1
	MOVO     X10, X2
	PCMPGTB  X1, X2          // letters
	MOVO     X0, X3
	PADDB    X11, X3
	MOVO     X12, X4
	PCMPGTB  X3, X4          // digits
	POR      X4, X2
	PMOVMSKB X2, R12
	ORL      R11, R12        // word
	MOVO     X0, X5
	PCMPEQB  X8, X5
	PMOVMSKB X5, R13
	NOTL     R13
	ORL      R15, R13        // not a space, or spaces count

	// cand = R13 &^ (word & (word<<1 | carry))
	MOVL R12, R14
	SHLL $1, R14
	ORL  DX, R14
	ANDL R12, R14
	NOTL R14
	ANDL R14, R13
	ANDL $0xffff, R13
	MOVL R12, DX
	SHRL $15, DX
	MOVL R13, R10

cand16:
	TESTL  R10, R10
	JZ     next16
	BSFL   R10, R11
	ADDQ   CX, R11           // p
	LEAL   -1(R10), R12
	ANDL   R12, R10
	FILTER(hit16, cand16)

hit16:
	MOVQ DI, R12
	ANDQ $31, R12
	MOVL R11, (SI)(R12*4)
	INCQ DI
	JMP  cand16

next16:
	ADDQ $16, CX
	JMP  step16

	// Eight bytes a step for the rest; the carry as 0x80 again.
words:
	SHLQ $7, DX

step:
	// while i+8 <= len(text) && n <= 24
	LEAQ 8(CX), R11
	CMPQ R11, BX
	JGT  done
	CMPQ DI, $24
	JGT  done

	// word = (InRange(l, 'a', 'z') | InRange(y, '0', '9') | x) & High,
	// y = x & Low7, l = y | 0x20 (x's own top bits: bytes of 0x80 and
	// above are word bytes).
	MOVQ (AX)(CX*1), R10
	MOVQ R10, R11
	ANDQ scanK<>+0(SB), R11  // y
	MOVQ R11, R12
	ADDQ scanK<>+16(SB), R12
	MOVQ R11, R13
	ADDQ scanK<>+24(SB), R13
	NOTQ R13
	ANDQ R13, R12            // InRange(y, '0', '9')
	ORQ  R12, R10
	MOVQ R11, R12
	ORQ  scanK<>+32(SB), R12 // l
	ADDQ scanK<>+40(SB), R12 // l + 0x80-'a'; no byte carries
	MOVQ R12, R13
	SUBQ scanK<>+48(SB), R13 // l + 0x7f-'z'; no byte borrows
	NOTQ R13
	ANDQ R13, R12            // InRange(l, 'a', 'z')
	ORQ  R12, R10
	ANDQ scanK<>+8(SB), R10  // word

	// notSpace = (^Equal(y, ' ') | x) & High, where ^Equal(y, c) is
	// (e + Low7) | e with e = y ^ c; spaces adds every space.
	XORQ scanK<>+32(SB), R11 // e
	MOVQ R11, R12
	ADDQ scanK<>+0(SB), R12
	ORQ  R11, R12
	ORQ  (AX)(CX*1), R12
	ORQ  spaces+40(FP), R12
	ANDQ scanK<>+8(SB), R12

	// cand = notSpace &^ (word & (word<<8 | carry)): not the second
	// or later byte of a word. carry = word >> 56 for the next step.
	MOVQ R10, R13
	SHLQ $8, R13
	ORQ  DX, R13
	ANDQ R10, R13
	NOTQ R13
	ANDQ R13, R12
	MOVQ R10, DX
	SHRQ $56, DX
	MOVQ R12, R10

cand:
	TESTQ R10, R10
	JZ    next
	BSFQ  R10, R11
	SHRQ  $3, R11
	ADDQ  CX, R11            // p
	LEAQ  -1(R10), R12
	ANDQ  R12, R10           // the next candidate
	LEAQ  8(R11), R12
	CMPQ  R12, BX
	JGT   tail

	FILTER(hit, cand)

hit:
	MOVQ DI, R12
	ANDQ $31, R12
	MOVL R11, (SI)(R12*4)
	INCQ DI
	JMP  cand

tail:
	// Fewer than eight bytes are left: filed as ^p for at4.
	MOVQ DI, R12
	ANDQ $31, R12
	NOTQ R11
	MOVL R11, (SI)(R12*4)
	INCQ DI
	JMP  cand

next:
	ADDQ $8, CX
	JMP  step

done:
	MOVQ DI, n+72(FP)
	MOVQ CX, next+80(FP)
	MOVQ DX, carryOut+88(FP)
	RET

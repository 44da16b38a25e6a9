//go:build amd64 && !purego

#include "textflag.h"

DATA lowerK<>+0(SB)/8, $0x7f7f7f7f7f7f7f7f  // Low7
DATA lowerK<>+8(SB)/8, $0x8080808080808080  // High
DATA lowerK<>+16(SB)/8, $0x2020202020202020 // ' '
DATA lowerK<>+24(SB)/8, $0x5858585858585858 // 0x80-'(': Below(y, '(') = ^(y + this)
DATA lowerK<>+32(SB)/8, $0x6060606060606060 // '`'
DATA lowerK<>+40(SB)/8, $0x3f3f3f3f3f3f3f3f // 0x80-'A'
DATA lowerK<>+48(SB)/8, $0x2525252525252525 // 0x7f-'Z'
GLOBL lowerK<>(SB), RODATA|NOPTR, $56

// The sixteen-byte steps' constants, each byte the same (SSE2 compares
// bytes as signed: those of 0x80 and above are below every ASCII byte).
DATA lowerX<>+0(SB)/8, $0x2828282828282828  // '('
DATA lowerX<>+8(SB)/8, $0x2828282828282828
DATA lowerX<>+16(SB)/8, $0x2020202020202020 // ' ', and the bit that lower-cases
DATA lowerX<>+24(SB)/8, $0x2020202020202020
DATA lowerX<>+32(SB)/8, $0x6060606060606060 // '`'
DATA lowerX<>+40(SB)/8, $0x6060606060606060
DATA lowerX<>+48(SB)/8, $0x4040404040404040 // '@', before 'A'
DATA lowerX<>+56(SB)/8, $0x4040404040404040
DATA lowerX<>+64(SB)/8, $0x5b5b5b5b5b5b5b5b // '[', after 'Z'
DATA lowerX<>+72(SB)/8, $0x5b5b5b5b5b5b5b5b
GLOBL lowerX<>(SB), RODATA|NOPTR, $80

// func LowerCopy(dst []byte, s string, i int, carry uint64) int
//
// As LowerCopyGo. DI the next byte of dst, SI s, BX where the groups end
// (len(s), or less when dst is shorter), CX i, R8 the first i, DX carry;
// AX and R9-R14 scratch.
TEXT ·LowerCopy(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ s_base+24(FP), SI
	MOVQ s_len+32(FP), BX
	MOVQ i+40(FP), CX
	MOVQ carry+48(FP), DX
	MOVQ CX, R8
	MOVQ dst_len+8(FP), AX
	ADDQ CX, AX
	CMPQ AX, BX
	JGE  sse
	MOVQ AX, BX

	// Sixteen bytes at a time with SSE2 (part of every amd64) while they
	// last, the tests' masks taken to sixteen bits, one per byte (R11 is
	// the carry as bit 0); then eight at a time below.
sse:
	MOVOU lowerX<>+0(SB), X8
	MOVOU lowerX<>+16(SB), X9
	MOVOU lowerX<>+32(SB), X10
	MOVOU lowerX<>+48(SB), X11
	MOVOU lowerX<>+64(SB), X12
	MOVQ  DX, R11
	SHRQ  $7, R11

step16:
	LEAQ     16(CX), AX
	CMPQ     AX, BX
	JGT      words
	MOVOU    (SI)(CX*1), X0
	MOVO     X8, X1
	PCMPGTB  X0, X1          // below '(', or 0x80 and above
	MOVO     X0, X2
	PCMPEQB  X9, X2          // spaces
	MOVO     X0, X3
	PCMPEQB  X10, X3         // backquotes
	PMOVMSKB X1, R9
	PMOVMSKB X2, R10
	PMOVMSKB X3, R12

	// stop = below &^ spaces | backquotes | spaces & (spaces<<1 | carry)
	MOVL R10, R13
	NOTL R13
	ANDL R13, R9
	ORL  R12, R9
	MOVL R10, R13
	SHLL $1, R13
	ORL  R11, R13
	ANDL R10, R13
	ORL  R13, R9

	// x with 0x20 added to the bytes from 'A' to 'Z'
	MOVO    X0, X4
	PCMPGTB X11, X4
	MOVO    X12, X5
	PCMPGTB X0, X5
	PAND    X5, X4
	PAND    X9, X4
	POR     X0, X4

	TESTL R9, R9
	JNZ   partial16
	MOVOU X4, (DI)
	ADDQ  $16, DI
	ADDQ  $16, CX
	MOVL  R10, R11
	SHRL  $15, R11
	JMP   step16

partial16:
	BSFL  R9, R9
	TESTL R9, R9
	JZ    done
	MOVOU X4, (DI)
	ADDQ  R9, CX
	JMP   done

words:
	MOVQ R11, DX
	SHLQ $7, DX

step:
	LEAQ 8(CX), AX
	CMPQ AX, BX
	JGT  done
	MOVQ (SI)(CX*1), R12     // x
	MOVQ R12, R13
	ANDQ lowerK<>+0(SB), R13 // y

	// isSpace = Equal(y, ' ') & High: ^((e + Low7) | e), e = y ^ ' '
	MOVQ R13, R14
	XORQ lowerK<>+16(SB), R14
	MOVQ R14, AX
	ADDQ lowerK<>+0(SB), AX
	ORQ  R14, AX
	NOTQ AX
	ANDQ lowerK<>+8(SB), AX

	// care = Below(y, '(') &^ isSpace | Equal(y, '`')
	MOVQ R13, R9
	ADDQ lowerK<>+24(SB), R9
	NOTQ R9
	MOVQ AX, R10
	NOTQ R10
	ANDQ R10, R9
	MOVQ R13, R10
	XORQ lowerK<>+32(SB), R10
	MOVQ R10, R11
	ADDQ lowerK<>+0(SB), R11
	ORQ  R10, R11
	NOTQ R11
	ORQ  R11, R9

	// stop = (x | care | isSpace & (isSpace<<8 | carry)) & High
	MOVQ AX, R10
	SHLQ $8, R10
	ORQ  DX, R10
	ANDQ AX, R10
	ORQ  R10, R9
	ORQ  R12, R9
	ANDQ lowerK<>+8(SB), R9

	// lower = x | InRange(y, 'A', 'Z') & High >> 2
	MOVQ R13, R10
	ADDQ lowerK<>+40(SB), R10
	ADDQ lowerK<>+48(SB), R13
	NOTQ R13
	ANDQ R13, R10
	ANDQ lowerK<>+8(SB), R10
	SHRQ $2, R10
	ORQ  R12, R10

	TESTQ R9, R9
	JNZ   partial
	MOVQ  R10, (DI)
	ADDQ  $8, DI
	ADDQ  $8, CX
	MOVQ  AX, DX
	SHRQ  $56, DX
	JMP   step

partial:
	// The group holds a byte that needs care: copy the bytes before it.
	BSFQ R9, R9
	SHRQ $3, R9
	JZ   done
	MOVQ R10, (DI)
	ADDQ R9, CX

done:
	SUBQ R8, CX
	MOVQ CX, ret+56(FP)
	RET

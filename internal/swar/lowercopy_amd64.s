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
	JGE  step
	MOVQ AX, BX

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

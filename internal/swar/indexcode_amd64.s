//go:build amd64 && !purego

#include "textflag.h"

DATA indexCodeHigh<>+0(SB)/8, $0x8080808080808080
GLOBL indexCodeHigh<>(SB), RODATA|NOPTR, $8

// func IndexCode(s string, i int) int
//
// Eight bytes at a time as IndexCodeGo: with y the seven low bits of each
// byte, InRange(y, lo, hi) = (y + 0x80-lo) &^ (y + 0x7f-hi) and
// Below(y, c) = ^(y + 0x80-c), in the top bit of each byte; bytes of 0x80
// and above are no code bytes.
TEXT ·IndexCode(SB), NOSPLIT, $0-32
	MOVQ s_base+0(FP), AX
	MOVQ s_len+8(FP), BX
	MOVQ i+16(FP), CX
	MOVQ $0x7f7f7f7f7f7f7f7f, R8  // Low7
	MOVQ $0x5050505050505050, R9  // 0x80-'0'
	MOVQ $0x4646464646464646, R10 // 0x7f-'9'
	MOVQ $0x3f3f3f3f3f3f3f3f, R11 // 0x80-'A'
	MOVQ $0x2525252525252525, R12 // 0x7f-'Z'
	MOVQ $0x6060606060606060, R13 // 0x80-0x20

step:
	LEAQ 8(CX), DX
	CMPQ DX, BX
	JGT  tail
	MOVQ (AX)(CX*1), SI
	ANDQ R8, SI                   // y
	LEAQ (SI)(R13*1), DI
	NOTQ DI                       // Below(y, 0x20)
	LEAQ (SI)(R9*1), DX
	LEAQ (SI)(R10*1), R14
	NOTQ R14
	ANDQ R14, DX                  // InRange(y, '0', '9')
	ORQ  DX, DI
	LEAQ (SI)(R11*1), DX
	LEAQ (SI)(R12*1), R14
	NOTQ R14
	ANDQ R14, DX                  // InRange(y, 'A', 'Z')
	ORQ  DX, DI
	MOVQ (AX)(CX*1), DX
	NOTQ DX
	ANDQ DX, DI                   // not 0x80 and above
	ANDQ indexCodeHigh<>(SB), DI
	JNZ  found
	ADDQ $8, CX
	JMP  step

found:
	BSFQ DI, DI
	SHRQ $3, DI
	ADDQ DI, CX
	MOVQ CX, ret+24(FP)
	RET

tail:
	// Fewer than eight bytes are left: one at a time.
	CMPQ    CX, BX
	JGE     end
	MOVBLZX (AX)(CX*1), DX
	CMPL    DX, $0x20
	JB      end
	LEAL    -48(DX), SI
	CMPL    SI, $9
	JBE     end
	LEAL    -65(DX), SI
	CMPL    SI, $25
	JBE     end
	INCQ    CX
	JMP     tail

end:
	MOVQ CX, ret+24(FP)
	RET

//go:build amd64 && !purego

#include "textflag.h"

DATA indexCodeHigh<>+0(SB)/8, $0x8080808080808080
GLOBL indexCodeHigh<>(SB), RODATA|NOPTR, $8

// The sixteen-byte steps' constants: each range lo–hi is moved by adding
// 0x80-lo to the bottom of the signed bytes, where one signed comparison
// with -128+(hi-lo+1) tells it apart (the sum wraps; SSE2 compares bytes
// as signed only).
DATA indexCodeX<>+0(SB)/8, $0x8080808080808080  // + 0x80-0x00: controls
DATA indexCodeX<>+8(SB)/8, $0x8080808080808080
DATA indexCodeX<>+16(SB)/8, $0xa0a0a0a0a0a0a0a0 // -128+0x20
DATA indexCodeX<>+24(SB)/8, $0xa0a0a0a0a0a0a0a0
DATA indexCodeX<>+32(SB)/8, $0x5050505050505050 // + 0x80-'0': digits
DATA indexCodeX<>+40(SB)/8, $0x5050505050505050
DATA indexCodeX<>+48(SB)/8, $0x8a8a8a8a8a8a8a8a // -128+10
DATA indexCodeX<>+56(SB)/8, $0x8a8a8a8a8a8a8a8a
DATA indexCodeX<>+64(SB)/8, $0x3f3f3f3f3f3f3f3f // + 0x80-'A': capitals
DATA indexCodeX<>+72(SB)/8, $0x3f3f3f3f3f3f3f3f
DATA indexCodeX<>+80(SB)/8, $0x9a9a9a9a9a9a9a9a // -128+26
DATA indexCodeX<>+88(SB)/8, $0x9a9a9a9a9a9a9a9a
GLOBL indexCodeX<>(SB), RODATA|NOPTR, $96

// func IndexCode(s string, i int) int
//
// Sixteen bytes at a time with SSE2 while they last, then eight bytes at a
// time as IndexCodeGo: with y the seven low bits of each
// byte, InRange(y, lo, hi) = (y + 0x80-lo) &^ (y + 0x7f-hi) and
// Below(y, c) = ^(y + 0x80-c), in the top bit of each byte; bytes of 0x80
// and above are no code bytes.
TEXT ·IndexCode(SB), NOSPLIT, $0-32
	MOVQ s_base+0(FP), AX
	MOVQ s_len+8(FP), BX
	MOVQ i+16(FP), CX
	MOVOU indexCodeX<>+0(SB), X8
	MOVOU indexCodeX<>+16(SB), X9
	MOVOU indexCodeX<>+32(SB), X10
	MOVOU indexCodeX<>+48(SB), X11
	MOVOU indexCodeX<>+64(SB), X12
	MOVOU indexCodeX<>+80(SB), X13

	// Sixteen bytes at a time with SSE2 (part of every amd64), then the
	// eight-byte steps below for the rest.
step16:
	LEAQ     16(CX), DX
	CMPQ     DX, BX
	JGT      words
	MOVOU    (AX)(CX*1), X0
	MOVO     X0, X1
	PADDB    X8, X1
	MOVO     X9, X2
	PCMPGTB  X1, X2               // controls
	MOVO     X0, X3
	PADDB    X10, X3
	MOVO     X11, X4
	PCMPGTB  X3, X4               // digits
	MOVO     X0, X5
	PADDB    X12, X5
	MOVO     X13, X6
	PCMPGTB  X5, X6               // capitals
	POR      X4, X2
	POR      X6, X2
	PMOVMSKB X2, DX
	TESTL    DX, DX
	JNZ      found16
	ADDQ     $16, CX
	JMP      step16

found16:
	BSFL DX, DX
	ADDQ DX, CX
	MOVQ CX, ret+24(FP)
	RET

	// Fewer than sixteen bytes are left: eight at a time.
words:
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

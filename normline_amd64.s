//go:build amd64 && !purego

#include "textflag.h"
#include "go_asm.h"

// The sixteen-byte steps' constants, each byte the same (SSE2 compares
// bytes as signed: those of 0x80 and above are below every ASCII byte).
DATA normX<>+0(SB)/8, $0x2828282828282828  // '('
DATA normX<>+8(SB)/8, $0x2828282828282828
DATA normX<>+16(SB)/8, $0x2020202020202020 // ' ', and the bit that lower-cases
DATA normX<>+24(SB)/8, $0x2020202020202020
DATA normX<>+32(SB)/8, $0x6060606060606060 // '`'
DATA normX<>+40(SB)/8, $0x6060606060606060
DATA normX<>+48(SB)/8, $0x4040404040404040 // '@', before 'A'
DATA normX<>+56(SB)/8, $0x4040404040404040
DATA normX<>+64(SB)/8, $0x5b5b5b5b5b5b5b5b // '[', after 'Z'
DATA normX<>+72(SB)/8, $0x5b5b5b5b5b5b5b5b
GLOBL normX<>(SB), RODATA|NOPTR, $80

// MASKS: for the bytes in X0 and the carry in R13 (bit 0), the bytes that
// stop the copy in R12 (a bit each): (below '(' or 0x80 and above, or a
// backquote) and not a space, or a space after a space; the spaces in R14;
// and in X4 the bytes with capitals lower-cased.
#define MASKS \
	MOVO     X8, X1; \
	PCMPGTB  X0, X1; \
	MOVO     X0, X2; \
	PCMPEQB  X9, X2; \
	MOVO     X0, X3; \
	PCMPEQB  X10, X3; \
	PMOVMSKB X1, R12; \
	PMOVMSKB X2, R14; \
	PMOVMSKB X3, AX; \
	ORL  AX, R12; \
	MOVL R14, AX; \
	NOTL AX; \
	ANDL AX, R12; \
	MOVL R14, AX; \
	SHLL $1, AX; \
	ORL  R13, AX; \
	ANDL R14, AX; \
	ORL  AX, R12; \
	MOVO    X0, X4; \
	PCMPGTB X11, X4; \
	MOVO    X12, X5; \
	PCMPGTB X0, X5; \
	PAND    X5, X4; \
	PAND    X9, X4; \
	POR     X0, X4

// func normLine(out []byte, base int, line string, space, ascii bool) (int, bool)
//
// As normLineGo, whose variables the comments name, with sixteen bytes a
// step where it calls LowerCopy: the bytes of a step are copied, capitals
// lower-cased, up to the first that needs care (0x80 and above, a control
// byte, one of ! " # $ % & ' and `, or a space after a space or at the
// start); that byte and the last fifteen of the line go through the
// switch. SI line, BX len(line), CX i, DI out, R8 len(out), R9 base, DX
// space, R10 ascii, R11 &normClass; AX, R12-R14 scratch.
TEXT ·normLine(SB), NOSPLIT, $0-65
	MOVQ    out_base+0(FP), DI
	MOVQ    out_len+8(FP), R8
	MOVQ    base+24(FP), R9
	MOVQ    line_base+32(FP), SI
	MOVQ    line_len+40(FP), BX
	MOVBLZX space+48(FP), DX
	MOVBLZX ascii+49(FP), R10
	LEAQ    ·normClass(SB), R11
	XORQ    CX, CX
	MOVOU   normX<>+0(SB), X8
	MOVOU   normX<>+16(SB), X9
	MOVOU   normX<>+32(SB), X10
	MOVOU   normX<>+48(SB), X11
	MOVOU   normX<>+64(SB), X12

top:
	CMPQ CX, BX
	JGE  done
	LEAQ 8(CX), AX
	CMPQ AX, BX
	JGT  byte

	// carry (R13, bit 0): a space here would follow a space, or start
	// the text.
	MOVL DX, R13
	CMPQ R8, R9
	JNE  last
	MOVL $1, R13
	JMP  pending

last:
	CMPB -1(DI)(R8*1), $0x20
	JNE  pending
	MOVL $1, R13

pending:
	// A pending space goes first; it is taken back when nothing
	// follows it here.
	TESTL DX, DX
	JZ    width
	MOVB  $0x20, (DI)(R8*1)
	INCQ  R8

width:
	// Fewer than sixteen bytes left, eight or more: one step of eight,
	// whose zero upper half stops it at its end.
	LEAQ  16(CX), AX
	CMPQ  AX, BX
	JLE   fast
	MOVQ  (SI)(CX*1), X0
	MASKS
	BSFL  R12, R12
	TESTL R12, R12
	JZ    fastNone
	MOVQ  X4, (DI)(R8*1)
	ADDQ  R12, R8
	ADDQ  R12, CX
	XORL  DX, DX
	JMP   byte

fast:
	MOVOU    (SI)(CX*1), X0
	MASKS
	TESTL R12, R12
	JNZ   fastStop
	MOVOU X4, (DI)(R8*1)
	ADDQ  $16, R8
	ADDQ  $16, CX
	XORL  DX, DX
	MOVL  R14, R13
	SHRL  $15, R13
	LEAQ  16(CX), AX
	CMPQ  AX, BX
	JLE   fast
	JMP   byte
fastStop:
	BSFL  R12, R12
	TESTL R12, R12
	JZ    fastNone
	MOVOU X4, (DI)(R8*1)
	ADDQ  R12, R8
	ADDQ  R12, CX
	XORL  DX, DX
	JMP   byte

fastNone:
	TESTL DX, DX
	JZ    byte
	DECQ  R8

	// The switch on normClass[c] for c = line[i].
byte:
	CMPQ    CX, BX
	JGE     done
	MOVBLZX (SI)(CX*1), AX
	MOVBLZX (R11)(AX*1), R12
	CMPL    R12, $const_normSpace
	JEQ     space
	CMPL    R12, $const_normQuote
	JEQ     next
	CMPL    R12, $const_normUpper
	JNE     high
	ADDL    $0x20, AX
	JMP     emit

high:
	CMPL    R12, $const_normHigh
	JNE     emit
	CMPL    AX, $0xe2
	JNE     notASCII
	LEAQ    2(CX), R13
	CMPQ    R13, BX
	JGE     notASCII
	CMPB    1(SI)(CX*1), $0x80
	JNE     notASCII
	MOVBLZX 2(SI)(CX*1), R13
	SUBL    $0x98, R13
	CMPL    R13, $7
	JA      notASCII
	ADDQ    $3, CX           // typographic quotes ‘ ’ ‚ ‛ “ ” „ ‟
	JMP     top

notASCII:
	XORL R10, R10

emit:
	TESTL DX, DX
	JZ    emitByte
	MOVB  $0x20, (DI)(R8*1)
	INCQ  R8
	XORL  DX, DX

emitByte:
	MOVB AX, (DI)(R8*1)
	INCQ R8

next:
	INCQ CX
	JMP  top

space:
	// space = len(out) > base && out[len(out)-1] != ' '
	XORL DX, DX
	CMPQ R8, R9
	JLE  next
	CMPB -1(DI)(R8*1), $0x20
	JEQ  next
	MOVL $1, DX
	JMP  next

done:
	MOVQ R8, ret+56(FP)
	MOVB R10, ret1+64(FP)
	RET

//go:build amd64 && !purego

#include "textflag.h"
#include "go_asm.h"

// Constants of the sixteen-byte steps, each byte the same. SSE2 compares
// bytes as signed only: a range lo–hi is moved to the bottom by adding
// 0x80-lo, where one comparison with -128+(hi-lo+1) tells it apart.
DATA codeX<>+0(SB)/8, $0x8080808080808080   // + 0x80-0x00: control bytes
DATA codeX<>+8(SB)/8, $0x8080808080808080
DATA codeX<>+16(SB)/8, $0xa0a0a0a0a0a0a0a0  // -128+0x20
DATA codeX<>+24(SB)/8, $0xa0a0a0a0a0a0a0a0
DATA codeX<>+32(SB)/8, $0x5050505050505050  // + 0x80-'0': digits
DATA codeX<>+40(SB)/8, $0x5050505050505050
DATA codeX<>+48(SB)/8, $0x8a8a8a8a8a8a8a8a  // -128+10
DATA codeX<>+56(SB)/8, $0x8a8a8a8a8a8a8a8a
DATA codeX<>+64(SB)/8, $0x3f3f3f3f3f3f3f3f  // + 0x80-'A': capitals
DATA codeX<>+72(SB)/8, $0x3f3f3f3f3f3f3f3f
DATA codeX<>+80(SB)/8, $0x9a9a9a9a9a9a9a9a  // -128+26: capitals, and lower-case letters
DATA codeX<>+88(SB)/8, $0x9a9a9a9a9a9a9a9a
DATA codeX<>+96(SB)/8, $0x2020202020202020  // ' '
DATA codeX<>+104(SB)/8, $0x2020202020202020
DATA codeX<>+112(SB)/8, $0x1f1f1f1f1f1f1f1f // + 0x80-'a': lower-case letters
DATA codeX<>+120(SB)/8, $0x1f1f1f1f1f1f1f1f
GLOBL codeX<>(SB), RODATA|NOPTR, $128

// func nextCode(s string, i int, lineStart bool) (kind, a, b int, ls bool)
//
// As nextCodeGo, step by step; the comments name its variables. SI s,
// BX len(s), CX i, DX lineStart, R8 &tokenClass, R9 &scanClass, X8-X14
// constants. The two runs of lower-case letters (lowerRunEnd, with and
// without spaces) share one loop, which returns to where DI says.
TEXT ·nextCode(SB), NOSPLIT, $0-57
	MOVQ    s_base+0(FP), SI
	MOVQ    s_len+8(FP), BX
	MOVQ    i+16(FP), CX
	MOVBLZX lineStart+24(FP), DX
	LEAQ    ·tokenClass(SB), R8
	LEAQ    ·scanClass(SB), R9
	MOVOU   codeX<>+0(SB), X8
	MOVOU   codeX<>+16(SB), X9
	MOVOU   codeX<>+32(SB), X10
	MOVOU   codeX<>+48(SB), X11
	MOVOU   codeX<>+64(SB), X12
	MOVOU   codeX<>+80(SB), X13
	MOVOU   codeX<>+96(SB), X14

loop:
	CMPQ CX, BX
	JGE  end

	// j = IndexCode(s, i), in AX: sixteen bytes at a time, then one.
	MOVQ CX, AX

skip16:
	LEAQ     16(AX), R10
	CMPQ     R10, BX
	JGT      skipBytes
	MOVOU    (SI)(AX*1), X0
	MOVO     X0, X1
	PADDB    X8, X1
	MOVO     X9, X2
	PCMPGTB  X1, X2          // control bytes
	MOVO     X0, X3
	PADDB    X10, X3
	MOVO     X11, X4
	PCMPGTB  X3, X4          // digits
	MOVO     X0, X5
	PADDB    X12, X5
	MOVO     X13, X6
	PCMPGTB  X5, X6          // capitals
	POR      X4, X2
	POR      X6, X2
	PMOVMSKB X2, R10
	TESTL    R10, R10
	JNZ      skipFound
	ADDQ     $16, AX
	JMP      skip16

skipFound:
	BSFL R10, R10
	ADDQ R10, AX
	JMP  skipped

skipBytes:
	CMPQ    AX, BX
	JGE     end              // j == len(s)
	MOVBLZX (SI)(AX*1), R10
	CMPL    R10, $0x20
	JB      skipped
	LEAL    -48(R10), R11
	CMPL    R11, $9
	JBE     skipped
	LEAL    -65(R10), R11
	CMPL    R11, $25
	JBE     skipped
	INCQ    AX
	JMP     skipBytes

skipped:
	CMPQ AX, CX
	JEQ  dispatch

	// k (R10): back over the token around j, to its first letter.
	MOVQ AX, R10

back:
	CMPQ    R10, CX
	JLE     forward
	MOVBLZX -1(SI)(R10*1), R11
	MOVBLZX (R8)(R11*1), R12
	TESTL   R12, R12
	JNZ     backStep
	CMPL    R11, $0x2e       // '.', when a letter or digit follows
	JNE     forward
	MOVBLZX (SI)(R10*1), R11
	MOVBLZX (R8)(R11*1), R12
	TESTL   $(const_tokUpper|const_tokLower|const_tokDigit), R12
	JZ      forward

backStep:
	DECQ R10
	JMP  back

forward:
	CMPQ    R10, AX
	JGE     blanks1
	MOVBLZX (SI)(R10*1), R11
	MOVBLZX (R8)(R11*1), R12
	CMPL    R12, $const_tokLower
	JEQ     blanks1
	INCQ    R10
	JMP     forward

	// lineStart = lineStart && onlyBlanks(s[i:k]); i = k
blanks1:
	TESTL DX, DX
	JZ    blanks1Done
	MOVQ  CX, R11

blanks1Loop:
	CMPQ    R11, R10
	JGE     blanks1Done
	MOVBLZX (SI)(R11*1), R12
	INCQ    R11
	CMPL    R12, $0x20
	JEQ     blanks1Loop
	CMPL    R12, $0x09
	JEQ     blanks1Loop
	XORL    DX, DX

blanks1Done:
	MOVQ R10, CX

dispatch:
	MOVBLZX (SI)(CX*1), R10  // c
	CMPL    R10, $0x20
	JEQ     lower
	LEAL    -97(R10), R11
	CMPL    R11, $25
	JA      classes
	CMPL    R10, $0x78       // 'x'
	JEQ     classes

	// A run of lower-case words and spaces: j = lowerRunEnd(s, i, true).
lower:
	MOVQ CX, AX
	MOVL $0xffff, R14
	MOVL $1, DI
	JMP  run

afterRun1:
	// The run ends the text, a word, or at a byte no token goes on with.
	CMPQ    AX, BX
	JEQ     runOver
	CMPB    -1(SI)(AX*1), $0x20
	JEQ     runOver
	MOVBLZX (SI)(AX*1), R11
	CMPB    (R8)(R11*1), $0
	JNE     runToken
	CMPL    R11, $0x2e
	JEQ     runToken

runOver:
	// lineStart = lineStart && onlyBlanks(s[i:j]); i = j
	TESTL DX, DX
	JZ    runOverDone
	MOVQ  CX, R11

blanks2Loop:
	CMPQ    R11, AX
	JGE     runOverDone
	MOVBLZX (SI)(R11*1), R12
	INCQ    R11
	CMPL    R12, $0x20
	JEQ     blanks2Loop
	CMPL    R12, $0x09
	JEQ     blanks2Loop
	XORL    DX, DX

runOverDone:
	MOVQ AX, CX
	JMP  loop

runToken:
	// Its last word goes on: w (R10) is where it starts.
	LEAQ -1(AX), R10

word:
	CMPQ R10, CX
	JLE  blanks3
	CMPB -1(SI)(R10*1), $0x20
	JEQ  blanks3
	DECQ R10
	JMP  word

	// lineStart = lineStart && onlyBlanks(s[i:w])
blanks3:
	TESTL DX, DX
	JZ    registry
	MOVQ  CX, R11

blanks3Loop:
	CMPQ    R11, R10
	JGE     registry
	MOVBLZX (SI)(R11*1), R12
	INCQ    R11
	CMPL    R12, $0x20
	JEQ     blanks3Loop
	CMPL    R12, $0x09
	JEQ     blanks3Loop
	XORL    DX, DX

registry:
	// "x.7.1": i = w, and on.
	CMPB (SI)(R10*1), $0x78
	JNE  wordToken
	LEAQ 1(R10), R11
	CMPQ R11, AX
	JNE  wordToken
	CMPB (SI)(AX*1), $0x2e
	JNE  wordToken
	MOVQ R10, CX
	JMP  loop

wordToken:
	// k, seen, ups := tokenEnd(s, j, tokLower, 0), the token s[w:k]
	MOVQ AX, R11
	MOVL $const_tokLower, R12
	XORL R13, R13
	JMP  token

classes:
	MOVBLZX (R9)(R10*1), R11
	CMPL    R11, $const_scanLetter
	JEQ     capital
	CMPL    R11, $const_scanSpace
	JEQ     space
	CMPL    R11, $const_scanNewline
	JEQ     newline
	CMPL    R11, $const_scanDigit
	JEQ     digit
	CMPL    R11, $const_scanX
	JEQ     x
	INCQ    CX
	XORL    DX, DX
	JMP     loop

space:
	INCQ CX
	JMP  loop

newline:
	INCQ CX
	MOVL $1, DX
	JMP  loop

digit:
	MOVQ $const_codeDigit, kind+32(FP)
	JMP  stop

x:
	MOVQ $const_codeX, kind+32(FP)

stop:
	MOVQ CX, a+40(FP)
	MOVQ $0, b+48(FP)
	MOVB DX, ls+56(FP)
	RET

capital:
	// A capitalised word: j = lowerRunEnd(s, i+1, false)
	LEAQ 1(CX), AX
	XORL R14, R14
	MOVL $2, DI
	JMP  run

afterRun2:
	MOVQ CX, R10             // the token s[i:k]
	MOVQ AX, R11
	MOVL $const_tokUpper, R12
	MOVL $1, R13
	LEAQ 1(CX), AX
	CMPQ R11, AX
	JLE  token
	ORL  $const_tokLower, R12

	// k (R11), seen (R12), ups (R13) = tokenEnd(s, k, seen, ups); the
	// token starts at R10.
token:
	CMPQ    R11, BX
	JGE     shaped
	MOVBLZX (SI)(R11*1), R14
	MOVBLZX (R8)(R14*1), DI  // cl
	TESTL   DI, DI
	JNZ     tokenAdd
	CMPL    R14, $0x2e
	JNE     shaped
	LEAQ    1(R11), R14
	CMPQ    R14, BX
	JGE     shaped
	MOVBLZX (SI)(R14*1), R14
	MOVBLZX (R8)(R14*1), R14
	TESTL   $(const_tokUpper|const_tokLower|const_tokDigit), R14
	JZ      shaped
	MOVL    $const_tokDot, DI

tokenAdd:
	ORL  DI, R12
	ANDL $const_tokUpper, DI
	ADDL DI, R13
	INCQ R11
	JMP  token

shaped:
	// shaped(seen, ups, s[R10:R11])
	TESTL   $const_tokDigit, R12
	JNZ     name
	TESTL   $const_tokUpper, R12
	JZ      notName
	TESTL   $const_tokLower, R12
	JZ      name
	TESTL   $const_tokDot, R12
	JNZ     name
	CMPL    R13, $2
	JLT     notName
	MOVBLZX (SI)(R10*1), R14
	SUBL    $65, R14
	CMPL    R14, $25
	JBE     name

notName:
	MOVQ R11, CX
	XORL DX, DX
	JMP  loop

name:
	MOVQ $const_codeName, kind+32(FP)
	MOVQ R10, a+40(FP)
	MOVQ R11, b+48(FP)
	MOVB $0, ls+56(FP)
	RET

	// lowerRunEnd(s, AX, R14 != 0): AX goes to the end of the run of
	// lower-case letters, and of spaces where R14 is 0xffff; then back
	// to afterRun1 or afterRun2 as DI says.
run:
	MOVOU codeX<>+112(SB), X7

run16:
	LEAQ     16(AX), R11
	CMPQ     R11, BX
	JGT      runBytes
	MOVOU    (SI)(AX*1), X0
	MOVO     X0, X1
	PADDB    X7, X1
	MOVO     X13, X2
	PCMPGTB  X1, X2          // lower-case letters
	MOVO     X0, X3
	PCMPEQB  X14, X3         // spaces
	PMOVMSKB X2, R11
	PMOVMSKB X3, R12
	ANDL     R14, R12
	ORL      R12, R11
	NOTL     R11
	ANDL     $0xffff, R11
	JNZ      runFound
	ADDQ     $16, AX
	JMP      run16

runFound:
	BSFL R11, R11
	ADDQ R11, AX
	JMP  runDone

runBytes:
	CMPQ    AX, BX
	JGE     runDone
	MOVBLZX (SI)(AX*1), R11
	LEAL    -97(R11), R12
	CMPL    R12, $25
	JBE     runNext
	CMPL    R11, $0x20
	JNE     runDone
	TESTL   R14, R14
	JZ      runDone

runNext:
	INCQ AX
	JMP  runBytes

runDone:
	CMPL DI, $1
	JEQ  afterRun1
	JMP  afterRun2

end:
	MOVQ $const_codeEnd, kind+32(FP)
	MOVQ BX, a+40(FP)
	MOVQ $0, b+48(FP)
	MOVB DX, ls+56(FP)
	RET

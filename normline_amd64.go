//go:build amd64 && !purego

package maildx

// normLine is normLineGo in assembly (normline_amd64.s): the normaliser's
// loop over one line, sixteen bytes a step with SSE2 where the bytes need
// no care, byte by byte through the same switch where they do. In Go the
// loop called lowerCopy for every run of plain bytes and paid for the
// call, the slice bounds and the room checks each time. FuzzNormalize
// holds the whole normaliser to its first version, TestNormLine and
// FuzzNormLine this to normLineGo.
//
//go:noescape
func normLine(out []byte, base int, line string, space, ascii bool) (int, bool)

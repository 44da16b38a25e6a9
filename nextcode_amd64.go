//go:build amd64 && !purego

package maildx

// nextCode is nextCodeGo in assembly (nextcode_amd64.s): the code scan's
// loop over a text, with the skips to the next digit or capital and over
// runs of lower-case words sixteen bytes at a time (SSE2). In Go the loop
// spent most of its instructions on calls, bounds checks and reloading the
// word arithmetic's constants; written out it keeps its state in
// registers. TestNextCode and FuzzNextCode hold it to nextCodeGo, and
// FuzzScanCodes the whole scan to its first version.
//
//go:noescape
func nextCode(s string, i int, lineStart bool) (kind, a, b int, ls bool)

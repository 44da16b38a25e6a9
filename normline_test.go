package maildx

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// checkNormLine holds normLine (in assembly where there is one) to
// normLineGo on line, after an empty text and after some output, with
// and without a pending space and an earlier non-ASCII byte. A space at
// the end of the output, which appendNormalized drops, may differ.
func checkNormLine(t *testing.T, line string) {
	t.Helper()
	for _, before := range []string{"", "x", "ab"} {
		for _, space := range []bool{false, true} {
			if space && before == "" {
				continue // a space is only pending after output
			}
			for _, ascii := range []bool{false, true} {
				var outs [2][]byte
				var as [2]bool
				for k, f := range []func([]byte, int, string, bool, bool) (int, bool){normLine, normLineGo} {
					// out has exactly the room appendNormalized gives it,
					// and canary bytes behind its capacity.
					room := len("pre") + len(before) + len(line)
					if space {
						room++
					}
					mem := bytes.Repeat([]byte{0xa5}, room+32)
					out := append(append(mem[:0:room], "pre"...), before...)
					var n int
					n, as[k] = f(out, len("pre"), line, space, ascii)
					outs[k] = bytes.TrimSuffix(out[:n], []byte(" "))
					if !bytes.Equal(mem[room:], bytes.Repeat([]byte{0xa5}, 32)) {
						t.Fatalf("line %q after %q, space %v: wrote behind the capacity of out", line, before, space)
					}
				}
				if as[0] != as[1] || !bytes.Equal(outs[0], outs[1]) {
					t.Fatalf("line %q after %q, space %v, ascii %v: normLine = %q %v, normLineGo = %q %v",
						line, before, space, ascii, outs[0], as[0], outs[1], as[1])
				}
			}
		}
	}
}

func TestNormLine(t *testing.T) {
	for _, s := range []string{"", " ", "  ", "a", "The Email  Account", "'quoted' \"q\" `b` #$%&!",
		"exactly sixteen!", "  leading and trailing  ", "Ü ber ‘typographic’ \xe2\x80", "\t\r\x00\x7f\xff",
		"quotes ‘’‚‛“”„‟ and their neighbours \xe2\x80\x97 \xe2\x80\xa0 \xe2\x81\x98 \xe3\x80\x98"} {
		checkNormLine(t, s)
	}
	// Every byte at every place of the sixteen- and eight-byte steps and
	// of the rest, alone and after a space.
	for c := range 256 {
		for at := range 37 {
			b := bytes.Repeat([]byte("a"), 37)
			b[at] = byte(c)
			checkNormLine(t, string(b))
			if at > 0 {
				b[at-1] = ' '
				checkNormLine(t, string(b))
			}
		}
	}
	r := rand.New(rand.NewPCG(11, 12))
	for range 3000 {
		checkNormLine(t, randomText(r, 60, "abcXYZ09  .-'\"`!\t\r\xe2\x80\x98\xc3"))
	}
}

func FuzzNormLine(f *testing.F) {
	for _, s := range []string{"550 5.1.1 The Email  Account 'you' tried", "Ü ber ‘q’ \"x\"  `y`", "                   a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkNormLine(t, s) })
}

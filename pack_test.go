package maildx

import (
	"strings"
	"testing"
	"unsafe"
)

func TestStringPacker(t *testing.T) {
	p := stringPacker{seen: map[string]string{}}
	long := strings.Repeat("x", strBlock/2+1)
	var in, out []string
	for i := range 200 {
		s := strings.Repeat(string(rune('a'+i%26)), 1+i%40)
		in = append(in, s)
		out = append(out, p.pack(s))
	}
	in, out = append(in, long, ""), append(out, p.pack(long), p.pack(""))
	for i := range in {
		if out[i] != in[i] {
			t.Fatalf("pack(%q) = %q", in[i], out[i])
		}
	}
	if a, b := p.pack("abc"), p.pack("abc"); unsafe.StringData(a) != unsafe.StringData(b) {
		t.Error("equal strings do not share their bytes")
	}
	if unsafe.StringData(out[len(out)-2]) != unsafe.StringData(long) {
		t.Error("a long string was copied")
	}
	// Strings packed later must not overwrite earlier ones.
	for i := range in {
		if out[i] != in[i] {
			t.Fatalf("pack(%q) changed to %q", in[i], out[i])
		}
	}
}

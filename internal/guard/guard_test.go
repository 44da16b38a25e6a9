//go:build unix

package guard

import (
	"os"
	"runtime/debug"
	"testing"
	"unsafe"
)

func TestBytes(t *testing.T) {
	for _, n := range []int{0, 1, 15, os.Getpagesize(), os.Getpagesize() + 3} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i)
		}
		g, free, err := Bytes(b)
		if err != nil {
			t.Fatal(err)
		}
		if string(g) != string(b) || cap(g) != len(b) {
			t.Fatalf("%d bytes: copy differs or has spare capacity (%d)", n, cap(g))
		}
		free()
	}
}

// TestFault checks that reading one byte past the copy faults.
func TestFault(t *testing.T) {
	g, free, err := Bytes([]byte("abc"))
	if err != nil {
		t.Fatal(err)
	}
	defer free()
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		// A fault panics with an error that tells the address.
		if _, ok := recover().(interface{ Addr() uintptr }); !ok {
			t.Error("reading past the end did not fault")
		}
	}()
	sink = *(*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(g)), len(g)))
}

var sink byte

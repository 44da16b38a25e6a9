//go:build unix

// Package guard lends tests memory that ends where an inaccessible page
// begins, so that code reading past the end of its input – the assembly
// loops of the classifier read sixteen bytes at a time – faults in the
// test instead of reading whatever lies behind.
package guard

import (
	"fmt"
	"os"
	"syscall"
)

// Bytes returns a copy of b whose last byte is the last of a readable
// page: the page after it cannot be read. free releases the memory; the
// copy must not be used after it.
func Bytes(b []byte) (guarded []byte, free func(), err error) {
	page := os.Getpagesize()
	n := (len(b) + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, n+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil, fmt.Errorf("guard: mmap: %w", err)
	}
	if err := syscall.Mprotect(mem[n:], syscall.PROT_NONE); err != nil {
		syscall.Munmap(mem)
		return nil, nil, fmt.Errorf("guard: mprotect: %w", err)
	}
	guarded = mem[n-len(b) : n : n]
	copy(guarded, b)
	return guarded, func() { syscall.Munmap(mem) }, nil
}

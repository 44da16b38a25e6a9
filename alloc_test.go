package maildx

import "testing"

func TestNewStrings(t *testing.T) {
	for k := 0; k <= 40; k++ {
		s := newStrings(k)
		if s == nil || len(s) != k || cap(s) != k {
			t.Fatalf("newStrings(%d): nil %v, len %d, cap %d", k, s == nil, len(s), cap(s))
		}
		for i := range s {
			if s[i] != "" {
				t.Fatalf("newStrings(%d)[%d] = %q, want zero", k, i, s[i])
			}
		}
		if k > 0 {
			if n := testing.AllocsPerRun(10, func() { _ = newStrings(k) }); n != 1 {
				t.Errorf("newStrings(%d): %v allocations, want 1", k, n)
			}
		}
	}
}

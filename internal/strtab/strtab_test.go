package strtab

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestGet(t *testing.T) {
	keys := []string{"EENVELOPE", "TSS04", "S3150", "RP-001", "code", "Type", "a", "", "ab", "abc",
		"abcdefgh", "abcdefghi", "ETIMEDOUT", "TSS04"}
	tab := New(keys)
	for i, k := range keys {
		want := i
		if k == "TSS04" {
			want = 1 // a repeated key keeps its first index
		}
		if got, ok := tab.Get(k); !ok || got != want {
			t.Errorf("Get(%q) = %d, %v; want %d, true", k, got, ok, want)
		}
	}
	for _, k := range []string{"EENVELOP", "tss04", "S315", "abcd", "abcdefg", "abcdefghij", "b", "RP-0010", "Code"} {
		if got, ok := tab.Get(k); ok {
			t.Errorf("Get(%q) = %d, true; want not found", k, got)
		}
	}
	var empty Table
	if _, ok := empty.Get("x"); ok {
		t.Error("the zero Table found a key")
	}
	if _, ok := New(nil).Get(""); ok {
		t.Error("an empty Table found a key")
	}
}

// TestGetRandom holds Table to a map over keys that share long prefixes
// and suffixes, the case the hash reads least of.
func TestGetRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		var keys []string
		index := map[string]int{}
		n := r.IntN(300)
		for i := range n {
			k := fmt.Sprintf("%s%d%s", "prefix-"[:r.IntN(8)], r.IntN(1000), "-suffix"[:r.IntN(8)])
			keys = append(keys, k)
			if _, ok := index[k]; !ok {
				index[k] = i
			}
		}
		tab := New(keys)
		for i := range 2000 {
			k := fmt.Sprintf("%s%d%s", "prefix-"[:r.IntN(8)], r.IntN(1000), "-suffix"[:r.IntN(8)])
			if i < len(keys) {
				k = keys[i]
			}
			want, wantOK := index[k]
			got, ok := tab.Get(k)
			if ok != wantOK || ok && got != want {
				t.Fatalf("round %d: Get(%q) = %d, %v; want %d, %v", round, k, got, ok, want, wantOK)
			}
		}
	}
}

func FuzzGet(f *testing.F) {
	f.Add("EENVELOPE", "TSS04", "TSS04")
	f.Add("", "a", "")
	f.Add("abcdefgh", "abcdefghabcdefgh", "abcdefghabcdefgh")
	f.Fuzz(func(t *testing.T, a, b, probe string) {
		tab := New([]string{a, b})
		want, wantOK := -1, false
		switch probe {
		case a:
			want, wantOK = 0, true
		case b:
			want, wantOK = 1, true
		}
		if got, ok := tab.Get(probe); got != want || ok != wantOK {
			t.Fatalf("Get(%q) in [%q %q] = %d, %v; want %d, %v", probe, a, b, got, ok, want, wantOK)
		}
	})
}

func TestFromMap(t *testing.T) {
	m := map[string]int{"EENVELOPE": 1, "TSS04": 2, "RP-001": 3, "": 4}
	tab, vals := FromMap(m)
	if len(vals) != len(m) {
		t.Fatalf("%d values for %d keys", len(vals), len(m))
	}
	for k, v := range m {
		if i, ok := tab.Get(k); !ok || vals[i] != v {
			t.Errorf("Get(%q) = %d %v; want the index of value %d", k, i, ok, v)
		}
	}
	if i, _ := tab.Get("EENVELOPE"); i != 1 { // sorted: "", "EENVELOPE", "RP-001", "TSS04"
		t.Errorf("EENVELOPE numbered %d, want 1 (the keys in sorted order)", i)
	}
}

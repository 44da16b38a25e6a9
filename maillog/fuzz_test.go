package maillog

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzReader feeds arbitrary input through the Reader: it must never
// panic, and every line must be counted.
func FuzzReader(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, p := range files {
		if strings.HasSuffix(p, ".jsonl") || strings.HasSuffix(p, ".md") {
			continue
		}
		fh, err := os.Open(p)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			f.Add(sc.Text())
		}
		fh.Close()
	}
	f.Add("Jan  1 00:00:00 h postfix/smtp[1]: ABCDE: to=<")
	f.Add("2025-01-01 00:00:00 1tf2Ab-000Xyz-1a ** a H=")
	f.Add("2025-01-01T00:00:00.+01:00 h sm-mta: ABCDEF: to=<a>,<")
	f.Fuzz(func(t *testing.T, s string) {
		r := NewReader(Options{Location: time.UTC, MaxOpen: 3})
		r.SetSource("fuzz", time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC))
		err := r.Read(context.Background(), strings.NewReader(s), func(o Outcome) error {
			if o.Diagnosis == nil {
				t.Errorf("outcome without diagnosis: %+v", o)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		st := r.Stats()
		if st.NotUnderstood+st.Other > st.Lines || st.Open > 3 {
			t.Errorf("stats %+v", st)
		}
	})
}

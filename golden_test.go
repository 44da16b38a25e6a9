package maildx

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/explain-golden.tsv from the current classifier")

const goldenFile = "testdata/explain-golden.tsv"

// goldenTexts collects every text of the test tables once, in file order:
// the benchmark errors, the explain cases and the corpus diagnostics.
func goldenTexts(t *testing.T) []string {
	t.Helper()
	texts := loadBenchErrors(t)
	f, err := os.Open("testdata/explain-cases.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		row := sc.Text()
		if strings.TrimSpace(row) == "" || strings.HasPrefix(row, "#") {
			continue
		}
		if p := strings.SplitN(row, "\t", 5); len(p) == 5 {
			texts = append(texts, strings.ReplaceAll(p[4], `\n`, "\n"))
		}
	}
	for _, c := range loadCorpusDiagnostics(t) {
		texts = append(texts, c.text)
	}
	texts = append(texts, "", "   ", "\x00\x01\"\\\t\r\n", "bad utf-8 \xff\xfe", "line\u2028sep\u2029", "<html>&amp;</html>",
		"ÜBER QUOTA Ä", "5.", "555.5.5.5", "0x", "X.", "550-", "{", "[[[[")
	seen := map[string]bool{}
	out := texts[:0]
	for _, s := range texts {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// goldenVariants are the option sets every text is explained with.
var goldenVariants = []struct {
	name string
	opts []Option
}{
	{"en", nil},
	{"de", []Option{WithLang("de")}},
	{"attempt2", []Option{WithAttempt(2)}},
	{"context", []Option{WithCommand("data"), WithFinal(), WithStatus("5.7.1"), WithHTTPStatus(429)}},
}

// TestGolden holds every diagnosis of the test tables to
// testdata/explain-golden.tsv: speed work on the classifier must not
// change a single answer. A line keeps the decision in plain words and a
// digest of the whole JSON (texts and evidence included), so the file stays
// small and a diff still shows what changed. Run with -update only when a
// change of behaviour is intended, and read the diff.
func TestGolden(t *testing.T) {
	var got bytes.Buffer
	for _, text := range goldenTexts(t) {
		for _, v := range goldenVariants {
			d := Explain(text, v.opts...)
			sum := sha256.Sum256(d.AppendJSON(nil))
			first := ""
			if len(d.Entries) > 0 {
				first = d.Entries[0].ID
			}
			fmt.Fprintf(&got, "%s\t%s\t%s\t%s\t%v\t%v\t%d\t%s\t%s\t%x\n", v.name, d.Reason, d.Category, d.Action,
				d.HardBounce, d.Temporary, d.RetryAfter, d.Provider, first, sum[:8])
		}
	}
	if *updateGolden {
		if err := os.WriteFile(goldenFile, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got.Bytes(), want) {
		return
	}
	g, w := strings.Split(got.String(), "\n"), strings.Split(string(want), "\n")
	bad := 0
	for i := 0; i < max(len(g), len(w)) && bad < 5; i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			bad++
			t.Errorf("line %d:\n got %s\nwant %s", i+1, gl, wl)
		}
	}
	if bad == 0 {
		t.Errorf("output differs from %s", goldenFile)
	}
}

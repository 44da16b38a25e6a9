package maildx

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// loadBenchErrors reads testdata/errors.txt: one real-world error text per
// line, "\n" escaped as the two characters \n for multi-line replies.
func loadBenchErrors(tb testing.TB) []string {
	tb.Helper()
	f, err := os.Open("testdata/errors.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.ReplaceAll(line, `\n`, "\n"))
	}
	return out
}

// BenchmarkExplain explains a mixed set of real error strings; the target
// (issue 3) is at least 250,000 explanations per second on one core.
func BenchmarkExplain(b *testing.B) {
	texts := loadBenchErrors(b)
	if len(texts) < 1000 {
		b.Fatalf("want at least 1000 texts, have %d", len(texts))
	}
	defaultClassifier()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Explain(texts[i%len(texts)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "explanations/s")
}

// BenchmarkExplainTo is BenchmarkExplain the way a loop over many texts
// calls the classifier (maildx explain --lines, the log and event readers):
// into one reused Diagnosis.
func BenchmarkExplainTo(b *testing.B) {
	texts := loadBenchErrors(b)
	defaultClassifier()
	var d Diagnosis
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ExplainTo(&d, texts[i%len(texts)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "explanations/s")
}

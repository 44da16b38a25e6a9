package dsn

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParseCorpus parses every bounce of the corpus, held in memory.
func BenchmarkParseCorpus(b *testing.B) {
	files, _ := filepath.Glob("testdata/set-of-emails/maildir/*.eml")
	var msgs [][]byte
	size := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, data)
		size += len(data)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, m := range msgs {
			Parse(m, Options{})
		}
	}
	b.ReportMetric(float64(b.N*len(msgs))/b.Elapsed().Seconds(), "messages/s")
}

package maildx

import "testing"

// BenchmarkParts splits the cost of one explanation into its stages.
func BenchmarkParts(b *testing.B) {
	texts := loadBenchErrors(b)
	c := defaultClassifier()
	norms := make([][]byte, len(texts))
	for i, t := range texts {
		norms[i] = normalize(t)
	}
	b.Run("find", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c.matcher.Find(norms[i%len(norms)], nil)
		}
	})
	b.Run("normalize", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			normalize(texts[i%len(texts)])
		}
	})
	b.Run("parseInput", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			parseInput(texts[i%len(texts)], c.names)
		}
	})
	b.Run("explain", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c.Explain(texts[i%len(texts)])
		}
	})
}

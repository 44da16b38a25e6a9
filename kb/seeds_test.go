package kb

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// seedDir is where the seed documents live beside a checkout (CI has them;
// a user's clone does not, and the test then skips).
const seedDir = "../../shared/seeds"

// TestOwnWords checks that no knowledge-base text repeats the seed
// documents: no run of 8 consecutive words of a seed appears in any title,
// meaning, solution step or note. Codes, product names and fixed error
// strings are shorter than that; copied prose is not.
func TestOwnWords(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(seedDir, "*.txt"))
	if len(files) == 0 {
		t.Skipf("seed documents not found in %s (they sit beside the checkout in CI)", seedDir)
	}
	const n = 6
	seedGrams := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			// Table rows quote fixed error strings (Mailgun's API messages);
			// those may be matched and cited verbatim, so only prose counts.
			if strings.Count(line, "|") >= 3 || strings.Contains(line, `":"`) {
				continue // also JSON: a quoted server reply
			}
			w := words(line)
			for i := 0; i+n <= len(w); i++ {
				seedGrams[strings.Join(w[i:i+n], " ")] = line
			}
		}
	}
	k := mustLoad(t)
	for _, e := range k.Entries() {
		var texts []string
		for _, lang := range Languages {
			tx := e.Text.Get(lang)
			texts = append(texts, tx.Title, tx.Meaning)
			texts = append(texts, tx.Solution...)
		}
		if e.Note != nil {
			texts = append(texts, e.Note.EN, e.Note.DE)
		}
		for _, s := range texts {
			w := words(s)
			for i := 0; i+n <= len(w); i++ {
				if line, ok := seedGrams[strings.Join(w[i:i+n], " ")]; ok {
					t.Errorf("%s repeats the seed: %q (seed line %q)", e.ID, strings.Join(w[i:i+n], " "), strings.TrimSpace(line))
					break
				}
			}
		}
	}
}

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

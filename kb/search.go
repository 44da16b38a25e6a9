package kb

import (
	"strings"
	"unicode"
)

// Filter narrows a listing; empty fields match everything.
type Filter struct {
	Source   string
	Category string
	Reason   string
	// Words must all occur in the entry (codes, ids, or either language's
	// texts), compared case- and umlaut-insensitively: "Postfach voll",
	// "postfach", "groesse" and "Größe" all work.
	Words string
}

// Search returns the entries matching f in display order.
func (k *KB) Search(f Filter) []*Entry {
	words := strings.Fields(fold(f.Words))
	var out []*Entry
	for _, e := range k.entries {
		if f.Source != "" && e.Source != f.Source || f.Category != "" && e.Category != f.Category || f.Reason != "" && e.Reason != f.Reason {
			continue
		}
		ok := true
		for _, w := range words {
			if !strings.Contains(e.search, w) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, e)
		}
	}
	return out
}

func searchDoc(e *Entry) string {
	var b strings.Builder
	w := func(s string) { b.WriteString(s); b.WriteByte('\n') }
	w(e.ID)
	w(e.Source)
	w(e.Reason)
	w(e.Category)
	for _, c := range e.Codes {
		w(c)
	}
	for _, m := range e.Match {
		w(m)
	}
	for _, lang := range Languages {
		t := e.Text.Get(lang)
		w(t.Title)
		w(t.Meaning)
		for _, s := range t.Solution {
			w(s)
		}
	}
	return b.String()
}

// fold lower-cases s and maps German umlauts and their ASCII spellings to
// the bare vowel (ä, ae → a; ß → ss), applied to both the index and the
// query so the two always agree.
func fold(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case 'ä', 'Ä':
			return 'a'
		case 'ö', 'Ö':
			return 'o'
		case 'ü', 'Ü':
			return 'u'
		}
		return unicode.ToLower(r)
	}, s)
	return foldReplacer.Replace(s)
}

var foldReplacer = strings.NewReplacer("ae", "a", "oe", "o", "ue", "u", "ß", "ss")

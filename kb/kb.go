// Package kb is maildx's bilingual (English/German) knowledge base of
// delivery errors: SMTP reply codes (RFC 5321, RFC 4954, RFC 3030), the IANA
// enhanced status code registry (RFC 3463, RFC 5248 and later), provider
// messages, client error codes and socket errors.
//
// The data lives in embedded YAML files under data/, one per source; the
// format is documented in docs/knowledge-base.md. Load parses and validates
// all of them once; a *KB is read-only afterwards and safe for concurrent use.
package kb

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/goccy/go-yaml"
)

//go:embed data/*.yaml
var dataFS embed.FS

// Localized is a short text in both languages.
type Localized struct {
	EN string `yaml:"en" json:"en"`
	DE string `yaml:"de" json:"de"`
}

// Get returns the text in lang, English for anything but "de".
func (l Localized) Get(lang string) string {
	if lang == "de" {
		return l.DE
	}
	return l.EN
}

// Text is the explanation of an entry in one language.
type Text struct {
	Title    string   `yaml:"title" json:"title"`
	Meaning  string   `yaml:"meaning" json:"meaning"`
	Solution []string `yaml:"solution" json:"solution"`
}

// Texts holds an entry's explanation in every language.
type Texts struct {
	EN Text `yaml:"en" json:"en"`
	DE Text `yaml:"de" json:"de"`
}

// Get returns the text in lang, English for anything but "de".
func (t Texts) Get(lang string) Text { return *t.In(lang) }

// In is Get without the copy, for the classifier's hot path.
func (t *Texts) In(lang string) *Text {
	if lang == "de" {
		return &t.DE
	}
	return &t.EN
}

// Entry is one knowledge-base entry. The JSON names are part of maildx's
// public output (maildx lookup --json, the HTTP API).
//
// The fields the classifier reads for every candidate and for the winner
// come first, so that they share few cache lines: ranking reads the first
// line and the parsed codes, a diagnosis the verdict and one language's
// text after them.
type Entry struct {
	ID         string `yaml:"id" json:"id"`
	Source     string `yaml:"-" json:"source"`
	Provider   string `yaml:"-" json:"provider,omitempty"`
	Reason     string `yaml:"reason" json:"reason"`
	Category   string `yaml:"category" json:"category"`
	Action     string `yaml:"action" json:"action"`
	Fault      string `yaml:"fault" json:"fault"`
	Temporary  bool   `yaml:"temporary" json:"temporary"`
	RetryAfter int    `yaml:"retry_after,omitempty" json:"retry_after,omitempty"`
	Severity   string `yaml:"severity,omitempty" json:"severity,omitempty"`
	Frequency  string `yaml:"frequency,omitempty" json:"frequency,omitempty"`
	codes      []Code // parsed Codes
	seq        int32  // position in KB.Entries
	Text       Texts  `yaml:"text" json:"text"`

	Codes    []string   `yaml:"codes" json:"codes"`
	Match    []string   `yaml:"match,omitempty" json:"match,omitempty"`
	SeedType string     `yaml:"seed_type,omitempty" json:"seed_type,omitempty"`
	Standard string     `yaml:"standard" json:"standard"`
	Note     *Localized `yaml:"note,omitempty" json:"note,omitempty"`

	search string // folded text for Search
}

// PartSep separates the parts of a match fragment that a variable text
// interrupts ("empfänger … unbekannt": an address stands in between). The
// classifier finds the parts in order, close to one another.
const PartSep = "…"

// ParsedCodes returns the entry's codes, parsed.
func (e *Entry) ParsedCodes() []Code { return e.codes }

// Seq returns the entry's position in its KB's Entries: an index for
// tables kept beside the knowledge base (the classifier's), where a map
// keyed by the entry would cost a hash on every lookup.
func (e *Entry) Seq() int { return int(e.seq) }

// file is the shape of one data file.
type file struct {
	Source      string    `yaml:"source"`
	Provider    string    `yaml:"provider"`
	Description Localized `yaml:"description"`
	Entries     []*Entry  `yaml:"entries"`
}

// KB is the loaded knowledge base.
type KB struct {
	entries []*Entry // sorted by source rank, then file order
	byID    map[string]*Entry
	byCode  map[string][]*Entry // normalized code key → entries in rank order
	sources map[string]Localized
}

var (
	defaultOnce sync.Once
	defaultKB   *KB
	defaultErr  error
)

// Default returns the embedded knowledge base, loading it on first use.
func Default() (*KB, error) {
	defaultOnce.Do(func() { defaultKB, defaultErr = Load(dataFS) })
	return defaultKB, defaultErr
}

// MustDefault is Default for programs whose embedded data is covered by
// tests: a load error there is a build defect, not a runtime condition.
func MustDefault() *KB {
	k, err := Default()
	if err != nil {
		panic("maildx: embedded knowledge base is invalid: " + err.Error())
	}
	return k
}

// DataFS exposes the embedded data files (for tests and tooling).
func DataFS() fs.FS { return dataFS }

// Load parses and validates every data/*.yaml file in fsys.
func Load(fsys fs.FS) (*KB, error) {
	names, err := fs.Glob(fsys, "data/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	k := &KB{byID: map[string]*Entry{}, byCode: map[string][]*Entry{}, sources: map[string]Localized{}}
	// The files are parsed at once, one goroutine each (YAML decoding is
	// most of a program's start-up), and merged in name order, so the
	// result and the order of problems do not depend on scheduling.
	type parsed struct {
		f    *file
		errs []string
		err  error
	}
	results := make([]parsed, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				results[i].err = err
				return
			}
			results[i].f, results[i].errs = ParseFile(path.Base(name), b)
		})
	}
	wg.Wait()
	var problems []string
	for i, name := range names {
		if results[i].err != nil {
			return nil, results[i].err
		}
		f, errs := results[i].f, results[i].errs
		problems = append(problems, errs...)
		if f == nil {
			continue
		}
		if _, dup := k.sources[f.Source]; dup {
			problems = append(problems, fmt.Sprintf("%s: source %q defined twice", name, f.Source))
			continue
		}
		k.sources[f.Source] = f.Description
		for _, e := range f.Entries {
			if prev, dup := k.byID[e.ID]; dup {
				problems = append(problems, fmt.Sprintf("%s: duplicate id %q (also in source %s)", name, e.ID, prev.Source))
				continue
			}
			k.byID[e.ID] = e
			k.entries = append(k.entries, e)
		}
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	sort.SliceStable(k.entries, func(i, j int) bool {
		return sourceRank(k.entries[i].Source) < sourceRank(k.entries[j].Source)
	})
	for _, e := range k.entries {
		seen := map[string]bool{}
		for _, c := range e.codes {
			key := c.key()
			if !seen[key] {
				seen[key] = true
				k.byCode[key] = append(k.byCode[key], e)
			}
		}
		e.search = fold(searchDoc(e))
	}
	pack(k.entries)
	for i, e := range k.entries {
		k.byID[e.ID] = e // its key is the packed string now
		e.seq = int32(i)
	}
	return k, nil
}

// pack moves the texts of all entries into one string and their lists
// into one array: the YAML decoder gives each of some 20,000 strings and
// 3,000 lists an allocation of its own, and the garbage collector marks
// every one of them on every cycle for as long as the knowledge base
// lives. The values do not change.
func pack(entries []*Entry) {
	var strs []*string
	var lists []*[]string
	elems := 0
	for _, e := range entries {
		strs = append(strs, &e.ID, &e.Source, &e.Provider, &e.Reason, &e.Category, &e.Action, &e.Fault,
			&e.Severity, &e.Frequency, &e.SeedType, &e.Standard, &e.search,
			&e.Text.EN.Title, &e.Text.EN.Meaning, &e.Text.DE.Title, &e.Text.DE.Meaning)
		if e.Note != nil {
			strs = append(strs, &e.Note.EN, &e.Note.DE)
		}
		for i := range e.codes {
			strs = append(strs, &e.codes[i].Value)
		}
		for _, l := range []*[]string{&e.Text.EN.Solution, &e.Text.DE.Solution, &e.Codes, &e.Match} {
			if len(*l) > 0 {
				lists = append(lists, l)
				elems += len(*l)
			}
		}
	}
	pool := make([]string, elems)
	for _, l := range lists {
		n := copy(pool, *l)
		*l, pool = pool[:n:n], pool[n:]
		for i := range *l {
			strs = append(strs, &(*l)[i])
		}
	}
	size := 0
	for _, p := range strs {
		size += len(*p)
	}
	var b strings.Builder
	b.Grow(size)
	for _, p := range strs {
		b.WriteString(*p)
	}
	all, off := b.String(), 0
	for _, p := range strs {
		n := len(*p)
		*p = all[off : off+n]
		off += n
	}
}

// ValidationError lists every problem found in the data, not just the first.
type ValidationError struct{ Problems []string }

func (e *ValidationError) Error() string {
	return fmt.Sprintf("knowledge base: %d problem(s):\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// ParseFile decodes and validates one data file. It returns the file (nil
// when it cannot be decoded) and a list of problems, each prefixed with the
// file name and entry id.
func ParseFile(name string, b []byte) (*file, []string) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(b), yaml.Strict())
	if err := dec.Decode(&f); err != nil {
		return nil, []string{fmt.Sprintf("%s: %v", name, yaml.FormatError(err, false, true))}
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, name+": "+fmt.Sprintf(format, args...)) }
	if sourceRank(f.Source) == len(Sources) {
		bad("unknown source %q (add it to kb.Sources)", f.Source)
	}
	if want := f.Source + ".yaml"; name != want {
		bad("file of source %q must be named %s", f.Source, want)
	}
	if f.Description.EN == "" || f.Description.DE == "" {
		bad("description needs en and de")
	}
	if len(f.Entries) == 0 {
		bad("no entries")
	}
	for i, e := range f.Entries {
		if e == nil {
			bad("entry %d is empty", i)
			continue
		}
		e.Source = f.Source
		e.Provider = f.Provider
		for _, p := range validateEntry(e) {
			bad("entry %q: %s", e.ID, p)
		}
	}
	return &f, problems
}

func validateEntry(e *Entry) []string {
	var p []string
	if !validID(e.ID) {
		p = append(p, "id must be lower-case letters, digits, '.', '-' and start with the source name")
	} else if !strings.HasPrefix(e.ID, e.Source+"-") {
		p = append(p, fmt.Sprintf("id must start with %q", e.Source+"-"))
	}
	if len(e.Codes) == 0 && len(e.Match) == 0 {
		p = append(p, "needs codes or match fragments")
	}
	e.codes = e.codes[:0]
	for _, c := range e.Codes {
		pc, err := ParseCode(c)
		if err != nil {
			p = append(p, err.Error())
			continue
		}
		e.codes = append(e.codes, pc)
	}
	for _, m := range e.Match {
		if len(m) < 4 || m != strings.ToLower(m) || strings.TrimSpace(m) != m {
			p = append(p, fmt.Sprintf("match fragment %q must be lower-case, trimmed, at least 4 bytes", m))
		}
		if parts := strings.Split(m, PartSep); len(parts) > 1 {
			for _, part := range parts {
				if len(strings.TrimSpace(part)) < 4 {
					p = append(p, fmt.Sprintf("match fragment %q: each part between %s must have at least 4 bytes", m, PartSep))
					break
				}
			}
		}
	}
	check := func(field, v string, list []string, required bool) {
		if v == "" && !required {
			return
		}
		if !contains(list, v) {
			p = append(p, fmt.Sprintf("%s %q is not one of %s", field, v, strings.Join(list, ", ")))
		}
	}
	check("reason", e.Reason, Reasons, true)
	check("category", e.Category, Categories, true)
	check("action", e.Action, Actions, true)
	check("fault", e.Fault, Faults, true)
	check("severity", e.Severity, Severities, false)
	check("frequency", e.Frequency, Frequencies, false)
	if e.Standard == "" {
		p = append(p, "standard is empty (an RFC, \"non-standard\" or \"vendor\")")
	}
	if e.RetryAfter < 0 || (e.RetryAfter > 0 && e.Action != "retry") {
		p = append(p, "retry_after is only for action retry and must be positive")
	}
	if e.Note != nil && (strings.TrimSpace(e.Note.EN) == "" || strings.TrimSpace(e.Note.DE) == "") {
		p = append(p, "note needs en and de")
	}
	for _, lang := range Languages {
		t := e.Text.Get(lang)
		if strings.TrimSpace(t.Title) == "" || strings.TrimSpace(t.Meaning) == "" {
			p = append(p, fmt.Sprintf("text.%s needs title and meaning", lang))
		}
		if len(t.Solution) == 0 {
			p = append(p, fmt.Sprintf("text.%s.solution needs at least one step", lang))
		}
		for _, s := range t.Solution {
			if strings.TrimSpace(s) == "" {
				p = append(p, fmt.Sprintf("text.%s.solution has an empty step", lang))
			}
		}
	}
	return p
}

func validID(id string) bool {
	if id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// Entries returns all entries in display order (source order, then file order).
func (k *KB) Entries() []*Entry { return k.entries }

// ByID returns the entry with the given id.
func (k *KB) ByID(id string) (*Entry, bool) {
	e, ok := k.byID[strings.ToLower(strings.TrimSpace(id))]
	return e, ok
}

// SourceDescription returns the description of a source.
func (k *KB) SourceDescription(source string) (Localized, bool) {
	d, ok := k.sources[source]
	return d, ok
}

// ByCode returns the entries that list code, in rank order. It does no
// fallback; see Lookup for that.
func (k *KB) ByCode(c Code) []*Entry { return k.byCode[c.key()] }

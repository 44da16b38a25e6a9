package kb

import (
	"sort"
	"strings"

	"github.com/maildx/maildx/smtpcode"
)

// LookupResult is the answer to Lookup.
type LookupResult struct {
	Query   string   // what was asked
	Code    *Code    // the parsed code, nil when the query was an entry id
	Entries []*Entry // best first
	// FallbackFrom is set when no entry covers the exact enhanced status
	// code and the entries are those of its X.Y.0 parent (RFC 3463 section
	// 3.1): it holds the code that was asked for.
	FallbackFrom string
}

// Lookup finds the entries for a reply code (550), an enhanced status code
// (5.1.1 or X.1.1), a hex client code (0x800CCC0E, any case), a symbolic
// code (EENVELOPE, TSS04), an HTTP status ("HTTP 429") or an entry id.
//
// For an enhanced code the registry entry of its X form comes together with
// the entries for the exact code; when neither exists, the X.Y.0 parent's
// entries are returned and FallbackFrom says so.
func (k *KB) Lookup(query string) LookupResult {
	q := strings.TrimSpace(query)
	res := LookupResult{Query: q}
	if e, ok := k.ByID(q); ok {
		res.Entries = []*Entry{e}
		return res
	}
	c, err := ParseCode(q)
	if err != nil {
		// Names may carry spaces or brackets as users paste them: "[TSS04]".
		c, err = ParseCode(strings.Trim(q, "[]()<>\"' "))
		if err != nil {
			return res
		}
	}
	res.Code = &c
	if c.Kind != KindStatus {
		res.Entries = k.ByCode(c)
		return res
	}
	st, _ := smtpcode.ParseStatus(c.Value)
	res.Entries = k.statusEntries(st)
	if len(res.Entries) == 0 && st.Detail != 0 {
		res.Entries = k.statusEntries(st.Parent())
		if len(res.Entries) > 0 {
			res.FallbackFrom = c.Value
		}
	}
	return res
}

// statusEntries returns the entries for st and, for a concrete class, for
// its registry form X.Y.Z, ordered by source rank.
func (k *KB) statusEntries(st smtpcode.Status) []*Entry {
	var out []*Entry
	seen := map[*Entry]bool{}
	add := func(c Code) {
		for _, e := range k.ByCode(c) {
			if !seen[e] {
				seen[e] = true
				out = append(out, e)
			}
		}
	}
	add(Code{Kind: KindStatus, Value: st.String(), Status: st})
	if st.Class != smtpcode.ClassNone {
		add(Code{Kind: KindStatus, Value: st.Generic().String(), Status: st.Generic()})
	}
	sort.SliceStable(out, func(i, j int) bool { return sourceRank(out[i].Source) < sourceRank(out[j].Source) })
	return out
}

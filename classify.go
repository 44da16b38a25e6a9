package maildx

import (
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/maildx/maildx/internal/phrase"
	"github.com/maildx/maildx/internal/strtab"
	"github.com/maildx/maildx/kb"
	"github.com/maildx/maildx/smtpcode"
)

// Classifier explains error texts with one knowledge base. It is built once
// (the phrase automaton is the expensive part) and is safe for concurrent use.
type Classifier struct {
	kb      *kb.KB
	entries []*kb.Entry // the knowledge base's entries, by kb.Entry.Seq
	// strs holds the strings a candidate or a verdict names by number
	// (phrases, codes as the evidence writes them, evidence lines,
	// reasons and actions), so that candidates, phrase records and
	// verdicts hold no pointers: the collector neither follows them nor
	// has to see them written while it marks.
	strs      []string
	strIndex  map[string]int32 // strs' index, while the classifier is built
	idOrder   []int32          // by Seq: the entry's place in id order, for ties
	matcher   *phrase.Matcher
	frags     []fragSpan // pattern index → the phrase's records in fragRecs
	fragRecs  []fragRec
	compounds []compound        // fragments of parts ("empfänger … unbekannt")
	endsOf    map[int32][]int32 // pattern index of a last part → its compounds
	names     *strtab.Table     // name codes, exact case → index in byName
	byName    [][]*kb.Entry     // the entries of each name code
	byHex     map[string][]*kb.Entry
	byReply   [600][]*kb.Entry // reply code → its smtp entries (an array: read on most calls)
	// replyCands[code]: the candidates of a reply code, made in advance.
	replyCands [600][]candidate
	// statuses[class][subject][detail] is 1 + the index in slots of
	// what is filed under an exact or X-form (class 0) status code, 0
	// where nothing is. Dense tables of two bytes a code: read on most
	// calls, where a map lookup hashes the key. Four classes, subjects up
	// to 7 and details up to 999 make at most 32,000 slots.
	statuses [6][8][]uint16
	slots    []statusSlot
	byHTTP   map[int][]*kb.Entry // HTTP status of a provider API → entries

	// Evidence strings that would otherwise be built on every call.
	replyText [600]string // "550"
	replyEv   [600]string // "reply code 550 (permanent)"
	httpText  [600]string // "HTTP 429"
	httpEv    [600]string // "HTTP status 429"
	// parentText[class][subject] is the X.Y.0 code an unregistered detail
	// falls back to ("5.7.0"); subjects above 7 are not read as codes.
	parentText [6][8]string

	explicit []bool // explicitClass, by entry (kb.Entry.Seq)

	// verdicts[seq][classIndex[class]]: decide's judgement, made in advance.
	verdicts [][4]verdict

	// codeEv holds, by entry (kb.Entry.Seq), the evidence line of every
	// code the entry can win by ("reply code 550 → smtp-550 (onhold)"):
	// joining it for the winner cost more than the rest of a short
	// explanation.
	codeEv [][]codeEvRec
}

// statusSlot is what is filed under one enhanced status code.
type statusSlot struct {
	st      smtpcode.Status
	entries []*kb.Entry
	ev      string // "enhanced status 5.1.1 (permanent)"; classes 2, 4, 5
	// found[hasReply] is matchStatus's result for a code of class 2, 4
	// or 5: the same for every text. nil for class 0.
	found *[2]statusMatch
}

// statusMatch is what an enhanced status code adds beyond its own line.
type statusMatch struct {
	lines []string
	cands []candidate
}

// codeEvRec is the evidence line of an entry winning by a code of kind
// why, as the candidate names the code (detail).
type codeEvRec struct {
	why    why
	detail string
	line   int32 // in strs
}

// status returns the slot of st, nil when nothing is filed there.
func (c *Classifier) status(st smtpcode.Status) *statusSlot {
	if uint(st.Class) >= uint(len(c.statuses)) || uint(st.Subject) >= uint(len(c.statuses[0])) {
		return nil
	}
	row := c.statuses[st.Class][st.Subject]
	if uint(st.Detail) >= uint(len(row)) || row[st.Detail] == 0 {
		return nil
	}
	return &c.slots[row[st.Detail]-1]
}

// statusEntries returns the entries filed under st.
func (c *Classifier) statusEntries(st smtpcode.Status) []*kb.Entry {
	if sl := c.status(st); sl != nil {
		return sl.entries
	}
	return nil
}

// fileStatus returns the slot of st, making it if needed; st's subject is
// at most 7. The pointer is good until the next call.
func (c *Classifier) fileStatus(st smtpcode.Status) *statusSlot {
	row := &c.statuses[st.Class][st.Subject]
	if len(*row) <= st.Detail {
		*row = append(*row, make([]uint16, st.Detail+1-len(*row))...)
	}
	if (*row)[st.Detail] == 0 {
		c.slots = append(c.slots, statusSlot{st: st})
		(*row)[st.Detail] = uint16(len(c.slots))
	}
	return &c.slots[(*row)[st.Detail]-1]
}

// winnerEvidence is the evidence line of the winning candidate.
func (c *Classifier) winnerEvidence(in *input, top *candidate) string {
	if top.line >= 0 {
		return c.strs[top.line]
	}
	return evidenceLine(c.entries[top.entry], top.why, c.detail(in, top))
}

// evidenceLine joins the evidence line of entry e winning by evidence of
// kind w that names detail.
func evidenceLine(e *kb.Entry, w why, detail string) string {
	return explainWhy(w, detail) + " → " + e.ID + " (" + e.Reason + ")"
}

// str returns the number of s in strs, filing it when it is new; only
// while the classifier is built.
func (c *Classifier) str(s string) int32 {
	i, ok := c.strIndex[s]
	if !ok {
		i = int32(len(c.strs))
		c.strIndex[s] = i
		c.strs = append(c.strs, s)
	}
	return i
}

// detail returns what cd's evidence names: a string of strs, or one the
// call keeps in its input.
func (c *Classifier) detail(in *input, cd *candidate) string {
	if cd.detail >= 0 {
		return c.strs[cd.detail]
	}
	return in.kept(cd.detail)
}

// fileCodeEvidence files the evidence line of entry e winning by a code of
// kind w (detail: the code as the candidate names it).
func (c *Classifier) fileCodeEvidence(e *kb.Entry, w why, detail string) {
	if c.lineOf(e, w, detail) >= 0 {
		return
	}
	c.codeEv[e.Seq()] = append(c.codeEv[e.Seq()], codeEvRec{why: w, detail: detail, line: c.str(evidenceLine(e, w, detail))})
}

// lineOf returns the prepared evidence line of entry e winning by a code
// of kind w named detail, -1 if there is none.
func (c *Classifier) lineOf(e *kb.Entry, w why, detail string) int32 {
	for _, r := range c.codeEv[e.Seq()] {
		if r.why == w && r.detail == detail {
			return r.line
		}
	}
	return -1
}

// fragSpan locates the records of a phrase (a fragment of the entries'
// match lists) in fragRecs.
type fragSpan struct {
	off uint32
	n   uint16
	// shared is set when entries of more than one source carry the phrase:
	// such a phrase says nothing about who sent it.
	shared bool
	last   bool // the phrase is the last part of a compound (endsOf)
}

// compound is a match fragment written in parts ("die domäne … existiert
// nicht"): the parts must be found in order, each at most maxGap bytes
// after the end of the one before, where the text names an address or a
// domain that a literal fragment cannot hold.
type compound struct {
	parts []compoundPart
	span  fragSpan // its records in fragRecs
}

type compoundPart struct {
	pattern int32
	len     int32
}

// maxGap is how far apart two parts of a compound may be: room for an
// address, a domain or a name, not for another sentence.
const maxGap = 100

// fragRec is one entry a phrase points at. The records of a phrase lie
// side by side with what ranking reads, so a match costs a line or two
// here, where the phrase, its list of entries and its list of evidence
// lines were three places in memory.
type fragRec struct {
	entry int32 // kb.Entry.Seq
	text  int32 // the phrase, in strs
	ev    int32 // in strs: the evidence line when the entry wins by the phrase
	// weight is the phrase's length, which its score adds: longer, more
	// specific phrases win. A compound's is the sum of its parts, so that
	// "empfänger unbekannt" as one phrase weighs what it weighs in parts.
	weight int32
}

var (
	defaultOnce sync.Once
	defaultCl   *Classifier
)

func defaultClassifier() *Classifier {
	defaultOnce.Do(func() { defaultCl = NewClassifier(kb.MustDefault()) })
	return defaultCl
}

// NewClassifier compiles the phrase automaton for k.
func NewClassifier(k *kb.KB) *Classifier {
	c := &Classifier{kb: k, byHex: map[string][]*kb.Entry{}, byHTTP: map[int][]*kb.Entry{}}
	byName := map[string][]*kb.Entry{}
	c.entries = k.Entries()
	c.strIndex = map[string]int32{}
	c.explicit = make([]bool, len(k.Entries()))
	c.codeEv = make([][]codeEvRec, len(k.Entries()))
	c.idOrder = make([]int32, len(c.entries))
	byID := slices.Clone(c.entries)
	slices.SortFunc(byID, func(a, b *kb.Entry) int { return strings.Compare(a.ID, b.ID) })
	for i, e := range byID {
		c.idOrder[e.Seq()] = int32(i)
	}
	for n := 100; n < len(c.replyText); n++ {
		c.replyText[n] = strconv.Itoa(n)
		c.replyEv[n] = "reply code " + c.replyText[n] + " (" + className(smtpcode.ReplyClass(n)) + ")"
		c.httpText[n], c.httpEv[n] = httpLines(c.replyText[n])
	}
	for _, cl := range classes {
		for subject := range c.parentText[cl] {
			c.parentText[cl][subject] = smtpcode.Status{Class: cl, Subject: subject}.String()
		}
	}
	pb := phraseBuilder{c: c, index: map[string]int{}, compoundIndex: map[string]int{}}
	c.endsOf = map[int32][]int32{}
	for _, e := range k.Entries() {
		c.explicit[e.Seq()] = explicitClass(e)
		for _, m := range e.Match {
			pb.add(e, m)
		}
		// Each code files the entry where Explain looks it up, and the
		// evidence line of the entry winning by it, as the candidate
		// names the code.
		for _, code := range e.ParsedCodes() {
			switch code.Kind {
			case kb.KindName:
				byName[code.Value] = append(byName[code.Value], e)
				c.fileCodeEvidence(e, whyCode, code.Value)
			case kb.KindHex:
				c.byHex[code.Value] = append(c.byHex[code.Value], e)
				c.fileCodeEvidence(e, whyClientCode, code.Value)
			case kb.KindReply:
				if n := code.Number; n < len(c.byReply) && e.Source == "smtp" {
					c.byReply[n] = append(c.byReply[n], e)
					c.fileCodeEvidence(e, whyReply, code.Value)
				}
			case kb.KindStatus:
				st := code.Status
				if st.Subject >= len(c.statuses[0]) {
					continue // never read from a text: subjects stop at 7
				}
				sl := c.fileStatus(st)
				sl.entries = append(sl.entries, e)
				for _, cl := range classes[1:] { // 2, 4 and 5: the classes a text's code has
					cs := smtpcode.Status{Class: cl, Subject: st.Subject, Detail: st.Detail}
					form := cs.String()
					c.fileStatus(cs).ev = statusLine(form, cl)
					// The ways statusCandidates lets a status win: a
					// registered code itself, a provider's own, or the
					// X.Y.0 parent an unregistered code falls back to.
					if e.Source == "enhanced" {
						c.fileCodeEvidence(e, whyStatus, form)
						if st.Detail == 0 {
							c.fileCodeEvidence(e, whyStatusParent, form)
						}
					}
					if e.Provider != "" {
						c.fileCodeEvidence(e, whyProviderCode, form)
					}
				}
			case kb.KindHTTP:
				c.byHTTP[code.Number] = append(c.byHTTP[code.Number], e)
				c.fileCodeEvidence(e, whyHTTP, code.Value)
			}
		}
	}
	c.names, c.byName = strtab.FromMap(byName)
	c.judgeAll()
	for n := range c.replyCands {
		for _, e := range codeEntries(c.byReply[n]) {
			c.replyCands[n] = c.addCode(nil, c.replyCands[n], e, scoreReply, whyReply, c.replyText[n])
		}
	}
	c.matchAllStatuses()
	patterns := pb.finish()
	c.strIndex = nil
	// Provider signals ride along in the same automaton, after the phrases.
	for _, ps := range providerSignals {
		patterns = append(patterns, ps.fragment)
	}
	c.matcher = phrase.New(patterns)
	c.packStrings()
	return c
}

// phraseBuilder files the entries' match fragments for NewClassifier: each
// distinct phrase once (a pattern of the automaton), a compound's parts as
// phrases of their own, and every (phrase, entry) pair as a record.
type phraseBuilder struct {
	c             *Classifier
	index         map[string]int // phrase → pattern index
	texts         []string       // per phrase
	recs          [][]fragRec    // per phrase
	compoundIndex map[string]int
	compoundRecs  [][]fragRec // per compound
}

// phrase returns the pattern index of m, filing it when it is new.
func (b *phraseBuilder) phrase(m string) int {
	i, ok := b.index[m]
	if !ok {
		i = len(b.texts)
		b.index[m] = i
		b.texts = append(b.texts, m)
		b.recs = append(b.recs, nil)
		b.c.frags = append(b.c.frags, fragSpan{})
	}
	return i
}

// add files match fragment m of entry e.
func (b *phraseBuilder) add(e *kb.Entry, m string) {
	c := b.c
	if !strings.Contains(m, kb.PartSep) {
		m = string(normalize(m))
		if len(m) < 4 {
			return // kb validation rejects it; nothing to find
		}
		i := b.phrase(m)
		b.recs[i] = c.addRec(b.recs[i], &c.frags[i], e, m, len(m))
		return
	}
	var parts []compoundPart
	var norm []string
	weight := 0
	for _, p := range strings.Split(m, kb.PartSep) {
		p = string(normalize(p))
		if len(p) < 4 {
			continue
		}
		parts = append(parts, compoundPart{pattern: int32(b.phrase(p)), len: int32(len(p))})
		norm = append(norm, p)
		weight += len(p)
	}
	if len(parts) < 2 {
		return
	}
	m = strings.Join(norm, " "+kb.PartSep+" ")
	i, ok := b.compoundIndex[m]
	if !ok {
		i = len(c.compounds)
		b.compoundIndex[m] = i
		c.compounds = append(c.compounds, compound{parts: parts})
		b.compoundRecs = append(b.compoundRecs, nil)
		last := parts[len(parts)-1].pattern
		c.endsOf[last] = append(c.endsOf[last], int32(i))
		c.frags[last].last = true
	}
	b.compoundRecs[i] = c.addRec(b.compoundRecs[i], &c.compounds[i].span, e, m, weight)
}

// addRec appends the record of entry e for phrase m to rs, a phrase's or
// compound's records, and marks span shared when sources differ.
func (c *Classifier) addRec(rs []fragRec, span *fragSpan, e *kb.Entry, m string, weight int) []fragRec {
	if len(rs) > 0 && c.entries[rs[0].entry].Source != e.Source {
		span.shared = true
	}
	return append(rs, fragRec{entry: int32(e.Seq()), text: c.str(m), ev: c.str(evidenceLine(e, whyPhrase, m)), weight: int32(weight)})
}

// finish lays the records out side by side in fragRecs, the phrases' first
// and the compounds' after them, and returns the phrases in pattern order.
func (b *phraseBuilder) finish() []string {
	c := b.c
	for i, rs := range b.recs {
		c.frags[i].off, c.frags[i].n = uint32(len(c.fragRecs)), uint16(len(rs))
		c.fragRecs = append(c.fragRecs, rs...)
	}
	for i, rs := range b.compoundRecs {
		c.compounds[i].span.off, c.compounds[i].span.n = uint32(len(c.fragRecs)), uint16(len(rs))
		c.fragRecs = append(c.fragRecs, rs...)
	}
	return b.texts
}

// Scores of the evidence kinds; higher wins. The order encodes the rule
// "a provider's own message beats the enhanced code, which beats the reply
// code; recognised text beats a vague code".
const (
	scoreProviderText  = 1000 // a provider entry's phrase (plus the phrase length)
	scoreContext       = 2000 // the caller knows the reason (WithReason)
	scoreHex           = 1250 // a vendor's own code is more specific than its prose
	scoreName          = 1200 // TSS04, S3150, RP-002, ECONNREFUSED …
	scoreProviderCode  = 850  // a provider's own unregistered code (5.7.708)
	scoreHTTP          = 800  // the HTTP status of the detected provider's API
	scoreWrapper       = 650  // a library's wrapper code (nodemailer ESOCKET): the text inside says more
	scoreStatus        = 700  // a registered, specific enhanced code
	scoreGenericText   = 700  // a phrase of a generic source (plus the phrase length)
	scoreUnclaimedText = 660  // a provider's phrase without the provider's signal (plus length)
	scoreVagueStatus   = 400  // X.0.0, X.Y.0, X.7.1 …
	scoreStatusParent  = 350  // fallback to X.Y.0 of an unregistered code
	scoreReply         = 200
	scoreUndecided     = 50 // entries whose reason is onhold: context, not a verdict
	// A phrase's length is added to its score, so longer phrases win.
)

// candidate is one entry the evidence points at. The explanation of why is
// kept in two parts and joined only for the winner, because most candidates
// lose and building their strings would dominate the cost of a call. It is
// kept small (20 bytes) and free of pointers: the candidates are zeroed,
// added and sorted on every call, and a pointer stored while the garbage
// collector marks costs a trip through its write barrier.
type candidate struct {
	score  int32
	entry  int32 // kb.Entry.Seq
	line   int32 // the prepared evidence line in strs, -1 if there is none
	detail int32 // the phrase or code: in strs, or (below 0) kept in the input
	why    why
	// claimed: the evidence identifies the entry's provider (its own code,
	// or a phrase that claims it).
	claimed bool
}

// why is the kind of evidence behind a candidate.
type why uint8

const (
	whyPhrase why = iota
	whyCode
	whyClientCode
	whyProviderCode
	whyReply
	whyStatus
	whyStatusParent
	whyHTTP
	whyContext
	whyCommand
)

var whyText = [...]string{
	whyPhrase:       "phrase",
	whyCode:         "code",
	whyClientCode:   "client code",
	whyProviderCode: "provider code",
	whyReply:        "reply code",
	whyStatus:       "enhanced status",
	whyStatusParent: "status parent",
	whyHTTP:         "HTTP status",
	whyContext:      "context",
	whyCommand:      "command",
}

// explainWhy names evidence of kind w about detail.
func explainWhy(w why, detail string) string {
	if w == whyPhrase {
		return "phrase " + strconv.Quote(detail)
	}
	return whyText[w] + " " + detail
}

// Explain diagnoses one error text.
func (c *Classifier) Explain(text string, opts ...Option) (d Diagnosis) {
	var none spare
	c.explain(&d, text, opts, &none)
	return d
}

// ExplainTo is Explain for loops: see the package function ExplainTo.
func (c *Classifier) ExplainTo(d *Diagnosis, text string, opts ...Option) {
	c.explainTo(d, text, opts)
}

// explainTo clears a Diagnosis the caller reuses and hands explain the
// memory of its slices.
func (c *Classifier) explainTo(d *Diagnosis, text string, opts []Option) {
	old := spare{codes: d.Codes, ev: d.Evidence, entries: d.Entries}
	*d = Diagnosis{}
	c.explain(d, text, opts, &old)
}

// explain fills in d, a zero Diagnosis, the caller's result: a Diagnosis
// is a large struct, and building it in place saves copying it on every
// return. old holds the slices of a reused Diagnosis (ExplainTo), whose
// memory is reused; a new one (Explain's) brings none.
func (c *Classifier) explain(d *Diagnosis, text string, opts []Option, old *spare) {
	o := applyOptions(opts)
	if o.lang != "de" {
		o.lang = "en"
	}
	var inv input
	in := &inv
	body := in.parse(text, c.names)
	// The normalized text is only scanned for phrases, so it lives on the
	// stack for most inputs. It is kept out of inv (in.norm stays nil):
	// escape analysis does not tell inv's fields apart, and inv's strings
	// end up in the result. The array is zeroed on every call, so it is
	// no larger than most texts need; a longer one borrows a buffer.
	var nbuf [512]byte
	var norm []byte
	var pooled *[]byte
	if len(body) <= len(nbuf) {
		norm = appendNormalized(nbuf[:0], body)
	} else {
		norm, pooled = normalizeLong(body)
	}
	if o.http != 0 && in.httpStatus == 0 {
		in.httpStatus = o.http
	}
	if o.status != "" && in.status == "" {
		in.statusOption(o.status)
	}
	d.Input, d.Lang, d.ReplyCode, d.Status = text, o.lang, in.reply, in.status
	// Codes and evidence are gathered on the stack and copied into one
	// allocation of their exact size at the end (see finish).
	var cbuf [4]string
	var ebuf [8]string
	var buf [16]candidate
	codes, ev, cands := c.codeCandidates(in, cbuf[:0], ebuf[:0], buf[:0])
	cands, gaveUp := c.phraseCandidates(in, norm, cands)
	if pooled != nil {
		normPool.Put(pooled)
	}
	if in.httpStatus != 0 && in.provider != "" || o.reason != "" {
		cands = c.contextCandidates(in, &o, cands)
	}
	best := c.rank(cands)
	if len(best) == 0 {
		c.fallback(d, in, old, codes, ev)
		return
	}
	best, ev = c.settle(in, best, gaveUp, ev, &o)
	ev = c.decide(d, in, &best[0], ev, &o)
	old.finish(d, codes, ev, len(best))
	for i := range best {
		e := c.entries[best[i].entry]
		d.Entries[i] = EntryRef{ID: e.ID, Source: e.Source}
	}
}

// normPool lends buffers for the normalized form of texts too long for
// explain's stack buffer: one per text would be fresh memory on every call.
var normPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// The rare paths of explain are functions of their own, out of its hot
// lines.

// normalizeLong normalizes a text too long for explain's stack buffer
// into a pooled buffer, which the caller puts back.
//
//go:noinline
func normalizeLong(body string) ([]byte, *[]byte) {
	pooled := normPool.Get().(*[]byte)
	*pooled = appendNormalized((*pooled)[:0], body)
	return *pooled, pooled
}

// statusOption takes a status code from the context (WithStatus) when the
// text has none.
//
//go:noinline
func (in *input) statusOption(status string) {
	if st, ok := smtpcode.ParseStatus(strings.TrimSpace(status)); ok && st.Class != smtpcode.ClassNone && st.Subject <= 7 {
		in.status, in.st = st.String(), st
	}
}

// The steps of explain are functions of their own, not for reuse but for
// the instruction cache: one function of all of them was 12 KB of code,
// most of it for rare cases, and a call touched lines all over it.

// addCandidate appends the candidate that evidence of kind w (detail: the
// phrase or code) makes of entry e.
//
//go:noinline
func addCandidate(cands []candidate, e *kb.Entry, score int, w why, detail, line int32) []candidate {
	if e.Reason == "onhold" && score > scoreUndecided {
		score = scoreUndecided + score/100
	}
	claimed := e.Provider != "" && (w == whyCode || w == whyClientCode || w == whyProviderCode)
	return append(cands, candidate{score: int32(score), entry: int32(e.Seq()), line: line, detail: detail, why: w, claimed: claimed})
}

// addCode is addCandidate for evidence that names a code (or a reason, a
// command): its evidence line is the prepared one if there is one, and the
// code is kept in the call's input – or filed in strs while the classifier
// is built (in == nil).
func (c *Classifier) addCode(in *input, cands []candidate, e *kb.Entry, score int, w why, detail string) []candidate {
	var d int32
	if in == nil {
		d = c.str(detail)
	} else {
		d = in.keep(detail)
	}
	return addCandidate(cands, e, score, w, d, c.lineOf(e, w, detail))
}

// codeCandidates lists the codes of the text with their evidence lines and
// adds the entries they point at.
func (c *Classifier) codeCandidates(in *input, codes, ev []string, cands []candidate) ([]string, []string, []candidate) {
	if in.reply != 0 {
		r := c.replyText[in.reply]
		codes = append(codes, r)
		ev = append(ev, c.replyEv[in.reply])
		cands = append(cands, c.replyCands[in.reply]...)
	}
	if in.status != "" {
		codes = append(codes, in.status)
		ev, cands = c.statusCandidates(in, ev, cands)
	}
	if in.hex.n != 0 || in.jsonCode != "" || in.names.n != 0 || in.httpStatus != 0 {
		codes, ev, cands = c.otherCodes(in, codes, ev, cands)
	}
	return codes, ev, cands
}

// otherCodes is codeCandidates for client codes, name codes and an HTTP
// status, which fewer texts carry than a reply or status code.
//
//go:noinline
func (c *Classifier) otherCodes(in *input, codes, ev []string, cands []candidate) ([]string, []string, []candidate) {
	for _, h := range in.hex.list() {
		codes = append(codes, h)
		for _, e := range codeEntries(c.byHex[h]) {
			cands = c.addCode(in, cands, e, scoreHex, whyClientCode, h)
		}
	}
	if in.jsonCode != "" {
		codes, cands = c.nameCandidates(in, in.jsonCode, codes, cands)
	}
	for _, n := range in.names.list() {
		codes, cands = c.nameCandidates(in, n, codes, cands)
	}
	if in.httpStatus != 0 {
		var code, line string
		if n := in.httpStatus; n >= 100 && n < len(c.httpText) {
			code, line = c.httpText[n], c.httpEv[n]
		} else {
			code, line = httpLines(strconv.Itoa(n)) // a caller's WithHTTPStatus outside 100–599
		}
		codes, ev = append(codes, code), append(ev, line)
	}
	return codes, ev, cands
}

// httpLines is what an HTTP status (number: "429") adds to the codes and
// to the evidence.
func httpLines(number string) (code, line string) {
	return "HTTP " + number, "HTTP status " + number
}

// nameCandidates adds the entries of a name code (EENVELOPE, TSS04), the
// code itself to the codes if an entry knows it.
func (c *Classifier) nameCandidates(in *input, n string, codes []string, cands []candidate) ([]string, []candidate) {
	i, ok := c.names.Get(n)
	if !ok {
		return codes, cands
	}
	es := c.byName[i]
	codes = appendUnique(codes, n)
	for _, e := range codeEntries(es) {
		score := scoreName
		if wrapperSource(e.Source) {
			score = scoreWrapper
		}
		cands = c.addCode(in, cands, e, score, whyCode, n)
	}
	return codes, cands
}

// phraseCandidates finds the phrases of the knowledge base in the
// normalized text, in one pass, and adds their entries. Provider signals
// ride along; they are needed first, to know which provider phrases may
// claim their provider. gaveUp is the phrase of a give-up wrapper ("gave
// up after five days") when one matched.
func (c *Classifier) phraseCandidates(in *input, norm []byte, cands []candidate) (_ []candidate, gaveUp string) {
	var mbuf [32]phrase.Match
	matches := c.matcher.Find(norm, mbuf[:0])
	signal := len(providerSignals)
	for _, m := range matches {
		if p := int(m.Pattern); p >= len(c.frags) {
			signal = min(signal, p-len(c.frags))
		}
	}
	if signal < len(providerSignals) {
		in.provider = providerSignals[signal].provider
	} else if in.jsonProvider != "" {
		in.provider = in.jsonProvider
	}
	for _, m := range matches {
		if int(m.Pattern) >= len(c.frags) {
			continue
		}
		f := c.frags[m.Pattern]
		cands, gaveUp = c.phraseRecs(in, f, cands, gaveUp)
		if f.last {
			for _, k := range c.endsOf[m.Pattern] {
				if cp := &c.compounds[k]; cp.found(matches, int(m.End)) {
					cands, gaveUp = c.phraseRecs(in, cp.span, cands, gaveUp)
				}
			}
		}
	}
	return cands, gaveUp
}

// found reports whether the compound's parts occur in order, each within
// maxGap bytes of the one before, given that its last part ends at end.
// Of several earlier matches of a part, the latest is taken.
func (cp *compound) found(matches []phrase.Match, end int) bool {
	start := end - int(cp.parts[len(cp.parts)-1].len)
	for j := len(cp.parts) - 2; j >= 0; j-- {
		p := cp.parts[j]
		best := -1
		for _, m := range matches {
			if m.Pattern == p.pattern && int(m.End) <= start && start-int(m.End) <= maxGap {
				best = max(best, int(m.End))
			}
		}
		if best < 0 {
			return false
		}
		start = best - int(p.len)
	}
	return true
}

// phraseRecs adds the candidates of the records of one matched phrase.
func (c *Classifier) phraseRecs(in *input, f fragSpan, cands []candidate, gaveUp string) ([]candidate, string) {
	for ri := range int(f.n) {
		r := &c.fragRecs[int(f.off)+ri]
		e := c.entries[r.entry]
		score := scoreGenericText
		claimed := c.claims(e, f.shared, int(r.weight), in)
		switch {
		case claimed:
			score = scoreProviderText
		case e.Provider != "":
			// A provider's wording seen without that provider's
			// signal: generic text, but less sure than a specific
			// enhanced code ("Invalid Address … 5.2.2 Mailbox Full").
			score = scoreUnclaimedText
		case e.Reason == "expired":
			// "Gave up after five days" wraps the last error: the
			// remote's own words (a full mailbox, a refused
			// connection) say why, so they win when present, and
			// the give-up makes the failure final.
			score = scoreWrapper
			gaveUp = c.strs[r.text]
		}
		score += int(r.weight)
		if e.Provider != "" && !c.consistent(e, in) {
			score -= 300
		}
		cands = addCandidate(cands, e, score, whyPhrase, r.text, r.ev)
		cands[len(cands)-1].claimed = claimed
	}
	return cands, gaveUp
}

// contextCandidates adds what the context says: the HTTP status of the
// detected provider's API, and a reason the caller already knows. Few
// calls have either, and explain asks before it calls.
func (c *Classifier) contextCandidates(in *input, o *options, cands []candidate) []candidate {
	if in.httpStatus != 0 && in.provider != "" {
		for _, e := range c.byHTTP[in.httpStatus] {
			if e.Provider == in.provider && len(e.Match) == 0 {
				cands = c.addCode(in, cands, e, scoreHTTP, whyHTTP, strconv.Itoa(in.httpStatus))
				cands[len(cands)-1].claimed = true
			}
		}
	}
	if o.reason != "" {
		if e := c.reasonEntry(o.reason); e != nil {
			cands = c.addCode(in, cands, e, scoreContext, whyContext, o.reason)
		}
	}
	return cands
}

// settle applies what the ranking alone cannot see – a give-up with no
// server verdict, the SMTP command of the failure – and adds the winner's
// evidence. best[0] is the winner afterwards.
func (c *Classifier) settle(in *input, best []candidate, gaveUp string, ev []string, o *options) ([]candidate, []string) {
	if gaveUp == "" && o.command == "" {
		// Nearly every call: nothing below applies but the winner's line.
		return best, addEv(ev, c.winnerEvidence(in, &best[0]))
	}
	return c.settleContext(in, best, gaveUp, ev, o)
}

// settleContext is settle for a text with a give-up or a call that names
// the SMTP command.
//
//go:noinline
func (c *Classifier) settleContext(in *input, best []candidate, gaveUp string, ev []string, o *options) ([]candidate, []string) {
	if gaveUp != "" && c.entries[best[0].entry].Reason == "networkerror" {
		// No server ever gave a verdict – connections timed out or
		// failed – so the give-up is the story: the message expired.
		for i, cd := range best {
			if c.entries[cd.entry].Reason == "expired" {
				ev = append(ev, explainWhy(best[0].why, c.detail(in, &best[0]))+": no server answered, so the give-up decides")
				copy(best[1:i+1], best[:i])
				best[0] = cd
				break
			}
		}
	}
	top := best[0]
	topEntry := c.entries[top.entry]
	ev = append(ev, c.winnerEvidence(in, &top))
	if gaveUp != "" && topEntry.Reason != "expired" && !o.final {
		ev = append(ev, "phrase "+strconv.Quote(gaveUp)+": the sending MTA gave up; the last error says why")
		o.final, o.gaveUp = true, true
	}
	if e := c.commandEntry(topEntry, o.command); e != nil {
		ev = append(ev, "failed at "+o.command+": "+e.Reason+" rather than "+topEntry.Reason)
		top = candidate{score: top.score, entry: int32(e.Seq()), line: -1, detail: in.keep(o.command), why: whyCommand}
		best = append([]candidate{top}, best...)
	}
	return best, ev
}

// spare holds the slices a Diagnosis brought into explain, whose memory
// ExplainTo reuses.
type spare struct {
	codes, ev []string
	entries   []EntryRef
}

// reusing reports whether the Diagnosis came with slices of its own, as in
// a loop over ExplainTo.
func (sp *spare) reusing() bool { return sp.codes != nil || sp.ev != nil || sp.entries != nil }

// finish copies the codes and evidence gathered on explain's stack into
// d and makes room for n entries, which the caller fills in. Codes,
// Evidence and Entries are never nil: their JSON is [] when empty.
//
// A fresh Diagnosis gets a single allocation of the exact size for all
// three: it outlives the call, and on a busy machine each allocation –
// the allocator's code and fresh memory – costs more than the copying,
// and what a call allocates sets how often the collector runs. A reused
// one keeps its memory where it is large enough.
func (sp *spare) finish(d *Diagnosis, codes, ev []string, n int) {
	if !sp.reusing() {
		// An EntryRef is two strings, so the entries take the first 2n
		// strings of the allocation (see entryRefs).
		strs := newStrings(2*n + len(codes) + len(ev))
		d.Entries = entryRefs(strs[:2*n])
		strs = strs[2*n:]
		d.Codes, d.Evidence = strs[:len(codes):len(codes)], strs[len(codes):]
	} else {
		// A reused slice gets headroom when it has to grow, so that a
		// loop stops allocating soon.
		if sp.codes != nil && sp.ev != nil && cap(sp.codes) >= len(codes) && cap(sp.ev) >= len(ev) {
			d.Codes, d.Evidence = sp.codes[:len(codes)], sp.ev[:len(ev)]
		} else {
			nc, ne := max(len(codes), 4), max(len(ev), 8)
			strs := make([]string, nc+ne)
			d.Codes, d.Evidence = strs[:len(codes):nc], strs[nc:nc+len(ev):nc+ne]
		}
		if cap(sp.entries) >= n {
			d.Entries = sp.entries[:n]
		} else {
			d.Entries = make([]EntryRef, n, max(n, 4))
		}
	}
	// One by one: copy calls typedslicecopy for a few strings.
	for i, s := range codes {
		d.Codes[i] = s
	}
	for i, s := range ev {
		d.Evidence[i] = s
	}
}

// entryRefs views an even number of strings as EntryRefs. An EntryRef is
// two strings, so the two have the same size, alignment and pointer
// layout, and the collector sees the memory the same way either way.
func entryRefs(strs []string) []EntryRef {
	if len(strs) == 0 {
		return []EntryRef{}
	}
	return unsafe.Slice((*EntryRef)(unsafe.Pointer(unsafe.SliceData(strs))), len(strs)/2)
}

// minClaimLen is the length from which a provider's phrase is distinctive
// enough to name the provider without any other signal.
const minClaimLen = 24

// claims reports whether a provider entry's phrase identifies its provider:
// the text carries that provider's signal (gsmtp, outlook.com, …), or the
// phrase is long and no other source uses it. "temporarily deferred" in
// the SendGrid file must not make every deferral SendGrid's.
func (c *Classifier) claims(e *kb.Entry, shared bool, phraseLen int, in *input) bool {
	if e.Provider == "" {
		return false
	}
	if in.provider != "" {
		return in.provider == e.Provider
	}
	if in.httpStatus != 0 && hasHTTP(e, in.httpStatus) {
		return true
	}
	return !shared && phraseLen >= minClaimLen
}

func hasHTTP(e *kb.Entry, status int) bool {
	for _, c := range e.ParsedCodes() {
		if c.Kind == kb.KindHTTP && c.Number == status {
			return true
		}
	}
	return false
}

// wrapperSource reports sources whose codes wrap another error: a
// nodemailer ESOCKET or EENVELOPE says where it failed, the message or
// server reply inside says why.
func wrapperSource(source string) bool { return source == "nodemailer" }

// statusCandidates adds the entries for the enhanced status code: the
// registry entry, a provider's own entry for an unregistered code, or the
// X.Y.0 parent when nothing covers the exact code.
func (c *Classifier) statusCandidates(in *input, ev []string, cands []candidate) ([]string, []candidate) {
	st := in.st
	sl := c.status(st)
	if sl != nil && sl.ev != "" {
		ev = append(ev, sl.ev)
	} else {
		ev = addEv(ev, statusLine(in.status, st.Class))
	}
	if in.reply != 0 && st.Class != smtpcode.ClassNone && smtpcode.ReplyClass(in.reply) != st.Class {
		ev = addEv(ev, c.mismatchLine(in))
	}
	if sl != nil && sl.found != nil {
		// Every code an entry lists, in every class: its candidates
		// were found when the classifier was built.
		m := &sl.found[b2i(in.reply != 0)]
		if len(m.lines) > 0 {
			ev = append(ev, m.lines...)
		}
		return ev, append(cands, m.cands...)
	}
	return c.matchStatus(in, st, in.status, in.reply != 0, ev, cands)
}

// matchStatus adds the candidates of status code st (written status) and
// the evidence of a fallback to the X.Y.0 parent.
// in is nil while the classifier is built.
func (c *Classifier) matchStatus(in *input, st smtpcode.Status, status string, hasReply bool, ev []string, cands []candidate) ([]string, []candidate) {
	registered := false
	for _, e := range c.statusEntries(st.Generic()) {
		if e.Source == "enhanced" {
			registered = true
			if st.Class == smtpcode.ClassSuccess && vagueStatus(st) && hasReply {
				continue // "250 2.0.0 OK": the reply code's entry says it better
			}
			if e.Reason == "delivered" && st.Class != smtpcode.ClassSuccess {
				// A success-only code (X.1.9) in a failure: it cannot
				// mean delivered, so it is no evidence at all.
				continue
			}
			score := scoreStatus
			if vagueStatus(st) {
				score = scoreVagueStatus
			}
			cands = c.addCode(in, cands, e, score, whyStatus, status)
		}
	}
	if !registered && st.Class != smtpcode.ClassNone {
		// An unregistered code is a provider's own (Microsoft 5.7.708):
		// its entry speaks for it, the first in file order if several.
		for _, e := range c.statusEntries(st) {
			if e.Provider != "" {
				cands = c.addCode(in, cands, e, scoreProviderCode, whyProviderCode, status)
				registered = true
				break
			}
		}
	}
	if !registered {
		for _, e := range c.statusEntries(st.Parent().Generic()) {
			if e.Source == "enhanced" {
				var parent string
				if int(st.Class) < len(c.parentText) && st.Subject < len(c.parentText[0]) {
					parent = c.parentText[st.Class][st.Subject] // every code the scanner reads
				} else {
					parent = st.Parent().String()
				}
				ev = addEv(ev, parentLine(status, parent))
				cands = c.addCode(in, cands, e, scoreStatusParent, whyStatusParent, parent)
			}
		}
	}
	return ev, cands
}

// matchAllStatuses fills the found lists of every status slot of class 2,
// 4 or 5, with and without a reply code. The candidates name their
// prepared evidence lines (addCode), so the codeEv table must be complete.
func (c *Classifier) matchAllStatuses() {
	for i := range c.slots {
		sl := &c.slots[i]
		if sl.st.Class == smtpcode.ClassNone {
			continue
		}
		sl.found = new([2]statusMatch)
		for r := range 2 {
			m := &sl.found[r]
			m.lines, m.cands = c.matchStatus(nil, sl.st, sl.st.String(), r == 1, nil, nil)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// The evidence lines below are joined on few calls; as functions of their
// own their code stays out of statusCandidates' hot lines.

// statusLine is the evidence line of an enhanced status code: prepared
// in the status slots for every code an entry lists, joined on the call
// for any other.
//
//go:noinline
func statusLine(status string, class smtpcode.Class) string {
	return "enhanced status " + status + " (" + className(class) + ")"
}

// mismatchLine says that the reply code and the enhanced status code
// disagree in class.
//
//go:noinline
func (c *Classifier) mismatchLine(in *input) string {
	return "class mismatch: reply " + c.replyText[in.reply] + " is " + className(smtpcode.ReplyClass(in.reply)) +
		" but status " + in.status + " is " + className(in.st.Class) + "; the reply code decides whether to retry"
}

// parentLine says that an unregistered code falls back to its parent.
//
//go:noinline
func parentLine(status, parent string) string {
	return status + " is not registered; falling back to " + parent + " (RFC 3463 section 3.1)"
}

// codeEntries picks, among the entries that share a code, the one the code
// alone selects: an entry that also lists phrases is a variant for one
// particular message (nodemailer's EENVELOPE "No recipients defined") and
// must be chosen by its phrase, so the first entry without phrases speaks
// for the bare code.
func codeEntries(es []*kb.Entry) []*kb.Entry {
	if len(es) <= 1 {
		return es
	}
	for i, e := range es {
		if len(e.Match) == 0 {
			return es[i : i+1]
		}
	}
	return es[:1] // all are variants: the first, by convention the general one
}

// vagueStatus reports codes that say little on their own: the X.Y.0
// "other" codes, 5.7.1 (used for everything from spam to relaying) and
// 4.4.7 (expired, for any underlying reason).
func vagueStatus(st smtpcode.Status) bool {
	return st.Detail == 0 || st.Subject == 7 && st.Detail == 1 || st.Subject == 4 && st.Detail == 7
}

// consistent reports whether a provider entry's codes agree with the codes
// in the text: an entry written for 5.7.26 should not win on a 4.2.1 reply.
func (c *Classifier) consistent(e *kb.Entry, in *input) bool {
	if in.status == "" {
		return true
	}
	st := in.st
	hasStatus := false
	for _, code := range e.ParsedCodes() {
		if code.Kind != kb.KindStatus {
			continue
		}
		hasStatus = true
		es := code.Status
		if es.Subject == st.Subject && (es.Class == smtpcode.ClassNone || es.Class == st.Class) {
			return true
		}
	}
	return !hasStatus
}

// rank orders the candidates best first and keeps one per entry. Ties are
// broken by source order and entry id, never by map order.
func (c *Classifier) rank(cands []candidate) []candidate {
	if len(cands) <= 1 {
		return cands
	}
	// A stable insertion sort: the lists are short, and it moves fewer
	// bytes than the generic sort.
	for i := 1; i < len(cands); i++ {
		j := i
		for j > 0 && c.before(&cands[i], &cands[j-1]) {
			j--
		}
		if j < i {
			// Moved one by one: copy calls memmove for a few
			// twenty-byte elements.
			cd := cands[i]
			for k := i; k > j; k-- {
				cands[k] = cands[k-1]
			}
			cands[j] = cd
		}
	}
	out := cands[:1]
	for i := 1; i < len(cands); i++ {
		cd := &cands[i]
		dup := false
		for k := range out {
			if out[k].entry == cd.entry {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, *cd)
		}
	}
	return out
}

// before reports whether a ranks strictly before b: a higher score, or the
// same score and a smaller entry id.
func (c *Classifier) before(a, b *candidate) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return c.idOrder[a.entry] < c.idOrder[b.entry]
}

// decide fills in the diagnosis from the winning entry and the codes.
func (c *Classifier) decide(d *Diagnosis, in *input, top *candidate, ev []string, o *options) []string {
	e := c.entries[top.entry]
	d.Severity, d.Frequency = e.Severity, e.Frequency
	d.Provider = c.detectProvider(in)
	if top.claimed {
		d.Provider = e.Provider
	}
	t := e.Text.In(o.lang)
	d.Title, d.Meaning, d.Solution = t.Title, t.Meaning, t.Solution
	d.Kind = kindOf(in, e)

	// The reply code is the server's final word on retrying; without one,
	// the status code's class.
	class := smtpcode.ReplyClass(in.reply)
	if in.reply == 0 && in.status != "" {
		class = in.st.Class
	}
	var lines uint16
	if o.final || o.attempt > 1 {
		j := c.judge(e, class, o)
		d.Reason, d.Category, d.Action, d.Fault = j.reason, j.category, j.action, j.fault
		d.Temporary, d.HardBounce, d.RetryAfter = j.temporary, j.hardBounce, j.retryAfter
		lines = j.lines
	} else {
		v := &c.verdicts[e.Seq()][classIndex[class]]
		d.Reason, d.Category, d.Action, d.Fault = c.strs[v.reason], c.strs[v.category], c.strs[v.action], c.strs[v.fault]
		d.Temporary, d.HardBounce, d.RetryAfter = v.temporary, v.hardBounce, int(v.retryAfter)
		lines = v.lines
	}
	for ; lines != 0; lines &= lines - 1 {
		ev = addEv(ev, judgementLines[bits.TrailingZeros16(lines)])
	}
	return ev
}

// judgement is what decide concludes from the winning entry and the class
// of the codes.
type judgement struct {
	reason, category, action, fault string
	temporary, hardBounce           bool
	retryAfter                      int
	lines                           uint16 // the judgementLines that say why, as bits
}

// The evidence lines of judge's rules, in the order the rules run.
const (
	lineSuccess = iota
	lineTransient
	linePermanent
	lineRetryLater
	lineRetryFirst
	lineSlowDown
	lineGaveUp
	lineMTAGaveUp
	lineNoRetry
)

var judgementLines = [...]string{
	lineSuccess:    "success class (2xx): the message was accepted",
	lineTransient:  "transient class (4xx): the failure may go away, so retry",
	linePermanent:  "permanent class (5xx): the server will not accept this message as it is",
	lineRetryLater: "transient class (4xx): retry later",
	lineRetryFirst: "temporary failure: retry before suppressing the address",
	lineSlowDown:   "transient rate limit: slow down and retry",
	lineGaveUp:     "permanent for this message: no more attempts",
	lineMTAGaveUp:  "the reporting MTA gave up (DSN Action: failed): permanent for this message",
	lineNoRetry:    "permanent failure: retrying the same message will not help",
}

// judge applies the rules that turn the winning entry and the class of the
// codes into the verdict.
func (c *Classifier) judge(e *kb.Entry, class smtpcode.Class, o *options) judgement {
	j := judgement{reason: e.Reason, category: e.Category, action: e.Action, fault: e.Fault, temporary: e.Temporary}
	// The class is the server's final word on retrying, except where an
	// entry says on purpose that its code's class misleads (Yahoo's 421
	// [TS03] "retrying will not succeed").
	switch {
	case class == smtpcode.ClassSuccess:
		if j.reason != "delivered" && j.category != "success" {
			j.reason, j.category, j.action, j.fault = "delivered", "success", "none", "remote-system"
			j.lines |= 1 << lineSuccess
		}
		j.temporary = false
	case class == smtpcode.ClassTransient && !j.temporary && j.reason != "expired":
		// (An expired message stays given up, whatever the last reply's class.)
		if !c.explicit[e.Seq()] {
			j.temporary = true
			j.lines |= 1 << lineTransient
		}
	case class == smtpcode.ClassPermanent && j.temporary && e.Source != "smtp":
		if !c.explicit[e.Seq()] {
			j.temporary = false
			j.lines |= 1 << linePermanent
		}
	}
	if class == smtpcode.ClassTransient && j.action == "none" {
		j.action = "retry"
		j.lines |= 1 << lineRetryLater
	}
	if j.temporary && j.action == "suppress" {
		j.action = "retry"
		j.lines |= 1 << lineRetryFirst
	}
	if j.temporary && j.action == "fix-sender" && class == smtpcode.ClassTransient && (j.category == "rate-limited" || j.category == "reputation-block") {
		j.action = "retry"
		j.lines |= 1 << lineSlowDown
	}
	if o.final && j.temporary && j.reason != "delivered" {
		j.temporary = false
		if o.gaveUp {
			j.lines |= 1 << lineGaveUp
		} else {
			j.lines |= 1 << lineMTAGaveUp
		}
		if j.action == "retry" && hardBounce(j.reason, false) {
			j.action = "suppress"
		}
	}
	if !j.temporary && j.action == "retry" && class == smtpcode.ClassPermanent {
		// Retrying the same message will not help; who can change something
		// depends on whose side the problem is (a full mailbox: the recipient).
		j.action = "fix-sender"
		if j.fault == "recipient" {
			j.action = "contact-recipient"
		}
		j.lines |= 1 << lineNoRetry
	}
	j.hardBounce = hardBounce(j.reason, j.temporary)
	if j.action == "retry" {
		j.retryAfter = retryAfter(e, j.category, o.attempt)
	}
	return j
}

// verdict is a judgement made in advance, for every entry and class, for
// the calls that give no attempt number and no final give-up – nearly all:
// the rules were the largest code a call ran, and a table row is one read.
// Its strings are numbers in Classifier.strs, so the table holds no
// pointers for the garbage collector to follow.
type verdict struct {
	reason, category, action, fault int32
	retryAfter                      int32
	lines                           uint16
	temporary, hardBounce           bool
}

// classes are the classes a code can have, X (none) first; a reply code
// of 3xx counts as a success (smtpcode.ReplyClass).
var classes = [...]smtpcode.Class{smtpcode.ClassNone, smtpcode.ClassSuccess, smtpcode.ClassTransient, smtpcode.ClassPermanent}

// classIndex maps a class to its column in Classifier.verdicts.
var classIndex = [6]uint8{smtpcode.ClassNone: 0, smtpcode.ClassSuccess: 1, smtpcode.ClassTransient: 2, smtpcode.ClassPermanent: 3}

// judgeAll fills c.verdicts; c.explicit must be filled.
func (c *Classifier) judgeAll() {
	c.verdicts = make([][4]verdict, len(c.entries))
	for _, e := range c.entries {
		for _, class := range classes {
			j := c.judge(e, class, &options{})
			c.verdicts[e.Seq()][classIndex[class]] = verdict{
				reason: c.str(j.reason), category: c.str(j.category), action: c.str(j.action), fault: c.str(j.fault),
				retryAfter: int32(j.retryAfter), lines: j.lines, temporary: j.temporary, hardBounce: j.hardBounce,
			}
		}
	}
}

// addEv appends an evidence line where one is added on few calls (decide's
// rules, a class mismatch): an append written out at each place put its
// cold code between the hot lines, where a call is a fifth of the bytes.
//
//go:noinline
func addEv(ev []string, line string) []string { return append(ev, line) }

// explicitClass reports entries whose temporary flag deliberately differs
// from the class of every code they list: the entry knows better than the
// class digit (a 4xx that will never succeed).
func explicitClass(e *kb.Entry) bool {
	var class smtpcode.Class
	for _, code := range e.ParsedCodes() {
		var cl smtpcode.Class
		switch code.Kind {
		case kb.KindReply:
			cl = smtpcode.ReplyClass(code.Number)
		case kb.KindStatus:
			cl = code.Status.Class
		default:
			continue
		}
		if cl == smtpcode.ClassNone {
			continue
		}
		if class != smtpcode.ClassNone && cl != class {
			return false
		}
		class = cl
	}
	return class == smtpcode.ClassTransient && !e.Temporary || class == smtpcode.ClassPermanent && e.Temporary
}

// commandEntry applies what the SMTP stage of a failure proves: a mailbox
// that was accepted at RCPT and refused after DATA exists, so "unknown
// user" there is a filter (Sisimai's rule too); a refusal at MAIL FROM is
// about the envelope sender; a refusal of the connection or greeting
// cannot be about the recipient, so it is a block of the sending host. It returns nil when the stage changes nothing.
func (c *Classifier) commandEntry(e *kb.Entry, command string) *kb.Entry {
	switch command {
	case "DATA":
		if e.Reason == "userunknown" {
			return c.reasonEntry("filtered")
		}
	case "MAIL":
		// Refused at MAIL FROM: the envelope sender, not the recipient.
		switch e.Reason {
		case "userunknown", "hostunknown", "onhold":
			return c.reasonEntry("rejected")
		}
	case "CONN", "EHLO", "HELO":
		switch e.Reason {
		case "userunknown", "onhold", "undefined", "rejected":
			return c.reasonEntry("blocked")
		}
	}
	return nil
}

// reasonEntry returns the entry that speaks for a reason decided by the
// context: the generic mail-server entry, else the first with that reason.
func (c *Classifier) reasonEntry(reason string) *kb.Entry {
	var first *kb.Entry
	for _, e := range c.kb.Entries() {
		if e.Reason != reason {
			continue
		}
		if e.Source == "mta" {
			return e
		}
		if first == nil {
			first = e
		}
	}
	return first
}

// hardBounce implements DESIGN.md: true for userunknown, hostunknown,
// hasmoved, and notaccept unless temporary.
func hardBounce(reason string, temporary bool) bool {
	switch reason {
	case "userunknown", "hostunknown", "hasmoved":
		return true
	case "notaccept":
		return !temporary
	}
	return false
}

// Default waits before the next attempt, by category, when the entry names none.
var defaultRetry = []struct {
	category string
	seconds  int
}{
	{"rate-limited", 900},
	{"reputation-block", 3600},
	{"mailbox-full", 3600},
	{"network", 300},
	{"remote-error", 600},
	{"expired", 3600},
}

const maxRetryAfter = 24 * 3600

func retryAfter(e *kb.Entry, category string, attempt int) int {
	s := e.RetryAfter
	if s == 0 {
		s = 600
		for _, r := range defaultRetry {
			if r.category == category {
				s = r.seconds
			}
		}
	}
	for i := 1; i < attempt && s < maxRetryAfter; i++ {
		s *= 2
	}
	return min(s, maxRetryAfter)
}

func kindOf(in *input, e *kb.Entry) string {
	switch {
	case in.httpStatus != 0 || e.Source == "mailgun" && in.reply == 0:
		return KindAPIError
	case in.reply != 0:
		return KindSMTPReply
	case e.Source == "outlook-client" || e.Source == "nodemailer" || e.Source == "socket":
		return KindClientCode
	case in.status != "":
		return KindStatusCode
	case e.Provider != "":
		return KindProviderMessage
	}
	return KindText
}

// providerSignals identify who produced a text when the winning entry is
// generic. Checked in order; the first hit wins.
var providerSignals = []struct{ fragment, provider string }{
	{"gsmtp", "gmail"},
	{"google.com", "gmail"},
	{"protection.outlook.com", "microsoft"},
	{"outlook.com", "microsoft"},
	{"hotmail", "microsoft"},
	{"storedrv.", "microsoft"},
	{"resolver.adr.", "microsoft"},
	{"resolver.rst.", "microsoft"},
	{"exchangelabs", "microsoft"},
	{"yahoo", "yahoo"},
	{"aol.com", "yahoo"},
	{"amazonses", "ses"},
	{"amazon ses", "ses"},
	{".amazonaws.com", "ses"},
	{"sg_event_id", "sendgrid"},
	{"sg_message_id", "sendgrid"},
	{"x-postmark", "postmark"},
	{"mailgun", "mailgun"},
	{"sendgrid", "sendgrid"},
	{"postmark", "postmark"},
	{"nodemailer", "nodemailer"},
}

func (c *Classifier) detectProvider(in *input) string {
	if in.provider != "" {
		return in.provider
	}
	if in.jsonCode != "" && in.jsonCommand != "" {
		return "nodemailer"
	}
	return ""
}

func className(c smtpcode.Class) string {
	switch c {
	case smtpcode.ClassSuccess:
		return "success"
	case smtpcode.ClassTransient:
		return "transient"
	case smtpcode.ClassPermanent:
		return "permanent"
	}
	return "any class"
}

// fallback answers when no entry matched: undefined for empty input, onhold
// for text the knowledge base does not recognise; it finishes d.
func (c *Classifier) fallback(d *Diagnosis, in *input, old *spare, codes, ev []string) {
	d.Category, d.Action, d.Fault = "unknown", "none", "remote-system"
	d.Provider = c.detectProvider(in)
	t := unknownText
	if strings.TrimSpace(in.raw) == "" {
		d.Reason, d.Kind = "undefined", KindEmpty
		t = emptyText
		ev = append(ev, "empty input")
	} else {
		d.Reason, d.Kind = "onhold", KindText
		ev = append(ev, "no code or phrase of the knowledge base found")
	}
	d.Title, d.Meaning, d.Solution = t[d.Lang].Title, t[d.Lang].Meaning, t[d.Lang].Solution
	old.finish(d, codes, ev, 0)
}

var unknownText = map[string]kb.Text{
	"en": {
		Title:    "Not enough information",
		Meaning:  "maildx found no status code and no message it knows in this text, so it cannot say why the delivery failed.",
		Solution: []string{"Look for the full error: the SMTP reply with its three-digit code, the bounce email, or your provider's event details.", "Explain that text instead; it usually names the reason."},
	},
	"de": {
		Title:    "Zu wenig Information",
		Meaning:  "maildx hat in diesem Text weder einen Statuscode noch eine bekannte Meldung gefunden und kann daher nicht sagen, warum die Zustellung scheiterte.",
		Solution: []string{"Suchen Sie die vollständige Fehlermeldung: die SMTP-Antwort mit dreistelligem Code, die Unzustellbarkeitsnachricht oder die Ereignisdetails Ihres Anbieters.", "Lassen Sie diesen Text erklären; er nennt meist den Grund."},
	},
}

var emptyText = map[string]kb.Text{
	"en": {Title: "No input", Meaning: "The text to explain was empty.", Solution: []string{"Paste the error message, SMTP reply or code you received."}},
	"de": {Title: "Keine Eingabe", Meaning: "Der zu erklärende Text war leer.", Solution: []string{"Fügen Sie die erhaltene Fehlermeldung, SMTP-Antwort oder den Code ein."}},
}

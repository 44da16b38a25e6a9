package web

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/maildx/maildx"
	"github.com/maildx/maildx/event"
	"github.com/maildx/maildx/store"
)

// The pages over the event store: Sends (failed and deferred events with
// their diagnosis), the suppression list, stats, and the login form.

type sendsView struct {
	Provider, Reason, Domain, Type, Since, Until string
	Providers, Reasons, Types                    []string
	Rows                                         []sendRow
	NextURL                                      string
}

type sendRow struct {
	ID, Time, Recipient, Provider, Type, RemoteText string
	Permanent                                       bool
	Diag                                            *maildx.Diagnosis
}

type suppsView struct {
	Query, Reason string
	Rows          []APISuppression
	NextURL       string
	Removed       bool
	Reasons       []string

	// The form that adds an address by hand (uiAddSuppression): what was
	// typed, why it was refused, and the outcome after the redirect.
	AddAddress, AddNote string
	AddError            string // the address or note was refused: the message beside the field
	AddErrorField       string // "address" or "note"
	Added, Exists       bool
}

type statsView struct {
	Days    int
	Total   int
	Chart   *svgChart
	Legend  []legendItem
	Domains *svgChart
	DomRows []store.DomainCount
}

type svgChart struct {
	Width, Height int
	Bars          []svgBar
	Labels        []svgLabel
}

type svgBar struct {
	X, Y, W, H int
	Fill       string
	Title      string
}

type svgLabel struct {
	X, Y   int
	Text   string
	Anchor string
}

type legendItem struct {
	Reason, Fill string
	Count        int
}

type loginView struct {
	Next     string
	NoToken  bool
	BadToken bool
}

// failureTypes are the event types the Sends page lists.
var failureTypes = []string{store.TypeBounced, store.TypeDeferred, store.TypeDropped}

// pageAuth redirects to the login form unless the request is authorised,
// and renders an error when there is no store.
func (s *server) pageAuth(w http.ResponseWriter, r *http.Request, lang string) bool {
	if s.opts.Store == nil {
		p := s.newPage(lang, s.tr(lang, "events.nostore.title"), nil, r)
		p.Error = s.tr(lang, "events.nostore.text")
		s.render(w, http.StatusServiceUnavailable, "error", p)
		return false
	}
	if !s.authorized(r) {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return false
	}
	w.Header().Set("Cache-Control", "no-store")
	return true
}

// diagnosisIn returns the event's diagnosis in lang, re-classifying the
// stored payload when it was stored in another language.
func diagnosisIn(e store.Event, lang string) *maildx.Diagnosis {
	if len(e.Diagnosis) == 0 {
		return nil
	}
	var d maildx.Diagnosis
	if json.Unmarshal(e.Diagnosis, &d) != nil {
		return nil
	}
	if d.Lang == lang || len(e.Raw) == 0 {
		return &d
	}
	re, err := event.Reclassify(event.Event{ID: e.ID, Provider: e.Provider, ProviderEventID: e.ProviderEventID,
		Type: event.Type(e.Type), Recipient: e.Recipient, MessageID: e.MessageID, Time: e.Time,
		RemoteText: e.RemoteText, Raw: e.Raw}, lang)
	if err != nil || re.Diagnosis == nil {
		return &d
	}
	return re.Diagnosis
}

// sendsPageSize is the rows per page; sendsScan bounds the store pages read
// to fill one (the store filters one type at a time).
const (
	sendsPageSize = 50
	sendsScan     = 20
)

func (s *server) sendsPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(w, r)
	if !s.pageAuth(w, r, lang) {
		return
	}
	p := s.newPage(lang, s.tr(lang, "sends.title"), nil, r)
	p.Nav = "sends"
	q := r.URL.Query()
	v := &sendsView{Provider: q.Get("provider"), Reason: q.Get("reason"), Domain: strings.TrimSpace(q.Get("domain")),
		Type: q.Get("type"), Since: q.Get("since"), Until: q.Get("until"),
		Providers: []string{event.ProviderMailgun, event.ProviderSendGrid, event.ProviderSES, event.ProviderPostmark, event.ProviderGeneric},
		Types:     failureTypes, Reasons: s.reasons()}
	p.Sends = v
	status := http.StatusOK
	f := store.Filter{Provider: v.Provider, Reason: v.Reason, Domain: v.Domain, Cursor: q.Get("cursor"), Limit: 200}
	var err error
	if f.Since, err = parseTime(v.Since); err == nil {
		f.Until, err = parseTime(v.Until)
		if err == nil && v.Until != "" && len(v.Until) == len(time.DateOnly) {
			f.Until = f.Until.Add(24 * time.Hour) // the whole "until" day
		}
	}
	if v.Type != "" {
		if !contains(failureTypes, v.Type) {
			err = fmt.Errorf("type")
		}
		f.Type = v.Type
	}
	if err != nil {
		p.Error = s.tr(lang, "sends.badfilter")
		s.render(w, http.StatusBadRequest, "sends", p)
		return
	}
	next := ""
	for range sendsScan {
		evs, nc, err := s.opts.Store.ListEvents(r.Context(), f)
		if err != nil {
			p.Error = s.tr(lang, "sends.badfilter")
			status = http.StatusBadRequest
			if r.Context().Err() != nil {
				return
			}
			break
		}
		for _, e := range evs {
			if !contains(failureTypes, e.Type) {
				continue
			}
			d := diagnosisIn(e, lang)
			row := sendRow{ID: e.ID, Time: e.Time.UTC().Format("2006-01-02 15:04:05"), Recipient: e.Recipient,
				Provider: e.Provider, Type: e.Type, RemoteText: e.RemoteText, Diag: d, Permanent: !e.Temporary && e.Type != store.TypeDeferred}
			v.Rows = append(v.Rows, row)
		}
		next = nc
		if nc == "" || len(v.Rows) >= sendsPageSize {
			break
		}
		f.Cursor = nc
	}
	if next != "" {
		nq := url.Values{}
		for k, vals := range q {
			nq[k] = vals
		}
		nq.Set("cursor", next)
		v.NextURL = "/sends?" + nq.Encode()
	}
	s.render(w, status, "sends", p)
}

// reasons lists the classifier's reasons (for the filter).
func (s *server) reasons() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range s.kb.Entries() {
		if e.Reason != "" && !seen[e.Reason] {
			seen[e.Reason] = true
			out = append(out, e.Reason)
		}
	}
	sort.Strings(out)
	return out
}

func (s *server) suppressionsPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(w, r)
	if !s.pageAuth(w, r, lang) {
		return
	}
	q := r.URL.Query()
	v := &suppsView{Query: strings.TrimSpace(q.Get("q")), Reason: q.Get("reason"), Removed: q.Get("removed") != "",
		Added: q.Get("added") != "", Exists: q.Get("exists") != ""}
	s.showSuppressions(w, r, lang, v, q.Get("cursor"), http.StatusOK)
}

// showSuppressions renders the suppression list page for v's filter,
// starting at cursor.
func (s *server) showSuppressions(w http.ResponseWriter, r *http.Request, lang string, v *suppsView, cursor string, status int) {
	p := s.newPage(lang, s.tr(lang, "supp.title"), &url.URL{Path: "/suppressions", RawQuery: r.URL.RawQuery}, r)
	p.Nav = "suppressions"
	v.Reasons = []string{store.SuppressBounce, store.SuppressComplaint, store.SuppressUnsubscribe, store.SuppressSoftBounce, store.SuppressManual}
	p.Supps = v
	list, next, err := s.opts.Store.ListSuppressions(r.Context(), v.Query, v.Reason, cursor, 100)
	if err != nil {
		if r.Context().Err() != nil {
			return
		}
		p.Error = s.tr(lang, "sends.badfilter")
		s.render(w, http.StatusBadRequest, "suppressions", p)
		return
	}
	for _, x := range list {
		v.Rows = append(v.Rows, apiSuppression(x))
	}
	if next != "" {
		v.NextURL = "/suppressions?" + url.Values{"q": {v.Query}, "reason": {v.Reason}, "cursor": {next}}.Encode()
	}
	s.render(w, status, "suppressions", p)
}

// suppressionForm reads the post of a suppression page form (add, remove)
// and checks the session; it has answered when ok is false.
func (s *server) suppressionForm(w http.ResponseWriter, r *http.Request) (lang string, ok bool) {
	lang = pageLang(w, r)
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest)
		return lang, false
	}
	return lang, s.pageAuth(w, r, lang)
}

// maxNoteRunes bounds the note of an address added in the form.
const maxNoteRunes = 500

// uiAddSuppression is the form that adds an address by hand: the same
// checks and store call as POST /api/v1/suppressions, then a redirect to
// the list filtered to the address. A refused address re-renders the page
// with the message beside the field and what was typed kept.
func (s *server) uiAddSuppression(w http.ResponseWriter, r *http.Request) {
	lang, ok := s.suppressionForm(w, r)
	if !ok {
		return
	}
	addr := strings.TrimSpace(r.PostForm.Get("address"))
	note := strings.TrimSpace(r.PostForm.Get("note"))
	v := &suppsView{AddAddress: addr, AddNote: note}
	switch {
	case !validAddress(addr):
		v.AddError, v.AddErrorField = s.tr(lang, "supp.add.invalid"), "address"
	case utf8.RuneCountInString(note) > maxNoteRunes:
		v.AddError, v.AddErrorField = fmt.Sprintf(s.tr(lang, "supp.add.toolong"), maxNoteRunes), "note"
	}
	if v.AddError != "" {
		s.showSuppressions(w, r, lang, v, "", http.StatusBadRequest)
		return
	}
	done := url.Values{"q": {addr}, "added": {"1"}}
	if _, err := s.opts.Store.GetSuppression(r.Context(), addr); err == nil {
		done = url.Values{"q": {addr}, "exists": {"1"}}
	} else if _, err := s.opts.Store.AddSuppression(r.Context(), addr, note); err != nil {
		if r.Context().Err() != nil {
			return
		}
		s.log.Error("adding suppression", "err", err)
		s.renderError(w, r, http.StatusServiceUnavailable)
		return
	}
	http.Redirect(w, r, "/suppressions?"+done.Encode(), http.StatusSeeOther)
}

func (s *server) uiRemoveSuppression(w http.ResponseWriter, r *http.Request) {
	_, ok := s.suppressionForm(w, r)
	if !ok {
		return
	}
	addr := r.PostForm.Get("address")
	err := s.opts.Store.RemoveSuppression(r.Context(), addr)
	if err != nil && !isNotFound(err) {
		s.log.Error("removing suppression", "err", err)
		s.renderError(w, r, http.StatusServiceUnavailable)
		return
	}
	http.Redirect(w, r, "/suppressions?"+url.Values{"q": {r.PostForm.Get("q")}, "removed": {"1"}}.Encode(), http.StatusSeeOther)
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// reasonColors are the fills of the stats chart (WCAG-friendly, distinct).
var reasonColors = []string{"#a4161a", "#0b57d0", "#8a4b00", "#1d5e20", "#6a1b9a", "#00796b", "#c2185b", "#455a64", "#5d4037", "#f57c00"}

func (s *server) statsPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(w, r)
	if !s.pageAuth(w, r, lang) {
		return
	}
	p := s.newPage(lang, s.tr(lang, "stats.title"), nil, r)
	p.Nav = "stats"
	days := 30
	switch r.URL.Query().Get("days") {
	case "7":
		days = 7
	case "90":
		days = 90
	}
	now := s.opts.Now().UTC()
	until := now.Truncate(24 * time.Hour).Add(24 * time.Hour)
	since := until.Add(-time.Duration(days) * 24 * time.Hour)
	counts, err := s.opts.Store.FailuresByReason(r.Context(), since, until, 24*time.Hour)
	if err != nil {
		s.renderError(w, r, http.StatusServiceUnavailable)
		return
	}
	doms, err := s.opts.Store.TopFailingDomains(r.Context(), since, 10)
	if err != nil {
		s.renderError(w, r, http.StatusServiceUnavailable)
		return
	}
	v := &statsView{Days: days, DomRows: doms}
	p.Stats = v

	// Failures by reason per day: stacked bars.
	totals := map[string]int{}
	perDay := map[int]map[string]int{}
	for _, c := range counts {
		i := int(c.Bucket.Sub(since) / (24 * time.Hour))
		if perDay[i] == nil {
			perDay[i] = map[string]int{}
		}
		perDay[i][c.Reason] += c.Count
		totals[c.Reason] += c.Count
		v.Total += c.Count
	}
	for reason, n := range totals {
		v.Legend = append(v.Legend, legendItem{Reason: reason, Count: n})
	}
	sort.Slice(v.Legend, func(i, j int) bool {
		if v.Legend[i].Count != v.Legend[j].Count {
			return v.Legend[i].Count > v.Legend[j].Count
		}
		return v.Legend[i].Reason < v.Legend[j].Reason
	})
	fill := map[string]string{}
	for i := range v.Legend {
		v.Legend[i].Fill = reasonColors[i%len(reasonColors)]
		fill[v.Legend[i].Reason] = v.Legend[i].Fill
	}
	maxDay := 0
	for _, m := range perDay {
		n := 0
		for _, c := range m {
			n += c
		}
		maxDay = max(maxDay, n)
	}
	const chartH, barGap, left, bottom = 200, 2, 40, 20
	barW := max(4, 720/days-barGap)
	ch := &svgChart{Width: left + days*(barW+barGap), Height: chartH + bottom}
	if maxDay > 0 {
		for i := range days {
			y := chartH
			for _, li := range v.Legend {
				c := perDay[i][li.Reason]
				if c == 0 {
					continue
				}
				h := max(1, c*(chartH-10)/maxDay)
				y -= h
				day := since.Add(time.Duration(i) * 24 * time.Hour).Format(time.DateOnly)
				ch.Bars = append(ch.Bars, svgBar{X: left + i*(barW+barGap), Y: y, W: barW, H: h, Fill: fill[li.Reason],
					Title: fmt.Sprintf("%s · %s: %d", day, li.Reason, c)})
			}
		}
		ch.Labels = append(ch.Labels, svgLabel{X: left - 4, Y: 14, Text: fmt.Sprint(maxDay), Anchor: "end"},
			svgLabel{X: left - 4, Y: chartH, Text: "0", Anchor: "end"},
			svgLabel{X: left, Y: chartH + 16, Text: since.Format("01-02"), Anchor: "start"},
			svgLabel{X: ch.Width, Y: chartH + 16, Text: until.Add(-time.Hour).Format("01-02"), Anchor: "end"})
		v.Chart = ch
	}

	// Top failing domains: horizontal bars.
	if len(doms) > 0 {
		const rowH, labelW, barMax = 26, 220, 420
		maxF := 1
		for _, d := range doms {
			maxF = max(maxF, d.Failures)
		}
		dc := &svgChart{Width: labelW + barMax + 120, Height: len(doms) * rowH}
		for i, d := range doms {
			wd := max(1, d.Failures*barMax/maxF)
			dc.Bars = append(dc.Bars, svgBar{X: labelW, Y: i*rowH + 4, W: wd, H: rowH - 8, Fill: "#a4161a",
				Title: fmt.Sprintf("%s: %d / %d", d.Domain, d.Failures, d.Total)})
			dc.Labels = append(dc.Labels, svgLabel{X: labelW - 6, Y: i*rowH + 18, Text: d.Domain, Anchor: "end"},
				svgLabel{X: labelW + wd + 6, Y: i*rowH + 18, Text: fmt.Sprintf("%d / %d", d.Failures, d.Total), Anchor: "start"})
		}
		v.Domains = dc
	}
	s.render(w, http.StatusOK, "stats", p)
}

// safeNext accepts only a local path as the target after login.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/sends"
	}
	return next
}

func (s *server) loginPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(w, r)
	p := s.newPage(lang, s.tr(lang, "login.title"), nil, r)
	p.Login = &loginView{Next: safeNext(r.URL.Query().Get("next")), NoToken: s.opts.APIToken == ""}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, http.StatusOK, "login", p)
}

func (s *server) uiLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest)
		return
	}
	lang := formLang(w, r, r.PostForm.Get("lang"))
	next := safeNext(r.PostForm.Get("next"))
	if s.opts.APIToken == "" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	tok := strings.TrimSpace(r.PostForm.Get("token"))
	if subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.APIToken)) != 1 {
		p := s.newPage(lang, s.tr(lang, "login.title"), &url.URL{Path: "/login"}, r)
		p.Login = &loginView{Next: next, BadToken: true}
		s.render(w, http.StatusUnauthorized, "login", p)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.sessionValue(), Path: "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: 7 * 24 * 3600})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *server) uiLogout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, MaxAge: -1, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// csrfCheck refuses cross-origin form posts (Go's CrossOriginProtection:
// Sec-Fetch-Site, else Origin against Host).
func (s *server) csrfCheck(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.csrf.Check(r); err != nil {
			lang := pageLang(w, r)
			p := s.newPage(lang, s.tr(lang, "error.csrf.title"), &url.URL{Path: "/"}, r)
			p.Error = s.tr(lang, "error.csrf.text")
			s.render(w, http.StatusForbidden, "error", p)
			return
		}
		h(w, r)
	}
}

package web

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/maildx/maildx"
	"github.com/maildx/maildx/dsn"
	"github.com/maildx/maildx/kb"
)

// page is the data of every rendered page; each page uses the fields it
// needs.
type page struct {
	Lang      string
	Title     string
	Nav       string // "home" or "library": the current menu item
	Version   string
	LangLinks []langLink
	Error     string

	// home
	Text  string
	Diag  *maildx.Diagnosis
	Parse *parseView

	// library
	Query      string
	Searched   bool
	Sources    []facet
	Categories []facet
	Rows       []entryRow

	// entry
	Entry *entryView

	// delivery events (sends.go)
	Events   bool // a store is configured: show the event pages in the menu
	LoggedIn bool // a session cookie is set: show the logout button
	Sends    *sendsView
	Supps    *suppsView
	Stats    *statsView
	Login    *loginView

	// domain and address checks (check.go)
	Checks bool // Options.Check is set: show "Check" in the menu
	Check  *checkView
}

type langLink struct {
	Code, Name, URL string
	Current         bool
}

type parseView struct {
	Files   string
	Results []dsn.Result
}

type facet struct {
	ID, Label string
	Count     int
	Selected  bool
}

type entryRow struct {
	ID, Title, SourceTitle, CategoryLabel string
	Codes                                 []string
}

type entryView struct {
	E           *kb.Entry
	Text        kb.Text
	Note        string
	SourceTitle string
	Hard        bool
}

// maxSwitchText is the longest pasted text that the language switch of a
// result page carries in its URL; longer texts switch to the empty form.
const maxSwitchText = 2000

// newPage starts the data of a page in the negotiated language. switchTo is
// the URL the language links point at (with lang set); nil means the
// request's own URL.
func (s *server) newPage(lang, title string, switchTo *url.URL, r *http.Request) *page {
	if switchTo == nil {
		switchTo = &url.URL{Path: r.URL.Path, RawQuery: r.URL.RawQuery}
	}
	p := &page{Lang: lang, Title: title, Version: s.opts.Version, Events: s.opts.Store != nil, Checks: s.opts.Check != nil}
	if s.opts.APIToken != "" {
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			p.LoggedIn = true
		}
	}
	for _, l := range []struct{ code, name string }{{"en", "English"}, {"de", "Deutsch"}} {
		u := *switchTo
		q := u.Query()
		q.Set("lang", l.code)
		u.RawQuery = q.Encode()
		p.LangLinks = append(p.LangLinks, langLink{Code: l.code, Name: l.name, URL: u.String(), Current: l.code == lang})
	}
	return p
}

func (s *server) tr(lang, key string) string {
	if v, ok := s.strings[lang][key]; ok {
		return v
	}
	return key
}

// render executes a page template into a buffer and writes it with status.
func (s *server) render(w http.ResponseWriter, status int, name string, p *page) {
	var buf bytes.Buffer
	if err := s.pages[p.Lang][name].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("rendering page", "page", name, "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("internal error\n"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", p.Lang)
	h.Set("Vary", "Accept-Language, Cookie")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderError renders the error page for status.
func (s *server) renderError(w http.ResponseWriter, r *http.Request, status int) {
	lang := pageLang(w, r)
	key := "error.internal"
	switch status {
	case http.StatusServiceUnavailable:
		key = "error.timeout"
	case http.StatusNotFound:
		key = "error.notfound"
	case http.StatusMethodNotAllowed:
		key = "error.method"
	}
	p := s.newPage(lang, s.tr(lang, key+".title"), nil, r)
	p.Error = s.tr(lang, key+".text")
	s.render(w, status, "error", p)
}

func (s *server) home(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(w, r)
	p := s.newPage(lang, s.tr(lang, "home.title"), nil, r)
	p.Nav = "home"
	s.render(w, http.StatusOK, "home", p)
}

// formLang is the language of a form submission: its hidden lang field
// when valid, else the negotiated language.
func formLang(w http.ResponseWriter, r *http.Request, field string) string {
	if l := strings.ToLower(field); validLang(l) {
		return l
	}
	return pageLang(w, r)
}

func (s *server) uiExplain(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	err := r.ParseForm()
	lang := formLang(w, r, r.PostForm.Get("lang"))
	if err != nil {
		p := s.newPage(lang, s.tr(lang, "home.title"), &url.URL{Path: "/"}, r)
		p.Nav = "home"
		status := http.StatusBadRequest
		p.Error = s.tr(lang, "error.badrequest")
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			status = http.StatusRequestEntityTooLarge
			p.Error = s.tr(lang, "error.toolarge")
		}
		s.render(w, status, "home", p)
		return
	}
	s.explainPage(w, r, lang, r.PostForm.Get("text"))
}

// uiExplainGet makes a diagnosis linkable: /explain?text=550+5.1.1.
func (s *server) uiExplainGet(w http.ResponseWriter, r *http.Request) {
	text := r.URL.Query().Get("text")
	if strings.TrimSpace(text) == "" {
		target := "/"
		if l := r.URL.Query().Get("lang"); validLang(l) {
			target += "?lang=" + l
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	s.explainPage(w, r, pageLang(w, r), text)
}

func (s *server) explainPage(w http.ResponseWriter, r *http.Request, lang, text string) {
	switchTo := &url.URL{Path: "/"}
	if len(text) <= maxSwitchText {
		switchTo = &url.URL{Path: "/explain", RawQuery: url.Values{"text": {text}}.Encode()}
	}
	p := s.newPage(lang, s.tr(lang, "home.title"), switchTo, r)
	p.Nav = "home"
	p.Text = text
	if strings.TrimSpace(text) == "" {
		p.Error = s.tr(lang, "error.empty")
		s.render(w, http.StatusBadRequest, "home", p)
		return
	}
	d := maildx.Explain(text, maildx.WithLang(lang))
	s.metrics.explained(d.Reason)
	p.Diag = &d
	p.Title = d.Title
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, http.StatusOK, "home", p)
}

func (s *server) uiParse(w http.ResponseWriter, r *http.Request) {
	files, field, err := readUploads(w, r, s.opts.MaxUploadBytes)
	lang := formLang(w, r, field)
	p := s.newPage(lang, s.tr(lang, "parse.heading"), &url.URL{Path: "/"}, r)
	p.Nav = "home"
	status := http.StatusOK
	var results []dsn.Result
	if err == nil {
		results, err = s.parseUploads(r.Context(), files, lang)
	}
	if r.Context().Err() != nil {
		return // wrap answers 503
	}
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
	case errors.As(err, &mbe), errors.Is(err, dsn.ErrTooLarge):
		status, p.Error = http.StatusRequestEntityTooLarge, s.tr(lang, "error.toolarge")
	case errors.Is(err, errNoMessage):
		status, p.Error = http.StatusBadRequest, s.tr(lang, "error.nofile")
	case errors.Is(err, errBadUpload):
		status, p.Error = http.StatusBadRequest, s.tr(lang, "error.badrequest")
	default:
		status, p.Error = http.StatusUnprocessableEntity, s.tr(lang, "error.badmessage")
	}
	if err == nil {
		names := make([]string, 0, len(files))
		for _, f := range files {
			if f.name != "" {
				names = append(names, f.name)
			}
		}
		p.Parse = &parseView{Files: strings.Join(names, ", "), Results: results}
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, status, "home", p)
}

func (s *server) library(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(w, r)
	q := r.URL.Query()
	f := kb.Filter{Source: q.Get("source"), Category: q.Get("category"), Reason: q.Get("reason"), Words: strings.TrimSpace(q.Get("q"))}
	p := s.newPage(lang, s.tr(lang, "lib.title"), nil, r)
	p.Nav = "library"
	p.Query = f.Words
	status := http.StatusOK
	if msg := s.checkFilter(f); msg != "" {
		status, p.Error = http.StatusBadRequest, msg
		f = kb.Filter{}
	}
	for _, src := range kb.Sources {
		if n := s.sourceCounts[src.ID]; n > 0 {
			p.Sources = append(p.Sources, facet{ID: src.ID, Label: src.Title.Get(lang), Count: n, Selected: src.ID == f.Source})
		}
	}
	for _, c := range kb.Categories {
		if n := s.categoryCounts[c]; n > 0 {
			p.Categories = append(p.Categories, facet{ID: c, Label: s.tr(lang, "category."+c), Count: n, Selected: c == f.Category})
		}
	}
	if f != (kb.Filter{}) {
		p.Searched = true
		for _, e := range s.kb.Search(f) {
			p.Rows = append(p.Rows, entryRow{
				ID: e.ID, Title: e.Text.Get(lang).Title, Codes: e.Codes,
				SourceTitle: sourceTitle(e.Source, lang), CategoryLabel: s.tr(lang, "category."+e.Category),
			})
		}
	}
	s.render(w, status, "library", p)
}

func (s *server) entry(w http.ResponseWriter, r *http.Request) {
	e, ok := s.kb.ByID(r.PathValue("id"))
	if !ok {
		s.renderError(w, r, http.StatusNotFound)
		return
	}
	lang := pageLang(w, r)
	v := &entryView{E: e, Text: e.Text.Get(lang), SourceTitle: sourceTitle(e.Source, lang), Hard: hardBounce(e)}
	if e.Note != nil {
		v.Note = e.Note.Get(lang)
	}
	p := s.newPage(lang, v.Text.Title, nil, r)
	p.Nav = "library"
	p.Entry = v
	s.render(w, http.StatusOK, "entry", p)
}

// hardBounce applies DESIGN.md's rule ("Reasons") to an entry.
func hardBounce(e *kb.Entry) bool {
	switch e.Reason {
	case "userunknown", "hostunknown", "hasmoved":
		return true
	case "notaccept":
		return !e.Temporary
	}
	return false
}

func sourceTitle(id, lang string) string {
	for _, s := range kb.Sources {
		if s.ID == id {
			return s.Title.Get(lang)
		}
	}
	return id
}

func (s *server) static(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	b, err := assets.ReadFile("static/" + name)
	if name == "" || strings.Contains(name, "/") || err != nil {
		s.renderError(w, r, http.StatusNotFound)
		return
	}
	ct := "application/octet-stream"
	switch {
	case strings.HasSuffix(name, ".css"):
		ct = "text/css; charset=utf-8"
	case strings.HasSuffix(name, ".svg"):
		ct = "image/svg+xml"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(b)
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusNotFound)
}

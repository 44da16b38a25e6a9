package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/maildx/maildx/check"
)

// The domain and address checks (package check) are served by
// Options.Check, a check.NewHandler. The site mounts its two API routes
// as they are and renders its own pages for them inside the layout: a
// page asks the check handler's API in-process (same client address and
// headers), so pages and API share one rate limit and one input
// validation.

// maxCheckAddresses is the most addresses the address page sends to the
// check API at once (its default MaxAddresses).
const maxCheckAddresses = 100

// checkView is the data of the check pages.
type checkView struct {
	Kind       string // "domain" or "address"
	Query      string // the domain, or the addresses one per line
	IP, ESP    string // domain page options
	Selectors  string
	ESPs       []string
	Sections   []checkSection
	RetryAfter string // set on 429
}

type checkSection struct {
	Heading, Note, Summary string
	Worst                  string
	Findings               []checkFinding
}

type checkFinding struct {
	Status, Label, Icon, Check, Found, Why, Fix string
	Prevents                                    []checkLink
}

type checkLink struct{ ID, Title string }

// checkAPI passes an API request to the check handler.
func (s *server) checkAPI(w http.ResponseWriter, r *http.Request) {
	if s.opts.Check == nil {
		writeError(w, http.StatusServiceUnavailable, "domain and address checks are not configured on this server")
		return
	}
	s.opts.Check.ServeHTTP(w, r)
}

// bufferedResponse collects the answer of an in-process request.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

// askCheck sends method target (with a JSON body, if any) to the check
// handler as if r had asked it, and decodes a 200 answer into out. It
// returns the status, the error message of a non-200 answer and the
// Retry-After header.
func (s *server) askCheck(r *http.Request, method, target string, body []byte, out any) (status int, msg, retry string) {
	sub := r.Clone(r.Context())
	sub.Method = method
	u, err := url.Parse(target)
	if err != nil {
		return http.StatusBadRequest, err.Error(), ""
	}
	sub.URL = u
	sub.RequestURI = ""
	sub.Body = http.NoBody
	sub.ContentLength = 0
	if body != nil {
		sub.Body = &readCloser{bytes.NewReader(body)}
		sub.ContentLength = int64(len(body))
		sub.Header.Set("Content-Type", "application/json")
	}
	rec := &bufferedResponse{header: http.Header{}}
	s.opts.Check.ServeHTTP(rec, sub)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if rec.status != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(rec.body.Bytes(), &e)
		return rec.status, e.Error, rec.header.Get("Retry-After")
	}
	if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
		return http.StatusInternalServerError, "", ""
	}
	return http.StatusOK, "", ""
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// checkPage starts a check page; ok is false when checks are not
// configured (the page is then answered with 404).
func (s *server) checkPage(w http.ResponseWriter, r *http.Request, kind string) (*page, string, bool) {
	if s.opts.Check == nil {
		s.renderError(w, r, http.StatusNotFound)
		return nil, "", false
	}
	lang := pageLang(w, r)
	p := s.newPage(lang, s.tr(lang, "check."+kind+".title"), nil, r)
	p.Nav = "check"
	p.Check = &checkView{Kind: kind}
	w.Header().Set("Cache-Control", "no-store")
	return p, lang, true
}

// checkFailed fills the page for a refused check request and returns the
// page status.
func (s *server) checkFailed(p *page, lang string, status int, msg, retry string) int {
	switch status {
	case http.StatusTooManyRequests:
		p.Error = s.tr(lang, "check.ratelimited")
		p.Check.RetryAfter = retry
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		p.Error = s.tr(lang, "check.invalid") + " " + msg
	case http.StatusServiceUnavailable:
		p.Error = s.tr(lang, "error.timeout.text")
	default:
		status = http.StatusInternalServerError
		p.Error = s.tr(lang, "error.internal.text")
	}
	return status
}

func (s *server) checkDomainPage(w http.ResponseWriter, r *http.Request) {
	p, lang, ok := s.checkPage(w, r, "domain")
	if !ok {
		return
	}
	q := r.URL.Query()
	v := p.Check
	v.Query = strings.TrimSpace(q.Get("d"))
	v.IP = strings.TrimSpace(q.Get("ip"))
	v.ESP = strings.ToLower(strings.TrimSpace(q.Get("esp")))
	v.Selectors = strings.TrimSpace(q.Get("dkim-selector"))
	v.ESPs = check.ESPs()
	if v.Query == "" {
		s.render(w, http.StatusOK, "check", p)
		return
	}
	if len(v.Query) > 300 {
		v.Query = v.Query[:300]
	}
	api := url.Values{}
	if v.IP != "" {
		api.Set("ip", v.IP)
	}
	if v.ESP != "" {
		api.Set("esp", v.ESP)
	}
	for _, sel := range strings.FieldsFunc(v.Selectors, func(r rune) bool { return r == ',' || r == ' ' }) {
		api.Add("dkim-selector", sel)
	}
	target := "/api/v1/check/domain/" + url.PathEscape(v.Query)
	if len(api) > 0 {
		target += "?" + api.Encode()
	}
	var fs []check.Finding
	status, msg, retry := s.askCheck(r, http.MethodGet, target, nil, &fs)
	if status != http.StatusOK {
		status = s.checkFailed(p, lang, status, msg, retry)
		if retry != "" {
			w.Header().Set("Retry-After", retry)
		}
		s.render(w, status, "check", p)
		return
	}
	p.Title = v.Query + " – " + p.Title
	v.Sections = []checkSection{s.checkSection(lang, v.Query, "", fs)}
	s.render(w, http.StatusOK, "check", p)
}

func (s *server) checkAddressPage(w http.ResponseWriter, r *http.Request) {
	p, lang, ok := s.checkPage(w, r, "address")
	if !ok {
		return
	}
	v := p.Check
	var addrs []string
	for _, line := range strings.Split(r.URL.Query().Get("a"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			addrs = append(addrs, line)
		}
	}
	v.Query = strings.Join(addrs, "\n")
	if len(addrs) == 0 {
		s.render(w, http.StatusOK, "check", p)
		return
	}
	if len(addrs) > maxCheckAddresses {
		p.Error = fmt.Sprintf(s.tr(lang, "check.toomany"), maxCheckAddresses)
		s.render(w, http.StatusBadRequest, "check", p)
		return
	}
	body, _ := json.Marshal(map[string][]string{"addresses": addrs})
	var rs []check.AddressResult
	status, msg, retry := s.askCheck(r, http.MethodPost, "/api/v1/check/address", body, &rs)
	if status != http.StatusOK {
		status = s.checkFailed(p, lang, status, msg, retry)
		if retry != "" {
			w.Header().Set("Retry-After", retry)
		}
		s.render(w, status, "check", p)
		return
	}
	for _, res := range rs {
		note := ""
		if res.Suggestion != "" {
			note = fmt.Sprintf(s.tr(lang, "check.suggest"), res.Suggestion)
		}
		v.Sections = append(v.Sections, s.checkSection(lang, res.Input, note, res.Findings))
	}
	s.render(w, http.StatusOK, "check", p)
}

// checkSection turns findings into a checklist, with the knowledge-base
// entries each finding that is not ok leads to.
func (s *server) checkSection(lang, heading, note string, fs []check.Finding) checkSection {
	sec := checkSection{Heading: heading, Note: note, Worst: string(check.Worst(fs))}
	var n [4]int
	for _, f := range fs {
		st := f.Status
		switch st {
		case check.StatusOK:
			n[0]++
		case check.StatusWarn:
			n[1]++
		case check.StatusFail:
			n[2]++
		default:
			st = check.StatusUnknown
			n[3]++
		}
		cf := checkFinding{Status: string(st), Label: s.tr(lang, "check.status."+string(st)), Icon: statusIcon(st),
			Check: f.Check, Found: f.Found, Why: f.Why.Get(lang)}
		if st != check.StatusOK {
			cf.Fix = f.Fix.Get(lang)
			for _, id := range f.Prevents {
				if e, ok := s.kb.ByID(id); ok {
					cf.Prevents = append(cf.Prevents, checkLink{ID: id, Title: e.Text.Get(lang).Title})
				}
			}
		}
		sec.Findings = append(sec.Findings, cf)
	}
	if len(fs) == 0 {
		sec.Worst = ""
	}
	sec.Summary = fmt.Sprintf(s.tr(lang, "check.summary"), n[0], n[1], n[2], n[3])
	return sec
}

// statusIcon is the symbol shown next to the status word (colour is never
// the only signal).
func statusIcon(st check.Status) string {
	switch st {
	case check.StatusOK:
		return "✓"
	case check.StatusWarn:
		return "!"
	case check.StatusFail:
		return "✗"
	}
	return "?"
}

// ClientIP returns the rate-limit identity of a request for
// check.HandlerOptions.ClientIP: the host of the connection's remote
// address. With trustProxy (the server runs behind one reverse proxy that
// appends the client's address to X-Forwarded-For), the last address of
// the last X-Forwarded-For header is used instead: that is the entry the
// proxy wrote; earlier entries come from the client and can be forged.
func ClientIP(trustProxy bool) func(*http.Request) netip.Addr {
	return func(r *http.Request) netip.Addr {
		if trustProxy {
			if v := r.Header.Values("X-Forwarded-For"); len(v) > 0 {
				parts := strings.Split(v[len(v)-1], ",")
				if ip, err := netip.ParseAddr(strings.TrimSpace(parts[len(parts)-1])); err == nil {
					return ip.Unmap()
				}
			}
		}
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		ip, _ := netip.ParseAddr(host)
		return ip.Unmap()
	}
}

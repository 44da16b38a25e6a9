package check

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// HandlerOptions configure NewHandler.
type HandlerOptions struct {
	// Checker runs the checks (required). NewHandler sets its
	// AllowPrivate field to HandlerOptions.AllowPrivate, so do not share
	// it with code that needs another setting.
	Checker *Checker
	// Lang is the page language when neither ?lang= nor Accept-Language
	// names en or de (default "en").
	Lang string
	// AllowPrivate lets MTA-STS fetches and probes reach private,
	// loopback and link-local addresses. Only for tests.
	AllowPrivate bool
	// RateLimit is the per-client token bucket (defaults in RateLimit).
	RateLimit RateLimit
	// Probe enables "probe": true in POST /api/v1/check/address; nil
	// disables probing through the API. The HTML page never probes.
	Probe *ProbeOptions
	// MaxBody limits request bodies (default 64 KiB); MaxAddresses the
	// addresses per request (default 100); MaxProbes the probed
	// addresses per request (default 3); MaxConcurrentProbes the probes
	// running at once over all clients (default 4).
	MaxBody             int64
	MaxAddresses        int
	MaxProbes           int
	MaxConcurrentProbes int
	// Timeout bounds the work of one request (default 20 s); checks still
	// unanswered then are reported as unknown.
	Timeout time.Duration
	// ClientIP returns the rate-limit identity of a request. Default: the
	// host of RemoteAddr (set it when running behind a reverse proxy).
	ClientIP func(*http.Request) netip.Addr
}

// Handler serves the check API and pages; see NewHandler.
type handler struct {
	opt    HandlerOptions
	lim    *limiter
	probes chan struct{}
	mux    *http.ServeMux
}

// NewHandler returns an http.Handler serving
//
//	GET  /api/v1/check/domain/{domain}  ?ip= &dkim-selector= (repeatable) &esp=
//	POST /api/v1/check/address          {"address": "…"} or {"addresses": […], "probe": true}
//	GET  /check/domain?d=DOMAIN         HTML checklist
//	GET  /check/address?a=ADDRESS       HTML checklist
//
// The API answers with the JSON of `maildx check … --json` (the findings
// array for a domain, an array of address results); errors are
// {"error": "…"} with a 4xx status; 429 with Retry-After past the rate
// limit. Pages take ?lang=en|de, else Accept-Language.
func NewHandler(opts HandlerOptions) http.Handler {
	if opts.Checker == nil {
		panic("check.NewHandler: Checker is nil")
	}
	opts.Checker.AllowPrivate = opts.AllowPrivate
	if opts.Lang != "de" {
		opts.Lang = "en"
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 64 << 10
	}
	if opts.MaxAddresses <= 0 {
		opts.MaxAddresses = 100
	}
	if opts.MaxProbes <= 0 {
		opts.MaxProbes = 3
	}
	if opts.MaxConcurrentProbes <= 0 {
		opts.MaxConcurrentProbes = 4
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 20 * time.Second
	}
	if opts.ClientIP == nil {
		opts.ClientIP = remoteIP
	}
	h := &handler{opt: opts, lim: newLimiter(opts.RateLimit), probes: make(chan struct{}, opts.MaxConcurrentProbes), mux: http.NewServeMux()}
	h.mux.HandleFunc("/api/v1/check/domain/{domain}", h.apiDomain)
	h.mux.HandleFunc("/api/v1/check/address", h.apiAddress)
	h.mux.HandleFunc("/api/v1/check/", func(w http.ResponseWriter, r *http.Request) {
		jsonError(w, http.StatusNotFound, "no such API route")
	})
	h.mux.HandleFunc("/check/domain", h.pageDomain)
	h.mux.HandleFunc("/check/address", h.pageAddress)
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	h.mux.ServeHTTP(w, r)
}

func remoteIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, _ := netip.ParseAddr(host)
	return ip
}

func jsonError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func writeJSONResponse(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// limit takes cost tokens for the client; on refusal it has answered 429.
func (h *handler) limit(w http.ResponseWriter, r *http.Request, cost int, api bool) bool {
	ok, wait := h.lim.allow(clientKey(h.opt.ClientIP(r)), cost)
	if ok {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
	if api {
		jsonError(w, http.StatusTooManyRequests, "rate limit exceeded; retry later")
	} else {
		http.Error(w, "429 too many requests", http.StatusTooManyRequests)
	}
	return false
}

func (h *handler) domainOptions(r *http.Request) (DomainOptions, error) {
	var opt DomainOptions
	q := r.URL.Query()
	if s := q.Get("ip"); s != "" {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return opt, errors.New("ip: not an IP address")
		}
		opt.IP = ip
	}
	if e := strings.ToLower(q.Get("esp")); e != "" {
		found := false
		for _, n := range ESPs() {
			found = found || n == e
		}
		if !found {
			return opt, errors.New("esp must be one of " + strings.Join(ESPs(), ", "))
		}
		opt.ESP = e
	}
	sels := q["dkim-selector"]
	if len(sels) > 10 {
		return opt, errors.New("at most 10 dkim-selector values")
	}
	opt.DKIMSelectors = sels
	return opt, nil
}

func (h *handler) apiDomain(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		jsonError(w, http.StatusMethodNotAllowed, "method not allowed; use GET")
		return
	}
	d := r.PathValue("domain")
	if len(d) > 300 {
		jsonError(w, http.StatusBadRequest, "domain too long")
		return
	}
	if _, err := NormalizeDomain(d); err != nil {
		jsonError(w, http.StatusBadRequest, "bad domain: "+err.Error())
		return
	}
	opt, err := h.domainOptions(r)
	if err != nil {
		jsonError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !h.limit(w, r, 1, true) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opt.Timeout)
	defer cancel()
	rep, err := h.opt.Checker.Domain(ctx, d, opt)
	if err != nil {
		jsonError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSONResponse(w, rep.Findings)
}

type addressRequest struct {
	Address   string   `json:"address"`
	Addresses []string `json:"addresses"`
	Probe     bool     `json:"probe"`
}

func (h *handler) apiAddress(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		jsonError(w, http.StatusMethodNotAllowed, "method not allowed; use POST")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opt.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			jsonError(w, http.StatusRequestEntityTooLarge, "request body larger than "+strconv.FormatInt(h.opt.MaxBody, 10)+" bytes")
			return
		}
		jsonError(w, http.StatusBadRequest, "reading body: "+err.Error())
		return
	}
	var req addressRequest
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		jsonError(w, http.StatusBadRequest, `body must be {"address": "…"} or {"addresses": ["…"], "probe": false}: `+err.Error())
		return
	}
	addrs := req.Addresses
	if req.Address != "" {
		addrs = append([]string{req.Address}, addrs...)
	}
	switch {
	case len(addrs) == 0:
		jsonError(w, http.StatusBadRequest, "no address given")
		return
	case len(addrs) > h.opt.MaxAddresses:
		jsonError(w, http.StatusBadRequest, "more than "+strconv.Itoa(h.opt.MaxAddresses)+" addresses")
		return
	case req.Probe && h.opt.Probe == nil:
		jsonError(w, http.StatusBadRequest, "probing is disabled on this server")
		return
	case req.Probe && len(addrs) > h.opt.MaxProbes:
		jsonError(w, http.StatusBadRequest, "at most "+strconv.Itoa(h.opt.MaxProbes)+" addresses per probe request")
		return
	}
	for _, a := range addrs {
		if len(a) > 1000 {
			jsonError(w, http.StatusBadRequest, "address longer than 1000 bytes")
			return
		}
	}
	cost := 1
	if req.Probe {
		cost += len(addrs) * h.lim.cfg.ProbeCost
	}
	if !h.limit(w, r, cost, true) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opt.Timeout)
	defer cancel()
	out := make([]AddressResult, 0, len(addrs))
	for _, a := range addrs {
		if !req.Probe {
			out = append(out, h.opt.Checker.Address(ctx, a))
			continue
		}
		select {
		case h.probes <- struct{}{}:
		case <-ctx.Done():
			jsonError(w, http.StatusServiceUnavailable, "too many probes running; retry later")
			return
		}
		out = append(out, h.opt.Checker.AddressProbe(ctx, a, *h.opt.Probe))
		<-h.probes
	}
	writeJSONResponse(w, out)
}

// pageLang picks the page language: ?lang=, then Accept-Language, then
// the default.
func (h *handler) pageLang(r *http.Request) string {
	if l := strings.ToLower(r.URL.Query().Get("lang")); l == "de" || l == "en" {
		return l
	}
	return acceptLang(r.Header.Get("Accept-Language"), h.opt.Lang)
}

// acceptLang returns "de" or "en", whichever Accept-Language prefers,
// else def.
func acceptLang(header, def string) string {
	best, bestQ := def, -1.0
	for i, part := range strings.Split(header, ",") {
		if i >= 20 {
			break
		}
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		base, _, _ := strings.Cut(tag, "-")
		if base != "de" && base != "en" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
				q = f
			}
		}
		if q > bestQ && q > 0 {
			best, bestQ = base, q
		}
	}
	return best
}

// pageCSS is the only style of the pages; the Content-Security-Policy
// allows exactly it by hash. The pages have no script.
const pageCSS = `body{font:16px/1.45 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
form{margin:1rem 0}input[type=text]{width:60%;padding:.3rem}
ul.checks{list-style:none;padding:0}li.finding{border-left:.4rem solid #999;margin:.6rem 0;padding:.3rem .7rem;background:#f7f7f7}
li.ok{border-color:#2e7d32}li.warn{border-color:#f9a825}li.fail{border-color:#c62828}li.unknown{border-color:#9e9e9e}
.badge{font-weight:600;margin-right:.5rem}.ok .badge{color:#2e7d32}.warn .badge{color:#b57f00}.fail .badge{color:#c62828}.unknown .badge{color:#616161}
.found{font-family:ui-monospace,monospace;word-break:break-all}.why,.fix{margin:.2rem 0 0 0}.err{color:#c62828}
.summary{font-weight:600}`

var pageCSP = "default-src 'none'; style-src 'sha256-" + cssHash() + "'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func cssHash() string {
	s := sha256.Sum256([]byte(pageCSS))
	return base64.StdEncoding.EncodeToString(s[:])
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title><style>` + pageCSS + `</style></head>
<body><h1>{{.Title}}</h1>
<form method="get" action="{{.Action}}"><input type="text" name="{{.Param}}" value="{{.Query}}" placeholder="{{.Placeholder}}" aria-label="{{.Placeholder}}">
<input type="hidden" name="lang" value="{{.Lang}}"><button type="submit">{{.L.check}}</button></form>
{{if .Error}}<p class="err">{{.Error}}</p>{{end}}
{{range .Sections}}<h2>{{.Heading}}</h2>{{if .Note}}<p>{{.Note}}</p>{{end}}
<ul class="checks">{{range .Findings}}<li class="finding {{.Status}}"><span class="badge">{{.Label}}</span><strong>{{.Check}}</strong>
<div class="found">{{.Found}}</div>{{if .Why}}<p class="why">{{$.L.why}}: {{.Why}}</p>{{end}}{{if .Fix}}<p class="fix">{{$.L.fix}}: {{.Fix}}</p>{{end}}</li>
{{end}}</ul><p class="summary">{{.Summary}}</p>{{end}}
</body></html>
`))

var pageLabels = map[string]map[string]string{
	"en": {"check": "Check", "why": "Why", "fix": "Fix", "ok": "OK", "warn": "Warning", "fail": "Failed", "unknown": "Unknown",
		"domainTitle": "Domain check", "addressTitle": "Address check", "domainPh": "example.com", "addressPh": "name@example.com",
		"suggest": "Did you mean %s?", "summary": "%d ok, %d warnings, %d failed, %d unknown"},
	"de": {"check": "Prüfen", "why": "Warum", "fix": "Was tun", "ok": "In Ordnung", "warn": "Warnung", "fail": "Fehlgeschlagen", "unknown": "Unbekannt",
		"domainTitle": "Domain prüfen", "addressTitle": "Adresse prüfen", "domainPh": "example.com", "addressPh": "name@example.com",
		"suggest": "Meinten Sie %s?", "summary": "%d in Ordnung, %d Warnungen, %d fehlgeschlagen, %d unbekannt"},
}

type pageFinding struct {
	Status, Label, Check, Found, Why, Fix string
}

type pageSection struct {
	Heading, Note, Summary string
	Findings               []pageFinding
}

type pageData struct {
	Lang, Title, Action, Param, Query, Placeholder, Error string
	L                                                     map[string]string
	Sections                                              []pageSection
}

func section(heading string, fs []Finding, lang string) pageSection {
	l := pageLabels[lang]
	s := pageSection{Heading: heading}
	var n [4]int
	for _, f := range fs {
		st := f.Status
		switch st {
		case StatusOK:
			n[0]++
		case StatusWarn:
			n[1]++
		case StatusFail:
			n[2]++
		default:
			st = StatusUnknown
			n[3]++
		}
		pf := pageFinding{Status: string(st), Label: l[string(st)], Check: f.Check, Found: f.Found, Why: f.Why.Get(lang)}
		if st != StatusOK {
			pf.Fix = f.Fix.Get(lang)
		}
		s.Findings = append(s.Findings, pf)
	}
	s.Summary = fmt.Sprintf(l["summary"], n[0], n[1], n[2], n[3])
	return s
}

func (h *handler) render(w http.ResponseWriter, code int, d *pageData) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", pageCSP)
	hd.Set("Content-Language", d.Lang)
	hd.Set("Vary", "Accept-Language")
	w.WriteHeader(code)
	_ = pageTmpl.Execute(w, d)
}

func (h *handler) pageDomain(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	lang := h.pageLang(r)
	l := pageLabels[lang]
	q := strings.TrimSpace(r.URL.Query().Get("d"))
	d := &pageData{Lang: lang, Title: l["domainTitle"], Action: "/check/domain", Param: "d", Query: q, Placeholder: l["domainPh"], L: l}
	if q == "" {
		h.render(w, http.StatusOK, d)
		return
	}
	if len(q) > 300 {
		q = q[:300]
		d.Query = q
	}
	if _, err := NormalizeDomain(q); err != nil {
		d.Error = err.Error()
		h.render(w, http.StatusBadRequest, d)
		return
	}
	opt, err := h.domainOptions(r)
	if err != nil {
		d.Error = err.Error()
		h.render(w, http.StatusBadRequest, d)
		return
	}
	if !h.limit(w, r, 1, false) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opt.Timeout)
	defer cancel()
	rep, err := h.opt.Checker.Domain(ctx, q, opt)
	if err != nil {
		d.Error = err.Error()
		h.render(w, http.StatusBadRequest, d)
		return
	}
	d.Sections = []pageSection{section(rep.Domain, rep.Findings, lang)}
	h.render(w, http.StatusOK, d)
}

func (h *handler) pageAddress(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	lang := h.pageLang(r)
	l := pageLabels[lang]
	q := strings.TrimSpace(r.URL.Query().Get("a"))
	if len(q) > 1000 {
		q = q[:1000]
	}
	d := &pageData{Lang: lang, Title: l["addressTitle"], Action: "/check/address", Param: "a", Query: q, Placeholder: l["addressPh"], L: l}
	if q == "" {
		h.render(w, http.StatusOK, d)
		return
	}
	if !h.limit(w, r, 1, false) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opt.Timeout)
	defer cancel()
	res := h.opt.Checker.Address(ctx, q)
	s := section(res.Input, res.Findings, lang)
	if res.Suggestion != "" {
		s.Note = fmt.Sprintf(l["suggest"], res.Suggestion)
	}
	d.Sections = []pageSection{s}
	h.render(w, http.StatusOK, d)
}

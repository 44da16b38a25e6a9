package web

import (
	"net/http"
	"sort"
	"strings"
)

// routes registers every route of the site. Each path also gets a
// method-less pattern that answers 405 with an Allow header, so that a wrong
// method gets a proper answer (JSON under /api/) rather than the mux's plain
// text.
func (s *server) routes() {
	methods := map[string][]string{} // path → methods
	add := func(api bool, pattern string, h http.HandlerFunc) {
		s.mux.Handle(pattern, s.wrapRoute(pattern, api, !selfTimed[pattern], h))
		if method, path, ok := strings.Cut(pattern, " "); ok {
			methods[path] = append(methods[path], method)
			if method == http.MethodGet {
				methods[path] = append(methods[path], http.MethodHead)
			}
		}
	}

	// JSON API (docs/api.md, openapi.json).
	add(true, "POST /api/v1/explain", s.apiExplain)
	add(true, "GET /api/v1/codes", s.apiCodes)
	add(true, "GET /api/v1/codes/{id}", s.apiCode)
	add(true, "POST /api/v1/parse", s.apiParse)
	add(true, "GET /api/v1/openapi.json", s.apiOpenAPI)
	add(true, "GET /api/v1/events", s.apiEvents)
	add(true, "POST /api/v1/events", s.webhook("generic"))
	add(true, "GET /api/v1/events/{id}", s.apiEvent)
	add(true, "GET /api/v1/suppressions", s.apiSuppressions)
	add(true, "POST /api/v1/suppressions", s.apiAddSuppression)
	add(true, "GET /api/v1/suppressions.csv", s.apiSuppressionsCSV)
	add(true, "GET /api/v1/suppressions/{address}", s.apiSuppression)
	add(true, "DELETE /api/v1/suppressions/{address}", s.apiRemoveSuppression)
	add(true, "GET /api/v1/check/domain/{domain}", s.checkAPI)
	add(true, "POST /api/v1/check/address", s.checkAPI)
	add(true, "POST /webhooks/mailgun", s.webhook("mailgun"))
	add(true, "POST /webhooks/sendgrid", s.webhook("sendgrid"))
	add(true, "POST /webhooks/ses", s.webhook("ses"))
	add(true, "POST /webhooks/postmark", s.webhook("postmark"))
	add(true, "/webhooks/", s.apiNotFound)
	add(true, "GET /healthz", s.healthz)
	add(true, "GET /metrics", s.serveMetrics)
	add(true, "/api/", s.apiNotFound)

	// Web UI.
	add(false, "GET /{$}", s.home)
	add(false, "GET /explain", s.uiExplainGet)
	add(false, "POST /explain", s.uiExplain)
	add(false, "POST /parse", s.uiParse)
	add(false, "GET /codes", s.library)
	add(false, "GET /codes/{id}", s.entry)
	add(false, "GET /check/domain", s.checkDomainPage)
	add(false, "GET /check/address", s.checkAddressPage)
	add(false, "GET /sends", s.sendsPage)
	add(false, "GET /suppressions", s.suppressionsPage)
	add(false, "POST /suppressions/add", s.csrfCheck(s.uiAddSuppression))
	add(false, "POST /suppressions/remove", s.csrfCheck(s.uiRemoveSuppression))
	add(false, "GET /stats", s.statsPage)
	add(false, "GET /login", s.loginPage)
	add(false, "POST /login", s.csrfCheck(s.uiLogin))
	add(false, "POST /logout", s.csrfCheck(s.uiLogout))
	add(false, "GET /static/", s.static)
	add(false, "/", s.notFound)

	paths := make([]string, 0, len(methods))
	for p := range methods {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, path := range paths {
		allow := strings.Join(methods[path], ", ")
		api := isAPIPath(path)
		s.mux.Handle(path, s.wrap(path, api, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			if api {
				writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed; use "+allow)
				return
			}
			s.renderError(w, r, http.StatusMethodNotAllowed)
		}))
	}
}

// selfTimed are the routes whose handlers apply Options.Timeout themselves
// (withDeadline) where they loop, so that the common short request runs
// without a deadline context of its own (see wrapRoute).
var selfTimed = map[string]bool{
	"POST /api/v1/explain": true, // only a batch ("texts") loops
}

// isAPIPath reports whether path belongs to the machine interface, whose
// errors are JSON.
func isAPIPath(path string) bool {
	return strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/webhooks/") || path == "/healthz" || path == "/metrics"
}

package web

import (
	"embed"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/maildx/maildx/event"
	"github.com/maildx/maildx/kb"
	"github.com/maildx/maildx/store"
)

//go:embed templates/*.html static i18n/*.json openapi.json
var assets embed.FS

// Defaults for the zero values of Options.
const (
	DefaultMaxBodyBytes   = 1 << 20  // 1 MiB
	DefaultMaxUploadBytes = 16 << 20 // 16 MiB
	DefaultMaxBatch       = 1000
	DefaultTimeout        = 10 * time.Second
)

// Options configure New. The zero value is ready to use.
type Options struct {
	// Logger receives one line per failed request (5xx, recovered panics)
	// and, at debug level, one per request. Nil discards logs.
	Logger *slog.Logger
	// Version is reported by /healthz, /metrics and the page footer.
	Version string
	// MaxBodyBytes bounds the body of POST /api/v1/explain and of the paste
	// form; larger bodies get 413. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxUploadBytes bounds the body of POST /api/v1/parse and of the
	// bounce upload form. Zero means DefaultMaxUploadBytes.
	MaxUploadBytes int64
	// MaxBatch is the most texts one POST /api/v1/explain may carry.
	// Zero means DefaultMaxBatch.
	MaxBatch int
	// Timeout bounds every handler; a handler that takes longer is answered
	// with 503. Zero means DefaultTimeout.
	Timeout time.Duration

	// Store keeps delivery events and the suppression list. Nil: the
	// webhook, event and suppression routes answer 503 ("start maildx
	// serve with --db").
	Store store.Store
	// Webhooks holds the providers' keys; an empty key leaves its
	// endpoint unconfigured (it answers 503 naming the setting).
	Webhooks Webhooks
	// APIToken (MAILDX_API_TOKEN) authorises POST /api/v1/events and the
	// reading of events and suppressions (bearer token, or the session
	// cookie of /login). Empty: POST /api/v1/events is not configured and
	// reading needs no login (serve then listens on loopback only).
	APIToken string
	// Check serves the domain and address checks: a check.NewHandler (see
	// cmd/maildx/serve.go for the settings a public server needs). The
	// site mounts its routes GET /api/v1/check/domain/{domain} and POST
	// /api/v1/check/address and renders the pages /check/domain and
	// /check/address in its layout by asking that API in-process, so
	// pages and API share the handler's per-client rate limit. Nil: the
	// API routes answer 503, the pages 404 and the menu has no "Check".
	Check http.Handler
	// Now returns the current time (tests); nil means time.Now.
	Now func() time.Time
}

// Webhooks configures the provider adapters of package event.
type Webhooks struct {
	MailgunSigningKey       string   // MAILDX_MAILGUN_SIGNING_KEY
	SendGridPublicKey       string   // MAILDX_SENDGRID_PUBLIC_KEY
	PostmarkUser            string   // MAILDX_POSTMARK_USER
	PostmarkPassword        string   // MAILDX_POSTMARK_PASSWORD
	SESTopicARNs            []string // MAILDX_SES_TOPIC_ARNS
	SESConfirmSubscriptions bool     // MAILDX_SES_CONFIRM_SUBSCRIPTIONS
	// SESClient fetches SNS signing certificates (tests inject one);
	// nil: the adapter's default client.
	SESClient *http.Client
	// Tolerance is the freshness window of signed timestamps (Mailgun,
	// SendGrid); zero: event.DefaultTolerance.
	Tolerance time.Duration
	// Lang is the language of the stored diagnoses; "" means English.
	Lang string
}

// server holds the dependencies of the handlers. It is immutable after New
// except for its metrics, which are atomic.
type server struct {
	opts    Options
	log     *slog.Logger
	kb      *kb.KB
	mux     *http.ServeMux
	pages   map[string]map[string]*template.Template // lang → page name → template
	strings map[string]map[string]string             // lang → key → text
	metrics *metrics
	openapi []byte

	// explain is the handler of the hottest route, POST /api/v1/explain,
	// which ServeHTTP dispatches without the mux (see there).
	explain http.Handler

	reqPrefix string        // random, per process
	reqSeq    atomic.Uint64 // request counter for X-Request-Id

	sourceCounts   map[string]int
	categoryCounts map[string]int

	adapters map[string]event.Adapter // provider → adapter
	replay   *replayCache
	csrf     *http.CrossOriginProtection
}

// New returns the handler for the whole site: API, metrics and UI. It
// panics only if the embedded assets are broken, which the package tests
// rule out.
func New(opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxUploadBytes <= 0 {
		opts.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	s := &server{
		opts:           opts,
		log:            opts.Logger,
		kb:             kb.MustDefault(),
		mux:            http.NewServeMux(),
		metrics:        newMetrics(opts.Version),
		reqPrefix:      newRequestPrefix(),
		sourceCounts:   map[string]int{},
		categoryCounts: map[string]int{},
	}
	for _, e := range s.kb.Entries() {
		s.sourceCounts[e.Source]++
		s.categoryCounts[e.Category]++
	}
	var err error
	if s.strings, err = loadStrings(assets); err != nil {
		panic("web: " + err.Error())
	}
	if s.pages, err = parseTemplates(assets, s.strings); err != nil {
		panic("web: " + err.Error())
	}
	if s.openapi, err = assets.ReadFile("openapi.json"); err != nil {
		panic("web: " + err.Error())
	}
	if opts.Now == nil {
		s.opts.Now = time.Now
	}
	s.setupEvents()
	s.routes()
	s.explain = s.routeHandler(http.MethodPost, explainPath)
	return s
}

// routeHandler returns the handler the mux chose for method and path, a
// route without wildcards; it panics if that is not a route of its own.
func (s *server) routeHandler(method, path string) http.Handler {
	h, pattern := s.mux.Handler(&http.Request{Method: method, URL: &url.URL{Path: path}})
	if pattern != method+" "+path {
		panic("web: no route " + method + " " + path)
	}
	return h
}

// NewHTTPServer returns an *http.Server for h with the connection-level
// limits a public listener needs: header and body read timeouts (against
// slow clients), a write timeout above the handler timeout, an idle timeout
// and a header size bound. Errors of the server itself go to logger.
func NewHTTPServer(addr string, h http.Handler, logger *slog.Logger) *http.Server {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      DefaultTimeout + 20*time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

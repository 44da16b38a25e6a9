package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/maildx/maildx/event"
	"github.com/maildx/maildx/store"
)

// errNoStore is the answer of the event routes when serve runs without a
// store.
const errNoStore = "no event store: start maildx serve with --db"

// sessionCookie holds the session of the /login form: an HMAC of the API
// token, so it is valid exactly as long as the token is.
const sessionCookie = "maildx_session"

// setupEvents builds the adapters from Options.Webhooks.
func (s *server) setupEvents() {
	wh := s.opts.Webhooks
	s.replay = &replayCache{max: event.DefaultReplayEntries}
	s.csrf = http.NewCrossOriginProtection()
	s.adapters = map[string]event.Adapter{
		event.ProviderMailgun:  &event.Mailgun{SigningKey: wh.MailgunSigningKey, Tolerance: wh.Tolerance, Replay: s.replay, Lang: wh.Lang},
		event.ProviderSendGrid: &event.SendGrid{PublicKey: wh.SendGridPublicKey, Tolerance: wh.Tolerance, Replay: s.replay, Lang: wh.Lang},
		event.ProviderSES:      &event.SES{TopicARNs: wh.SESTopicARNs, ConfirmSubscriptions: wh.SESConfirmSubscriptions, Client: wh.SESClient, Replay: s.replay, Lang: wh.Lang},
		event.ProviderPostmark: &event.Postmark{User: wh.PostmarkUser, Password: wh.PostmarkPassword, Lang: wh.Lang},
		event.ProviderGeneric:  &event.Generic{Token: s.opts.APIToken, Lang: wh.Lang},
	}
}

// replayCache is the adapters' replay cache. Unlike event.MemoryReplayCache
// it can forget the keys a request recorded: a webhook whose events could
// not be stored is answered 503 and retried by the provider unchanged, and
// that retry must not be refused as a replay.
type replayCache struct {
	mu   sync.Mutex
	max  int
	keys map[string]time.Time // key → expiry
}

type replayKeysKey struct{}

// withReplayLog returns a context in which Seen records the keys it adds.
func withReplayLog(ctx context.Context) (context.Context, *[]string) {
	var keys []string
	return context.WithValue(ctx, replayKeysKey{}, &keys), &keys
}

func (c *replayCache) Seen(ctx context.Context, key string, now, expires time.Time) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.keys = map[string]time.Time{}
	}
	if exp, ok := c.keys[key]; ok && now.Before(exp) {
		return true, nil
	}
	if len(c.keys) >= c.max {
		for k, exp := range c.keys {
			if !now.Before(exp) {
				delete(c.keys, k)
			}
		}
		for k := range c.keys { // still full: drop arbitrary keys
			if len(c.keys) < c.max {
				break
			}
			delete(c.keys, k)
		}
	}
	c.keys[key] = expires
	if log, ok := ctx.Value(replayKeysKey{}).(*[]string); ok {
		*log = append(*log, key)
	}
	return false, nil
}

func (c *replayCache) forget(keys []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		delete(c.keys, k)
	}
}

// WebhookResponse is the answer of a webhook or POST /api/v1/events.
type WebhookResponse struct {
	Received int    `json:"received"`         // events in the request
	Stored   int    `json:"stored"`           // of them new (not stored before)
	Notice   string `json:"notice,omitempty"` // SNS control messages
}

// webhook receives one provider's POSTs: read the body (bounded), verify,
// parse, store, and answer 200 only after the commit.
func (s *server) webhook(provider string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a := s.adapters[provider]
		if s.opts.Store == nil {
			writeError(w, http.StatusServiceUnavailable, errNoStore)
			return
		}
		if r.ContentLength > s.opts.MaxUploadBytes {
			writeBodyError(w, &http.MaxBytesError{Limit: s.opts.MaxUploadBytes})
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxUploadBytes))
		if err != nil {
			writeBodyError(w, err)
			return
		}
		ctx, keys := withReplayLog(r.Context())
		r = r.WithContext(ctx)
		now := s.opts.Now()
		if err := a.Verify(r, body, now); err != nil {
			s.writeVerifyError(w, provider, err)
			return
		}
		evs, err := a.Parse(body)
		var notice *event.Notice
		var perr *event.PayloadError
		switch {
		case errors.As(err, &notice):
			if c, ok := a.(event.Confirmer); ok {
				if err := c.Confirm(ctx, notice); err != nil {
					s.replay.forget(*keys)
					s.log.Warn("confirming SNS subscription failed", "provider", provider, "err", err)
					writeError(w, http.StatusBadGateway, "confirming the subscription failed: "+err.Error())
					return
				}
			}
			s.log.Info("webhook notice", "provider", provider, "kind", notice.Kind, "topic", notice.TopicARN)
			writeJSON(w, http.StatusOK, WebhookResponse{Notice: notice.Message})
			return
		case errors.As(err, &perr):
			writeError(w, http.StatusBadRequest, perr.Error())
			return
		case err != nil:
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		rows := make([]store.Event, len(evs))
		for i := range evs {
			rows[i] = toStoreEvent(&evs[i], now)
		}
		n := 0
		if len(rows) > 0 {
			n, err = s.opts.Store.AddEvents(ctx, rows)
			if err != nil {
				s.replay.forget(*keys)
				s.log.Error("storing events failed", "provider", provider, "events", len(rows), "err", err)
				w.Header().Set("Retry-After", "10")
				writeError(w, http.StatusServiceUnavailable, "the events could not be stored; retry later")
				return
			}
		}
		s.log.Debug("webhook stored", "provider", provider, "received", len(rows), "stored", n)
		writeJSON(w, http.StatusOK, WebhookResponse{Received: len(rows), Stored: n})
	}
}

// writeVerifyError maps the adapters' errors to statuses.
func (s *server) writeVerifyError(w http.ResponseWriter, provider string, err error) {
	var nce *event.NotConfiguredError
	switch {
	case errors.As(err, &nce):
		msg := fmt.Sprintf("the %s endpoint is not configured: set %s (or the matching flag of maildx serve)", provider, strings.Join(nce.Env, " and "))
		if provider == event.ProviderSendGrid && s.opts.Webhooks.SendGridPublicKey != "" {
			msg = err.Error() // a key that does not decode: say why
		}
		writeError(w, http.StatusServiceUnavailable, msg)
	case errors.Is(err, event.ErrNotConfigured):
		writeError(w, http.StatusServiceUnavailable, err.Error())
	case errors.Is(err, event.ErrBadSignature), errors.Is(err, event.ErrStale), errors.Is(err, event.ErrReplay):
		if provider == event.ProviderPostmark {
			w.Header().Set("WWW-Authenticate", `Basic realm="maildx"`)
		} else if provider == event.ProviderGeneric {
			w.Header().Set("WWW-Authenticate", `Bearer realm="maildx"`)
		}
		writeError(w, http.StatusUnauthorized, err.Error())
	case errors.Is(err, event.ErrCertFetch):
		s.log.Warn("SNS certificate fetch failed", "err", err)
		writeError(w, http.StatusBadGateway, err.Error())
	default:
		var perr *event.PayloadError
		if errors.As(err, &perr) {
			writeError(w, http.StatusBadRequest, perr.Error())
			return
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			writeError(w, http.StatusServiceUnavailable, "request timed out")
			return
		}
		// Replay-cache failures and other internal errors: retryable.
		s.log.Error("verifying webhook failed", "provider", provider, "err", err)
		writeError(w, http.StatusServiceUnavailable, "could not verify the request; retry later")
	}
}

// toStoreEvent flattens a normalized event for the store.
func toStoreEvent(e *event.Event, now time.Time) store.Event {
	t := e.Time
	if t.IsZero() {
		t = now
	}
	se := store.Event{
		ID: e.ID, Provider: e.Provider, ProviderEventID: e.ProviderEventID, Type: string(e.Type),
		Recipient: e.Recipient, MessageID: e.MessageID, SendingDomain: e.SendingDomain,
		Time: t.UTC(), RemoteText: e.RemoteText, Raw: e.Raw,
	}
	if d := e.Diagnosis; d != nil {
		se.Reason, se.Category, se.Action, se.Fault = d.Reason, d.Category, d.Action, d.Fault
		se.HardBounce, se.Temporary, se.Status, se.ReplyCode = d.HardBounce, d.Temporary, d.Status, d.ReplyCode
		se.DiagnosisProvider = d.Provider
		if b, err := json.Marshal(d); err == nil {
			se.Diagnosis = b
		}
	}
	return se
}

// APIEvent is an event as the API returns it (docs/webhooks.md, "The event
// object").
type APIEvent struct {
	ID              string          `json:"id"`
	Provider        string          `json:"provider"`
	ProviderEventID string          `json:"provider_event_id,omitempty"`
	Type            string          `json:"type"`
	Recipient       string          `json:"recipient"`
	MessageID       string          `json:"message_id,omitempty"`
	SendingDomain   string          `json:"sending_domain,omitempty"`
	Time            time.Time       `json:"time"`
	Received        time.Time       `json:"received"`
	RemoteText      string          `json:"remote_text,omitempty"`
	Raw             json.RawMessage `json:"raw,omitempty"`
	// Diagnosis is the stored maildx.Diagnosis, passed through as stored
	// (json.Marshal of it when the event was stored or last reclassified):
	// decoding and encoding it again for every event of a page cost a third
	// of the page's server time and 1,500 allocations.
	Diagnosis json.RawMessage `json:"diagnosis,omitempty"`
}

// EventsResponse is the answer of GET /api/v1/events.
type EventsResponse struct {
	Events     []APIEvent `json:"events"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

func apiEvent(e store.Event) APIEvent {
	a := APIEvent{ID: e.ID, Provider: e.Provider, ProviderEventID: e.ProviderEventID, Type: e.Type,
		Recipient: e.Recipient, MessageID: e.MessageID, SendingDomain: e.SendingDomain,
		Time: e.Time, Received: e.Received, RemoteText: e.RemoteText}
	if json.Valid(e.Raw) {
		a.Raw = e.Raw
	}
	if json.Valid(e.Diagnosis) {
		a.Diagnosis = e.Diagnosis
	}
	return a
}

// parseTime reads a since/until parameter: RFC 3339 or a date (UTC).
func parseTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	return time.Time{}, fmt.Errorf("invalid time %q: want RFC 3339 (2026-01-02T15:04:05Z), a date (2026-01-02) or Unix seconds", v)
}

// eventFilter reads the filter parameters of GET /api/v1/events and the
// Sends page.
func eventFilter(q map[string][]string) (store.Filter, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	f := store.Filter{Recipient: get("recipient"), Reason: get("reason"), Provider: get("provider"),
		Type: get("type"), Domain: get("domain"), Cursor: get("cursor")}
	var err error
	if f.Since, err = parseTime(get("since")); err != nil {
		return f, fmt.Errorf("since: %w", err)
	}
	if f.Until, err = parseTime(get("until")); err != nil {
		return f, fmt.Errorf("until: %w", err)
	}
	if l := get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return f, fmt.Errorf("limit %q: want 1 to 1000", l)
		}
		f.Limit = n
	}
	return f, nil
}

// needStore answers 503 when there is no store.
func (s *server) needStore(w http.ResponseWriter) bool {
	if s.opts.Store == nil {
		writeError(w, http.StatusServiceUnavailable, errNoStore)
		return false
	}
	return true
}

// storeError answers a store error of a read or write route.
func (s *server) storeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not found")
	case errors.Is(err, store.ErrBadCursor):
		writeError(w, http.StatusBadRequest, "invalid cursor")
	case r.Context().Err() != nil:
		// wrap answers 503 on a deadline
	default:
		s.log.Error("store", "route", r.Pattern, "err", err)
		writeError(w, http.StatusServiceUnavailable, "the event store is unavailable")
	}
}

func (s *server) apiEvents(w http.ResponseWriter, r *http.Request) {
	if !s.needStore(w) || !s.apiAuth(w, r) {
		return
	}
	f, err := eventFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	evs, next, err := s.opts.Store.ListEvents(r.Context(), f)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	out := EventsResponse{Events: make([]APIEvent, 0, len(evs)), NextCursor: next}
	for _, e := range evs {
		out.Events = append(out.Events, apiEvent(e))
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

func (s *server) apiEvent(w http.ResponseWriter, r *http.Request) {
	if !s.needStore(w) || !s.apiAuth(w, r) {
		return
	}
	e, err := s.opts.Store.GetEvent(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, apiEvent(e))
}

// APISuppression is a suppression list entry.
type APISuppression struct {
	Address         string    `json:"address"`
	Normalized      string    `json:"normalized"`
	Reason          string    `json:"reason"`
	DiagnosisReason string    `json:"diagnosis_reason,omitempty"`
	EventID         string    `json:"event_id,omitempty"`
	Note            string    `json:"note,omitempty"`
	Created         time.Time `json:"created"`
}

// SuppressionsResponse is the answer of GET /api/v1/suppressions.
type SuppressionsResponse struct {
	Suppressions []APISuppression `json:"suppressions"`
	NextCursor   string           `json:"next_cursor,omitempty"`
}

// SuppressionRequest is the body of POST /api/v1/suppressions.
type SuppressionRequest struct {
	Address string `json:"address"`
	Note    string `json:"note,omitempty"`
}

func apiSuppression(x store.Suppression) APISuppression {
	return APISuppression{Address: x.Address, Normalized: x.Normalized, Reason: x.Reason,
		DiagnosisReason: x.DiagnosisReason, EventID: x.EventID, Note: x.Note, Created: x.Created}
}

func (s *server) apiSuppressions(w http.ResponseWriter, r *http.Request) {
	if !s.needStore(w) || !s.apiAuth(w, r) {
		return
	}
	q := r.URL.Query()
	limit := 0
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit %q: want 1 to 1000", l))
			return
		}
		limit = n
	}
	list, next, err := s.opts.Store.ListSuppressions(r.Context(), strings.TrimSpace(q.Get("q")), q.Get("reason"), q.Get("cursor"), limit)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	out := SuppressionsResponse{Suppressions: make([]APISuppression, 0, len(list)), NextCursor: next}
	for _, x := range list {
		out.Suppressions = append(out.Suppressions, apiSuppression(x))
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

func (s *server) apiSuppression(w http.ResponseWriter, r *http.Request) {
	if !s.needStore(w) || !s.apiAuth(w, r) {
		return
	}
	x, err := s.opts.Store.GetSuppression(r.Context(), r.PathValue("address"))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, "the address is not suppressed")
			return
		}
		s.storeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, apiSuppression(x))
}

// validAddress is a light check of an address added by hand.
func validAddress(a string) bool {
	a = strings.TrimSpace(a)
	at := strings.LastIndexByte(a, '@')
	return at > 0 && at < len(a)-1 && len(a) <= 320 && !strings.ContainsAny(a, " \t\r\n,;")
}

func (s *server) apiAddSuppression(w http.ResponseWriter, r *http.Request) {
	if !s.needStore(w) || !s.apiAuth(w, r) {
		return
	}
	var req SuppressionRequest
	if err := decodeJSON(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes), &req); err != nil {
		writeBodyError(w, err)
		return
	}
	if !validAddress(req.Address) {
		writeError(w, http.StatusBadRequest, "address: want an email address like name@example.com")
		return
	}
	if x, err := s.opts.Store.GetSuppression(r.Context(), req.Address); err == nil {
		writeJSON(w, http.StatusOK, apiSuppression(x))
		return
	}
	x, err := s.opts.Store.AddSuppression(r.Context(), strings.TrimSpace(req.Address), req.Note)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, apiSuppression(x))
}

func (s *server) apiRemoveSuppression(w http.ResponseWriter, r *http.Request) {
	if !s.needStore(w) || !s.apiAuth(w, r) {
		return
	}
	if err := s.opts.Store.RemoveSuppression(r.Context(), r.PathValue("address")); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, "the address is not suppressed")
			return
		}
		s.storeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) apiSuppressionsCSV(w http.ResponseWriter, r *http.Request) {
	if !s.needStore(w) || !s.apiAuth(w, r) {
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="maildx-suppressions.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := s.opts.Store.ExportSuppressionsCSV(r.Context(), w); err != nil {
		s.log.Error("exporting suppressions", "err", err)
	}
}

// authorized reports whether the request carries the API token as a bearer
// token or the session cookie. Without a configured token everything is
// authorised (serve then listens on loopback only).
func (s *server) authorized(r *http.Request) bool {
	if s.opts.APIToken == "" {
		return true
	}
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") &&
			subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(s.opts.APIToken)) == 1 {
			return true
		}
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		return subtle.ConstantTimeCompare([]byte(c.Value), []byte(s.sessionValue())) == 1
	}
	return false
}

// sessionValue is the session cookie's value: HMAC-SHA256 of a fixed label
// keyed with the token.
func (s *server) sessionValue() string {
	m := hmac.New(sha256.New, []byte(s.opts.APIToken))
	m.Write([]byte("maildx session v1"))
	return hex.EncodeToString(m.Sum(nil))
}

// apiAuth answers 401 unless the request is authorised.
func (s *server) apiAuth(w http.ResponseWriter, r *http.Request) bool {
	if s.authorized(r) {
		return true
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="maildx"`)
	writeError(w, http.StatusUnauthorized, "send Authorization: Bearer $MAILDX_API_TOKEN")
	return false
}

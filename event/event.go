package event

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/maildx/maildx"
)

// Type is the kind of a delivery event.
type Type string

// The event types. Failures (bounced, deferred, dropped) and the reactions
// that stop mail to an address (complained, unsubscribed) carry a
// Diagnosis; the others do not.
const (
	Delivered    Type = "delivered"
	Bounced      Type = "bounced"  // the message was refused or given up: permanent for this message
	Deferred     Type = "deferred" // a temporary failure; the provider retries
	Dropped      Type = "dropped"  // the provider did not attempt delivery (suppressed address, bad content)
	Complained   Type = "complained"
	Unsubscribed Type = "unsubscribed"
	Opened       Type = "opened"
	Clicked      Type = "clicked"
)

// Diagnosed reports whether events of type t carry a Diagnosis.
func (t Type) Diagnosed() bool {
	switch t {
	case Bounced, Deferred, Dropped, Complained, Unsubscribed:
		return true
	}
	return false
}

// Provider names (Event.Provider).
const (
	ProviderMailgun  = "mailgun"
	ProviderSendGrid = "sendgrid"
	ProviderSES      = "ses"
	ProviderPostmark = "postmark"
	ProviderGeneric  = "generic"
)

// Environment variables that hold the adapters' keys. The server reads them
// (or the matching flags); this package only names them in errors.
const (
	EnvMailgunSigningKey      = "MAILDX_MAILGUN_SIGNING_KEY"
	EnvSendGridPublicKey      = "MAILDX_SENDGRID_PUBLIC_KEY"
	EnvSESTopicARNs           = "MAILDX_SES_TOPIC_ARNS"
	EnvSESConfirmSubscription = "MAILDX_SES_CONFIRM_SUBSCRIPTIONS"
	EnvPostmarkUser           = "MAILDX_POSTMARK_USER"
	EnvPostmarkPassword       = "MAILDX_POSTMARK_PASSWORD"
	EnvAPIToken               = "MAILDX_API_TOKEN"
)

// Event is one normalized delivery event. The JSON names are part of
// maildx's public interface (docs/webhooks.md).
type Event struct {
	// ID is deterministic: a hash of the provider, the provider's event id
	// and the recipient, or of the raw payload when the provider gives no
	// id. A redelivered webhook yields the same ID.
	ID              string    `json:"id"`
	Provider        string    `json:"provider"`
	ProviderEventID string    `json:"provider_event_id,omitempty"`
	Type            Type      `json:"type"`
	Recipient       string    `json:"recipient"`
	MessageID       string    `json:"message_id,omitempty"` // angle brackets stripped
	SendingDomain   string    `json:"sending_domain,omitempty"`
	Time            time.Time `json:"time"` // UTC; zero when the payload has none (Generic without "time")
	// RemoteText is the receiving server's reply or the provider's
	// description of the failure, as given.
	RemoteText string `json:"remote_text,omitempty"`
	// Raw is the provider's original payload of this event (for SES the
	// whole SNS envelope), kept so the event can be re-classified.
	Raw       json.RawMessage   `json:"raw"`
	Diagnosis *maildx.Diagnosis `json:"diagnosis,omitempty"`
}

// Adapter receives one provider's webhooks. An HTTP handler reads the body
// (bounded), calls Verify, then Parse, stores the events, and answers 2xx
// only after the commit.
type Adapter interface {
	// Provider returns the provider name (Event.Provider).
	Provider() string
	// Verify checks that the request comes from the provider: signature
	// or credentials, freshness and replay. now is the receive time.
	Verify(r *http.Request, body []byte, now time.Time) error
	// Parse turns a verified body into events. Payload entries of kinds
	// that are not delivery events (SendGrid "processed", Mailgun
	// "accepted") are skipped, not errors. A malformed body returns a
	// *PayloadError; a control message (an SNS subscription confirmation)
	// returns a *Notice.
	Parse(body []byte) ([]Event, error)
}

// Confirmer is implemented by adapters whose provider sends control
// messages that the receiver may act on (SES: SNS subscription
// confirmations). A handler that got a *Notice from Parse calls Confirm,
// then answers 200 with the notice's message.
type Confirmer interface {
	Confirm(ctx context.Context, n *Notice) error
}

// Errors returned by Verify. internal/web maps them to HTTP statuses:
// ErrNotConfigured → 404 or 503 with the setting to make, ErrBadSignature,
// ErrStale and ErrReplay → 401, *PayloadError → 400.
var (
	ErrNotConfigured = errors.New("event: webhook not configured")
	ErrBadSignature  = errors.New("event: missing or bad signature")
	ErrStale         = errors.New("event: timestamp outside the accepted window")
	ErrReplay        = errors.New("event: request already received (replay)")
)

// NotConfiguredError says which settings an adapter lacks. It matches
// ErrNotConfigured with errors.Is.
type NotConfiguredError struct {
	Provider string
	Env      []string // the environment variables to set
}

func (e *NotConfiguredError) Error() string {
	return fmt.Sprintf("event: %s webhook not configured: set %s", e.Provider, strings.Join(e.Env, " and "))
}

// Is makes errors.Is(err, ErrNotConfigured) true.
func (e *NotConfiguredError) Is(target error) bool { return target == ErrNotConfigured }

// PayloadError reports a body that is not the provider's payload shape.
type PayloadError struct {
	Provider string
	Reason   string
	Err      error // the underlying decoding error, if any
}

func (e *PayloadError) Error() string {
	s := "event: bad " + e.Provider + " payload: " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *PayloadError) Unwrap() error { return e.Err }

func payloadErr(provider, reason string, err error) *PayloadError {
	return &PayloadError{Provider: provider, Reason: reason, Err: err}
}

// Notice is returned by Parse for a verified control message that carries
// no events. It is not a failure: the handler answers 200 with Message.
type Notice struct {
	Provider string
	Kind     string // "subscription-confirmation", "unsubscribe-confirmation"
	Message  string // for people: what happened and what to do
	TopicARN string
	URL      string // the SubscribeURL of an SNS subscription confirmation
}

func (n *Notice) Error() string { return "event: " + n.Provider + " " + n.Kind + ": " + n.Message }

// ReplayCache remembers request keys (a Mailgun token, a hash of a signed
// SendGrid request, an SNS MessageId) until they expire. Seen records key
// and reports whether it was recorded already and has not expired; the
// check and the record are one atomic step. The store may provide a shared
// implementation for several serve processes.
type ReplayCache interface {
	Seen(ctx context.Context, key string, now, expires time.Time) (bool, error)
}

// MemoryReplayCache is a bounded in-memory ReplayCache. The zero value is
// ready to use and holds at most DefaultReplayEntries keys; when full it
// drops expired keys first, then the oldest.
type MemoryReplayCache struct {
	Max int // maximum number of keys; 0 means DefaultReplayEntries

	mu    sync.Mutex
	keys  map[string]time.Time
	order []string // insertion order, for eviction
}

// DefaultReplayEntries bounds a zero MemoryReplayCache.
const DefaultReplayEntries = 100_000

var _ ReplayCache = (*MemoryReplayCache)(nil)

// Seen implements ReplayCache.
func (c *MemoryReplayCache) Seen(_ context.Context, key string, now, expires time.Time) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.keys = map[string]time.Time{}
	}
	if exp, ok := c.keys[key]; ok && now.Before(exp) {
		return true, nil
	}
	max := c.Max
	if max <= 0 {
		max = DefaultReplayEntries
	}
	if len(c.order) >= max {
		c.evict(now, max)
	}
	if _, ok := c.keys[key]; !ok {
		c.order = append(c.order, key)
	}
	c.keys[key] = expires
	return false, nil
}

// evict drops expired keys; if none expired it drops the oldest tenth.
func (c *MemoryReplayCache) evict(now time.Time, max int) {
	kept := c.order[:0]
	for _, k := range c.order {
		if exp, ok := c.keys[k]; ok && now.Before(exp) {
			kept = append(kept, k)
		} else {
			delete(c.keys, k)
		}
	}
	c.order = kept
	if len(c.order) >= max {
		n := max/10 + 1
		for _, k := range c.order[:n] {
			delete(c.keys, k)
		}
		c.order = append(c.order[:0:0], c.order[n:]...)
	}
}

// DefaultTolerance is how far a signed timestamp may lie in the past (or
// the future) by default.
const DefaultTolerance = 5 * time.Minute

// checkTime enforces a tolerance window around now; tol < 0 disables it.
func checkTime(ts, now time.Time, tol time.Duration) error {
	if tol < 0 {
		return nil
	}
	if tol == 0 {
		tol = DefaultTolerance
	}
	if d := now.Sub(ts); d > tol || d < -tol {
		return fmt.Errorf("%w: signed at %s, received at %s", ErrStale, ts.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

func replayCheck(ctx context.Context, c ReplayCache, key string, now time.Time, tol time.Duration) error {
	if c == nil {
		return nil
	}
	if tol <= 0 {
		tol = DefaultTolerance
	}
	seen, err := c.Seen(ctx, key, now, now.Add(tol))
	if err != nil {
		return fmt.Errorf("checking replay cache: %w", err)
	}
	if seen {
		return ErrReplay
	}
	return nil
}

// equalSecret compares two secrets in constant time, also in their length.
func equalSecret(got, want string) bool {
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// eventID derives the stable Event.ID from its parts.
func eventID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// rawID is the Event.ID of an event whose provider gives no id.
func rawID(provider string, raw []byte) string {
	sum := sha256.Sum256(raw)
	return eventID(provider, "raw", hex.EncodeToString(sum[:]))
}

// NormalizeMessageID strips white space and angle brackets from a
// Message-ID (RFC 5322 §3.6.4 msg-id).
func NormalizeMessageID(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "<")
	s = strings.TrimSuffix(s, ">")
	return clip(strings.TrimSpace(s), maxField)
}

// domainOf returns the lower-cased domain of an address ("Shop
// <info@shop.example>" → "shop.example").
func domainOf(addr string) string {
	addr = strings.TrimSpace(addr)
	if i := strings.LastIndexByte(addr, '<'); i >= 0 {
		addr = addr[i+1:]
		if j := strings.IndexByte(addr, '>'); j >= 0 {
			addr = addr[:j]
		}
	}
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return clip(strings.ToLower(strings.TrimSpace(addr[i+1:])), maxField)
}

// Field limits: a payload may carry anything; stored fields stay bounded.
const (
	maxField     = 998  // the line limit of RFC 5322 §2.1.1
	maxText      = 8000 // remote text kept and explained
	maxBatch     = 10_000
	maxRecipient = 1000 // recipients of one SES notification
)

// clip cuts s to at most n bytes at a rune boundary and replaces invalid
// UTF-8.
func clip(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// cleanAddr trims an address and bounds its length.
func cleanAddr(s string) string { return clip(strings.TrimSpace(s), maxField) }

// explain runs the one classifier. text is the provider's failure fields
// (a compact JSON object the classifier unpacks, or plain text).
func explain(t Type, text string, lang string, opts ...maildx.Option) *maildx.Diagnosis {
	if !t.Diagnosed() {
		return nil
	}
	o := append([]maildx.Option{maildx.WithLang(lang)}, opts...)
	if t == Complained || t == Unsubscribed {
		o = append(o, maildx.WithReason("feedback"))
	}
	d := maildx.Explain(clip(text, maxText), o...)
	return &d
}

// classifierInput marshals the provider's failure fields for the
// classifier. Empty values are left out; map keys are sorted by
// encoding/json, so the input is deterministic.
func classifierInput(fields map[string]any) string {
	for k, v := range fields {
		switch x := v.(type) {
		case string:
			if x == "" {
				delete(fields, k)
			}
		case nil:
			delete(fields, k)
		case map[string]any:
			if len(x) == 0 {
				delete(fields, k)
			} else {
				classifierInput(x)
			}
		}
	}
	b, _ := json.Marshal(fields)
	return string(b)
}

// unixTime converts seconds since the epoch (with fraction) to UTC.
func unixTime(sec float64) time.Time {
	if sec <= 0 || sec > 1e11 {
		return time.Time{}
	}
	s := int64(sec)
	ns := int64((sec - float64(s)) * 1e9)
	// Round to milliseconds: providers send at most that precision and
	// float64 noise must not make two parses differ.
	ns = (ns + 500_000) / 1_000_000 * 1_000_000
	return time.Unix(s, ns).UTC()
}

// parseTime reads an ISO-8601/RFC 3339 time (any fraction) as UTC.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// Reclassify re-runs the classifier over a stored event's Raw payload (after
// a knowledge-base update) and returns the event as its adapter parses it
// now, with the diagnosis in lang. The ID stays the same.
func Reclassify(e Event, lang string) (Event, error) {
	var evs []Event
	var err error
	switch e.Provider {
	case ProviderMailgun:
		evs, err = (&Mailgun{Lang: lang}).Parse(e.Raw)
	case ProviderSendGrid:
		evs, err = (&SendGrid{Lang: lang}).Parse(e.Raw)
	case ProviderSES:
		evs, err = (&SES{Lang: lang}).Parse(e.Raw)
	case ProviderPostmark:
		evs, err = (&Postmark{Lang: lang}).Parse(e.Raw)
	case ProviderGeneric:
		evs, err = (&Generic{Lang: lang}).Parse(e.Raw)
	default:
		return e, fmt.Errorf("event: reclassifying %s: unknown provider %q", e.ID, e.Provider)
	}
	if err != nil {
		return e, fmt.Errorf("event: reclassifying %s: %w", e.ID, err)
	}
	for _, n := range evs {
		if n.ID == e.ID {
			return n, nil
		}
	}
	return e, fmt.Errorf("event: reclassifying %s: the raw payload no longer yields this event", e.ID)
}

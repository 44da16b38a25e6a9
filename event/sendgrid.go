package event

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/maildx/maildx"
)

// SendGrid header names of the signed Event Webhook.
const (
	SendGridSignatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
	SendGridTimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
)

// SendGrid receives the Twilio SendGrid Event Webhook: a JSON array of
// events per POST.
//
// Authenticity (Signed Event Webhook): the signature header holds the
// base64 ASN.1 ECDSA signature, with the account's P-256 key, over the
// SHA-256 of the timestamp header followed by the raw body. The timestamp
// must lie within Tolerance of the receive time and a signed request is
// accepted once.
type SendGrid struct {
	// PublicKey is the verification key as SendGrid shows it: base64 of
	// the DER (PKIX) encoding; a PEM block is accepted too. Empty: not
	// configured.
	PublicKey string
	Tolerance time.Duration // 0: DefaultTolerance; negative: no freshness check
	Replay    ReplayCache   // nil: a MemoryReplayCache owned by the adapter
	Lang      string

	once          sync.Once
	key           *ecdsa.PublicKey
	keyErr        error
	defaultReplay MemoryReplayCache
}

var _ Adapter = (*SendGrid)(nil)

// Provider implements Adapter.
func (s *SendGrid) Provider() string { return ProviderSendGrid }

// ParseSendGridPublicKey decodes a SendGrid verification key: base64 DER
// (PKIX) as the settings page shows it, or PEM. It must be an ECDSA P-256
// key.
func ParseSendGridPublicKey(s string) (*ecdsa.PublicKey, error) {
	s = strings.TrimSpace(s)
	var der []byte
	if blk, _ := pem.Decode([]byte(s)); blk != nil {
		der = blk.Bytes
	} else {
		var err error
		der, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return nil, fmt.Errorf("event: SendGrid public key is not base64: %w", err)
		}
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("event: SendGrid public key is not a PKIX key: %w", err)
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, errors.New("event: SendGrid public key is not an ECDSA P-256 key")
	}
	return ek, nil
}

// Verify implements Adapter. A PublicKey that cannot be decoded is
// reported as not configured, with the reason.
func (s *SendGrid) Verify(r *http.Request, body []byte, now time.Time) error {
	if strings.TrimSpace(s.PublicKey) == "" {
		return &NotConfiguredError{Provider: ProviderSendGrid, Env: []string{EnvSendGridPublicKey}}
	}
	s.once.Do(func() { s.key, s.keyErr = ParseSendGridPublicKey(s.PublicKey) })
	if s.keyErr != nil {
		return fmt.Errorf("%w (%s): %w", &NotConfiguredError{Provider: ProviderSendGrid, Env: []string{EnvSendGridPublicKey}}, "the key does not decode", s.keyErr)
	}
	sig64 := strings.TrimSpace(r.Header.Get(SendGridSignatureHeader))
	ts := strings.TrimSpace(r.Header.Get(SendGridTimestampHeader))
	if sig64 == "" || ts == "" {
		return fmt.Errorf("%w: headers %s and %s are required", ErrBadSignature, SendGridSignatureHeader, SendGridTimestampHeader)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %.20q is not a number", ErrBadSignature, ts)
	}
	sig, err := base64.StdEncoding.DecodeString(sig64)
	if err != nil {
		return fmt.Errorf("%w: signature is not base64", ErrBadSignature)
	}
	h := sha256.New()
	h.Write([]byte(ts))
	h.Write(body)
	digest := h.Sum(nil)
	if !ecdsa.VerifyASN1(s.key, digest, sig) {
		return ErrBadSignature
	}
	if err := checkTime(time.Unix(sec, 0), now, s.Tolerance); err != nil {
		return err
	}
	rc := s.Replay
	if rc == nil {
		rc = &s.defaultReplay
	}
	// The key is the signed content, not the signature: an ECDSA
	// signature can be re-encoded (s → n−s) and stay valid.
	return replayCheck(r.Context(), rc, "sendgrid:"+hex.EncodeToString(digest), now, s.Tolerance)
}

type sendgridEvent struct {
	Event          string          `json:"event"`
	Type           string          `json:"type"`
	Email          string          `json:"email"`
	Timestamp      json.Number     `json:"timestamp"`
	SMTPID         string          `json:"smtp-id"`
	SGEventID      string          `json:"sg_event_id"`
	SGMessageID    string          `json:"sg_message_id"`
	Reason         string          `json:"reason"`
	Response       string          `json:"response"`
	Status         string          `json:"status"`
	Classification string          `json:"bounce_classification"`
	Attempt        json.RawMessage `json:"attempt"` // "3" or 3
}

// Parse implements Adapter. The body is a JSON array of events; a single
// event object (a stored Raw) is accepted too. "processed" (SendGrid took
// the request), "group_resubscribe" and unknown event kinds yield no event:
// they say nothing about delivery to the recipient.
func (s *SendGrid) Parse(body []byte) ([]Event, error) {
	body = bytes.TrimSpace(body)
	var items []json.RawMessage
	switch {
	case len(body) > 0 && body[0] == '[':
		if err := json.Unmarshal(body, &items); err != nil {
			return nil, payloadErr(ProviderSendGrid, "body is not a JSON array of events", err)
		}
	case len(body) > 0 && body[0] == '{':
		items = []json.RawMessage{body}
	default:
		return nil, payloadErr(ProviderSendGrid, "body is not a JSON array of events", nil)
	}
	if len(items) > maxBatch {
		return nil, payloadErr(ProviderSendGrid, fmt.Sprintf("%d events in one batch, at most %d are accepted", len(items), maxBatch), nil)
	}
	out := make([]Event, 0, len(items))
	for i, raw := range items {
		e, ok, err := s.parseOne(raw)
		if err != nil {
			err.Reason = fmt.Sprintf("event %d: %s", i, err.Reason)
			return nil, err
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *SendGrid) parseOne(raw json.RawMessage) (Event, bool, *PayloadError) {
	var ev sendgridEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return Event{}, false, payloadErr(ProviderSendGrid, "not an event object", err)
	}
	if ev.Event == "" {
		return Event{}, false, payloadErr(ProviderSendGrid, `no "event"`, nil)
	}
	var t Type
	switch ev.Event {
	case "delivered":
		t = Delivered
	case "deferred":
		t = Deferred
	case "bounce":
		t = Bounced // type "bounce" and "blocked": SendGrid does not retry either
	case "dropped":
		t = Dropped
	case "spamreport":
		t = Complained
	case "unsubscribe", "group_unsubscribe":
		t = Unsubscribed
	case "open":
		t = Opened
	case "click":
		t = Clicked
	default:
		return Event{}, false, nil
	}
	if ev.Email == "" {
		return Event{}, false, payloadErr(ProviderSendGrid, `no "email"`, nil)
	}
	ts, _ := ev.Timestamp.Float64()
	e := Event{
		Provider:        ProviderSendGrid,
		ProviderEventID: clip(ev.SGEventID, maxField),
		Type:            t,
		Recipient:       cleanAddr(ev.Email),
		MessageID:       NormalizeMessageID(ev.SMTPID),
		Time:            unixTime(ts),
		Raw:             raw,
	}
	if e.MessageID == "" {
		e.MessageID = NormalizeMessageID(ev.SGMessageID)
	}
	if ev.SGEventID != "" {
		e.ID = eventID(ProviderSendGrid, ev.SGEventID, e.Recipient)
	} else {
		e.ID = rawID(ProviderSendGrid, raw)
	}
	text := ev.Reason
	if ev.Event == "deferred" || text == "" {
		text = ev.Response
	}
	e.RemoteText = clip(strings.TrimSpace(text), maxText)
	if !t.Diagnosed() {
		return e, true, nil
	}
	fields := map[string]any{"event": ev.Event, "type": ev.Type, "sg_event_id": ev.SGEventID,
		"reason": ev.Reason, "response": ev.Response, "bounce_classification": ev.Classification}
	var opts []maildx.Option
	// QUIRK: SendGrid's status is often the generic 5.0.0/4.0.0 even when
	// the reason text says more; the classifier ranks vague codes low.
	if ev.Status != "" {
		fields["status"] = ev.Status
		opts = append(opts, maildx.WithStatus(ev.Status))
	}
	if n, err := strconv.Atoi(strings.Trim(string(ev.Attempt), `"`)); err == nil && n > 1 && n < 1000 {
		opts = append(opts, maildx.WithAttempt(n))
	}
	if t == Bounced {
		opts = append(opts, maildx.WithFinal())
	}
	e.Diagnosis = explain(t, classifierInput(fields), s.Lang, opts...)
	return e, true, nil
}

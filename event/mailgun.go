package event

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/maildx/maildx"
)

// Mailgun receives Mailgun's JSON webhooks (since 2018): one POST per
// event, {"signature": {...}, "event-data": {...}}.
//
// Authenticity: signature.signature is the hex HMAC-SHA256, keyed with the
// webhook signing key, of signature.timestamp followed by signature.token
// (documentation.mailgun.com, "Securing Webhooks"). A subaccount's event
// may instead carry the primary account's parent-signature; either is
// accepted. The timestamp must lie within Tolerance of the receive time and
// a token is accepted once.
type Mailgun struct {
	SigningKey string        // the "HTTP webhook signing key"; empty: not configured
	Tolerance  time.Duration // 0: DefaultTolerance; negative: no freshness check
	Replay     ReplayCache   // nil: a MemoryReplayCache owned by the adapter
	Lang       string        // language of the diagnoses: "en" (default) or "de"

	defaultReplay MemoryReplayCache
}

var _ Adapter = (*Mailgun)(nil)

// Provider implements Adapter.
func (m *Mailgun) Provider() string { return ProviderMailgun }

type mailgunSignature struct {
	Timestamp       json.RawMessage `json:"timestamp"` // a string in practice, a number in some docs
	Token           string          `json:"token"`
	Signature       string          `json:"signature"`
	ParentSignature string          `json:"parent-signature"`
}

type mailgunBody struct {
	Signature *mailgunSignature `json:"signature"`
}

// Verify implements Adapter.
func (m *Mailgun) Verify(r *http.Request, body []byte, now time.Time) error {
	if m.SigningKey == "" {
		return &NotConfiguredError{Provider: ProviderMailgun, Env: []string{EnvMailgunSigningKey}}
	}
	var b mailgunBody
	if err := json.Unmarshal(body, &b); err != nil {
		return payloadErr(ProviderMailgun, "body is not a JSON object", err)
	}
	s := b.Signature
	if s == nil || s.Token == "" || (s.Signature == "" && s.ParentSignature == "") {
		return fmt.Errorf("%w: no signature object with timestamp, token and signature", ErrBadSignature)
	}
	ts := strings.Trim(string(s.Timestamp), `"`)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ts == "" {
		return fmt.Errorf("%w: signature timestamp %.20q is not a number", ErrBadSignature, ts)
	}
	mac := hmac.New(sha256.New, []byte(m.SigningKey))
	mac.Write([]byte(ts))
	mac.Write([]byte(s.Token))
	want := mac.Sum(nil)
	if !hexEqual(s.Signature, want) && !hexEqual(s.ParentSignature, want) {
		return ErrBadSignature
	}
	// Freshness and replay are checked only for authentic requests, so a
	// forger cannot fill the replay cache.
	if err := checkTime(time.Unix(sec, 0), now, m.Tolerance); err != nil {
		return err
	}
	rc := m.Replay
	if rc == nil {
		rc = &m.defaultReplay
	}
	return replayCheck(r.Context(), rc, "mailgun:"+s.Token, now, m.Tolerance)
}

func hexEqual(sig string, want []byte) bool {
	got, err := hex.DecodeString(strings.TrimSpace(sig))
	return err == nil && hmac.Equal(got, want)
}

type mailgunEvent struct {
	Event          string          `json:"event"`
	ID             string          `json:"id"`
	Timestamp      json.Number     `json:"timestamp"`
	Severity       string          `json:"severity"`
	Reason         string          `json:"reason"`
	Recipient      string          `json:"recipient"`
	LogLevel       string          `json:"log-level"`
	DeliveryStatus *mailgunStatus  `json:"delivery-status"`
	Envelope       mailgunEnvelope `json:"envelope"`
	Message        struct {
		Headers struct {
			MessageID string `json:"message-id"`
			From      string `json:"from"`
		} `json:"headers"`
	} `json:"message"`
}

type mailgunStatus struct {
	Code         json.Number `json:"code"`
	EnhancedCode string      `json:"enhanced-code"`
	Message      string      `json:"message"`
	Description  string      `json:"description"`
	AttemptNo    json.Number `json:"attempt-no"`
}

type mailgunEnvelope struct {
	Sender string `json:"sender"`
}

// Parse implements Adapter. Mailgun events that are not delivery events
// (accepted, stored, list-member events) yield no event.
func (m *Mailgun) Parse(body []byte) ([]Event, error) {
	body = bytes.TrimSpace(body)
	// One pass over the body: the signature is Verify's business.
	var b struct {
		EventData *mailgunEvent `json:"event-data"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, payloadErr(ProviderMailgun, `body is not a JSON object with an "event-data" object`, err)
	}
	if b.EventData == nil {
		return nil, payloadErr(ProviderMailgun, `no "event-data" object (legacy form-encoded webhooks are not supported)`, nil)
	}
	ed := *b.EventData
	if ed.Event == "" {
		return nil, payloadErr(ProviderMailgun, `"event-data" has no "event"`, nil)
	}
	var t Type
	switch ed.Event {
	case "delivered":
		t = Delivered
	case "failed":
		switch {
		case strings.HasPrefix(ed.Reason, "suppress-"):
			t = Dropped // Mailgun did not try: the address is on a suppression list
		case ed.Severity == "temporary":
			t = Deferred
		default:
			t = Bounced
		}
	case "rejected":
		t = Dropped
	case "complained":
		t = Complained
	case "unsubscribed":
		t = Unsubscribed
	case "opened":
		t = Opened
	case "clicked":
		t = Clicked
	default:
		return nil, nil
	}
	if ed.Recipient == "" {
		return nil, payloadErr(ProviderMailgun, `"event-data" has no "recipient"`, nil)
	}
	ts, _ := ed.Timestamp.Float64()
	e := Event{
		Provider:        ProviderMailgun,
		ProviderEventID: clip(ed.ID, maxField),
		Type:            t,
		Recipient:       cleanAddr(ed.Recipient),
		MessageID:       NormalizeMessageID(ed.Message.Headers.MessageID),
		SendingDomain:   domainOf(ed.Envelope.Sender),
		Time:            unixTime(ts),
		Raw:             json.RawMessage(body),
	}
	if e.SendingDomain == "" {
		e.SendingDomain = domainOf(ed.Message.Headers.From)
	}
	// event-data.id is unique only within a day (anymail): the timestamp
	// makes the key unique.
	if ed.ID != "" {
		e.ID = eventID(ProviderMailgun, ed.ID, ed.Timestamp.String(), e.Recipient)
	} else {
		e.ID = rawID(ProviderMailgun, body)
	}
	fields := map[string]any{"event": ed.Event, "severity": ed.Severity, "reason": ed.Reason}
	var opts []maildx.Option
	if ds := ed.DeliveryStatus; ds != nil {
		e.RemoteText = clip(mailgunText(ds), maxText)
		st := map[string]any{"message": ds.Message, "description": ds.Description, "enhanced-code": ds.EnhancedCode}
		if n, err := ds.Code.Int64(); err == nil && n > 0 {
			st["code"] = n
		}
		fields["delivery-status"] = st
		if ds.EnhancedCode != "" {
			opts = append(opts, maildx.WithStatus(ds.EnhancedCode))
		}
		if n, err := ds.AttemptNo.Int64(); err == nil && n > 1 && n < 1000 {
			opts = append(opts, maildx.WithAttempt(int(n)))
		}
	}
	if t == Bounced && ed.Severity == "permanent" {
		opts = append(opts, maildx.WithFinal())
	}
	e.Diagnosis = explain(t, classifierInput(fields), m.Lang, opts...)
	return []Event{e}, nil
}

// mailgunText is the remote reply as people read it: "550 5.1.1 …", or
// Mailgun's own description when the receiver said nothing.
func mailgunText(ds *mailgunStatus) string {
	msg := strings.TrimSpace(ds.Message)
	if msg == "" {
		return strings.TrimSpace(ds.Description)
	}
	code := ds.Code.String()
	if n, err := ds.Code.Int64(); err == nil && n >= 200 && n < 600 && !strings.HasPrefix(msg, code) {
		return code + " " + msg
	}
	return msg
}

package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Generic receives an application's own send errors (POST /api/v1/events):
// a JSON object or an array of them,
//
//	{"recipient": "…", "message_id": "…", "provider": "gmail", "error": "…", "time": "…"}
//
// "error" is explained as it is: a Gmail SMTP reply, a nodemailer error
// string or object, any text. "time" is RFC 3339 or seconds since the
// epoch; without it Event.Time is zero and the handler sets the receive
// time. Optional: "id" (the application's event id, used for the Event
// ID), "type" (one of the Types; by default bounced, or deferred when the
// classifier judges the error temporary), "from" (the sender, for
// SendingDomain). Requests carry "Authorization: Bearer TOKEN".
type Generic struct {
	Token string // MAILDX_API_TOKEN; empty: not configured
	Lang  string
}

var _ Adapter = (*Generic)(nil)

// Provider implements Adapter.
func (g *Generic) Provider() string { return ProviderGeneric }

// Verify implements Adapter.
func (g *Generic) Verify(r *http.Request, _ []byte, _ time.Time) error {
	if g.Token == "" {
		return &NotConfiguredError{Provider: ProviderGeneric, Env: []string{EnvAPIToken}}
	}
	auth := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return fmt.Errorf("%w: no bearer token", ErrBadSignature)
	}
	if !equalSecret(strings.TrimSpace(tok), g.Token) {
		return ErrBadSignature
	}
	return nil
}

type genericEvent struct {
	ID        string          `json:"id"`
	Recipient string          `json:"recipient"`
	MessageID string          `json:"message_id"`
	Provider  string          `json:"provider"`
	Error     json.RawMessage `json:"error"` // a string, or a JSON object (a nodemailer error)
	Time      json.RawMessage `json:"time"`
	Type      string          `json:"type"`
	From      string          `json:"from"`
}

// Parse implements Adapter.
func (g *Generic) Parse(body []byte) ([]Event, error) {
	body = bytes.TrimSpace(body)
	var items []json.RawMessage
	switch {
	case len(body) > 0 && body[0] == '[':
		if err := json.Unmarshal(body, &items); err != nil {
			return nil, payloadErr(ProviderGeneric, "body is not a JSON array of events", err)
		}
	case len(body) > 0 && body[0] == '{':
		items = []json.RawMessage{body}
	default:
		return nil, payloadErr(ProviderGeneric, "body is not a JSON object or array", nil)
	}
	if len(items) == 0 {
		return nil, payloadErr(ProviderGeneric, "no events", nil)
	}
	if len(items) > maxBatch {
		return nil, payloadErr(ProviderGeneric, fmt.Sprintf("%d events in one request, at most %d are accepted", len(items), maxBatch), nil)
	}
	out := make([]Event, 0, len(items))
	for i, raw := range items {
		e, err := g.parseOne(raw)
		if err != nil {
			err.Reason = fmt.Sprintf("event %d: %s", i, err.Reason)
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (g *Generic) parseOne(raw json.RawMessage) (Event, *PayloadError) {
	var ge genericEvent
	if err := json.Unmarshal(raw, &ge); err != nil {
		return Event{}, payloadErr(ProviderGeneric, "not an event object", err)
	}
	if strings.TrimSpace(ge.Recipient) == "" {
		return Event{}, payloadErr(ProviderGeneric, `"recipient" is required`, nil)
	}
	text, err := errorText(ge.Error)
	if err != nil {
		return Event{}, err
	}
	t := Type(strings.ToLower(strings.TrimSpace(ge.Type)))
	explicit := t != ""
	switch t {
	case "":
		t = Bounced
	case Delivered, Bounced, Deferred, Dropped, Complained, Unsubscribed, Opened, Clicked:
	default:
		return Event{}, payloadErr(ProviderGeneric, fmt.Sprintf(`unknown "type" %.40q`, ge.Type), nil)
	}
	if text == "" && t.Diagnosed() && t != Complained && t != Unsubscribed {
		return Event{}, payloadErr(ProviderGeneric, `"error" is required for a failure`, nil)
	}
	tm, perr := genericTime(ge.Time)
	if perr != nil {
		return Event{}, perr
	}
	e := Event{
		Provider:        ProviderGeneric,
		ProviderEventID: clip(ge.ID, maxField),
		Type:            t,
		Recipient:       cleanAddr(ge.Recipient),
		MessageID:       NormalizeMessageID(ge.MessageID),
		SendingDomain:   domainOf(ge.From),
		Time:            tm,
		RemoteText:      clip(text, maxText),
		Raw:             raw,
	}
	if ge.ID != "" {
		e.ID = eventID(ProviderGeneric, ge.ID, e.Recipient)
	} else {
		e.ID = rawID(ProviderGeneric, raw)
	}
	e.Diagnosis = explain(t, e.RemoteText, g.Lang)
	if !explicit && e.Diagnosis != nil && e.Diagnosis.Temporary {
		e.Type = Deferred
	}
	return e, nil
}

// errorText returns "error" as the classifier should read it: a string as
// it is, an object (a nodemailer error) as its JSON.
func errorText(raw json.RawMessage) (string, *PayloadError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", payloadErr(ProviderGeneric, `"error" is not a string`, err)
		}
		return strings.TrimSpace(s), nil
	case '{':
		return string(raw), nil
	}
	return "", payloadErr(ProviderGeneric, `"error" must be a string or an object`, nil)
}

func genericTime(raw json.RawMessage) (time.Time, *PayloadError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || (s != "" && parseTime(s).IsZero()) {
			return time.Time{}, payloadErr(ProviderGeneric, `"time" is not an RFC 3339 time`, err)
		}
		return parseTime(s), nil
	}
	var n float64
	if err := json.Unmarshal(raw, &n); err != nil || unixTime(n).IsZero() {
		return time.Time{}, payloadErr(ProviderGeneric, `"time" is neither RFC 3339 nor seconds since the epoch`, err)
	}
	return unixTime(n), nil
}

// Package events maps maildx's three sources of delivery results – provider
// webhooks (package event), bounce messages (package dsn) and mail server
// logs (package maillog) – to the stored event of package store, and back.
//
// It is shared by the CLI (maildx events, logs --store, parse --store) and
// the web server, so that an event looks the same whichever way it came in.
package events

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/maildx/maildx"
	"github.com/maildx/maildx/dsn"
	"github.com/maildx/maildx/event"
	"github.com/maildx/maildx/maillog"
	"github.com/maildx/maildx/store"
)

// ProviderBounce is the provider of events read from bounce messages
// (maildx parse --store). Events read from mail server logs have the MTA as
// provider: maillog.MTAPostfix, maillog.MTAExim or maillog.MTASendmail.
const ProviderBounce = "bounce"

// ToStore maps a normalized webhook event to a store event: the same ID,
// the diagnosis flattened into the filter columns and kept whole as JSON.
func ToStore(e event.Event) store.Event {
	s := store.Event{
		ID:              e.ID,
		Provider:        e.Provider,
		ProviderEventID: e.ProviderEventID,
		Type:            string(e.Type),
		Recipient:       e.Recipient,
		MessageID:       e.MessageID,
		SendingDomain:   e.SendingDomain,
		Time:            e.Time,
		RemoteText:      e.RemoteText,
		Raw:             e.Raw,
	}
	SetDiagnosis(&s, e.Diagnosis)
	return s
}

// FromStore maps a stored event back to the normalized event (the JSON shape
// of docs/webhooks.md). The diagnosis is decoded from its JSON; a stored
// diagnosis that does not decode is left out.
func FromStore(s store.Event) event.Event {
	e := event.Event{
		ID:              s.ID,
		Provider:        s.Provider,
		ProviderEventID: s.ProviderEventID,
		Type:            event.Type(s.Type),
		Recipient:       s.Recipient,
		MessageID:       s.MessageID,
		SendingDomain:   s.SendingDomain,
		Time:            s.Time,
		RemoteText:      s.RemoteText,
		Raw:             s.Raw,
	}
	if len(s.Diagnosis) > 0 {
		var d maildx.Diagnosis
		if json.Unmarshal(s.Diagnosis, &d) == nil {
			e.Diagnosis = &d
		}
	}
	return e
}

// SetDiagnosis fills the flattened diagnosis fields and the diagnosis JSON
// of s from d; a nil d clears them.
func SetDiagnosis(s *store.Event, d *maildx.Diagnosis) {
	s.Reason, s.Category, s.Action, s.Fault, s.Status, s.DiagnosisProvider = "", "", "", "", "", ""
	s.HardBounce, s.Temporary, s.ReplyCode, s.Diagnosis = false, false, 0, nil
	if d == nil {
		return
	}
	s.Reason = d.Reason
	s.Category = d.Category
	s.Action = d.Action
	s.Fault = d.Fault
	s.HardBounce = d.HardBounce
	s.Temporary = d.Temporary
	s.Status = d.Status
	s.ReplyCode = d.ReplyCode
	s.DiagnosisProvider = d.Provider
	if b, err := json.Marshal(d); err == nil {
		s.Diagnosis = b
	}
}

// Lang returns the language of a stored event's diagnosis ("" when none).
func Lang(s store.Event) string {
	var d struct {
		Lang string `json:"lang"`
	}
	if len(s.Diagnosis) == 0 || json.Unmarshal(s.Diagnosis, &d) != nil {
		return ""
	}
	return d.Lang
}

// hashID returns prefix + the hex of the first 16 bytes of SHA-256 over the
// parts, each followed by a NUL byte.
func hashID(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return prefix + hex.EncodeToString(h.Sum(nil)[:16])
}

// OutcomeID is the deterministic ID of a log outcome: a hash of queue id,
// recipient, status and time (UTC, nanoseconds), so that reading the same
// log twice stores each outcome once.
func OutcomeID(o maillog.Outcome) string {
	return hashID("log:", o.QueueID, o.Recipient, string(o.Status), o.Time.UTC().Format(time.RFC3339Nano))
}

// OutcomeType maps a log status to an event type: sent → delivered,
// deferred → deferred, bounced and expired → bounced, rejected (refused at
// SMTP time, never attempted) → dropped.
func OutcomeType(s maillog.Status) string {
	switch s {
	case maillog.StatusSent:
		return store.TypeDelivered
	case maillog.StatusDeferred:
		return store.TypeDeferred
	case maillog.StatusRejected:
		return store.TypeDropped
	default:
		return store.TypeBounced
	}
}

// FromOutcome maps a log outcome to a store event. The provider is the MTA
// (postfix, exim, sendmail); Raw is the outcome's JSON without the
// diagnosis (docs/logs.md), which ReclassifyFunc reads again.
func FromOutcome(o maillog.Outcome) store.Event {
	d := o.Diagnosis
	o.Diagnosis = nil
	raw, _ := json.Marshal(o)
	s := store.Event{
		ID:         OutcomeID(o),
		Provider:   o.MTA,
		Type:       OutcomeType(o.Status),
		Recipient:  o.Recipient,
		Time:       o.Time,
		RemoteText: o.Text,
		Raw:        raw,
	}
	if at := strings.LastIndexByte(o.Sender, '@'); at >= 0 {
		s.SendingDomain = strings.ToLower(o.Sender[at+1:])
	}
	SetDiagnosis(&s, d)
	return s
}

// BounceStorable reports whether a bounce result is a delivery event.
// Automatic replies (RFC 3834, "out of office") are not: the message was
// delivered and nothing is to be done, so they are not stored.
func BounceStorable(r dsn.Result) bool { return r.DecodedBy != "rfc3834" }

// BounceType maps a bounce result to an event type: a feedback report is
// a complaint; DSN action delayed → deferred, delivered/relayed/expanded →
// delivered, failed → bounced; a bounce without a DSN action is deferred
// when the classifier judges it temporary, else bounced.
func BounceType(r dsn.Result) string {
	if r.FeedbackType != "" || r.DecodedBy == "arf" || r.Reason == "feedback" {
		return store.TypeComplained
	}
	switch strings.ToLower(r.DSNAction) {
	case "failed":
		return store.TypeBounced
	case "delayed":
		return store.TypeDeferred
	case "delivered", "relayed", "expanded":
		return store.TypeDelivered
	}
	if r.Temporary {
		return store.TypeDeferred
	}
	return store.TypeBounced
}

// BounceID is the deterministic ID of a bounce result: a hash of the
// original message's Message-ID (or, when the bounce names none, the file
// it was read from), the recipient and the event type – so that a "delayed"
// and a later "failed" notice for one message are two events, and parsing the
// same bounce twice stores it once.
func BounceID(r dsn.Result) string {
	key := event.NormalizeMessageID(r.MessageID)
	if key == "" {
		key = "file:" + r.File
	}
	return hashID("bounce:", key, store.NormalizeAddress(r.Recipient), BounceType(r))
}

// FromBounce maps one recipient of a bounce to a store event (provider
// "bounce"). The time is the report's date (Arrival-Date, Date) when it
// parses, else zero (the store then uses the time of storage).
func FromBounce(r dsn.Result) store.Event {
	raw, _ := json.Marshal(r.Bounce) // the bounce without its diagnosis
	s := store.Event{
		ID:         BounceID(r),
		Provider:   ProviderBounce,
		Type:       BounceType(r),
		Recipient:  r.Recipient,
		MessageID:  event.NormalizeMessageID(r.MessageID),
		RemoteText: r.Diagnostic,
		Raw:        raw,
	}
	if t, err := mail.ParseDate(strings.TrimSpace(r.Date)); err == nil {
		s.Time = t.UTC()
	}
	if a, err := mail.ParseAddress(r.From); err == nil {
		if at := strings.LastIndexByte(a.Address, '@'); at >= 0 {
			s.SendingDomain = strings.ToLower(a.Address[at+1:])
		}
	}
	d := r.Diagnosis
	SetDiagnosis(&s, &d)
	return s
}

// ErrUnknownProvider is returned by Reclassify for an event whose provider
// no adapter reads.
var ErrUnknownProvider = errors.New("events: no classifier input known for this provider")

// Reclassify re-runs the classifier over a stored event (after a
// knowledge-base update) and returns it with the new diagnosis; only the
// diagnosis fields change. lang "" keeps the language of the stored
// diagnosis (English when none).
//
// Webhook events are parsed again from Raw by their adapter
// (event.Reclassify). Log events are explained again from their outcome
// with the options maillog uses (DSN code, final for bounced/expired,
// attempts for deferred); bounce events from their diagnostic text with the
// options package dsn uses.
func Reclassify(s store.Event, lang string) (store.Event, error) {
	if lang == "" {
		lang = Lang(s)
	}
	if lang == "" {
		lang = "en"
	}
	switch s.Provider {
	case event.ProviderMailgun, event.ProviderSendGrid, event.ProviderSES, event.ProviderPostmark, event.ProviderGeneric:
		n, err := event.Reclassify(FromStore(s), lang)
		if err != nil {
			return s, err
		}
		SetDiagnosis(&s, n.Diagnosis)
		return s, nil
	case maillog.MTAPostfix, maillog.MTAExim, maillog.MTASendmail:
		var o maillog.Outcome
		if err := json.Unmarshal(s.Raw, &o); err != nil {
			return s, fmt.Errorf("events: reclassifying %s: raw log outcome: %w", s.ID, err)
		}
		d := explainOutcome(o, lang)
		SetDiagnosis(&s, &d)
		return s, nil
	case ProviderBounce:
		var r dsn.Bounce
		if err := json.Unmarshal(s.Raw, &r); err != nil {
			return s, fmt.Errorf("events: reclassifying %s: raw bounce: %w", s.ID, err)
		}
		d := dsn.Diagnose(r, lang)
		SetDiagnosis(&s, &d)
		return s, nil
	}
	return s, fmt.Errorf("%w: %s (event %s)", ErrUnknownProvider, s.Provider, s.ID)
}

// explainOutcome mirrors maillog's diagnosis of an outcome.
func explainOutcome(o maillog.Outcome, lang string) maildx.Diagnosis {
	opts := []maildx.Option{maildx.WithLang(lang)}
	code := o.DSN
	if code == "" && o.Status == maillog.StatusExpired {
		code = "4.4.7"
	}
	if code != "" {
		opts = append(opts, maildx.WithStatus(code))
	}
	switch o.Status {
	case maillog.StatusSent:
		opts = append(opts, maildx.WithReason("delivered"))
	case maillog.StatusBounced, maillog.StatusExpired:
		opts = append(opts, maildx.WithFinal())
	case maillog.StatusDeferred:
		opts = append(opts, maildx.WithAttempt(o.Attempts))
	}
	return maildx.Explain(o.Text, opts...)
}

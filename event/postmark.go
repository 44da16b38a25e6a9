package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/maildx/maildx"
)

// Postmark receives Postmark's webhooks: one JSON object per POST, the kind
// in RecordType. Postmark does not sign its webhooks; the webhook URL
// carries HTTP basic auth credentials (https://USER:PASSWORD@host/…), which
// Verify compares in constant time. Postmark payloads have no timestamp to
// check freshness against; a replayed request yields the same event ID and
// is stored once.
type Postmark struct {
	User, Password string // both required; empty: not configured
	Lang           string
}

var _ Adapter = (*Postmark)(nil)

// Provider implements Adapter.
func (p *Postmark) Provider() string { return ProviderPostmark }

// Verify implements Adapter.
func (p *Postmark) Verify(r *http.Request, _ []byte, _ time.Time) error {
	if p.User == "" || p.Password == "" {
		return &NotConfiguredError{Provider: ProviderPostmark, Env: []string{EnvPostmarkUser, EnvPostmarkPassword}}
	}
	u, pw, ok := r.BasicAuth()
	if !ok {
		return fmt.Errorf("%w: no basic auth credentials", ErrBadSignature)
	}
	// Both comparisons run, so the time does not tell which part was wrong.
	okUser := equalSecret(u, p.User)
	okPass := equalSecret(pw, p.Password)
	if !okUser || !okPass {
		return ErrBadSignature
	}
	return nil
}

type postmarkRecord struct {
	RecordType  string          `json:"RecordType"`
	ID          json.RawMessage `json:"ID"` // a number; kept exact
	Type        string          `json:"Type"`
	TypeCode    json.Number     `json:"TypeCode"`
	MessageID   string          `json:"MessageID"`
	Description string          `json:"Description"`
	Details     string          `json:"Details"`
	Email       string          `json:"Email"`
	Recipient   string          `json:"Recipient"`
	From        string          `json:"From"`
	Inactive    bool            `json:"Inactive"`
	BouncedAt   string          `json:"BouncedAt"`
	DeliveredAt string          `json:"DeliveredAt"`
	ReceivedAt  string          `json:"ReceivedAt"`
	ChangedAt   string          `json:"ChangedAt"`
	// SubscriptionChange
	SuppressSending   *bool  `json:"SuppressSending"`
	SuppressionReason string `json:"SuppressionReason"`
	Origin            string `json:"Origin"`
}

// Parse implements Adapter. RecordType Bounce is bounced or deferred as
// the classifier judges the bounce temporary; a Bounce of Type
// SpamComplaint and RecordType SpamComplaint are complaints;
// SubscriptionChange with SuppressSending is an unsubscribe (a
// reactivation yields no event); Open and Click are engagement events.
func (p *Postmark) Parse(body []byte) ([]Event, error) {
	body = bytes.TrimSpace(body)
	var rec postmarkRecord
	if err := json.Unmarshal(body, &rec); err != nil {
		return nil, payloadErr(ProviderPostmark, "body is not a JSON object", err)
	}
	if rec.RecordType == "" {
		return nil, payloadErr(ProviderPostmark, `no "RecordType"`, nil)
	}
	e := Event{
		Provider:      ProviderPostmark,
		MessageID:     NormalizeMessageID(rec.MessageID),
		SendingDomain: domainOf(rec.From),
		Raw:           json.RawMessage(body),
	}
	e.Recipient = cleanAddr(rec.Email)
	if e.Recipient == "" {
		e.Recipient = cleanAddr(rec.Recipient)
	}
	var ts string
	fields := map[string]any{"RecordType": rec.RecordType, "Type": rec.Type, "Details": rec.Details, "Description": rec.Description}
	var opts []maildx.Option
	switch rec.RecordType {
	case "Bounce":
		ts = rec.BouncedAt
		e.RemoteText = rec.Details
		if strings.TrimSpace(e.RemoteText) == "" {
			e.RemoteText = rec.Description
		}
		switch {
		case rec.Type == "SpamComplaint":
			e.Type = Complained
		case rec.Type == "Unsubscribe":
			e.Type = Unsubscribed
		default:
			e.Type = Bounced
			if rec.Inactive {
				// Postmark deactivated the address: final for this message.
				opts = append(opts, maildx.WithFinal())
			}
		}
	case "SpamComplaint":
		ts = rec.BouncedAt
		e.Type = Complained
		e.RemoteText = rec.Details
	case "Delivery":
		ts = rec.DeliveredAt
		e.Type = Delivered
		e.RemoteText = rec.Details
		e.Recipient = cleanAddr(rec.Recipient)
	case "SubscriptionChange":
		ts = rec.ChangedAt
		if rec.SuppressSending == nil || !*rec.SuppressSending {
			return nil, nil // reactivated: nothing failed
		}
		e.Type = Unsubscribed
		e.RemoteText = strings.TrimSpace(rec.SuppressionReason + " " + rec.Origin)
		fields["Type"] = rec.SuppressionReason
	case "Open":
		ts = rec.ReceivedAt
		e.Type = Opened
		e.Recipient = cleanAddr(rec.Recipient)
	case "Click":
		ts = rec.ReceivedAt
		e.Type = Clicked
		e.Recipient = cleanAddr(rec.Recipient)
	default:
		return nil, nil // Inbound and other record kinds are not delivery events
	}
	if e.Recipient == "" {
		return nil, payloadErr(ProviderPostmark, rec.RecordType+` record has no "Email"/"Recipient"`, nil)
	}
	e.Time = parseTime(ts)
	e.RemoteText = clip(strings.TrimSpace(e.RemoteText), maxText)
	id := strings.TrimSpace(string(rec.ID))
	if _, err := strconv.ParseInt(id, 10, 64); err == nil {
		e.ProviderEventID = id
		e.ID = eventID(ProviderPostmark, rec.RecordType, id, e.Recipient)
	} else {
		e.ID = rawID(ProviderPostmark, body)
	}
	e.Diagnosis = explain(e.Type, classifierInput(fields), p.Lang, opts...)
	if e.Type == Bounced && e.Diagnosis != nil && e.Diagnosis.Temporary {
		e.Type = Deferred
	}
	return []Event{e}, nil
}

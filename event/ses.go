package event

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/maildx/maildx"
)

// SES receives Amazon SES notifications and event publishing records
// delivered by Amazon SNS to an HTTPS subscription ("raw message delivery"
// off).
//
// Authenticity: the SNS message signature (SignatureVersion 1:
// SHA1withRSA, 2: SHA256withRSA) over the canonical string of the
// message's fields, verified with the certificate at SigningCertURL, which
// must be an https URL on an sns.<region>.amazonaws.com(.cn) host. The
// signature proves only that SNS sent the message, so the topic must be one
// of TopicARNs: anybody can create an SNS topic and subscribe this URL.
type SES struct {
	// TopicARNs are the SNS topics accepted. Empty: not configured.
	TopicARNs []string
	// ConfirmSubscriptions lets Confirm visit the SubscribeURL of a
	// SubscriptionConfirmation from an accepted topic. Off, the handler
	// answers 200 with a notice and the subscription stays pending.
	ConfirmSubscriptions bool
	// Client fetches signing certificates and confirms subscriptions.
	// nil: a client with a 10-second timeout.
	Client *http.Client
	// Tolerance bounds the age of a message's Timestamp. SNS signs a
	// message once and retries it unchanged, so the default is an hour;
	// negative: no freshness check.
	Tolerance time.Duration
	Replay    ReplayCache // nil: a MemoryReplayCache owned by the adapter
	Lang      string

	certs         certCache
	defaultReplay MemoryReplayCache
}

var _ Adapter = (*SES)(nil)
var _ Confirmer = (*SES)(nil)

// DefaultSESTolerance is the default freshness window of SNS messages.
const DefaultSESTolerance = time.Hour

// Provider implements Adapter.
func (s *SES) Provider() string { return ProviderSES }

// snsHost is the host rule for SigningCertURL and SubscribeURL.
var snsHost = regexp.MustCompile(`^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`)

// ValidSNSURL reports whether u is an https URL on an SNS host, without
// user info or an explicit port.
func ValidSNSURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && p.Scheme == "https" && p.User == nil && p.Port() == "" && snsHost.MatchString(p.Host)
}

type snsMessage struct {
	Type             string  `json:"Type"`
	MessageID        string  `json:"MessageId"`
	Token            string  `json:"Token"`
	TopicARN         string  `json:"TopicArn"`
	Subject          *string `json:"Subject"`
	Message          string  `json:"Message"`
	Timestamp        string  `json:"Timestamp"`
	SignatureVersion string  `json:"SignatureVersion"`
	Signature        string  `json:"Signature"`
	SigningCertURL   string  `json:"SigningCertURL"`
	SubscribeURL     string  `json:"SubscribeURL"`
	UnsubscribeURL   string  `json:"UnsubscribeURL"`
}

func decodeSNS(body []byte) (*snsMessage, error) {
	var m snsMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, payloadErr(ProviderSES, "body is not an SNS message (is raw message delivery on?)", err)
	}
	if m.Type == "" || m.MessageID == "" || m.TopicARN == "" {
		return nil, payloadErr(ProviderSES, "not an SNS message: Type, MessageId and TopicArn are required (is raw message delivery on?)", nil)
	}
	return &m, nil
}

// canonical builds the string SNS signs: "Key\nValue\n" for the documented
// keys of the message type, in byte order of the key names (docs.aws.amazon.com
// sns-verify-signature-of-message.html).
func (m *snsMessage) canonical() ([]byte, error) {
	var b bytes.Buffer
	add := func(k, v string) { b.WriteString(k + "\n" + v + "\n") }
	switch m.Type {
	case "Notification":
		add("Message", m.Message)
		add("MessageId", m.MessageID)
		if m.Subject != nil {
			add("Subject", *m.Subject)
		}
		add("Timestamp", m.Timestamp)
		add("TopicArn", m.TopicARN)
		add("Type", m.Type)
	case "SubscriptionConfirmation", "UnsubscribeConfirmation":
		add("Message", m.Message)
		add("MessageId", m.MessageID)
		add("SubscribeURL", m.SubscribeURL)
		add("Timestamp", m.Timestamp)
		add("Token", m.Token)
		add("TopicArn", m.TopicARN)
		add("Type", m.Type)
	default:
		return nil, fmt.Errorf("%w: unknown SNS message type %.40q", ErrBadSignature, m.Type)
	}
	return b.Bytes(), nil
}

// Verify implements Adapter. It fetches the signing certificate through
// Client (cached) with the request's context.
func (s *SES) Verify(r *http.Request, body []byte, now time.Time) error {
	if len(s.TopicARNs) == 0 {
		return &NotConfiguredError{Provider: ProviderSES, Env: []string{EnvSESTopicARNs}}
	}
	m, err := decodeSNS(body)
	if err != nil {
		return err
	}
	if h := r.Header.Get("X-Amz-Sns-Message-Type"); h != "" && h != m.Type {
		return fmt.Errorf("%w: header x-amz-sns-message-type %.40q does not match Type %.40q", ErrBadSignature, h, m.Type)
	}
	var hash crypto.Hash
	switch m.SignatureVersion {
	case "1":
		hash = crypto.SHA1
	case "2":
		hash = crypto.SHA256
	default:
		return fmt.Errorf("%w: SignatureVersion %.10q is not 1 or 2", ErrBadSignature, m.SignatureVersion)
	}
	if !ValidSNSURL(m.SigningCertURL) {
		return fmt.Errorf("%w: SigningCertURL %.200q is not an https URL on sns.<region>.amazonaws.com", ErrBadSignature, m.SigningCertURL)
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil || len(sig) == 0 {
		return fmt.Errorf("%w: Signature is not base64", ErrBadSignature)
	}
	msg, err := m.canonical()
	if err != nil {
		return err
	}
	cert, err := s.certificate(r.Context(), m.SigningCertURL, now)
	if err != nil {
		return err
	}
	key, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("%w: signing certificate has no RSA key", ErrBadSignature)
	}
	var digest []byte
	if hash == crypto.SHA1 {
		d := sha1.Sum(msg)
		digest = d[:]
	} else {
		d := sha256.Sum256(msg)
		digest = d[:]
	}
	if rsa.VerifyPKCS1v15(key, hash, digest, sig) != nil {
		return ErrBadSignature
	}
	if !slices.Contains(s.TopicARNs, m.TopicARN) {
		return fmt.Errorf("%w: topic %.200q is not in %s", ErrBadSignature, m.TopicARN, EnvSESTopicARNs)
	}
	ts := parseTime(m.Timestamp)
	if ts.IsZero() {
		return fmt.Errorf("%w: Timestamp %.40q is not a time", ErrBadSignature, m.Timestamp)
	}
	tol := s.Tolerance
	if tol == 0 {
		tol = DefaultSESTolerance
	}
	if err := checkTime(ts, now, tol); err != nil {
		return err
	}
	rc := s.Replay
	if rc == nil {
		rc = &s.defaultReplay
	}
	return replayCheck(r.Context(), rc, "ses:"+m.MessageID, now, max(tol, 0))
}

// certCache keeps parsed signing certificates by URL, bounded.
type certCache struct {
	mu sync.Mutex
	m  map[string]*x509.Certificate
}

const (
	maxCerts     = 32
	maxCertBytes = 64 << 10
)

func (s *SES) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// certificate returns the certificate at u, fetched once. Only valid
// certificates (in their validity period at now) are kept.
func (s *SES) certificate(ctx context.Context, u string, now time.Time) (*x509.Certificate, error) {
	s.certs.mu.Lock()
	c := s.certs.m[u]
	s.certs.mu.Unlock()
	if c == nil {
		var err error
		c, err = s.fetchCert(ctx, u)
		if err != nil {
			return nil, err
		}
		s.certs.mu.Lock()
		if s.certs.m == nil || len(s.certs.m) >= maxCerts {
			s.certs.m = map[string]*x509.Certificate{}
		}
		s.certs.m[u] = c
		s.certs.mu.Unlock()
	}
	if now.Before(c.NotBefore) || now.After(c.NotAfter) {
		return nil, fmt.Errorf("%w: signing certificate not valid at %s", ErrBadSignature, now.UTC().Format(time.RFC3339))
	}
	return c, nil
}

// ErrCertFetch reports that the SNS signing certificate could not be
// fetched; the handler answers 502 or 503 so that SNS retries.
var ErrCertFetch = errors.New("event: fetching the SNS signing certificate failed")

func (s *SES) fetchCert(ctx context.Context, u string) (*x509.Certificate, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCertFetch, err)
	}
	resp, err := s.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCertFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s answered %s", ErrCertFetch, u, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxCertBytes))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCertFetch, err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%w: %s is not a PEM certificate", ErrBadSignature, u)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: parsing the signing certificate: %w", ErrBadSignature, err)
	}
	return c, nil
}

// Confirm implements Confirmer: with ConfirmSubscriptions set it visits the
// SubscribeURL of a subscription confirmation (same host rule as the
// certificate) and updates n.Message. Without it, it does nothing.
func (s *SES) Confirm(ctx context.Context, n *Notice) error {
	if n == nil || n.Kind != "subscription-confirmation" || !s.ConfirmSubscriptions {
		return nil
	}
	if !ValidSNSURL(n.URL) {
		return fmt.Errorf("%w: SubscribeURL %.200q is not an https URL on sns.<region>.amazonaws.com", ErrBadSignature, n.URL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.URL, nil)
	if err != nil {
		return fmt.Errorf("confirming SNS subscription: %w", err)
	}
	resp, err := s.client().Do(req)
	if err != nil {
		return fmt.Errorf("confirming SNS subscription: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("confirming SNS subscription: SNS answered %s", resp.Status)
	}
	n.Message = "subscription to " + n.TopicARN + " confirmed"
	return nil
}

// sesMessage is the decoded SNS Message: an SES notification
// (notificationType) or an event publishing record (eventType).
type sesMessage struct {
	NotificationType string `json:"notificationType"`
	EventType        string `json:"eventType"`
	Mail             struct {
		Timestamp     string   `json:"timestamp"`
		MessageID     string   `json:"messageId"`
		Source        string   `json:"source"`
		Destination   []string `json:"destination"`
		CommonHeaders struct {
			MessageID string `json:"messageId"`
		} `json:"commonHeaders"`
		Headers []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"headers"`
	} `json:"mail"`
	Bounce *struct {
		BounceType        string         `json:"bounceType"`
		BounceSubType     string         `json:"bounceSubType"`
		BouncedRecipients []sesRecipient `json:"bouncedRecipients"`
		Timestamp         string         `json:"timestamp"`
		FeedbackID        string         `json:"feedbackId"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients  []sesRecipient `json:"complainedRecipients"`
		ComplaintFeedbackType string         `json:"complaintFeedbackType"`
		ComplaintSubType      *string        `json:"complaintSubType"`
		Timestamp             string         `json:"timestamp"`
	} `json:"complaint"`
	Delivery *struct {
		Recipients   []string `json:"recipients"`
		Timestamp    string   `json:"timestamp"`
		SMTPResponse string   `json:"smtpResponse"`
	} `json:"delivery"`
	DeliveryDelay *struct {
		DelayType         string         `json:"delayType"`
		DelayedRecipients []sesRecipient `json:"delayedRecipients"`
		ExpirationTime    string         `json:"expirationTime"`
		Timestamp         string         `json:"timestamp"`
	} `json:"deliveryDelay"`
	Reject *struct {
		Reason string `json:"reason"`
	} `json:"reject"`
	Open *struct {
		Timestamp string `json:"timestamp"`
	} `json:"open"`
	Click *struct {
		Timestamp string `json:"timestamp"`
	} `json:"click"`
}

type sesRecipient struct {
	EmailAddress   string `json:"emailAddress"`
	Action         string `json:"action"`
	Status         string `json:"status"`
	DiagnosticCode string `json:"diagnosticCode"`
}

// Parse implements Adapter. A SubscriptionConfirmation or
// UnsubscribeConfirmation returns a *Notice. A Notification yields one
// event per recipient; Send, RenderingFailure and Subscription records
// yield none.
func (s *SES) Parse(body []byte) ([]Event, error) {
	body = bytes.TrimSpace(body)
	m, err := decodeSNS(body)
	if err != nil {
		return nil, err
	}
	switch m.Type {
	case "SubscriptionConfirmation":
		n := &Notice{Provider: ProviderSES, Kind: "subscription-confirmation", TopicARN: clip(m.TopicARN, maxField), URL: clip(m.SubscribeURL, 2000)}
		n.Message = "subscription to " + n.TopicARN + " not confirmed: set " + EnvSESConfirmSubscription + "=1 and let SNS resend the confirmation, or open the SubscribeURL yourself"
		return nil, n
	case "UnsubscribeConfirmation":
		return nil, &Notice{Provider: ProviderSES, Kind: "unsubscribe-confirmation", TopicARN: clip(m.TopicARN, maxField),
			Message: "the subscription to " + clip(m.TopicARN, maxField) + " was removed; no more events will arrive"}
	case "Notification":
	default:
		return nil, payloadErr(ProviderSES, fmt.Sprintf("unknown SNS message type %.40q", m.Type), nil)
	}
	var sm sesMessage
	if err := json.Unmarshal([]byte(m.Message), &sm); err != nil {
		return nil, payloadErr(ProviderSES, "SNS Message is not an SES notification (JSON)", err)
	}
	kind := sm.NotificationType
	if kind == "" {
		kind = sm.EventType
	}
	if kind == "" {
		return nil, payloadErr(ProviderSES, "SES notification has neither notificationType nor eventType", nil)
	}
	base := Event{
		Provider:        ProviderSES,
		ProviderEventID: clip(m.MessageID, maxField),
		MessageID:       NormalizeMessageID(sm.Mail.CommonHeaders.MessageID),
		SendingDomain:   domainOf(sm.Mail.Source),
		Raw:             json.RawMessage(body),
	}
	if base.MessageID == "" {
		for _, h := range sm.Mail.Headers {
			if strings.EqualFold(h.Name, "Message-ID") {
				base.MessageID = NormalizeMessageID(h.Value)
				break
			}
		}
	}
	if base.MessageID == "" {
		base.MessageID = NormalizeMessageID(sm.Mail.MessageID)
	}
	kindKey := "notificationType"
	if sm.NotificationType == "" {
		kindKey = "eventType"
	}
	var out []Event
	emit := func(t Type, rcpt, ts, remote string, fields map[string]any, opts ...maildx.Option) {
		if len(out) >= maxRecipient || strings.TrimSpace(rcpt) == "" {
			return
		}
		e := base
		e.Type = t
		e.Recipient = cleanAddr(rcpt)
		e.ID = eventID(ProviderSES, m.MessageID, e.Recipient)
		e.Time = parseTime(ts)
		if e.Time.IsZero() {
			e.Time = parseTime(sm.Mail.Timestamp)
		}
		if e.Time.IsZero() {
			e.Time = parseTime(m.Timestamp)
		}
		e.RemoteText = clip(strings.TrimSpace(remote), maxText)
		if fields != nil {
			fields[kindKey] = kind
			e.Diagnosis = explain(t, classifierInput(fields), s.Lang, opts...)
		}
		out = append(out, e)
	}
	switch kind {
	case "Bounce":
		b := sm.Bounce
		if b == nil {
			return nil, payloadErr(ProviderSES, `Bounce notification without "bounce" object`, nil)
		}
		for _, r := range b.BouncedRecipients {
			f := map[string]any{"bounceType": b.BounceType, "bounceSubType": b.BounceSubType, "diagnosticCode": r.DiagnosticCode, "status": r.Status}
			var opts []maildx.Option
			if r.Status != "" {
				opts = append(opts, maildx.WithStatus(r.Status))
			}
			if b.BounceType == "Permanent" {
				opts = append(opts, maildx.WithFinal())
			}
			remote := r.DiagnosticCode
			if remote == "" {
				remote = strings.TrimSpace(b.BounceType + " " + b.BounceSubType)
			}
			emit(Bounced, r.EmailAddress, b.Timestamp, remote, f, opts...)
		}
	case "Complaint":
		c := sm.Complaint
		if c == nil {
			return nil, payloadErr(ProviderSES, `Complaint notification without "complaint" object`, nil)
		}
		for _, r := range c.ComplainedRecipients {
			f := map[string]any{"complaintFeedbackType": c.ComplaintFeedbackType}
			remote := ""
			if c.ComplaintFeedbackType != "" {
				remote = "Feedback-Type: " + c.ComplaintFeedbackType
			}
			emit(Complained, r.EmailAddress, c.Timestamp, remote, f)
		}
	case "Delivery":
		d := sm.Delivery
		if d == nil {
			return nil, payloadErr(ProviderSES, `Delivery notification without "delivery" object`, nil)
		}
		for _, r := range d.Recipients {
			emit(Delivered, r, d.Timestamp, d.SMTPResponse, nil)
		}
	case "DeliveryDelay":
		d := sm.DeliveryDelay
		if d == nil {
			return nil, payloadErr(ProviderSES, `DeliveryDelay event without "deliveryDelay" object`, nil)
		}
		for _, r := range d.DelayedRecipients {
			f := map[string]any{"delayType": d.DelayType, "diagnosticCode": r.DiagnosticCode, "status": r.Status}
			var opts []maildx.Option
			if r.Status != "" {
				opts = append(opts, maildx.WithStatus(r.Status))
			}
			remote := r.DiagnosticCode
			if remote == "" {
				remote = d.DelayType
			}
			emit(Deferred, r.EmailAddress, d.Timestamp, remote, f, opts...)
		}
	case "Reject":
		reason := ""
		if sm.Reject != nil {
			reason = sm.Reject.Reason
		}
		for _, r := range sm.Mail.Destination {
			emit(Dropped, r, "", reason, map[string]any{"reason": reason})
		}
	case "Open", "Click":
		t, ts := Opened, ""
		if kind == "Click" {
			t = Clicked
			if sm.Click != nil {
				ts = sm.Click.Timestamp
			}
		} else if sm.Open != nil {
			ts = sm.Open.Timestamp
		}
		for _, r := range sm.Mail.Destination {
			emit(t, r, ts, "", nil)
		}
	default:
		return nil, nil // Send, RenderingFailure, Subscription, AmazonSnsSubscriptionSucceeded …
	}
	if len(out) == 0 {
		return nil, payloadErr(ProviderSES, kind+" notification names no recipient", nil)
	}
	return out, nil
}

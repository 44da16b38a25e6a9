// Package maildx explains email delivery errors. Explain turns any error
// text – an SMTP reply (RFC 5321), an enhanced status code (RFC 3463), a
// provider message, a client or library error code, a socket error – into a
// Diagnosis: what happened, whose side it is on, hard or soft, what to do.
//
// One classifier serves the CLI, bounce parsing and the server. It reads the
// codes in the text, scans the text once for every phrase the knowledge base
// (package kb) knows, and ranks the candidates: a provider's own message
// beats the enhanced status code, which beats the reply code, and any
// recognised text beats a vague code such as 5.0.0 or 5.7.1. Diagnosis.Evidence
// lists the rules that fired, in order.
//
// The result is deterministic: the same text always gives the same diagnosis.
package maildx

import (
	"strings"

	"github.com/maildx/maildx/kb"
)

// Diagnosis is the answer to "why was this email not delivered?". The JSON
// names are maildx's public output contract (DESIGN.md, "The diagnosis").
type Diagnosis struct {
	Input      string     `json:"input"`
	Kind       string     `json:"kind"`
	Provider   string     `json:"provider,omitempty"`
	ReplyCode  int        `json:"reply_code"`
	Status     string     `json:"status"`
	Codes      []string   `json:"codes"`
	Reason     string     `json:"reason"`
	Category   string     `json:"category"`
	HardBounce bool       `json:"hard_bounce"`
	Temporary  bool       `json:"temporary"`
	Action     string     `json:"action"`
	RetryAfter int        `json:"retry_after,omitempty"`
	Fault      string     `json:"fault"`
	Severity   string     `json:"severity,omitempty"`
	Frequency  string     `json:"frequency,omitempty"`
	Lang       string     `json:"lang"`
	Title      string     `json:"title"`
	Meaning    string     `json:"meaning"`
	Solution   []string   `json:"solution"`
	Entries    []EntryRef `json:"entries"`
	Evidence   []string   `json:"evidence"`
}

// EntryRef names a knowledge-base entry that matched.
type EntryRef struct {
	ID     string `json:"id"`
	Source string `json:"source"`
}

// Kinds of input (Diagnosis.Kind).
const (
	KindSMTPReply       = "smtp-reply"
	KindStatusCode      = "status-code"
	KindProviderMessage = "provider-message"
	KindClientCode      = "client-code"
	KindAPIError        = "api-error"
	KindText            = "text"
	KindEmpty           = "empty"
)

// Option adjusts one call of Explain. Options are plain values: making
// and passing them allocates nothing, which matters in loops over
// ExplainTo.
type Option struct {
	kind optionKind
	s    string
	n    int
}

type optionKind uint8

const (
	optLang optionKind = iota + 1
	optAttempt
	optHTTP
	optStatus
	optFinal
	optReason
	optCommand
)

type options struct {
	lang    string
	attempt int
	http    int
	status  string // from the context (a DSN's Status field), used when the text has none
	final   bool   // the reporting MTA gave up: the failure is permanent for this message
	gaveUp  bool   // final because the text says the sender gave up, not the caller
	reason  string // the context already decides the reason (an auto-reply, a feedback report)
	command string // the SMTP command at which the failure happened (CONN, EHLO, MAIL, RCPT, DATA)
}

// applyOptions applies opts, later ones overriding earlier ones, to the
// defaults.
func applyOptions(opts []Option) options {
	o := options{lang: "en"}
	for _, opt := range opts {
		switch opt.kind {
		case optLang:
			o.lang = opt.s
		case optAttempt:
			o.attempt = opt.n
		case optHTTP:
			o.http = opt.n
		case optStatus:
			o.status = opt.s
		case optFinal:
			o.final = true
		case optReason:
			o.reason = opt.s
		case optCommand:
			o.command = opt.s
		}
	}
	return o
}

// WithLang selects the language of Title, Meaning and Solution: "en"
// (default) or "de".
func WithLang(lang string) Option { return Option{kind: optLang, s: lang} }

// WithAttempt tells the classifier how many delivery attempts have failed
// so far; RetryAfter doubles with each attempt after the first, up to a day.
func WithAttempt(n int) Option { return Option{kind: optAttempt, n: n} }

// WithHTTPStatus passes the HTTP status of a provider API response whose
// body is the text (Mailgun answers 400/401/403/404/413/429/500).
func WithHTTPStatus(code int) Option { return Option{kind: optHTTP, n: code} }

// WithStatus passes an enhanced status code known from the context – the
// Status field of a delivery status notification – which counts when the
// text itself carries none.
func WithStatus(code string) Option { return Option{kind: optStatus, s: code} }

// WithFinal says the failure is final for this message: a DSN with
// Action: failed. A transient reason (a 4xx reply the MTA retried until it
// gave up) is then no longer temporary.
func WithFinal() Option { return Option{kind: optFinal} }

// WithReason fixes the reason when the context has decided it already (a
// message identified as an auto-reply or an ARF report); the text still
// selects the codes and the provider.
func WithReason(reason string) Option { return Option{kind: optReason, s: reason} }

// WithCommand passes the SMTP command at which the failure happened, as a
// bounce or log reports it. A "user unknown" after DATA means the mailbox
// exists and a filter refused the message (filtered); a rejection of the
// connection or greeting is a block of the sending host (blocked).
func WithCommand(cmd string) Option { return Option{kind: optCommand, s: strings.ToUpper(cmd)} }

// Explain diagnoses one error text with the embedded knowledge base.
func Explain(text string, opts ...Option) (d Diagnosis) {
	var none spare
	defaultClassifier().explain(&d, text, opts, &none)
	return d
}

// ExplainTo is Explain for loops over many texts: it overwrites *d and
// reuses the memory of d's Codes, Evidence and Entries, so a loop that
// explains every text into the same Diagnosis stops allocating once those
// have grown. What the three slices held before is overwritten, so copy
// what you keep, and do not point two of them at the same memory; a zero
// Diagnosis gets the same result as Explain.
func ExplainTo(d *Diagnosis, text string, opts ...Option) {
	defaultClassifier().explainTo(d, text, opts)
}

// Entry returns the knowledge-base entry behind a diagnosis' first match.
func (d Diagnosis) Entry() (*kb.Entry, bool) {
	if len(d.Entries) == 0 {
		return nil, false
	}
	return kb.MustDefault().ByID(d.Entries[0].ID)
}

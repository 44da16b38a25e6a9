package maillog

import (
	"time"

	"github.com/maildx/maildx"
)

// Status is what happened to one recipient.
type Status string

// Statuses of an Outcome.
const (
	StatusSent     Status = "sent"     // accepted by the next hop or delivered locally
	StatusDeferred Status = "deferred" // temporary failure; the MTA will try again
	StatusBounced  Status = "bounced"  // permanent failure; the sender gets a bounce
	StatusExpired  Status = "expired"  // the MTA gave up after retrying (queue lifetime)
	StatusRejected Status = "rejected" // refused by this server while the client was connected
)

// Failed reports whether s is a failure (anything but sent).
func (s Status) Failed() bool { return s != StatusSent && s != "" }

// MTAs that produce the logs (Outcome.MTA).
const (
	MTAPostfix  = "postfix"
	MTAExim     = "exim"
	MTASendmail = "sendmail"
)

// Outcome is one delivery result for one recipient, read from a log. The
// JSON names are part of maildx's public output (docs/logs.md).
type Outcome struct {
	Time     time.Time `json:"time"`
	MTA      string    `json:"mta"`
	Host     string    `json:"host,omitempty"`     // the syslog host name, when the line has one
	Instance string    `json:"instance,omitempty"` // Postfix syslog_name, e.g. "postfix-out"
	QueueID  string    `json:"queue_id,omitempty"` // empty for NOQUEUE rejects
	Sender   string    `json:"sender"`             // envelope sender; empty for <> or when unknown
	// Recipient is the envelope recipient; OrigRecipient the address
	// before aliasing or forwarding (Postfix orig_to=, Exim's <parent>).
	Recipient     string `json:"recipient"`
	OrigRecipient string `json:"orig_recipient,omitempty"`
	// RelayHost and RelayIP name the remote peer: the next hop for
	// deliveries, the connecting client for rejects.
	RelayHost string `json:"relay_host,omitempty"`
	RelayIP   string `json:"relay_ip,omitempty"`
	// Transport is the Postfix delivery agent (smtp, lmtp, local, ...),
	// the Exim transport (T=) or the Sendmail mailer (mailer=); Router is
	// Exim's router (R=).
	Transport string `json:"transport,omitempty"`
	Router    string `json:"router,omitempty"`
	Status    Status `json:"status"`
	DSN       string `json:"dsn,omitempty"`        // enhanced status code logged by the MTA
	ReplyCode int    `json:"reply_code,omitempty"` // SMTP reply code of Text, 0 when none
	Text      string `json:"text,omitempty"`       // what the remote server (or the MTA) said
	Command   string `json:"command,omitempty"`    // SMTP command that failed, e.g. "RCPT TO"
	// Attempts counts the delivery lines seen so far for this queue id and
	// recipient, this one included (1 for rejects).
	Attempts  int               `json:"attempts"`
	File      string            `json:"file,omitempty"`
	Line      int64             `json:"line,omitempty"`
	Diagnosis *maildx.Diagnosis `json:"diagnosis,omitempty"`
}

// Stats counts what a Reader has seen.
type Stats struct {
	Lines         int64 `json:"lines"`          // lines read
	NotUnderstood int64 `json:"not_understood"` // no known log header, or a delivery record that could not be parsed
	Other         int64 `json:"other"`          // well-formed but without delivery information (other programs, connects, TLS, ...)
	Outcomes      int64 `json:"outcomes"`       // outcomes found, before Options.Keep
	Evicted       int64 `json:"evicted"`        // open queue ids dropped because the table was full
	Open          int   `json:"open"`           // queue ids open now
}

package dsn

import (
	"encoding/json"
	"strings"

	"github.com/maildx/maildx"
)

// Amazon SES sends its bounce, complaint and delivery notifications as
// JSON, by email through SNS ("AWS Notification Message") or as event
// publishing records. The JSON is often cut off by the mail (SNS bounds
// the message), so it is read token by token and whatever was read
// before the cut counts.

// sesNote is what one notification says.
type sesNote struct {
	kind          string // Bounce, Complaint, Delivery (notificationType or eventType)
	bounceType    string
	bounceSubType string
	reportingMTA  string
	feedbackType  string
	smtpResponse  string
	recipients    []sesRecipient // bouncedRecipients, complainedRecipients or delivery.recipients
}

type sesRecipient struct {
	address, action, status, diagnostic string
}

// sesNotification finds an SES notification in the text parts.
func (m *parsed) sesNotification() *sesNote {
	for _, t := range m.texts {
		i := strings.Index(t, `{"notificationType"`)
		if i < 0 {
			i = strings.Index(t, `{"eventType"`)
		}
		if i < 0 {
			continue
		}
		if n := readSES(t[i:]); n != nil && n.kind != "" && len(n.recipients) > 0 {
			return n
		}
	}
	return nil
}

// readSES walks the JSON tokens with a path stack; it stops at the first
// syntax error (a truncated notification) and keeps what it has.
func readSES(s string) *sesNote {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	n := &sesNote{}
	type frame struct {
		obj bool   // object (keys expected) or array
		key string // the key whose value this container is
		// for objects: the pending key, set after reading a key token
		pending   string
		expectKey bool
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.key != "" {
				b.WriteString("/")
				b.WriteString(f.key)
			}
		}
		return b.String()
	}
	var cur *sesRecipient
	flush := func() {
		if cur != nil && cur.address != "" && len(n.recipients) < maxRecips {
			n.recipients = append(n.recipients, *cur)
		}
		cur = nil
	}
	for tokens := 0; tokens < 200000; tokens++ {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		// The key under which a value sits.
		var key string
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.obj {
				if top.expectKey {
					if k, ok := tok.(string); ok {
						top.pending = k
						top.expectKey = false
						continue
					}
					if d, ok := tok.(json.Delim); ok && d == '}' {
						stack = stack[:len(stack)-1]
						if len(stack) > 0 && stack[len(stack)-1].obj {
							stack[len(stack)-1].expectKey = true
						}
						p := path()
						if strings.HasSuffix(p, "/bouncedRecipients") || strings.HasSuffix(p, "/complainedRecipients") {
							flush()
						}
						continue
					}
					break
				}
				key = top.pending
				top.expectKey = true
			}
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				stack = append(stack, frame{obj: v == '{', key: key, expectKey: v == '{'})
				p := path()
				if v == '{' && (strings.HasSuffix(p, "/bouncedRecipients") || strings.HasSuffix(p, "/complainedRecipients")) {
					cur = &sesRecipient{}
				}
			case ']':
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
				if len(stack) > 0 && stack[len(stack)-1].obj {
					stack[len(stack)-1].expectKey = true
				}
			}
			continue
		case string:
			p := path()
			switch {
			case len(stack) == 1 && (key == "notificationType" || key == "eventType"):
				n.kind = v
			case p == "/bounce" && key == "bounceType":
				n.bounceType = v
			case p == "/bounce" && key == "bounceSubType":
				n.bounceSubType = v
			case (p == "/bounce" || p == "/delivery") && key == "reportingMTA":
				n.reportingMTA = typed(v)
			case p == "/complaint" && key == "complaintFeedbackType":
				n.feedbackType = v
			case p == "/delivery" && key == "smtpResponse":
				n.smtpResponse = v
			case p == "/delivery/recipients" && len(n.recipients) < maxRecips:
				n.recipients = append(n.recipients, sesRecipient{address: v})
			case cur != nil && (strings.HasSuffix(p, "/bouncedRecipients") || strings.HasSuffix(p, "/complainedRecipients")):
				switch key {
				case "emailAddress":
					cur.address = v
				case "action":
					cur.action = v
				case "status":
					cur.status = v
				case "diagnosticCode":
					cur.diagnostic = typed(v)
				}
			}
		}
	}
	flush()
	return n
}

// sesResults turns a notification into results.
func (m *parsed) sesResults(n *sesNote, opts Options) []Result {
	var out []Result
	for _, rc := range n.recipients {
		r := Result{Bounce: Bounce{
			Recipient:    rc.address,
			DSNAction:    strings.ToLower(rc.action),
			DSNStatus:    rc.status,
			Diagnostic:   rc.diagnostic,
			ReportingMTA: n.reportingMTA,
			DecodedBy:    "ses-notification",
		}}
		switch strings.ToLower(n.kind) {
		case "bounce":
			if r.DSNAction == "" && n.bounceType == "Permanent" {
				r.DSNAction = "failed"
			}
			if r.Diagnostic == "" {
				// No remote text: SES' own classification is all there is.
				r.Diagnostic = strings.TrimSpace(n.bounceType + " " + n.bounceSubType)
			}
			r.Diagnosis = explain(r, opts)
		case "delivery":
			r.DSNAction = "delivered"
			r.Diagnostic = n.smtpResponse
			r.Diagnosis = explain(r, opts)
		case "complaint":
			r.FeedbackType = strings.ToLower(n.feedbackType)
			r.Diagnostic = "Feedback-Type: " + r.FeedbackType
			r.Diagnosis = maildx.Explain(r.Diagnostic, maildx.WithLang(opts.Lang), maildx.WithReason("feedback"))
		default:
			continue
		}
		out = append(out, r)
	}
	return out
}

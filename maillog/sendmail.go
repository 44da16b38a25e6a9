package maillog

import (
	"bytes"
	"strings"
)

// sendmail parses the message of sendmail / sm-mta:
//
//	405BP1aB001234: from=<s@example.com>, size=1234, class=0, nrcpts=1, msgid=<x@y>, proto=ESMTP, daemon=MTA, relay=h [192.0.2.1]
//	405BP1aB001234: to=<a@example.net>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=121234, relay=mx.example.net. [198.51.100.7], dsn=5.1.1, stat=User unknown
//	405BP1aB001234: ruleset=check_rcpt, arg1=<a@example.com>, relay=h [192.0.2.1], reject=550 5.7.1 <a@example.com>... Relaying denied
func (r *Reader) sendmail(h header) {
	msg := h.msg
	var idb []byte
	if c := bytes.Index(msg, []byte(": ")); c > 0 && isQueueID(msg[:c]) {
		idb, msg = msg[:c], msg[c+2:]
	}
	switch {
	case bytes.HasPrefix(msg, []byte("to=")) && idb != nil:
		r.sendmailDelivery(h, idb, string(msg))
	case bytes.HasPrefix(msg, []byte("from=")) && idb != nil:
		s := string(msg)
		key, val, _, ok := field(s)
		if !ok || key != "from" {
			r.stats.NotUnderstood++
			return
		}
		m := r.lookup(string(idb), true)
		if v := unbracket(val); v != "" {
			m.sender = strings.Clone(v)
		}
		r.stats.Other++
	case bytes.HasPrefix(msg, []byte("ruleset=")) && bytes.Contains(msg, []byte(", reject=")):
		r.sendmailReject(h, idb, string(msg))
	default:
		// DSN: lines, "done", timeouts, connection statistics, ...
		r.stats.Other++
	}
}

func (r *Reader) sendmailDelivery(h header, idb []byte, s string) {
	o := r.base(h, MTASendmail, nil, "")
	var to, stat, reply string
	for rest := s; rest != ""; {
		key, val, next, ok := field(rest)
		if !ok {
			r.stats.NotUnderstood++
			return
		}
		rest = next
		switch key {
		case "to":
			to = val
		case "relay":
			o.RelayHost, o.RelayIP = hostIP(val)
		case "mailer":
			o.Transport = val
		case "dsn":
			o.DSN = val
		case "reply":
			reply = val
		case "stat":
			stat = val
		}
	}
	if to == "" || stat == "" {
		r.stats.NotUnderstood++
		return
	}
	switch {
	case strings.HasPrefix(stat, "Sent"):
		o.Status = StatusSent
		o.Text = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(stat, "Sent"), " ("), ")")
	case strings.HasPrefix(stat, "Deferred"):
		o.Status = StatusDeferred
		o.Text = strings.TrimPrefix(strings.TrimPrefix(stat, "Deferred"), ": ")
	case strings.HasPrefix(stat, "queued"), strings.HasPrefix(stat, "Queued"):
		r.stats.Other++
		return
	default:
		// "User unknown", "Service unavailable", "Host unknown (...)"
		o.Status = StatusBounced
		o.Text = stat
	}
	if reply != "" && o.Status != StatusSent {
		o.Text = reply
	}
	o.ReplyCode = replyCode(o.Text)
	if o.DSN == "" {
		o.DSN = statusCode(o.Text)
	}
	m := r.lookup(string(idb), true)
	o.QueueID = m.id
	// "to=<a@x>,<b@y>" or "to=a@x,b@y": one outcome per recipient.
	for to != "" {
		var one string
		one, to, _ = strings.Cut(to, ",")
		one = unbracket(strings.TrimSpace(one))
		if one == "" {
			continue
		}
		p := o
		p.Recipient = one
		r.delivery(m, &p)
	}
}

func (r *Reader) sendmailReject(h header, idb []byte, s string) {
	o := r.base(h, MTASendmail, nil, string(idb))
	var ruleset, arg1 string
	for rest := s; rest != ""; {
		key, val, next, ok := field(rest)
		if !ok {
			r.stats.NotUnderstood++
			return
		}
		rest = next
		switch key {
		case "ruleset":
			ruleset = val
		case "arg1":
			arg1 = unbracket(val)
		case "relay":
			o.RelayHost, o.RelayIP = hostIP(val)
		case "reject":
			// reject= is the last field and may contain ", ".
			o.Text = val
			if next != "" {
				o.Text += ", " + next
			}
			rest = ""
		}
	}
	switch ruleset {
	case "check_rcpt":
		o.Recipient = arg1
		o.Command = "RCPT TO"
	case "check_mail":
		o.Sender = arg1
		o.Command = "MAIL FROM"
	}
	o.Status = StatusRejected
	o.Attempts = 1
	o.ReplyCode = replyCode(o.Text)
	o.DSN = statusCode(o.Text)
	r.emit(&o)
}

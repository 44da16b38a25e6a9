package maillog

import (
	"bytes"
	"strings"
	"time"
)

// eximStamp parses the Exim main log timestamp "2024-01-05 06:25:01",
// optionally with milliseconds (log_selector +millisec) and a zone
// (log_timezone), and returns the rest of the line.
func (r *Reader) eximStamp(line []byte) (time.Time, []byte, bool) {
	if len(line) < 20 {
		return time.Time{}, nil, false
	}
	end := 19
	if line[end] == '.' {
		end++
		for end < len(line) && line[end] >= '0' && line[end] <= '9' {
			end++
		}
	}
	stamp := line[:end]
	rest := line[end:]
	if len(rest) > 6 && rest[0] == ' ' && (rest[1] == '+' || rest[1] == '-') && rest[6] == ' ' {
		if _, ok := num(rest[2:6]); ok {
			stamp = line[:end+6]
			rest = rest[6:]
		}
	}
	if len(rest) == 0 || rest[0] != ' ' {
		return time.Time{}, nil, false
	}
	var t time.Time
	var ok bool
	if len(stamp) > end {
		// "2024-01-05 06:25:01 +0100": join for parseISO.
		var buf [40]byte
		b := append(append(buf[:0], line[:end]...), stamp[end+1:]...)
		t, ok = r.parseISO(b)
	} else {
		t, ok = r.parseISO(stamp)
	}
	return t, rest[1:], ok
}

// isEximID accepts Exim message ids: "1rLx7D-0004Xy-2K" (before 4.97)
// and "1rLx7D-000000004Xy-2KAB" (4.97 and later).
func isEximID(b []byte) bool {
	if len(b) < 14 || len(b) > 25 {
		return false
	}
	dashes := 0
	for i, c := range b {
		switch {
		case c == '-':
			if i == 0 || b[i-1] == '-' {
				return false
			}
			dashes++
		case c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
		default:
			return false
		}
	}
	return dashes == 2 && b[len(b)-1] != '-'
}

// exim parses one Exim main log message (after the timestamp).
func (r *Reader) exim(h header) {
	msg := h.msg
	if len(msg) > 0 && msg[0] == '[' { // log_selector +pid
		if i := bytes.IndexByte(msg, ']'); i > 0 && i+1 < len(msg) && msg[i+1] == ' ' {
			msg = msg[i+2:]
		}
	}
	sp := bytes.IndexByte(msg, ' ')
	if sp < 0 {
		r.stats.Other++
		return
	}
	if !isEximID(msg[:sp]) {
		r.eximReject(h, "", msg)
		return
	}
	idb, rest := msg[:sp], msg[sp+1:]
	if len(rest) >= 3 && rest[2] == ' ' {
		switch string(rest[:2]) {
		case "<=":
			r.eximArrival(idb, rest[3:])
			return
		case "=>", "->":
			r.eximDelivery(h, idb, StatusSent, string(rest[3:]))
			return
		case "**":
			r.eximDelivery(h, idb, StatusBounced, string(rest[3:]))
			return
		case "==":
			r.eximDelivery(h, idb, StatusDeferred, string(rest[3:]))
			return
		}
	}
	if bytes.Equal(rest, []byte("Completed")) || bytes.HasPrefix(rest, []byte("Completed ")) {
		r.removeID(idb)
		r.stats.Other++
		return
	}
	r.eximReject(h, string(idb), rest)
}

// eximArrival handles "<= sender H=... P=esmtp S=1234 id=...".
func (r *Reader) eximArrival(idb, rest []byte) {
	sender, _, _ := bytes.Cut(rest, []byte(" "))
	m := r.lookup(string(idb), true)
	if !bytes.Equal(sender, []byte("<>")) {
		m.sender = string(sender)
	}
	r.stats.Other++
}

// eximDelivery handles the delivery lines:
//
//	=> a@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.7] X=TLS1.3:... CV=yes C="250 2.0.0 OK"
//	== a@example.net R=dnslookup T=remote_smtp defer (-44) H=mx [192.0.2.7]: SMTP error from remote mail server after RCPT TO:<a@example.net>: 451 4.7.1 Greylisted
//	** a@example.net <alias@example.org> R=dnslookup T=remote_smtp H=mx [192.0.2.7]: SMTP error from remote mail server after RCPT TO:<a@example.net>: 550 5.1.1 User unknown
//	** a@example.net: Unrouteable address
func (r *Reader) eximDelivery(h header, idb []byte, status Status, s string) {
	fields, text := s, ""
	if i := colonOutsideQuotes(s); i >= 0 {
		fields, text = s[:i], s[i+2:]
	}
	o := r.base(h, MTAExim, nil, "")
	o.Status = status
	toks := fields
	first := true
	for toks != "" {
		var tok string
		tok, toks = nextToken(toks)
		if tok == "" {
			continue
		}
		if first {
			o.Recipient = strings.TrimSuffix(tok, ":")
			first = false
			continue
		}
		switch {
		case tok[0] == '<' && o.OrigRecipient == "" && o.Transport == "" && o.Router == "":
			o.OrigRecipient = unbracket(tok)
		case strings.HasPrefix(tok, "R="):
			o.Router = tok[2:]
		case strings.HasPrefix(tok, "T="):
			o.Transport = tok[2:]
		case strings.HasPrefix(tok, "H="):
			o.RelayHost = tok[2:]
			if strings.HasPrefix(o.RelayHost, "[") {
				o.RelayHost, o.RelayIP = hostIP(o.RelayHost)
				continue
			}
			// "H=mx.example.net [192.0.2.7]:25", maybe with "(helo)".
			for toks != "" {
				next, rest := nextToken(toks)
				if strings.HasPrefix(next, "(") {
					toks = rest
					continue
				}
				if strings.HasPrefix(next, "[") {
					_, o.RelayIP = hostIP(next)
					toks = rest
				}
				break
			}
		case strings.HasPrefix(tok, "C=") && status == StatusSent:
			o.Text = strings.Trim(tok[2:], `"`)
		}
	}
	if !strings.Contains(o.Recipient, "@") && strings.Contains(o.OrigRecipient, "@") {
		// Local delivery: "=> user <user@example.org> R=local_user".
		o.Recipient, o.OrigRecipient = o.OrigRecipient, ""
	}
	if o.Recipient == "" {
		r.stats.NotUnderstood++
		return
	}
	if status != StatusSent {
		o.Text, o.Command = eximRemote(text)
		if status == StatusBounced && (strings.Contains(text, "retry timeout exceeded") || strings.Contains(text, "have been failing for a long time")) {
			o.Status = StatusExpired
		}
	}
	o.ReplyCode = replyCode(o.Text)
	o.DSN = statusCode(o.Text)
	m := r.lookup(string(idb), true)
	o.QueueID = m.id
	r.delivery(m, &o)
}

// eximRemote reduces "SMTP error from remote mail server after RCPT
// TO:<a@b>: 550 5.1.1 ..." to the reply and the command.
func eximRemote(text string) (remote, command string) {
	for _, p := range []string{"SMTP error from remote mail server after ", "SMTP error from remote mailer after ", "SMTP error from remote server after "} {
		s, ok := strings.CutPrefix(text, p)
		if !ok {
			continue
		}
		for i := 0; ; {
			j := strings.Index(s[i:], ": ")
			if j < 0 {
				return text, ""
			}
			i += j
			if replyCode(s[i+2:]) != 0 {
				command = strings.TrimPrefix(s[:i], "pipelined ")
				if k := strings.IndexByte(command, ':'); k >= 0 {
					command = command[:k]
				}
				return s[i+2:], command
			}
			i += 2
		}
	}
	return text, ""
}

// eximReject handles SMTP-time rejects:
//
//	H=(helo) [192.0.2.9]:4711 F=<s@example.biz> rejected RCPT <a@example.com>: relay not permitted
//	H=mx.example [192.0.2.9] F=<s@x> temporarily rejected RCPT <a@y>: greylisted
//	1rLx7D-0004Xy-2K H=mx.example [192.0.2.9] F=<s@x> rejected after DATA: spam detected
//
// Other lines without a delivery (SMTP connection from, Start queue run,
// Frozen, ...) are counted as other.
func (r *Reader) eximReject(h header, id string, msg []byte) {
	i := bytes.Index(msg, []byte(" rejected RCPT "))
	data := false
	if i < 0 {
		i = bytes.Index(msg, []byte(" rejected after DATA"))
		data = true
	}
	if i < 0 {
		r.stats.Other++
		return
	}
	s := string(msg)
	pre := strings.TrimSuffix(s[:i], " temporarily")
	o := r.base(h, MTAExim, nil, id)
	o.Status = StatusRejected
	o.Attempts = 1
	if data {
		o.Command = "DATA"
		if _, t, ok := strings.Cut(s[i:], ": "); ok {
			o.Text = t
		}
	} else {
		o.Command = "RCPT TO"
		rest := s[i+len(" rejected RCPT "):]
		addr, after, ok := angle(rest)
		if !ok {
			r.stats.NotUnderstood++
			return
		}
		o.Recipient = addr
		o.Text = strings.TrimPrefix(after, ": ")
	}
	toks := pre
	for toks != "" {
		var tok string
		tok, toks = nextToken(toks)
		switch {
		case strings.HasPrefix(tok, "H="):
			if tok[2:] != "" && tok[2] != '(' && tok[2] != '[' {
				o.RelayHost = tok[2:]
			}
			if strings.HasPrefix(tok, "H=[") {
				_, o.RelayIP = hostIP(tok[2:])
			}
			for toks != "" {
				next, rest := nextToken(toks)
				if strings.HasPrefix(next, "(") {
					toks = rest
					continue
				}
				if strings.HasPrefix(next, "[") {
					_, o.RelayIP = hostIP(next)
					toks = rest
				}
				break
			}
		case strings.HasPrefix(tok, "F=<"):
			o.Sender = unbracket(tok[2:])
		}
	}
	o.ReplyCode = replyCode(o.Text)
	o.DSN = statusCode(o.Text)
	r.emit(&o)
}

// nextToken returns the next space-separated token of s; a double-quoted
// part (C="250 OK", DN="/C=DE/O=x") stays in one token.
func nextToken(s string) (tok, rest string) {
	s = strings.TrimLeft(s, " ")
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inQuote = !inQuote
		case '\\':
			if inQuote {
				i++
			}
		case ' ':
			if !inQuote {
				return s[:i], s[i+1:]
			}
		}
	}
	return s, ""
}

// colonOutsideQuotes returns the index of the first ": " not inside
// double quotes, or -1.
func colonOutsideQuotes(s string) int {
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inQuote = !inQuote
		case '\\':
			if inQuote {
				i++
			}
		case ':':
			if !inQuote && i+1 < len(s) && s[i+1] == ' ' {
				return i
			}
		}
	}
	return -1
}

package maillog

import (
	"bytes"
	"strings"
)

// postfix parses the message of a Postfix daemon. inst is the
// syslog_name ("postfix", "postfix-out", "postfix/submission"), daemon the
// program ("smtp", "qmgr", "smtpd", ...).
func (r *Reader) postfix(h header, inst, daemon []byte) {
	msg := h.msg
	colon := bytes.Index(msg, []byte(": "))
	if colon <= 0 || !isQueueID(msg[:colon]) {
		// connect from, disconnect from, warning:, statistics:, ...
		r.stats.Other++
		return
	}
	id, rest := msg[:colon], msg[colon+2:]
	switch {
	case bytes.HasPrefix(rest, []byte("to=<")):
		r.postfixDelivery(h, inst, daemon, id, string(rest))
	case bytes.HasPrefix(rest, []byte("from=<")):
		r.postfixFrom(h, inst, id, string(rest))
	case bytes.Equal(rest, []byte("removed")):
		r.removeID(id)
		r.stats.Other++
	case bytes.HasPrefix(rest, []byte("reject: ")), bytes.HasPrefix(rest, []byte("milter-reject: ")):
		r.postfixReject(h, inst, id, string(rest))
	default:
		// client=, message-id=, uid=, sender non-delivery notification,
		// host ... said (a try before the next MX), reject_warning:,
		// discard:, hold:, ...
		r.stats.Other++
	}
}

// isQueueID accepts Postfix queue ids, short (hex) or long
// (enable_long_queue_ids), and NOQUEUE.
func isQueueID(b []byte) bool {
	if len(b) < 5 || len(b) > 32 {
		return false
	}
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

func (r *Reader) base(h header, mta string, inst []byte, id string) Outcome {
	o := Outcome{Time: h.t, MTA: mta, QueueID: id}
	if len(h.host) > 0 {
		o.Host = string(h.host)
	}
	if len(inst) > 0 {
		o.Instance = string(inst)
	}
	return o
}

// postfixFrom handles "from=<s>, size=1, nrcpt=1 (queue active)" and
// "from=<s>, status=expired, returned to sender".
func (r *Reader) postfixFrom(h header, inst, idb []byte, s string) {
	addr, rest, ok := angle(s[len("from="):])
	if !ok {
		r.stats.NotUnderstood++
		return
	}
	m := r.lookup(string(idb), true)
	if m.sender == "" && addr != "" {
		m.sender = strings.Clone(addr)
	}
	if strings.HasPrefix(rest, ", status=expired") {
		r.expire(m, r.base(h, MTAPostfix, inst, m.id))
		return
	}
	r.stats.Other++
}

// postfixDelivery handles "to=<r>, orig_to=<o>, relay=h[ip]:25,
// delay=1, delays=a/b/c/d, dsn=5.1.1, status=bounced (text)".
func (r *Reader) postfixDelivery(h header, inst, daemon, idb []byte, s string) {
	var o Outcome
	var status string
	rest := s
	for rest != "" {
		key, val, next, ok := field(rest)
		if !ok {
			r.stats.NotUnderstood++
			return
		}
		rest = next
		switch key {
		case "to":
			o.Recipient = unbracket(val)
		case "orig_to":
			o.OrigRecipient = unbracket(val)
		case "relay":
			o.RelayHost, o.RelayIP = hostIP(val)
		case "dsn":
			o.DSN = val
		case "status":
			status = val
		}
	}
	word, text, _ := strings.Cut(status, " ")
	switch word {
	case "sent":
		o.Status = StatusSent
	case "deferred", "SOFTBOUNCE":
		o.Status = StatusDeferred
	case "bounced":
		o.Status = StatusBounced
	case "expired":
		o.Status = StatusExpired
	case "deliverable", "undeliverable":
		// Address verification probes, not deliveries.
		r.stats.Other++
		return
	default:
		r.stats.NotUnderstood++
		return
	}
	text = strings.TrimSuffix(strings.TrimPrefix(text, "("), ")")
	o.Text, o.Command = remoteText(text)
	if o.RelayHost == "none" {
		o.RelayHost = ""
	}
	if o.RelayHost == "" {
		o.RelayHost, o.RelayIP = peerInText(text)
	}
	o.ReplyCode = replyCode(o.Text)
	base := r.base(h, MTAPostfix, inst, "")
	o.Time, o.MTA, o.Host, o.Instance = base.Time, base.MTA, base.Host, base.Instance
	m := r.lookup(string(idb), true)
	o.QueueID = m.id
	o.Transport = string(daemon)
	r.delivery(m, &o)
}

// postfixReject handles the SMTP-time rejects of smtpd, postscreen and
// cleanup:
//
//	NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 554 5.7.1 <a@b>: Relay access denied; from=<s> to=<a@b> proto=ESMTP helo=<x>
//	NOQUEUE: reject: RCPT from [192.0.2.1]:4711: 550 5.7.1 Service unavailable; client [192.0.2.1] blocked using zen.spamhaus.org; from=<s>, to=<a@b>, proto=ESMTP, helo=<x>
//	4F1: milter-reject: END-OF-MESSAGE from h[192.0.2.1]: 5.7.1 Spam; from=<s> to=<a@b> proto=ESMTP helo=<x>
//	4F1: reject: header Subject: win from h[192.0.2.1]; from=<s> to=<a@b> proto=ESMTP helo=<x>: 5.7.1 message content rejected
func (r *Reader) postfixReject(h header, inst, idb []byte, s string) {
	_, s, _ = strings.Cut(s, ": ")
	env := strings.LastIndex(s, "; from=<")
	if env < 0 {
		r.stats.NotUnderstood++
		return
	}
	pre, envelope := s[:env], s[env+2:]
	o := r.base(h, MTAPostfix, inst, "")
	if string(idb) != "NOQUEUE" {
		o.QueueID = string(idb)
	}
	stage, after, _ := strings.Cut(pre, " ")
	var client string
	switch stage {
	case "header", "body":
		// cleanup: the text follows the envelope.
		if i := strings.LastIndex(pre, " from "); i >= 0 {
			client = pre[i+len(" from "):]
		}
		if i := strings.Index(envelope, ">: "); i >= 0 {
			o.Text = envelope[i+3:]
			envelope = envelope[:i+1]
		}
	default:
		after = strings.TrimPrefix(after, "from ")
		var ok bool
		client, o.Text, ok = strings.Cut(after, ": ")
		if !ok {
			r.stats.NotUnderstood++
			return
		}
	}
	switch stage {
	case "RCPT":
		o.Command = "RCPT TO"
	case "MAIL":
		o.Command = "MAIL FROM"
	default:
		o.Command = stage
	}
	o.RelayHost, o.RelayIP = hostIP(client)
	o.Sender = envField(envelope, "from=<")
	o.Recipient = envField(envelope, "to=<")
	o.Status = StatusRejected
	o.ReplyCode = replyCode(o.Text)
	o.DSN = statusCode(o.Text)
	o.Attempts = 1
	r.emit(&o)
}

// field reads one "key=value" of a Postfix or Sendmail list separated by
// ", ". The value is returned raw (with its angle brackets): one in <...>
// ends at a '>' followed by ", " or the end, so it may contain ", " and
// Sendmail's "<a@x>,<b@y>". status= and stat= take the rest.
func field(s string) (key, val, rest string, ok bool) {
	key, s, ok = strings.Cut(s, "=")
	if !ok || key == "" || strings.IndexByte(key, ' ') >= 0 {
		return "", "", "", false
	}
	if key == "status" || key == "stat" {
		return key, s, "", true
	}
	if strings.HasPrefix(s, "<") {
		for i := 0; ; {
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				break
			}
			i += j + 1
			if i == len(s) {
				return key, s, "", true
			}
			if strings.HasPrefix(s[i:], ", ") {
				return key, s[:i], s[i+2:], true
			}
		}
	}
	val, rest, _ = strings.Cut(s, ", ")
	return key, val, rest, true
}

// unbracket removes the angle brackets around an address.
func unbracket(s string) string {
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		return s[1 : len(s)-1]
	}
	return s
}

// angle reads "<addr>" at the start of s.
func angle(s string) (addr, rest string, ok bool) {
	if !strings.HasPrefix(s, "<") {
		return "", "", false
	}
	i := strings.IndexByte(s, '>')
	if i < 0 {
		return "", "", false
	}
	return s[1:i], s[i+1:], true
}

// envField finds key (e.g. "to=<") in a reject's envelope part.
func envField(s, key string) string {
	for {
		i := strings.Index(s, key)
		if i < 0 {
			return ""
		}
		if i == 0 || s[i-1] == ' ' || s[i-1] == ',' {
			v, _, _ := angle(s[i+len(key)-1:])
			return v
		}
		s = s[i+1:]
	}
}

// hostIP splits "mx.example.com[192.0.2.1]:25" (also "[192.0.2.1]:4711",
// "unknown[192.0.2.1]", "mx.example.com. [192.0.2.1]") into host and IP.
// Bracket contents that are not an address (private/dovecot-lmtp) are
// dropped.
func hostIP(s string) (host, ip string) {
	i := strings.IndexByte(s, '[')
	if i < 0 {
		return strings.TrimSuffix(s, "."), ""
	}
	host = strings.TrimSuffix(strings.TrimSpace(s[:i]), ".")
	if host == "unknown" {
		host = ""
	}
	j := strings.IndexByte(s[i:], ']')
	if j < 0 {
		return host, ""
	}
	ip = s[i+1 : i+j]
	if !looksLikeIP(ip) {
		ip = ""
	}
	if strings.HasPrefix(ip, "IPv6:") {
		ip = ip[5:]
	}
	return host, ip
}

func looksLikeIP(s string) bool {
	s = strings.TrimPrefix(s, "IPv6:")
	if len(s) < 2 || len(s) > 45 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// remoteText reduces a Postfix status text to what the remote server
// said: "host mx[ip] said: 550 5.1.1 ... (in reply to RCPT TO command)"
// gives "550 5.1.1 ..." and the command "RCPT TO". Other texts (connect
// to ...: Connection refused; unknown user) are kept as they are.
func remoteText(text string) (remote, command string) {
	if strings.HasPrefix(text, "host ") {
		if _, said, ok := strings.Cut(text, " said: "); ok {
			text = said
		}
	}
	if i := strings.LastIndex(text, " (in reply to "); i >= 0 && strings.HasSuffix(text, " command)") {
		command = text[i+len(" (in reply to ") : len(text)-len(" command)")]
		text = text[:i]
	}
	return text, command
}

// peerInText finds the remote host in texts such as "connect to
// mx.example.com[192.0.2.1]:25: Connection timed out" or "conversation with
// mx[ip] timed out while ...", for deliveries logged with relay=none.
func peerInText(text string) (host, ip string) {
	for _, p := range []string{"connect to ", "conversation with ", "connection with "} {
		i := strings.Index(text, p)
		if i < 0 {
			continue
		}
		s := text[i+len(p):]
		if j := strings.IndexAny(s, " :"); j >= 0 && strings.IndexByte(s[:j], '[') < 0 {
			return "", ""
		}
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", ""
		}
		return hostIP(s[:end+1])
	}
	return "", ""
}

// replyCode reads the SMTP reply code at the start of text (RFC 5321
// §4.2): three digits, the first 2–5, followed by space, '-' or the end.
func replyCode(text string) int {
	if len(text) < 3 {
		return 0
	}
	for i := 0; i < 3; i++ {
		if text[i] < '0' || text[i] > '9' {
			return 0
		}
	}
	if text[0] < '2' || text[0] > '5' || (len(text) > 3 && text[3] != ' ' && text[3] != '-') {
		return 0
	}
	return int(text[0]-'0')*100 + int(text[1]-'0')*10 + int(text[2]-'0')
}

// statusCode reads the enhanced status code (RFC 3463) at the start of
// text or after its reply code: "554 5.7.1 ..." and "5.7.1 ..." give
// "5.7.1".
func statusCode(text string) string {
	if replyCode(text) != 0 && len(text) > 4 {
		text = text[4:]
	}
	end := strings.IndexByte(text, ' ')
	if end < 0 {
		end = len(text)
	}
	c := text[:end]
	if len(c) < 5 || len(c) > 11 || (c[0] != '2' && c[0] != '4' && c[0] != '5') || c[1] != '.' {
		return ""
	}
	dots := 0
	for i := 1; i < len(c); i++ {
		switch {
		case c[i] == '.':
			dots++
			if c[i-1] == '.' {
				return ""
			}
		case c[i] < '0' || c[i] > '9':
			return ""
		}
	}
	if dots != 2 || c[len(c)-1] == '.' {
		return ""
	}
	return c
}

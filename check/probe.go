package check

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/maildx/maildx"
)

// The verdicts of an SMTP probe. A probe never says more than the
// server's answer shows: an accepting catch-all, greylisting, a timeout or
// a policy block are "unknown", not "deliverable".
const (
	ProbeDeliverable   = "deliverable"
	ProbeUndeliverable = "undeliverable"
	ProbeUnknown       = "unknown"
)

// The states of the catch-all test (RCPT TO a random local part).
const (
	CatchAllNotRun       = "not-run"
	CatchAllAccepted     = "accepted"     // the random address was accepted: the server accepts everything
	CatchAllRefused      = "refused"      // the random address was refused permanently: the server tells addresses apart
	CatchAllInconclusive = "inconclusive" // 4xx, timeout or an unclassifiable answer
)

// SMTPPort is the only port the probe connects to.
const SMTPPort = "25"

// ProbeOptions configure Checker.Probe.
type ProbeOptions struct {
	// HELO is the name sent with EHLO/HELO. It should be the fully
	// qualified name of the probing host with forward-confirmed reverse
	// DNS; receivers block impossible names. Default "localhost".
	HELO string
	// MailFrom is the reverse path; "" sends the null path MAIL FROM:<>.
	MailFrom string
	// Timeout bounds the TCP connect and every command's reply
	// (default 10 s).
	Timeout time.Duration
	// GreylistDelay is the wait before the one retry after a 4xx answer to
	// RCPT (default 60 s).
	GreylistDelay time.Duration
	// MaxMX is how many MX hosts (lowest preference first) are tried when
	// a connection fails (default 2).
	MaxMX int
	// RootCAs verify the MX certificate after STARTTLS; nil means the
	// system's roots. Tests inject a pool with their own certificate.
	RootCAs *x509.CertPool
	// Dial opens the TCP connection to IP:25. Nil uses net.Dialer. Tests
	// use it to map port 25 onto a local listener; the address passed is
	// always an IP address and port 25.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (o *ProbeOptions) defaults() {
	if o.HELO == "" {
		o.HELO = "localhost"
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.GreylistDelay <= 0 {
		o.GreylistDelay = 60 * time.Second
	}
	if o.MaxMX <= 0 {
		o.MaxMX = 2
	}
	if o.Dial == nil {
		d := &net.Dialer{Timeout: o.Timeout}
		o.Dial = d.DialContext
	}
}

// ProbeResult is the outcome of one SMTP probe.
type ProbeResult struct {
	Address string `json:"address"`
	// Result is deliverable, undeliverable or unknown.
	Result string `json:"result"`
	// Reason says why, in one word: accepted, userunknown (or another
	// classifier reason), catch-all, greylisted, temporary, blocked,
	// timeout, connect, private-target, provider, no-mx, protocol.
	Reason   string `json:"reason"`
	MX       string `json:"mx,omitempty"`
	IP       string `json:"ip,omitempty"`
	Reply    string `json:"reply,omitempty"`    // the server's last RCPT reply for the address (or the failing reply)
	Status   string `json:"status,omitempty"`   // enhanced status code of Reply, per the classifier
	Category string `json:"category,omitempty"` // classifier category of Reply
	CatchAll string `json:"catch_all"`
	// Greylisted is true when the first RCPT got a 4xx answer and the probe
	// retried.
	Greylisted bool `json:"greylisted,omitempty"`
	// TLS is what the MX showed of STARTTLS; nil when the conversation
	// did not get past EHLO.
	TLS *TLSResult `json:"starttls,omitempty"`
	// Transcript is the SMTP conversation, "C: " and "S: " lines, and
	// "! " notes (connection and TLS events).
	Transcript []string `json:"transcript,omitempty"`
}

// TLSResult is the STARTTLS part of a probe (RFC 3207).
type TLSResult struct {
	// Offered is true when the EHLO reply listed STARTTLS.
	Offered bool `json:"offered"`
	// Version is the negotiated TLS version ("TLS 1.3"), empty when no
	// TLS session was established.
	Version string `json:"version,omitempty"`
	// Verified is true when the certificate chains to a trusted root and
	// names Host.
	Verified bool `json:"verified"`
	// Host is the MX host name the certificate was checked against.
	Host string `json:"host"`
	// Error says why STARTTLS was refused, the handshake failed or the
	// certificate did not verify.
	Error string `json:"error,omitempty"`
}

// Providers whose MX accept every RCPT or block probes: the probe is not
// run for them and says why. Matched as suffixes of the MX host name.
var probeSkip = []struct {
	suffix, provider string
}{
	{"yahoodns.net", "Yahoo/AOL"},
	{"olc.protection.outlook.com", "Microsoft consumer (Outlook.com/Hotmail/Live)"},
	{"hotmail.com", "Microsoft consumer (Outlook.com/Hotmail/Live)"},
	{"google.com", "Gmail/Google"},
	{"googlemail.com", "Gmail/Google"},
}

// ProbeNotice is the warning to show before probing.
var ProbeNotice = Text{
	"Probing asks the recipient's mail server RCPT TO without sending a message. Yahoo/AOL, Microsoft consumer mail (Outlook.com, Hotmail, Live) and Gmail accept every address or block probes; maildx does not probe them and reports \"unknown\". Many networks block outgoing port 25, and probing from an address without reverse DNS can get it blocklisted.",
	"Die Prüfung fragt den Mailserver des Empfängers mit RCPT TO, ohne eine Nachricht zu senden. Yahoo/AOL, Microsofts Privatkunden-Mail (Outlook.com, Hotmail, Live) und Gmail nehmen jede Adresse an oder blockieren Prüfungen; maildx prüft sie nicht und meldet „unbekannt“. Viele Netze sperren ausgehenden Port 25, und Prüfungen von einer Adresse ohne Reverse-DNS können sie auf Sperrlisten bringen.",
}

// SkippedProvider returns the provider name when mxHost belongs to a
// provider whose answers to probes mean nothing, "" otherwise.
func SkippedProvider(mxHost string) string {
	h := strings.ToLower(strings.TrimSuffix(mxHost, "."))
	for _, s := range probeSkip {
		if h == s.suffix || strings.HasSuffix(h, "."+s.suffix) {
			return s.provider
		}
	}
	return ""
}

// Probe asks the MX of addr's domain whether it accepts addr: EHLO, MAIL
// FROM, RCPT TO, then the same for a random local part at the domain
// (catch-all test), RSET and QUIT. It never sends DATA. MX hosts are tried
// lowest preference first, only on port 25, only at public addresses
// (unless Checker.AllowPrivate). A 4xx answer to RCPT is retried once
// after opt.GreylistDelay on a new connection. The RCPT reply is
// classified with maildx.Explain(reply, maildx.WithCommand("RCPT")).
func (c *Checker) Probe(ctx context.Context, addr string, opt ProbeOptions) ProbeResult {
	opt.defaults()
	res := ProbeResult{Address: addr, Result: ProbeUnknown, CatchAll: CatchAllNotRun}
	p, err := ParseAddress(addr)
	if err != nil {
		res.Reason = "syntax"
		res.Result = ProbeUndeliverable
		return res
	}
	if p.Literal {
		res.Reason = "address-literal"
		return res
	}
	hosts, reason := c.probeHosts(ctx, p.Domain)
	if reason != "" {
		res.Reason = reason
		if reason == "null-mx" {
			res.Result = ProbeUndeliverable
		}
		return res
	}
	if prov := SkippedProvider(hosts[0]); prov != "" {
		res.MX = hosts[0]
		res.Reason = "provider"
		res.Reply = prov + " accepts every address or blocks probes; not probed"
		return res
	}
	if len(hosts) > opt.MaxMX {
		hosts = hosts[:opt.MaxMX]
	}
	random := randomLocal() + "@" + p.Domain
	res.Reason = "no-mx"
	for _, h := range hosts {
		ips, err := c.resolveHost(ctx, h)
		if err != nil {
			res.MX, res.Reason = h, "dns"
			continue
		}
		for _, ip := range ips {
			if !c.AllowPrivate && !isPublic(ip) {
				res.MX, res.IP, res.Reason = h, ip.String(), "private-target"
				continue
			}
			res.MX, res.IP = h, ip.String()
			done := c.probeIP(ctx, ip, p.Local+"@"+p.Domain, random, &opt, &res)
			if done {
				return res
			}
		}
	}
	return res
}

// probeHosts returns the MX hosts of d sorted by preference, or a reason
// why there is nothing to probe.
func (c *Checker) probeHosts(ctx context.Context, d string) ([]string, string) {
	mxs, err := c.Resolver.LookupMX(ctx, d)
	switch {
	case IsNotFound(err):
		return nil, "no-domain"
	case err != nil:
		return nil, "dns"
	}
	if len(mxs) == 1 && mxs[0].Host == "" {
		return nil, "null-mx"
	}
	if len(mxs) == 0 {
		return []string{d}, "" // implicit MX, RFC 5321 §5.1
	}
	slices.SortStableFunc(mxs, func(a, b MX) int { return int(a.Pref) - int(b.Pref) })
	hosts := make([]string, 0, len(mxs))
	for _, m := range mxs {
		if m.Host != "" && !slices.Contains(hosts, m.Host) {
			hosts = append(hosts, m.Host)
		}
	}
	if len(hosts) == 0 {
		return nil, "no-mx"
	}
	return hosts, ""
}

func randomLocal() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// probeIP runs the conversation with one server, retrying once on a 4xx
// RCPT answer. It reports whether the result is final (the server
// answered RCPT, or refused the probe) or the next host should be tried.
func (c *Checker) probeIP(ctx context.Context, ip netip.Addr, rcpt, random string, opt *ProbeOptions, res *ProbeResult) bool {
	for attempt := 0; attempt < 2; attempt++ {
		if attempt == 1 {
			res.Greylisted = true
			t := time.NewTimer(opt.GreylistDelay)
			select {
			case <-ctx.Done():
				t.Stop()
				res.Reason = "greylisted"
				return true
			case <-t.C:
			}
		}
		st := c.converse(ctx, ip, rcpt, random, opt, res, true)
		if st == convTLSFailed {
			// Like an opportunistic sender, try again without TLS; the
			// failure stays in res.TLS.
			st = c.converse(ctx, ip, rcpt, random, opt, res, false)
		}
		switch st {
		case convConnect:
			return false
		case convRcpt4xx:
			if attempt == 0 {
				continue
			}
			res.Reason = "greylisted"
			return true
		default:
			return true
		}
	}
	return true
}

type convState int

const (
	convConnect   convState = iota // no server conversation (connect failed, 421 greeting): try the next host
	convRefused                    // the server refused the probe before RCPT, or the conversation broke
	convRcpt4xx                    // RCPT answered 4xx
	convDone                       // a final verdict is in res
	convTLSFailed                  // the TLS handshake failed: the connection is unusable
)

// converse runs one SMTP session; with useTLS it records the STARTTLS
// offer in res.TLS and upgrades the session when offered.
func (c *Checker) converse(ctx context.Context, ip netip.Addr, rcpt, random string, opt *ProbeOptions, res *ProbeResult, useTLS bool) convState {
	cctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	conn, err := opt.Dial(cctx, "tcp", net.JoinHostPort(ip.String(), SMTPPort))
	cancel()
	if err != nil {
		res.Transcript = append(res.Transcript, "! connect "+ip.String()+": "+err.Error())
		res.Reason = "connect"
		if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
			res.Reason = "timeout"
		}
		return convConnect
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	s := &session{conn: conn, r: bufio.NewReaderSize(conn, 1024), timeout: opt.Timeout, res: res}

	fail := func(reason string, rep Reply, err error) convState {
		if err != nil {
			res.Reason = reason
			switch {
			case errors.Is(err, errTimeout) || ctx.Err() != nil:
				res.Reason = "timeout"
			case errors.Is(err, errBadReply):
				res.Reason = "protocol"
			}
			res.Transcript = append(res.Transcript, "! "+err.Error())
			return convRefused
		}
		res.Reason, res.Reply = reason, rep.String()
		s.quit()
		return convRefused
	}

	rep, err := s.read()
	if err != nil {
		if errors.Is(err, errTimeout) || ctx.Err() != nil {
			return fail("timeout", rep, err)
		}
		res.Transcript = append(res.Transcript, "! "+err.Error())
		res.Reason = "protocol"
		return convConnect
	}
	if rep.Code/100 == 4 { // 421 and other temporary greetings: try the next host
		res.Reason, res.Reply = "temporary", rep.String()
		s.quit()
		return convConnect
	}
	if rep.Code != 220 {
		return fail("blocked", rep, nil)
	}
	rep, err = s.cmd("EHLO " + opt.HELO)
	if err == nil && rep.Code/100 == 5 {
		rep, err = s.cmd("HELO " + opt.HELO)
	}
	if err != nil || rep.Code != 250 {
		return fail("blocked", rep, err)
	}
	if useTLS {
		res.TLS = &TLSResult{Host: res.MX, Offered: offersSTARTTLS(rep)}
		if res.TLS.Offered {
			state, err := s.startTLS(ctx, res.MX, opt, res.TLS)
			switch {
			case err != nil:
				return fail("blocked", Reply{}, err)
			case state == tlsBroken:
				return convTLSFailed
			case state == tlsUp:
				rep, err = s.cmd("EHLO " + opt.HELO) // RFC 3207 §4.2: forget what was said before
				if err != nil || rep.Code != 250 {
					return fail("blocked", rep, err)
				}
			}
		}
	}
	rep, err = s.cmd("MAIL FROM:<" + opt.MailFrom + ">")
	if err != nil || rep.Code != 250 {
		return fail("blocked", rep, err)
	}
	rep, err = s.cmd("RCPT TO:<" + rcpt + ">")
	if err != nil {
		return fail("timeout", rep, err)
	}
	res.Reply = rep.String()
	d := maildx.Explain(rep.String(), maildx.WithCommand("RCPT"))
	res.Status, res.Category = d.Status, d.Category
	switch {
	case rep.Code/100 == 4:
		s.quit()
		res.Reason = "temporary"
		return convRcpt4xx
	case rep.Code/100 == 5:
		s.quit()
		switch d.Category {
		case "mailbox-unknown", "mailbox-disabled":
			res.Result, res.Reason = ProbeUndeliverable, d.Reason
		default:
			// A policy block, relay denial or reputation block says
			// nothing about the mailbox.
			res.Reason = d.Reason
			if res.Reason == "" {
				res.Reason = "refused"
			}
		}
		return convDone
	case rep.Code != 250 && rep.Code != 251:
		s.quit()
		res.Reason = "protocol" // 252 (cannot verify) and other oddities
		return convDone
	}
	// Accepted: the catch-all test tells whether the acceptance means anything.
	if rep, err := s.cmd("RSET"); err == nil && rep.Code == 250 {
		if rep, err := s.cmd("MAIL FROM:<" + opt.MailFrom + ">"); err == nil && rep.Code == 250 {
			if rep, err := s.cmd("RCPT TO:<" + random + ">"); err == nil {
				cd := maildx.Explain(rep.String(), maildx.WithCommand("RCPT"))
				switch {
				case rep.Code == 250 || rep.Code == 251:
					res.CatchAll = CatchAllAccepted
				case rep.Code/100 == 5 && cd.Category == "mailbox-unknown":
					res.CatchAll = CatchAllRefused
				default:
					res.CatchAll = CatchAllInconclusive
				}
			} else {
				res.CatchAll = CatchAllInconclusive
			}
		} else {
			res.CatchAll = CatchAllInconclusive
		}
	} else {
		res.CatchAll = CatchAllInconclusive
	}
	s.quit()
	switch res.CatchAll {
	case CatchAllRefused:
		res.Result, res.Reason = ProbeDeliverable, "accepted"
	case CatchAllAccepted:
		res.Reason = "catch-all"
	default:
		res.Reason = "catch-all-inconclusive"
		if ctx.Err() != nil {
			res.Reason = "timeout"
		}
	}
	return convDone
}

// Reply is one SMTP reply: the code and its text lines.
type Reply struct {
	Code  int
	Lines []string // the text after "NNN " / "NNN-" of each line
}

// String renders the reply as one line: "550 5.1.1 text text".
func (r Reply) String() string {
	if r.Code == 0 {
		return ""
	}
	return strconv.Itoa(r.Code) + " " + strings.Join(r.Lines, " ")
}

// Limits of ReadReply.
const (
	maxReplyLine  = 1000 // RFC 5321 §4.5.3.1.5 allows 512; be generous
	maxReplyLines = 100
)

var (
	errTimeout  = errors.New("smtp: timeout")
	errBadReply = errors.New("smtp: malformed reply")
)

// ReadReply reads one possibly multi-line SMTP reply (RFC 5321 §4.2.1)
// with bounded line length and line count. Malformed input is an error,
// never a panic.
func ReadReply(r *bufio.Reader) (Reply, error) {
	var rep Reply
	for n := 0; ; n++ {
		if n >= maxReplyLines {
			return rep, fmt.Errorf("%w: more than %d lines", errBadReply, maxReplyLines)
		}
		line, err := readLine(r)
		if err != nil {
			return rep, err
		}
		if len(line) < 3 {
			return rep, fmt.Errorf("%w: %q", errBadReply, line)
		}
		code, err := strconv.Atoi(line[:3])
		if err != nil || code < 200 || code > 599 || line[0] < '2' || line[0] > '5' {
			return rep, fmt.Errorf("%w: %q", errBadReply, truncate(line, 80))
		}
		if rep.Code != 0 && code != rep.Code {
			return rep, fmt.Errorf("%w: code changed from %d to %d in a multi-line reply", errBadReply, rep.Code, code)
		}
		rep.Code = code
		more := false
		text := ""
		if len(line) > 3 {
			switch line[3] {
			case '-':
				more = true
			case ' ':
			default:
				return rep, fmt.Errorf("%w: %q", errBadReply, truncate(line, 80))
			}
			text = line[4:]
		}
		rep.Lines = append(rep.Lines, text)
		if !more {
			return rep, nil
		}
	}
}

// readLine reads one line ending in LF (CR optional), at most maxReplyLine
// bytes, and returns it without the line ending and control characters.
func readLine(r *bufio.Reader) (string, error) {
	var b []byte
	for {
		frag, err := r.ReadSlice('\n')
		b = append(b, frag...)
		if len(b) > maxReplyLine {
			return "", fmt.Errorf("%w: line longer than %d bytes", errBadReply, maxReplyLine)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return "", errTimeout
			}
			if err == io.EOF {
				return "", fmt.Errorf("smtp: connection closed: %w", io.ErrUnexpectedEOF)
			}
			return "", err
		}
		break
	}
	s := strings.TrimRight(string(b), "\r\n")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s), nil
}

// session is one SMTP client connection with per-command deadlines.
type session struct {
	conn    net.Conn
	r       *bufio.Reader
	timeout time.Duration
	res     *ProbeResult
}

func (s *session) read() (Reply, error) {
	_ = s.conn.SetReadDeadline(time.Now().Add(s.timeout))
	rep, err := ReadReply(s.r)
	if err == nil {
		s.res.Transcript = append(s.res.Transcript, "S: "+rep.String())
	}
	return rep, err
}

func (s *session) cmd(line string) (Reply, error) {
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.timeout))
	s.res.Transcript = append(s.res.Transcript, "C: "+line)
	if _, err := io.WriteString(s.conn, line+"\r\n"); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return Reply{}, errTimeout
		}
		return Reply{}, err
	}
	return s.read()
}

// offersSTARTTLS reports whether an EHLO reply lists the STARTTLS
// keyword (RFC 3207 §4); the first line is the greeting, not a keyword.
func offersSTARTTLS(ehlo Reply) bool {
	for i, l := range ehlo.Lines {
		if i == 0 {
			continue
		}
		if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], "STARTTLS") {
			return true
		}
	}
	return false
}

// startTLS sends STARTTLS and, on 220, runs the TLS handshake with
// ServerName host. Like an opportunistic sender it completes the
// handshake whatever the certificate, then verifies the certificate
// against opt.RootCAs and host and records the outcome in info. It
// returns the state of the session; err is a broken conversation.
func (s *session) startTLS(ctx context.Context, host string, opt *ProbeOptions, info *TLSResult) (tlsState, error) {
	rep, err := s.cmd("STARTTLS")
	if err != nil {
		return tlsBroken, err
	}
	if rep.Code != 220 {
		info.Error = "STARTTLS refused: " + rep.String()
		return tlsPlain, nil
	}
	tc := tls.Client(s.conn, &tls.Config{
		ServerName: host,
		// Verified below, so that a bad certificate is reported instead
		// of ending the probe.
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS10,
	})
	hctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		info.Error = "handshake: " + err.Error()
		s.res.Transcript = append(s.res.Transcript, "! TLS handshake failed: "+err.Error())
		return tlsBroken, nil
	}
	cs := tc.ConnectionState()
	info.Version = tls.VersionName(cs.Version)
	if len(cs.PeerCertificates) == 0 {
		info.Error = "no certificate"
	} else {
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{DNSName: host, Roots: opt.RootCAs, Intermediates: inter})
		info.Verified = err == nil
		if err != nil {
			info.Error = err.Error()
		}
	}
	note := "! " + info.Version + ", certificate verified for " + host
	if !info.Verified {
		note = "! " + info.Version + ", certificate not verified for " + host + ": " + info.Error
	}
	s.res.Transcript = append(s.res.Transcript, note)
	s.conn, s.r = tc, bufio.NewReaderSize(tc, 1024)
	return tlsUp, nil
}

// tlsState is the state of a session after STARTTLS.
type tlsState int

const (
	tlsPlain  tlsState = iota // STARTTLS refused: the session goes on in plain text
	tlsUp                     // encrypted
	tlsBroken                 // the handshake failed: the connection is unusable
)

// quit ends the session politely: RSET and QUIT, errors ignored, with a
// short deadline.
func (s *session) quit() {
	s.timeout = min(s.timeout, 2*time.Second)
	if _, err := s.cmd("RSET"); err != nil {
		return
	}
	_, _ = s.cmd("QUIT")
}

// probeFinding turns a probe result into the "smtp" finding of an address.
func probeFinding(r ProbeResult) Finding {
	f := Finding{Check: "smtp", Status: StatusUnknown, Prevents: preventsUnknownUser}
	where := r.MX
	if r.IP != "" {
		where += " [" + r.IP + "]"
	}
	f.Found = strings.TrimSpace(r.Result + " (" + r.Reason + ") " + where)
	if r.Reply != "" {
		f.Found += ": " + r.Reply
	}
	switch r.Result {
	case ProbeDeliverable:
		f.Status = StatusOK
		f.Why = Text{"The server accepted RCPT TO for the address and refused a random address at the same domain, so it checks recipients: the mailbox exists now.",
			"Der Server nahm RCPT TO für die Adresse an und lehnte eine Zufallsadresse derselben Domain ab; er prüft also Empfänger: Das Postfach existiert derzeit."}
		return f
	case ProbeUndeliverable:
		f.Status = StatusFail
		f.Why = Text{"The recipient's server refused the address (RCPT TO): mail to it bounces.",
			"Der Server des Empfängers lehnte die Adresse ab (RCPT TO): Mails an sie kommen zurück."}
		f.Fix = Text{"Remove the address or ask the recipient for the correct one.", "Adresse entfernen oder beim Empfänger die richtige erfragen."}
		return f
	}
	why := map[string]Text{
		"catch-all": {"The server accepts any address at this domain (a random one too), so its yes says nothing about this mailbox.",
			"Der Server nimmt jede Adresse dieser Domain an (auch eine zufällige); sein Ja sagt nichts über dieses Postfach."},
		"catch-all-inconclusive": {"The server accepted the address, but the test with a random address gave no clear answer, so the acceptance may mean nothing.",
			"Der Server nahm die Adresse an, aber der Test mit einer Zufallsadresse blieb ohne klare Antwort; die Annahme kann bedeutungslos sein."},
		"greylisted": {"The server answered with a temporary error twice (greylisting or rate limiting); a real delivery would be retried for days.",
			"Der Server antwortete zweimal mit einem vorübergehenden Fehler (Greylisting oder Drosselung); eine echte Zustellung würde tagelang wiederholt."},
		"provider": {"This provider accepts every address or blocks probes, so maildx does not probe it.",
			"Dieser Anbieter nimmt jede Adresse an oder blockiert Prüfungen; maildx prüft ihn deshalb nicht."},
		"private-target": {"The MX resolves to a private, loopback or link-local address; maildx refuses to connect there.",
			"Der MX zeigt auf eine private, Loopback- oder Link-Local-Adresse; maildx verbindet sich dorthin nicht."},
		"timeout": {"The server did not answer in time.", "Der Server antwortete nicht rechtzeitig."},
		"connect": {"No MX host could be reached on port 25 (many networks and clouds block outgoing port 25).",
			"Kein MX-Host war auf Port 25 erreichbar (viele Netze und Clouds sperren ausgehenden Port 25)."},
	}[r.Reason]
	if why.EN == "" {
		why = Text{"The server's answer does not show whether the mailbox exists (it refused the probe, answered with a temporary error, or DNS failed).",
			"Die Antwort des Servers zeigt nicht, ob das Postfach existiert (er lehnte die Prüfung ab, antwortete mit einem vorübergehenden Fehler, oder DNS schlug fehl)."}
	}
	f.Why = why
	return f
}

// starttlsFinding turns the STARTTLS part of a probe into the
// "probe.starttls" finding; nil when the conversation did not get that far.
// A missing or broken STARTTLS is a warning, not a failure: the address
// still receives mail from senders that fall back to plain text.
func starttlsFinding(r ProbeResult) *Finding {
	t := r.TLS
	if t == nil {
		return nil
	}
	f := &Finding{Check: "probe.starttls", Status: StatusWarn, Prevents: preventsSTARTTLS}
	switch {
	case !t.Offered:
		f.Found = t.Host + ": STARTTLS not offered in the EHLO reply"
		f.Why = Text{"The MX does not offer STARTTLS, so mail to it travels unencrypted, and senders that require TLS (MTA-STS in enforce mode, DANE, REQUIRETLS, many corporate gateways) cannot deliver to it.",
			"Der MX bietet kein STARTTLS an; Mails an ihn gehen unverschlüsselt, und Absender, die TLS verlangen (MTA-STS im Modus enforce, DANE, REQUIRETLS, viele Firmen-Gateways), können nicht an ihn liefern."}
		f.Fix = Text{"Enable STARTTLS on the receiving mail server with a certificate for its MX host name.",
			"STARTTLS auf dem empfangenden Mailserver einschalten, mit einem Zertifikat für seinen MX-Hostnamen."}
	case t.Version == "":
		f.Found = t.Host + ": STARTTLS offered, but " + t.Error
		f.Why = Text{"The MX offers STARTTLS but no TLS session came about; senders that insist on TLS defer mail to it, others retry in plain text.",
			"Der MX bietet STARTTLS an, aber es kam keine TLS-Sitzung zustande; Absender, die auf TLS bestehen, stellen Mails an ihn zurück, andere versuchen es unverschlüsselt erneut."}
		f.Fix = Text{"Check the mail server's TLS setup (certificate and key files, protocol versions, ciphers) and its log for the handshake error.",
			"Die TLS-Einrichtung des Mailservers prüfen (Zertifikat- und Schlüsseldateien, Protokollversionen, Cipher) und im Log nach dem Handshake-Fehler sehen."}
	case !t.Verified:
		f.Found = t.Host + ": " + t.Version + ", certificate does not verify: " + t.Error
		f.Why = Text{"The MX speaks TLS, but its certificate is not valid for the MX host name (self-signed, expired, wrong name or unknown issuer). Opportunistic senders still deliver; senders that verify (MTA-STS enforce, DANE with a PKIX fallback, Microsoft 365 outbound rules) do not.",
			"Der MX spricht TLS, aber sein Zertifikat gilt nicht für den MX-Hostnamen (selbstsigniert, abgelaufen, falscher Name oder unbekannter Aussteller). Opportunistische Absender liefern trotzdem; prüfende Absender (MTA-STS enforce, Microsoft-365-Regeln für ausgehende Mail) nicht."}
		f.Fix = Text{"Install a certificate from a public CA that names the MX host (" + t.Host + "), with its intermediate certificates.",
			"Ein Zertifikat einer öffentlichen CA installieren, das den MX-Host (" + t.Host + ") nennt, samt Zwischenzertifikaten."}
	default:
		f.Found = t.Host + ": " + t.Version + ", certificate verified"
		if t.Version == "TLS 1.0" || t.Version == "TLS 1.1" {
			f.Why = Text{"The certificate is valid, but " + t.Version + " is outdated (RFC 8996); many senders refuse it and fall back to plain text.",
				"Das Zertifikat ist gültig, aber " + t.Version + " ist veraltet (RFC 8996); viele Absender lehnen es ab und weichen auf unverschlüsselte Übertragung aus."}
			f.Fix = Text{"Enable TLS 1.2 and 1.3 on the mail server.", "TLS 1.2 und 1.3 auf dem Mailserver einschalten."}
			break
		}
		f.Status = StatusOK
		f.Why = Text{"The MX offers STARTTLS with a certificate valid for its name, so senders can deliver encrypted and authenticated.",
			"Der MX bietet STARTTLS mit einem für seinen Namen gültigen Zertifikat an; Absender können verschlüsselt und authentifiziert liefern."}
	}
	return f
}

// AddressProbe is Address followed, for a syntactically valid address
// whose domain accepts mail, by Probe; the probe result is in
// AddressResult.Probe and as the "smtp" finding.
func (c *Checker) AddressProbe(ctx context.Context, s string, opt ProbeOptions) AddressResult {
	r := c.Address(ctx, s)
	if !r.Valid || r.Status == StatusFail || strings.HasPrefix(r.Domain, "[") {
		return r
	}
	p := c.Probe(ctx, r.Local+"@"+r.Domain, opt)
	r.Probe = &p
	r.Findings = append(r.Findings, probeFinding(p))
	if f := starttlsFinding(p); f != nil {
		r.Findings = append(r.Findings, *f)
	}
	r.Status = Worst(r.Findings)
	return r
}

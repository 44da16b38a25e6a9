package check

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maildx/maildx/check/dnstest"
	"github.com/maildx/maildx/check/smtptest"
)

const probeZone = `
p.test. MX 10 mx.p.test.
p.test. MX 20 mx2.p.test.
mx.p.test. A 127.0.0.1
mx2.p.test. A 127.0.0.1
nomx.test. A 127.0.0.1
null.test. MX 0 .
yahoo.test. MX 1 mta5.am0.yahoodns.net.
gmail.test. MX 5 gmail-smtp-in.l.google.com.
hotmail.test. MX 2 hotmail-com.olc.protection.outlook.com.
private.test. MX 10 mx.private.test.
mx.private.test. A 10.0.0.25
`

// probeEnv is a checker on the test DNS zone and an SMTP test server that
// every probe connection reaches.
type probeEnv struct {
	c    *Checker
	srv  *smtptest.Server
	opt  ProbeOptions
	mu   sync.Mutex
	dial []string
}

func newProbeEnv(t *testing.T, srv *smtptest.Server) *probeEnv {
	t.Helper()
	dnsSrv := dnstest.Start(t, probeZone)
	e := &probeEnv{
		c:   &Checker{Resolver: &DNSResolver{Servers: []string{dnsSrv.Addr}, Timeout: time.Second}, AllowPrivate: true},
		srv: smtptest.Start(t, srv),
	}
	dial := e.srv.Dial()
	e.opt = ProbeOptions{HELO: "probe.example.org", Timeout: 500 * time.Millisecond, GreylistDelay: 10 * time.Millisecond,
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			e.mu.Lock()
			e.dial = append(e.dial, addr)
			e.mu.Unlock()
			if !strings.HasSuffix(addr, ":25") {
				return nil, errors.New("probe dialed a port other than 25: " + addr)
			}
			return dial(ctx, network, addr)
		}}
	return e
}

func (e *probeEnv) dials() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.dial)
}

func noData(t *testing.T, srv *smtptest.Server) {
	t.Helper()
	for _, c := range srv.Commands() {
		if strings.EqualFold(c, "DATA") {
			t.Fatalf("probe sent DATA: %q", srv.Commands())
		}
	}
}

func TestProbeVerdicts(t *testing.T) {
	srv := &smtptest.Server{Rcpt: map[string][]string{
		"anna@p.test":  {"250 2.1.5 Ok"},
		"full@p.test":  {"552 5.2.2 Mailbox full"},
		"block@p.test": {"550 5.7.1 Client host rejected: blocked using zen.spamhaus.org"},
		"grey@p.test":  {"451 4.7.1 Greylisted, please try again later", "250 2.1.5 Ok"},
		"grey2@p.test": {"450 4.7.1 Greylisted"},
		"gone@p.test":  {"550 5.2.1 The email account that you tried to reach is disabled"},
		"odd@p.test":   {"252 2.1.5 Cannot VRFY user"},
	}}
	e := newProbeEnv(t, srv)
	ctx := context.Background()
	for _, tc := range []struct {
		addr, result, reason, catchAll string
		grey                           bool
	}{
		{"anna@p.test", ProbeDeliverable, "accepted", CatchAllRefused, false},
		{"bob@p.test", ProbeUndeliverable, "userunknown", CatchAllNotRun, false},
		{"gone@p.test", ProbeUndeliverable, "suspend", CatchAllNotRun, false},
		{"full@p.test", ProbeUnknown, "mailboxfull", CatchAllNotRun, false},
		{"block@p.test", ProbeUnknown, "blocked", CatchAllNotRun, false},
		{"grey@p.test", ProbeDeliverable, "accepted", CatchAllRefused, true},
		{"grey2@p.test", ProbeUnknown, "greylisted", CatchAllNotRun, true},
		{"odd@p.test", ProbeUnknown, "protocol", CatchAllNotRun, false},
		{"x@null.test", ProbeUndeliverable, "null-mx", CatchAllNotRun, false},
		{"x@nxdomain.test", ProbeUnknown, "no-domain", CatchAllNotRun, false},
		{"x@yahoo.test", ProbeUnknown, "provider", CatchAllNotRun, false},
		{"x@gmail.test", ProbeUnknown, "provider", CatchAllNotRun, false},
		{"x@hotmail.test", ProbeUnknown, "provider", CatchAllNotRun, false},
	} {
		r := e.c.Probe(ctx, tc.addr, e.opt)
		if r.Result != tc.result || r.Reason != tc.reason || r.CatchAll != tc.catchAll || r.Greylisted != tc.grey {
			t.Errorf("%s: got %s/%s catch-all=%s grey=%v, want %s/%s %s %v\n%s", tc.addr, r.Result, r.Reason, r.CatchAll, r.Greylisted,
				tc.result, tc.reason, tc.catchAll, tc.grey, strings.Join(r.Transcript, "\n"))
		}
	}
	noData(t, e.srv)
	cmds := strings.Join(e.srv.Commands(), "\n")
	for _, want := range []string{"EHLO probe.example.org", "MAIL FROM:<>", "RCPT TO:<anna@p.test>", "RSET", "QUIT"} {
		if !strings.Contains(cmds, want) {
			t.Errorf("no %q in\n%s", want, cmds)
		}
	}
	// Provider MX hosts are never dialed.
	for _, d := range e.dials() {
		if !strings.HasPrefix(d, "127.0.0.1:") {
			t.Errorf("dialed %s", d)
		}
	}
}

func TestProbeCatchAll(t *testing.T) {
	e := newProbeEnv(t, &smtptest.Server{Default: "250 2.1.5 Ok"})
	r := e.c.Probe(context.Background(), "anyone@p.test", e.opt)
	if r.Result != ProbeUnknown || r.Reason != "catch-all" || r.CatchAll != CatchAllAccepted {
		t.Fatalf("%+v", r)
	}
	f := probeFinding(r)
	if f.Status != StatusUnknown || !strings.Contains(f.Why.EN, "any address") || f.Why.DE == "" {
		t.Errorf("%+v", f)
	}
	// A catch-all test answered 4xx is inconclusive: never "deliverable".
	e = newProbeEnv(t, &smtptest.Server{Default: "451 4.3.0 try later", Rcpt: map[string][]string{"a@p.test": {"250 Ok"}}})
	r = e.c.Probe(context.Background(), "a@p.test", e.opt)
	if r.Result != ProbeUnknown || r.CatchAll != CatchAllInconclusive {
		t.Fatalf("%+v", r)
	}
}

func TestProbeImplicitMXAndMailFrom(t *testing.T) {
	e := newProbeEnv(t, &smtptest.Server{Rcpt: map[string][]string{"a@nomx.test": {"250 Ok"}}})
	e.opt.MailFrom = "bounce@example.org"
	r := e.c.Probe(context.Background(), "a@nomx.test", e.opt)
	if r.Result != ProbeDeliverable || r.MX != "nomx.test" {
		t.Fatalf("%+v", r)
	}
	if !slices.Contains(e.srv.Commands(), "MAIL FROM:<bounce@example.org>") {
		t.Errorf("%q", e.srv.Commands())
	}
}

func TestProbeRefusesPrivateTargets(t *testing.T) {
	e := newProbeEnv(t, &smtptest.Server{})
	e.c.AllowPrivate = false
	for _, a := range []string{"a@private.test", "a@p.test"} {
		r := e.c.Probe(context.Background(), a, e.opt)
		if r.Result != ProbeUnknown || r.Reason != "private-target" {
			t.Errorf("%s: %+v", a, r)
		}
	}
	if d := e.dials(); len(d) != 0 {
		t.Errorf("dialed %v", d)
	}
	if e.srv.Conns() != 0 {
		t.Errorf("%d connections", e.srv.Conns())
	}
}

func TestProbeTimeoutsAndGarbage(t *testing.T) {
	for name, tc := range map[string]struct {
		srv    *smtptest.Server
		reason string
	}{
		"silent greeting": {&smtptest.Server{Greeting: smtptest.Hang}, "timeout"},
		"slow":            {&smtptest.Server{Delay: 800 * time.Millisecond}, "timeout"},
		"silent rcpt":     {&smtptest.Server{Default: smtptest.Hang}, "timeout"},
		"garbage rcpt":    {&smtptest.Server{Default: "hello there"}, "protocol"},
		"garbage ehlo":    {&smtptest.Server{EHLO: "250-a\r\n251 b"}, "protocol"},
		"long line":       {&smtptest.Server{Default: "550 " + strings.Repeat("x", 5000)}, "protocol"},
		"banner refusal":  {&smtptest.Server{Greeting: "554 5.7.1 no probes here"}, "blocked"},
		"mail refused":    {&smtptest.Server{Mail: "550 5.7.1 sender rejected"}, "blocked"},
		"421 greeting":    {&smtptest.Server{Greeting: "421 4.3.2 busy"}, "temporary"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newProbeEnv(t, tc.srv)
			e.opt.MaxMX = 1
			start := time.Now()
			r := e.c.Probe(context.Background(), "a@p.test", e.opt)
			if r.Result != ProbeUnknown || r.Reason != tc.reason {
				t.Errorf("%+v", r)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestProbeConnectRefusedTriesNextMX(t *testing.T) {
	e := newProbeEnv(t, &smtptest.Server{Rcpt: map[string][]string{"a@p.test": {"250 Ok"}}})
	inner := e.opt.Dial
	n := 0
	e.opt.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		n++
		if n == 1 {
			return nil, errors.New("connection refused")
		}
		return inner(ctx, network, addr)
	}
	r := e.c.Probe(context.Background(), "a@p.test", e.opt)
	if r.Result != ProbeDeliverable || r.MX != "mx2.p.test" {
		t.Fatalf("%+v", r)
	}
	e.opt.Dial = func(context.Context, string, string) (net.Conn, error) { return nil, errors.New("connection refused") }
	r = e.c.Probe(context.Background(), "a@p.test", e.opt)
	if r.Result != ProbeUnknown || r.Reason != "connect" {
		t.Fatalf("%+v", r)
	}
}

func TestProbeContextCancel(t *testing.T) {
	e := newProbeEnv(t, &smtptest.Server{Default: smtptest.Hang})
	e.opt.Timeout = 10 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	r := e.c.Probe(ctx, "a@p.test", e.opt)
	if r.Result != ProbeUnknown || time.Since(start) > 3*time.Second {
		t.Fatalf("%v %+v", time.Since(start), r)
	}
}

func TestAddressProbe(t *testing.T) {
	tlsConf, roots := smtptest.TestCert(t, "mx.p.test", "mx2.p.test")
	e := newProbeEnv(t, &smtptest.Server{Rcpt: map[string][]string{"anna@p.test": {"250 Ok"}}, TLSConfig: tlsConf})
	e.opt.RootCAs = roots
	r := e.c.AddressProbe(context.Background(), "anna@p.test", e.opt)
	if r.Probe == nil || r.Probe.Result != ProbeDeliverable || r.Status != StatusOK || find(r.Findings, "smtp").Status != StatusOK ||
		find(r.Findings, "probe.starttls").Status != StatusOK {
		t.Fatalf("%+v", r)
	}
	r = e.c.AddressProbe(context.Background(), "bob@p.test", e.opt)
	if r.Status != StatusFail || r.Probe.Result != ProbeUndeliverable {
		t.Fatalf("%+v", r)
	}
	// No probe when the address already failed.
	r = e.c.AddressProbe(context.Background(), "x@null.test", e.opt)
	if r.Probe != nil {
		t.Fatalf("%+v", r)
	}
}

func TestReadReply(t *testing.T) {
	for in, want := range map[string]string{
		"250 ok\r\n":                     "250 ok",
		"250-a\r\n250-b\r\n250 c\r\n":    "250 a b c",
		"220\r\n":                        "220 ",
		"550 5.1.1 x\n":                  "550 5.1.1 x",
		"550 a\x00b\x1b[31m\r\n":         "550 ab[31m",
		"250-a\r\n251 b\r\n":             "error",
		"999 x\r\n":                      "error",
		"25\r\n":                         "error",
		"250x\r\n":                       "error",
		"":                               "error",
		"250-a\r\n":                      "error",
		strings.Repeat("250-x\r\n", 200): "error",
	} {
		rep, err := ReadReply(bufio.NewReader(strings.NewReader(in)))
		got := rep.String()
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("%q: %q (%v), want %q", in, got, err, want)
		}
	}
}

func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"250 ok\r\n", "250-a\r\n250 b\r\n", "451 4.7.1 Greylisted\r\n", "garbage", "550-5.1.1\n550 x\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rep, err := ReadReply(bufio.NewReaderSize(strings.NewReader(s), 16))
		if err == nil && (rep.Code < 200 || rep.Code > 599 || len(rep.Lines) == 0 || len(rep.Lines) > maxReplyLines) {
			t.Fatalf("%q: %+v", s, rep)
		}
		if err == nil {
			_ = probeFinding(ProbeResult{Result: ProbeUnknown, Reply: rep.String()})
		}
	})
}

func TestProbeTargetsNonPublic(t *testing.T) {
	for _, s := range []string{"0.0.0.0", "::", "127.0.0.1", "::1", "::ffff:127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.1.1", "fe80::1", "fc00::1", "100.64.0.1"} {
		if isPublic(netip.MustParseAddr(s)) {
			t.Errorf("%s counted as public", s)
		}
	}
	if !isPublic(netip.MustParseAddr("93.184.216.34")) {
		t.Error("public address refused")
	}
}

func TestProbeSTARTTLS(t *testing.T) {
	good, roots := smtptest.TestCert(t, "mx.p.test", "mx2.p.test")
	other, otherRoots := smtptest.TestCert(t, "mail.elsewhere.test")
	old := good.Clone()
	old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS10
	for _, tc := range []struct {
		name     string
		srv      *smtptest.Server
		roots    *x509.CertPool
		want     Status
		found    string
		verified bool
		tlsConns int
	}{
		{"verified", &smtptest.Server{TLSConfig: good}, roots, StatusOK, "TLS 1.3, certificate verified", true, 1},
		{"untrusted", &smtptest.Server{TLSConfig: good}, nil, StatusWarn, "does not verify", false, 1},
		{"wrong name", &smtptest.Server{TLSConfig: other}, otherRoots, StatusWarn, "mail.elsewhere.test", false, 1},
		{"not offered", &smtptest.Server{}, roots, StatusWarn, "not offered", false, 0},
		{"refused", &smtptest.Server{TLSConfig: good, StartTLS: "454 4.7.0 TLS not available due to temporary reason"}, roots, StatusWarn, "STARTTLS refused: 454", false, 0},
		{"handshake fails", &smtptest.Server{TLSConfig: &tls.Config{}}, roots, StatusWarn, "handshake", false, 0},
		{"TLS 1.0", &smtptest.Server{TLSConfig: old}, roots, StatusWarn, "TLS 1.0, certificate verified", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.srv.Rcpt = map[string][]string{"anna@p.test": {"250 2.1.5 Ok"}}
			e := newProbeEnv(t, tc.srv)
			e.opt.RootCAs = tc.roots
			e.opt.MaxMX = 1
			r := e.c.AddressProbe(context.Background(), "anna@p.test", e.opt)
			// STARTTLS never changes the verdict on the mailbox.
			if r.Probe.Result != ProbeDeliverable {
				t.Fatalf("%+v\n%s", r.Probe, strings.Join(r.Probe.Transcript, "\n"))
			}
			f := find(r.Findings, "probe.starttls")
			if f.Status != tc.want || !strings.Contains(f.Found, tc.found) || r.Probe.TLS.Verified != tc.verified {
				t.Errorf("%s %q verified=%v, want %s containing %q\n%s", f.Status, f.Found, r.Probe.TLS.Verified, tc.want, tc.found,
					strings.Join(r.Probe.Transcript, "\n"))
			}
			if f.Why.EN == "" || f.Why.DE == "" || (f.Status != StatusOK && (f.Fix.EN == "" || f.Fix.DE == "")) || len(f.Prevents) == 0 {
				t.Errorf("incomplete finding %+v", f)
			}
			if n := e.srv.TLSConns(); n != tc.tlsConns {
				t.Errorf("%d TLS sessions, want %d", n, tc.tlsConns)
			}
			cmds := e.srv.Commands()
			if tc.tlsConns == 1 {
				// RFC 3207 §4.2: EHLO again after the handshake, before MAIL FROM.
				i := slices.Index(cmds, "STARTTLS")
				if i < 0 || i+1 >= len(cmds) || cmds[i+1] != "EHLO probe.example.org" {
					t.Errorf("no EHLO after STARTTLS: %q", cmds)
				}
			}
			noData(t, e.srv)
		})
	}
}

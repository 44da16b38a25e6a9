// Package smtptest runs a scripted SMTP server on 127.0.0.1 for tests of
// the address probe: per-address RCPT replies (in order, the last one
// repeating, counted across connections, so "451 greylisted" then "250"
// scripts greylisting), a default reply for every other address (a 250
// makes a catch-all), slow or silent replies, raw garbage lines, and
// STARTTLS (RFC 3207) with a certificate made in the test (TestCert).
package smtptest

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Hang as a reply makes the server never answer (the client times out).
const Hang = "HANG"

// Server is a scripted SMTP server. Set the fields before Start.
type Server struct {
	Addr string // 127.0.0.1:PORT, set by Start

	// Greeting is the first reply (default "220 mx.test ESMTP smtptest").
	// Replies are written as given plus CRLF, so they may hold several
	// lines ("250-a\r\n250 b") or garbage.
	Greeting string
	// EHLO, MAIL are the replies to those commands (default 250 lines).
	EHLO, Mail string
	// Rcpt maps a lower-case address to its replies, used in order; the
	// last one repeats.
	Rcpt map[string][]string
	// Default answers RCPT for addresses not in Rcpt (default
	// "550 5.1.1 No such user here"). "250 2.1.5 Ok" makes a catch-all.
	Default string
	// Delay is waited before every reply.
	Delay time.Duration
	// TLSConfig enables STARTTLS: the default EHLO reply advertises it and
	// the command upgrades the connection. Nil: no STARTTLS (the command
	// is not recognized).
	TLSConfig *tls.Config
	// StartTLS is the reply to STARTTLS (default "220 2.0.0 Ready to start
	// TLS"); any other code leaves the session in plain text.
	StartTLS string

	mu       sync.Mutex
	used     map[string]int
	commands []string
	conns    int
	tlsConns int
	l        net.Listener
}

// Start listens on 127.0.0.1:0 and serves until the test ends.
func Start(t testing.TB, s *Server) *Server {
	t.Helper()
	if s.Greeting == "" {
		s.Greeting = "220 mx.test ESMTP smtptest"
	}
	if s.EHLO == "" {
		s.EHLO = "250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME"
		if s.TLSConfig != nil {
			s.EHLO = "250-mx.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME"
		}
	}
	if s.StartTLS == "" {
		s.StartTLS = "220 2.0.0 Ready to start TLS"
	}
	if s.Mail == "" {
		s.Mail = "250 2.1.0 Ok"
	}
	if s.Default == "" {
		s.Default = "550 5.1.1 No such user here"
	}
	s.used = map[string]int{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.l, s.Addr = l, l.Addr().String()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
			go s.serve(c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
	})
	return s
}

// Commands returns the commands received so far, in order.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

// Conns returns the number of connections accepted.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// TLSConns returns the number of sessions upgraded with STARTTLS.
func (s *Server) TLSConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tlsConns
}

// TestCert makes a self-signed certificate (ECDSA P-256, valid for an
// hour) for names and returns a server configuration that presents it and
// a pool that trusts it, for check.ProbeOptions.RootCAs.
func TestCert(t testing.TB, names ...string) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: names[0]},
		DNSNames:              names,
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}, pool
}

// Dial returns a dial function that connects every address to the
// server, for check.ProbeOptions.Dial.
func (s *Server) Dial() func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", s.Addr)
	}
}

func (s *Server) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	write := func(reply string) bool {
		if s.Delay > 0 {
			time.Sleep(s.Delay)
		}
		if reply == Hang {
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			_, _ = r.ReadByte() // wait until the client gives up
			return false
		}
		_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_, err := c.Write([]byte(reply + "\r\n"))
		return err == nil
	}
	if !write(s.Greeting) {
		return
	}
	for {
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		s.mu.Lock()
		s.commands = append(s.commands, line)
		s.mu.Unlock()
		verb := strings.ToUpper(line)
		var reply string
		switch {
		case strings.HasPrefix(verb, "EHLO"), strings.HasPrefix(verb, "HELO"):
			reply = s.EHLO
		case strings.HasPrefix(verb, "MAIL FROM:"):
			reply = s.Mail
		case strings.HasPrefix(verb, "RCPT TO:"):
			reply = s.rcpt(line[len("RCPT TO:"):])
		case verb == "STARTTLS" && s.TLSConfig != nil:
			if !write(s.StartTLS) {
				return
			}
			if !strings.HasPrefix(s.StartTLS, "220") {
				continue
			}
			tc := tls.Server(c, s.TLSConfig)
			_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
			if err := tc.Handshake(); err != nil {
				return
			}
			_ = tc.SetDeadline(time.Time{})
			s.mu.Lock()
			s.tlsConns++
			s.mu.Unlock()
			c, r = tc, bufio.NewReader(tc) // RFC 3207 §4.2: the session starts afresh
			continue
		case verb == "RSET", verb == "NOOP":
			reply = "250 2.0.0 Ok"
		case verb == "QUIT":
			write("221 2.0.0 Bye")
			return
		case verb == "DATA":
			reply = "554 5.5.1 smtptest: a probe must never send DATA"
		default:
			reply = "502 5.5.2 Command not recognized"
		}
		if !write(reply) {
			return
		}
	}
}

func (s *Server) rcpt(arg string) string {
	a := strings.ToLower(strings.TrimSpace(arg))
	a = strings.TrimSuffix(strings.TrimPrefix(a, "<"), ">")
	s.mu.Lock()
	defer s.mu.Unlock()
	replies, ok := s.Rcpt[a]
	if !ok || len(replies) == 0 {
		return s.Default
	}
	i := min(s.used[a], len(replies)-1)
	s.used[a]++
	return replies[i]
}

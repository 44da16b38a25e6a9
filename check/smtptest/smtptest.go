// Package smtptest runs a scripted SMTP server on 127.0.0.1 for tests of
// the address probe: per-address RCPT replies (in order, the last one
// repeating, counted across connections, so "451 greylisted" then "250"
// scripts greylisting), a default reply for every other address (a 250
// makes a catch-all), slow or silent replies, and raw garbage lines.
package smtptest

import (
	"bufio"
	"context"
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

	mu       sync.Mutex
	used     map[string]int
	commands []string
	conns    int
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

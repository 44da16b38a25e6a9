// Package dnstest runs an authoritative DNS server on 127.0.0.1 for tests,
// serving zones written in the test as zone-file lines (any record type
// miekg/dns parses, TLSA included). Names listed in ServFail are answered
// with SERVFAIL, names in Drop are never answered (the client times out),
// and answers for names in Secure carry the AD bit, as a validating
// resolver sets it for DNSSEC-signed data.
package dnstest

import (
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Server is a running test DNS server.
type Server struct {
	Addr string // 127.0.0.1:PORT (UDP and TCP)

	mu       sync.RWMutex
	rrs      map[string][]dns.RR // "name. TYPE" → records
	names    map[string]bool     // every owner name and its parents below the root
	servFail map[string]bool
	drop     map[string]bool
	secure   map[string]bool
	queries  int
}

// Start serves zone (zone-file lines, absolute names; `$ORIGIN` is not
// needed) until the test ends. Lines may be empty or start with ';'.
//
// Special lines: "SERVFAIL name" answers every query for name with
// SERVFAIL, "DROP name" never answers queries for name, "SECURE name"
// sets the AD (authenticated data) bit in answers for name.
func Start(t testing.TB, zone string) *Server {
	t.Helper()
	s := &Server{rrs: map[string][]dns.RR{}, names: map[string]bool{}, servFail: map[string]bool{}, drop: map[string]bool{}, secure: map[string]bool{}}
	s.Add(t, zone)
	// UDP and TCP must share one port number; the UDP port the kernel
	// picks may be taken for TCP by another test, so try a few.
	var (
		pc  net.PacketConn
		l   net.Listener
		err error
	)
	for try := 0; try < 20; try++ {
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if l, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = pc.LocalAddr().String()
	udp := &dns.Server{PacketConn: pc, Handler: s}
	tcp := &dns.Server{Listener: l, Handler: s}
	go udp.ActivateAndServe()
	go tcp.ActivateAndServe()
	t.Cleanup(func() {
		udp.Shutdown()
		tcp.Shutdown()
	})
	return s
}

// Add adds zone lines to a running server.
func (s *Server) Add(t testing.TB, zone string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, line := range strings.Split(zone, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, ";") {
			continue
		}
		if f := strings.Fields(line); len(f) == 2 && (f[0] == "SERVFAIL" || f[0] == "DROP" || f[0] == "SECURE") {
			name := strings.ToLower(dns.Fqdn(f[1]))
			switch f[0] {
			case "SERVFAIL":
				s.servFail[name] = true
			case "DROP":
				s.drop[name] = true
			default:
				s.secure[name] = true
			}
			continue
		}
		rr, err := dns.NewRR(line)
		if err != nil {
			t.Fatalf("dnstest: bad zone line %q: %v", line, err)
		}
		h := rr.Header()
		name := strings.ToLower(h.Name)
		key := name + " " + dns.TypeToString[h.Rrtype]
		s.rrs[key] = append(s.rrs[key], rr)
		for n := name; n != "."; {
			s.names[n] = true
			i := strings.IndexByte(n, '.')
			n = n[i+1:]
			if n == "" {
				break
			}
		}
	}
}

// Queries returns how many queries the server has received.
func (s *Server) Queries() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.queries
}

// ServeDNS implements dns.Handler.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true // without AA Go's resolver calls an empty answer a lame referral
	s.mu.Lock()
	s.queries++
	s.mu.Unlock()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	if s.drop[name] {
		return
	}
	if s.servFail[name] {
		m.Rcode = dns.RcodeServerFailure
		w.WriteMsg(m)
		return
	}
	m.AuthenticatedData = s.secure[name]
	// Follow CNAMEs inside the zone like a recursive server would.
	for range 8 {
		if q.Qtype != dns.TypeCNAME {
			if c := s.rrs[name+" CNAME"]; len(c) > 0 {
				m.Answer = append(m.Answer, c...)
				name = strings.ToLower(c[0].(*dns.CNAME).Target)
				continue
			}
		}
		break
	}
	rrs := s.rrs[name+" "+dns.TypeToString[q.Qtype]]
	m.Answer = append(m.Answer, rrs...)
	if len(m.Answer) == 0 && !s.names[name] {
		m.Rcode = dns.RcodeNameError
	}
	w.WriteMsg(m)
}

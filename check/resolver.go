package check

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Errors a Resolver returns, wrapped in a *DNSError. An empty answer
// (NODATA) is not an error: the lookup returns no records and a nil error.
var (
	ErrNXDOMAIN = errors.New("check: name does not exist (NXDOMAIN)")
	ErrServFail = errors.New("check: server failure (SERVFAIL)")
	ErrTimeout  = errors.New("check: DNS timeout")
	ErrRefused  = errors.New("check: query refused")
	// ErrNoTLSA is returned when the resolver cannot look up TLSA records
	// (it does not implement TLSAResolver).
	ErrNoTLSA = errors.New("check: resolver cannot look up TLSA records")
)

// DNSError is the error of one failed lookup. errors.Is(err, ErrNXDOMAIN)
// (or ErrServFail, ErrTimeout, ErrRefused) tells the kind.
type DNSError struct {
	Name, Type string
	Err        error
}

func (e *DNSError) Error() string { return fmt.Sprintf("%s %s: %v", e.Name, e.Type, e.Err) }

// Unwrap returns the kind of failure.
func (e *DNSError) Unwrap() error { return e.Err }

// IsNotFound reports whether err says that the name does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNXDOMAIN) }

// MX is one MX record.
type MX struct {
	Pref uint16 `json:"pref"`
	Host string `json:"host"` // without trailing dot; "" for the null MX "."
}

// Resolver is what the checks need from DNS. Names are absolute or
// relative to the root (a trailing dot is optional). NXDOMAIN, SERVFAIL and
// timeouts are distinct errors (see DNSError); NODATA is an empty result.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]MX, error)
	LookupA(ctx context.Context, name string) ([]netip.Addr, error)
	LookupAAAA(ctx context.Context, name string) ([]netip.Addr, error)
	LookupPTR(ctx context.Context, ip netip.Addr) ([]string, error)
	// LookupCNAME returns the target of a CNAME at name, "" when there is none.
	LookupCNAME(ctx context.Context, name string) (string, error)
}

// TLSAResolver is implemented by resolvers that can look up TLSA records
// (RFC 6698) for the DANE check. It is separate from Resolver so that
// resolvers written for the other checks keep working; without it the
// DANE check reports unknown.
type TLSAResolver interface {
	// LookupTLSA returns the TLSA records at name and whether the
	// resolver marked the answer as DNSSEC-validated (the AD bit). A
	// resolver that cannot tell returns false.
	LookupTLSA(ctx context.Context, name string) (recs []TLSA, authenticated bool, err error)
}

// DNSResolver is a stub resolver that asks recursive servers with
// github.com/miekg/dns. The zero value reads /etc/resolv.conf.
type DNSResolver struct {
	// Servers are HOST:PORT of recursive resolvers, tried in order; empty
	// means the nameservers of /etc/resolv.conf (127.0.0.1:53 if none).
	Servers []string
	// Timeout bounds one query to one server (default 2 s). A lookup makes
	// at most Attempts rounds over Servers (default 2).
	Timeout  time.Duration
	Attempts int

	once    sync.Once
	servers []string
}

var (
	_ Resolver     = (*DNSResolver)(nil)
	_ TLSAResolver = (*DNSResolver)(nil)
)

func (r *DNSResolver) serverList() []string {
	r.once.Do(func() {
		r.servers = r.Servers
		if len(r.servers) == 0 {
			r.servers = systemServers("/etc/resolv.conf")
		}
	})
	return r.servers
}

// systemServers reads the nameserver lines of a resolv.conf file.
func systemServers(path string) []string {
	var out []string
	f, err := os.Open(path)
	if err == nil {
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			fields := strings.Fields(s.Text())
			if len(fields) >= 2 && fields[0] == "nameserver" {
				out = append(out, net.JoinHostPort(strings.Split(fields[1], "%")[0], "53"))
			}
		}
	}
	if len(out) == 0 {
		out = []string{"127.0.0.1:53"}
	}
	return out
}

// exchange sends one query and returns the answer records of type qtype
// (following CNAMEs inside the answer is left to the recursive server).
func (r *DNSResolver) exchange(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	rrs, _, err := r.exchangeAD(ctx, name, qtype, false)
	return rrs, err
}

// exchangeAD is exchange that also reports the AD (authenticated data)
// bit of the answer. With askAD the query sets AD itself, which asks a
// validating resolver to report whether it validated the answer with
// DNSSEC (RFC 6840 §5.7).
func (r *DNSResolver) exchangeAD(ctx context.Context, name string, qtype uint16, askAD bool) ([]dns.RR, bool, error) {
	fqdn := dns.Fqdn(name)
	tname := dns.TypeToString[qtype]
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	attempts := max(r.Attempts, 1)
	if r.Attempts == 0 {
		attempts = 2
	}
	m := new(dns.Msg)
	m.SetQuestion(fqdn, qtype)
	m.RecursionDesired = true
	m.SetEdns0(1232, false)
	m.AuthenticatedData = askAD
	lastErr := ErrTimeout
	for range attempts {
		for _, srv := range r.serverList() {
			if err := ctx.Err(); err != nil {
				return nil, false, &DNSError{name, tname, ErrTimeout}
			}
			c := &dns.Client{Net: "udp", Timeout: timeout}
			resp, _, err := c.ExchangeContext(ctx, m, srv)
			if err == nil && resp.Truncated {
				c.Net = "tcp"
				resp, _, err = c.ExchangeContext(ctx, m, srv)
			}
			if err != nil {
				var ne net.Error
				if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
					lastErr = ErrTimeout
				} else {
					lastErr = fmt.Errorf("%w: %v", ErrServFail, err)
				}
				continue
			}
			switch resp.Rcode {
			case dns.RcodeSuccess:
				var out []dns.RR
				for _, rr := range resp.Answer {
					if rr.Header().Rrtype == qtype {
						out = append(out, rr)
					}
				}
				return out, resp.AuthenticatedData, nil
			case dns.RcodeNameError:
				return nil, resp.AuthenticatedData, &DNSError{name, tname, ErrNXDOMAIN}
			case dns.RcodeRefused:
				lastErr = ErrRefused
			default:
				lastErr = ErrServFail
			}
		}
	}
	return nil, false, &DNSError{name, tname, lastErr}
}

// LookupTXT returns the TXT strings at name, each record's
// character-strings joined (RFC 7208 §3.3).
func (r *DNSResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	rrs, err := r.exchange(ctx, name, dns.TypeTXT)
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		out = append(out, strings.Join(rr.(*dns.TXT).Txt, ""))
	}
	return out, err
}

// LookupMX returns the MX records at name, unsorted.
func (r *DNSResolver) LookupMX(ctx context.Context, name string) ([]MX, error) {
	rrs, err := r.exchange(ctx, name, dns.TypeMX)
	out := make([]MX, 0, len(rrs))
	for _, rr := range rrs {
		mx := rr.(*dns.MX)
		out = append(out, MX{Pref: mx.Preference, Host: trimDot(mx.Mx)})
	}
	return out, err
}

// LookupA returns the IPv4 addresses of name.
func (r *DNSResolver) LookupA(ctx context.Context, name string) ([]netip.Addr, error) {
	rrs, err := r.exchange(ctx, name, dns.TypeA)
	out := make([]netip.Addr, 0, len(rrs))
	for _, rr := range rrs {
		if a, ok := netip.AddrFromSlice(rr.(*dns.A).A.To4()); ok {
			out = append(out, a)
		}
	}
	return out, err
}

// LookupAAAA returns the IPv6 addresses of name.
func (r *DNSResolver) LookupAAAA(ctx context.Context, name string) ([]netip.Addr, error) {
	rrs, err := r.exchange(ctx, name, dns.TypeAAAA)
	out := make([]netip.Addr, 0, len(rrs))
	for _, rr := range rrs {
		if a, ok := netip.AddrFromSlice(rr.(*dns.AAAA).AAAA); ok {
			out = append(out, a)
		}
	}
	return out, err
}

// LookupPTR returns the names of ip's reverse entry.
func (r *DNSResolver) LookupPTR(ctx context.Context, ip netip.Addr) ([]string, error) {
	rev, err := dns.ReverseAddr(ip.Unmap().String())
	if err != nil {
		return nil, err
	}
	rrs, err := r.exchange(ctx, rev, dns.TypePTR)
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		out = append(out, trimDot(rr.(*dns.PTR).Ptr))
	}
	return out, err
}

// LookupCNAME returns the CNAME target at name, "" when there is none.
func (r *DNSResolver) LookupCNAME(ctx context.Context, name string) (string, error) {
	rrs, err := r.exchange(ctx, name, dns.TypeCNAME)
	if err != nil || len(rrs) == 0 {
		return "", err
	}
	return trimDot(rrs[0].(*dns.CNAME).Target), nil
}

// LookupTLSA implements TLSAResolver: it asks for the TLSA records at
// name with the AD bit set and reports the answer's AD bit.
func (r *DNSResolver) LookupTLSA(ctx context.Context, name string) ([]TLSA, bool, error) {
	rrs, ad, err := r.exchangeAD(ctx, name, dns.TypeTLSA, true)
	out := make([]TLSA, 0, len(rrs))
	for _, rr := range rrs {
		t := rr.(*dns.TLSA)
		out = append(out, TLSA{Usage: t.Usage, Selector: t.Selector, MatchingType: t.MatchingType, Data: strings.ToLower(t.Certificate)})
	}
	return out, ad, err
}

func trimDot(s string) string {
	if s == "." {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(s, "."))
}

// CachingResolver remembers answers of another Resolver (including
// NXDOMAIN; not SERVFAIL or timeouts) for TTL. It is safe for concurrent
// use and bounded: past MaxEntries it starts afresh.
type CachingResolver struct {
	Resolver   Resolver
	MaxEntries int // default 100,000
	// TTL is how long an answer is kept (default DefaultCacheTTL), whatever
	// the record's own TTL, so a long-running process sees DNS changes.
	TTL time.Duration
	// Now is the clock (default time.Now); tests inject their own.
	Now func() time.Time

	mu sync.RWMutex
	m  map[string]cached
}

type cached struct {
	v   any
	err error
	at  time.Time // when stored
}

// DefaultCacheTTL is how long CachingResolver and Checker keep answers
// when their TTL is zero.
const DefaultCacheTTL = 5 * time.Minute

func cacheTTL(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		return DefaultCacheTTL
	}
	return ttl
}

func clock(now func() time.Time) time.Time {
	if now == nil {
		return time.Now()
	}
	return now()
}

var (
	_ Resolver     = (*CachingResolver)(nil)
	_ TLSAResolver = (*CachingResolver)(nil)
)

// NewCachingResolver wraps r in a cache.
func NewCachingResolver(r Resolver) *CachingResolver { return &CachingResolver{Resolver: r} }

func cachedLookup[T any](c *CachingResolver, key string, f func() (T, error)) (T, error) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if ok && clock(c.Now).Sub(e.at) < cacheTTL(c.TTL) {
		v, _ := e.v.(T)
		return v, e.err
	}
	v, err := f()
	if err != nil && !errors.Is(err, ErrNXDOMAIN) {
		return v, err
	}
	c.mu.Lock()
	limit := c.MaxEntries
	if limit <= 0 {
		limit = 100_000
	}
	if c.m == nil || len(c.m) >= limit {
		c.m = make(map[string]cached)
	}
	c.m[key] = cached{v, err, clock(c.Now)}
	c.mu.Unlock()
	return v, err
}

// LookupTXT implements Resolver.
func (c *CachingResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	return cachedLookup(c, "TXT "+strings.ToLower(name), func() ([]string, error) { return c.Resolver.LookupTXT(ctx, name) })
}

// LookupMX implements Resolver.
func (c *CachingResolver) LookupMX(ctx context.Context, name string) ([]MX, error) {
	return cachedLookup(c, "MX "+strings.ToLower(name), func() ([]MX, error) { return c.Resolver.LookupMX(ctx, name) })
}

// LookupA implements Resolver.
func (c *CachingResolver) LookupA(ctx context.Context, name string) ([]netip.Addr, error) {
	return cachedLookup(c, "A "+strings.ToLower(name), func() ([]netip.Addr, error) { return c.Resolver.LookupA(ctx, name) })
}

// LookupAAAA implements Resolver.
func (c *CachingResolver) LookupAAAA(ctx context.Context, name string) ([]netip.Addr, error) {
	return cachedLookup(c, "AAAA "+strings.ToLower(name), func() ([]netip.Addr, error) { return c.Resolver.LookupAAAA(ctx, name) })
}

// LookupPTR implements Resolver.
func (c *CachingResolver) LookupPTR(ctx context.Context, ip netip.Addr) ([]string, error) {
	return cachedLookup(c, "PTR "+ip.String(), func() ([]string, error) { return c.Resolver.LookupPTR(ctx, ip) })
}

// LookupCNAME implements Resolver.
func (c *CachingResolver) LookupCNAME(ctx context.Context, name string) (string, error) {
	return cachedLookup(c, "CNAME "+strings.ToLower(name), func() (string, error) { return c.Resolver.LookupCNAME(ctx, name) })
}

// tlsaAnswer is a cached TLSA answer.
type tlsaAnswer struct {
	recs []TLSA
	ad   bool
}

// LookupTLSA implements TLSAResolver when the wrapped Resolver does;
// otherwise it returns ErrNoTLSA.
func (c *CachingResolver) LookupTLSA(ctx context.Context, name string) ([]TLSA, bool, error) {
	tr, ok := c.Resolver.(TLSAResolver)
	if !ok {
		return nil, false, ErrNoTLSA
	}
	a, err := cachedLookup(c, "TLSA "+strings.ToLower(name), func() (tlsaAnswer, error) {
		recs, ad, err := tr.LookupTLSA(ctx, name)
		return tlsaAnswer{recs, ad}, err
	})
	return a.recs, a.ad, err
}

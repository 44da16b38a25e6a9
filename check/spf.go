package check

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// SPF limits, RFC 7208 §4.6.4.
const (
	spfMaxLookups = 10 // DNS-querying terms per check_host, nested includes counted
	spfMaxVoids   = 2  // lookups answered NXDOMAIN or empty
	spfMaxMXNames = 10 // MX names an "mx" term may look at
	spfMaxPTR     = 10 // PTR names a "ptr" term may look at
)

// SPFTerm is one directive or modifier of an SPF record (RFC 7208 §4.6.1).
type SPFTerm struct {
	Qualifier byte   // '+', '-', '~' or '?' for mechanisms; 0 for modifiers
	Name      string // lower case: all include a mx ptr ip4 ip6 exists, or a modifier name (redirect, exp, ...)
	Arg       string // domain-spec or IP network, without the CIDR suffix
	Prefix4   int    // CIDR length for a/mx/ip4, -1 when absent
	Prefix6   int    // CIDR length for a/mx/ip6, -1 when absent
	Modifier  bool
}

func (t SPFTerm) String() string {
	if t.Modifier {
		return t.Name + "=" + t.Arg
	}
	s := t.Name
	if t.Qualifier != '+' {
		s = string(t.Qualifier) + s
	}
	if t.Arg != "" {
		s += ":" + t.Arg
	}
	if t.Prefix4 >= 0 && t.Name != "ip6" {
		s += "/" + strconv.Itoa(t.Prefix4)
	}
	if t.Prefix6 >= 0 && t.Name != "ip4" {
		if t.Name == "ip6" {
			s += "/" + strconv.Itoa(t.Prefix6)
		} else {
			s += "//" + strconv.Itoa(t.Prefix6)
		}
	}
	return s
}

// SPFRecord is a parsed SPF record.
type SPFRecord struct {
	Terms []SPFTerm
}

// Modifier returns the value of modifier name, "" when absent.
func (r *SPFRecord) Modifier(name string) string {
	for _, t := range r.Terms {
		if t.Modifier && t.Name == name {
			return t.Arg
		}
	}
	return ""
}

// IsSPF reports whether a TXT string is an SPF version 1 record
// (RFC 7208 §4.5: "v=spf1" followed by a space or the end).
func IsSPF(txt string) bool {
	return len(txt) >= 6 && strings.EqualFold(txt[:6], "v=spf1") && (len(txt) == 6 || txt[6] == ' ')
}

// ParseSPF parses an SPF record. Errors correspond to SPF permerror.
func ParseSPF(txt string) (*SPFRecord, error) {
	if !IsSPF(txt) {
		return nil, errors.New(`spf: record does not start with "v=spf1"`)
	}
	rec := &SPFRecord{}
	seen := map[string]bool{}
	for _, w := range strings.Split(txt[6:], " ") {
		if w == "" {
			continue
		}
		t, err := parseSPFTerm(w)
		if err != nil {
			return rec, err
		}
		if t.Modifier && (t.Name == "redirect" || t.Name == "exp") {
			if seen[t.Name] {
				return rec, fmt.Errorf("spf: %q appears more than once (RFC 7208 §6)", t.Name)
			}
			seen[t.Name] = true
		}
		rec.Terms = append(rec.Terms, t)
	}
	return rec, nil
}

func parseSPFTerm(w string) (SPFTerm, error) {
	t := SPFTerm{Qualifier: '+', Prefix4: -1, Prefix6: -1}
	// Modifier: name "=" macro-string, name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ).
	if i := strings.IndexByte(w, '='); i > 0 && !strings.ContainsAny(w[:i], ":/") {
		name := strings.ToLower(w[:i])
		if !isSPFName(name) {
			return t, fmt.Errorf("spf: bad modifier name in %q", w)
		}
		t.Qualifier, t.Modifier, t.Name, t.Arg = 0, true, name, w[i+1:]
		if err := checkMacroString(t.Arg); err != nil {
			return t, fmt.Errorf("spf: %q: %w", w, err)
		}
		if (name == "redirect" || name == "exp") && t.Arg == "" {
			return t, fmt.Errorf("spf: %q needs a domain", w)
		}
		return t, nil
	}
	switch w[0] {
	case '+', '-', '~', '?':
		t.Qualifier = w[0]
		w = w[1:]
	}
	name, arg := w, ""
	hasArg := false
	if i := strings.IndexAny(w, ":/"); i >= 0 {
		name, arg = w[:i], w[i:]
	}
	t.Name = strings.ToLower(name)
	if strings.HasPrefix(arg, ":") {
		arg, hasArg = arg[1:], true
	}
	var cidr string
	switch t.Name {
	case "ip4", "ip6":
		if i := strings.IndexByte(arg, '/'); i >= 0 {
			arg, cidr = arg[:i], arg[i:]
		}
	default:
		// a domain-spec cannot contain "/", so a "/" starts the dual-cidr.
		if i := strings.IndexByte(arg, '/'); i >= 0 {
			arg, cidr = arg[:i], arg[i:]
		}
	}
	t.Arg = arg
	switch t.Name {
	case "all":
		if hasArg || arg != "" || cidr != "" {
			return t, fmt.Errorf("spf: %q takes no argument", w)
		}
	case "include", "exists":
		if !hasArg || arg == "" || cidr != "" {
			return t, fmt.Errorf("spf: %q needs a domain and no CIDR length", w)
		}
	case "ptr":
		if cidr != "" || (hasArg && arg == "") {
			return t, fmt.Errorf("spf: bad %q", w)
		}
	case "a", "mx":
		if hasArg && arg == "" {
			return t, fmt.Errorf("spf: %q has an empty domain", w)
		}
		if err := parseDualCIDR(cidr, &t); err != nil {
			return t, fmt.Errorf("spf: %q: %w", w, err)
		}
	case "ip4":
		a, err := netip.ParseAddr(arg)
		if err != nil || !a.Is4() {
			return t, fmt.Errorf("spf: %q is not an IPv4 address", w)
		}
		if cidr != "" {
			n, err := strconv.Atoi(cidr[1:])
			if err != nil || n < 0 || n > 32 || cidr[1] == '0' && len(cidr) > 2 {
				return t, fmt.Errorf("spf: bad CIDR length in %q", w)
			}
			t.Prefix4 = n
		}
	case "ip6":
		a, err := netip.ParseAddr(arg)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return t, fmt.Errorf("spf: %q is not an IPv6 address", w)
		}
		if cidr != "" {
			n, err := strconv.Atoi(cidr[1:])
			if err != nil || n < 0 || n > 128 || cidr[1] == '0' && len(cidr) > 2 {
				return t, fmt.Errorf("spf: bad CIDR length in %q", w)
			}
			t.Prefix6 = n
		}
	default:
		return t, fmt.Errorf("spf: unknown mechanism %q", w)
	}
	if t.Name != "ip4" && t.Name != "ip6" {
		if err := checkMacroString(arg); err != nil {
			return t, fmt.Errorf("spf: %q: %w", w, err)
		}
	}
	return t, nil
}

func isSPFName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// parseDualCIDR parses "/n", "//m" or "/n//m" (RFC 7208 §5.6).
func parseDualCIDR(s string, t *SPFTerm) error {
	if s == "" {
		return nil
	}
	v4, v6, dual := s, "", false
	if i := strings.Index(s, "//"); i >= 0 {
		v4, v6, dual = s[:i], s[i+2:], true
	}
	num := func(x string, maxN int) (int, error) {
		n, err := strconv.Atoi(x)
		if err != nil || n < 0 || n > maxN || x[0] == '0' && len(x) > 1 || x[0] == '+' {
			return 0, errors.New("bad CIDR length")
		}
		return n, nil
	}
	var err error
	if v4 != "" {
		if v4[0] != '/' || len(v4) < 2 {
			return errors.New("bad CIDR length")
		}
		if t.Prefix4, err = num(v4[1:], 32); err != nil {
			return err
		}
	}
	if dual {
		if v6 == "" {
			return errors.New("bad CIDR length")
		}
		if t.Prefix6, err = num(v6, 128); err != nil {
			return err
		}
	}
	return nil
}

// checkMacroString validates the macro syntax of RFC 7208 §7.1.
func checkMacroString(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e {
			return fmt.Errorf("character %q not allowed", c)
		}
		if c != '%' {
			continue
		}
		if i+1 >= len(s) {
			return errors.New(`"%" at the end`)
		}
		switch s[i+1] {
		case '%', '_', '-':
			i++
			continue
		case '{':
		default:
			return fmt.Errorf(`"%%%c" is not a macro`, s[i+1])
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return errors.New(`macro without "}"`)
		}
		body := s[i+2 : i+end]
		if body == "" || !strings.ContainsRune("slodiphcrtvSLODIPHCRTV", rune(body[0])) {
			return fmt.Errorf("unknown macro %q", "%{"+body+"}")
		}
		rest := body[1:]
		for len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9' {
			rest = rest[1:]
		}
		if len(rest) > 0 && (rest[0] == 'r' || rest[0] == 'R') {
			rest = rest[1:]
		}
		if strings.Trim(rest, ".-+,/_=") != "" {
			return fmt.Errorf("bad macro %q", "%{"+body+"}")
		}
		i += end
	}
	return nil
}

// SPF results, RFC 7208 §2.6.
const (
	SPFNone      = "none"
	SPFNeutral   = "neutral"
	SPFPass      = "pass"
	SPFFail      = "fail"
	SPFSoftfail  = "softfail"
	SPFTemperror = "temperror"
	SPFPermerror = "permerror"
)

// SPFResult is the outcome of an SPF evaluation.
type SPFResult struct {
	Result   string   `json:"result"`
	Reason   string   `json:"reason,omitempty"` // why permerror/temperror, or the matching term
	Lookups  int      `json:"lookups"`          // DNS-querying terms evaluated (include, a, mx, ptr, exists, redirect)
	Voids    int      `json:"voids"`            // lookups answered NXDOMAIN or empty
	Counted  []string `json:"counted,omitempty"`
	Exceeded bool     `json:"exceeded,omitempty"` // a limit was passed
}

type spfEval struct {
	ctx      context.Context
	r        Resolver
	ip       netip.Addr // invalid: lint mode (walk every term, count everything)
	sender   string
	helo     string
	countAll bool
	res      SPFResult
}

// CheckHost evaluates the SPF policy of domain for ip and sender
// (RFC 7208 §4, check_host()), enforcing the lookup and void limits.
func CheckHost(ctx context.Context, r Resolver, ip netip.Addr, domain, sender string) SPFResult {
	if sender == "" {
		sender = "postmaster@" + domain
	}
	e := &spfEval{ctx: ctx, r: r, ip: ip.Unmap(), sender: sender, helo: domain}
	res, reason := e.checkHost(domain, 0)
	e.res.Result, e.res.Reason = res, reason
	return e.res
}

// CountLookups walks domain's SPF policy as for an address that matches
// nothing, counting every DNS-querying term and void lookup through all
// includes and redirects (lint mode; it does not stop at the limits).
func CountLookups(ctx context.Context, r Resolver, domain string) SPFResult {
	e := &spfEval{ctx: ctx, r: r, sender: "postmaster@" + domain, helo: domain, countAll: true}
	res, reason := e.checkHost(domain, 0)
	e.res.Result, e.res.Reason = res, reason
	return e.res
}

// spfRecordOf fetches and parses the one SPF record of domain.
// result is "" on success, otherwise none/temperror/permerror.
func spfRecordOf(ctx context.Context, r Resolver, domain string) (rec *SPFRecord, raw []string, result, reason string) {
	txts, err := r.LookupTXT(ctx, domain)
	if err != nil && !IsNotFound(err) {
		return nil, nil, SPFTemperror, err.Error()
	}
	for _, t := range txts {
		if IsSPF(t) {
			raw = append(raw, t)
		}
	}
	switch len(raw) {
	case 0:
		return nil, nil, SPFNone, "no SPF record at " + domain
	case 1:
	default:
		return nil, raw, SPFPermerror, fmt.Sprintf("%d SPF records at %s (RFC 7208 §4.5)", len(raw), domain)
	}
	rec, perr := ParseSPF(raw[0])
	if perr != nil {
		return rec, raw, SPFPermerror, domain + ": " + perr.Error()
	}
	return rec, raw, "", ""
}

var errLimit = errors.New("limit")

func (e *spfEval) lookup(term string) error {
	e.res.Lookups++
	e.res.Counted = append(e.res.Counted, term)
	if e.res.Lookups > spfMaxLookups {
		e.res.Exceeded = true
		if !e.countAll {
			return errLimit
		}
	}
	return nil
}

func (e *spfEval) void() error {
	e.res.Voids++
	if e.res.Voids > spfMaxVoids {
		e.res.Exceeded = true
		if !e.countAll {
			return errLimit
		}
	}
	return nil
}

func qualifierResult(q byte) string {
	switch q {
	case '-':
		return SPFFail
	case '~':
		return SPFSoftfail
	case '?':
		return SPFNeutral
	}
	return SPFPass
}

func (e *spfEval) checkHost(domain string, depth int) (string, string) {
	if depth > 20 {
		return SPFPermerror, "include/redirect loop at " + domain
	}
	rec, _, res, reason := spfRecordOf(e.ctx, e.r, domain)
	if res != "" {
		return res, reason
	}
	var tempErr string
	for _, t := range rec.Terms {
		if t.Modifier {
			continue
		}
		match, res, reason := e.mechanism(t, domain, depth)
		if res == SPFTemperror && e.countAll {
			tempErr = reason // keep walking to count the rest
			continue
		}
		if res != "" {
			return res, reason
		}
		if match {
			return qualifierResult(t.Qualifier), domain + ": " + t.String()
		}
	}
	if red := rec.Modifier("redirect"); red != "" {
		if err := e.lookup(domain + ": redirect=" + red); err != nil {
			return SPFPermerror, "more than 10 DNS lookups (RFC 7208 §4.6.4)"
		}
		target, ok := e.expand(red, domain)
		if !ok {
			return SPFNeutral, ""
		}
		res, reason := e.checkHost(target, depth+1)
		if res == SPFNone {
			return SPFPermerror, "redirect target " + target + " has no SPF record"
		}
		return res, reason
	}
	if tempErr != "" {
		return SPFTemperror, tempErr
	}
	return SPFNeutral, ""
}

// mechanism evaluates one mechanism. res is set for errors
// (temperror/permerror) that end the evaluation.
func (e *spfEval) mechanism(t SPFTerm, domain string, depth int) (match bool, res, reason string) {
	limitErr := func() (bool, string, string) {
		if e.res.Voids > spfMaxVoids {
			return false, SPFPermerror, "more than 2 void DNS lookups (RFC 7208 §4.6.4)"
		}
		return false, SPFPermerror, "more than 10 DNS lookups (RFC 7208 §4.6.4)"
	}
	dnsErr := func(err error) (bool, string, string) {
		if IsNotFound(err) || err == nil {
			if e.void() != nil {
				return limitErr()
			}
			return false, "", ""
		}
		return false, SPFTemperror, err.Error()
	}
	target := domain
	if t.Arg != "" && t.Name != "ip4" && t.Name != "ip6" {
		var ok bool
		if target, ok = e.expand(t.Arg, domain); !ok {
			// The target depends on the connecting address: count the
			// lookup, but there is nothing to query in lint mode.
			if t.Name != "ip4" && t.Name != "ip6" && t.Name != "all" {
				if e.lookup(domain+": "+t.String()) != nil {
					return limitErr()
				}
			}
			return false, "", ""
		}
	}
	switch t.Name {
	case "all":
		return true, "", ""
	case "ip4", "ip6":
		if !e.ip.IsValid() {
			return false, "", ""
		}
		a, _ := netip.ParseAddr(t.Arg)
		bits := t.Prefix4
		if t.Name == "ip6" {
			bits = t.Prefix6
		}
		if bits < 0 {
			bits = a.BitLen()
		}
		if a.Is4() != e.ip.Is4() {
			return false, "", ""
		}
		p, err := a.Prefix(bits)
		return err == nil && p.Contains(e.ip), "", ""
	case "include":
		if e.lookup(domain+": "+t.String()) != nil {
			return limitErr()
		}
		r, why := e.checkHost(target, depth+1)
		switch r {
		case SPFPass:
			return true, "", ""
		case SPFFail, SPFSoftfail, SPFNeutral:
			return false, "", ""
		case SPFTemperror:
			return false, SPFTemperror, why
		case SPFNone:
			return false, SPFPermerror, "include:" + target + " has no SPF record"
		}
		return false, SPFPermerror, why
	case "a":
		if e.lookup(domain+": "+t.String()) != nil {
			return limitErr()
		}
		addrs, err := e.addrs(target)
		if len(addrs) == 0 {
			return dnsErr(err)
		}
		return e.inNets(addrs, t), "", ""
	case "mx":
		if e.lookup(domain+": "+t.String()) != nil {
			return limitErr()
		}
		mxs, err := e.r.LookupMX(e.ctx, target)
		if len(mxs) == 0 {
			return dnsErr(err)
		}
		if len(mxs) > spfMaxMXNames {
			return false, SPFPermerror, fmt.Sprintf("mx:%s has %d MX names, more than 10 (RFC 7208 §4.6.4)", target, len(mxs))
		}
		if !e.ip.IsValid() {
			return false, "", ""
		}
		for _, mx := range mxs {
			addrs, err := e.addrs(mx.Host)
			if err != nil && !IsNotFound(err) {
				return false, SPFTemperror, err.Error()
			}
			if e.inNets(addrs, t) {
				return true, "", ""
			}
		}
		return false, "", ""
	case "ptr":
		if e.lookup(domain+": "+t.String()) != nil {
			return limitErr()
		}
		if !e.ip.IsValid() {
			return false, "", ""
		}
		names, err := e.r.LookupPTR(e.ctx, e.ip)
		if len(names) == 0 {
			return dnsErr(err)
		}
		for i, n := range names {
			if i >= spfMaxPTR {
				break
			}
			if n != target && !strings.HasSuffix(n, "."+target) {
				continue
			}
			addrs, _ := e.addrs(n)
			for _, a := range addrs {
				if a == e.ip {
					return true, "", ""
				}
			}
		}
		return false, "", ""
	case "exists":
		if e.lookup(domain+": "+t.String()) != nil {
			return limitErr()
		}
		addrs, err := e.r.LookupA(e.ctx, target)
		if len(addrs) == 0 {
			return dnsErr(err)
		}
		return true, "", ""
	}
	return false, SPFPermerror, "unknown mechanism " + t.Name
}

// addrs returns the addresses of name in the family of the checked IP; in
// lint mode both families.
func (e *spfEval) addrs(name string) ([]netip.Addr, error) {
	if e.ip.IsValid() {
		if e.ip.Is4() {
			return e.r.LookupA(e.ctx, name)
		}
		return e.r.LookupAAAA(e.ctx, name)
	}
	a, err := e.r.LookupA(e.ctx, name)
	if err != nil && !IsNotFound(err) {
		return nil, err
	}
	b, err2 := e.r.LookupAAAA(e.ctx, name)
	if err2 != nil && !IsNotFound(err2) {
		return nil, err2
	}
	if len(a)+len(b) == 0 && err != nil {
		return nil, err
	}
	return append(a, b...), nil
}

func (e *spfEval) inNets(addrs []netip.Addr, t SPFTerm) bool {
	if !e.ip.IsValid() {
		return false
	}
	for _, a := range addrs {
		a = a.Unmap()
		if a.Is4() != e.ip.Is4() {
			continue
		}
		bits := t.Prefix4
		if a.Is6() {
			bits = t.Prefix6
		}
		if bits < 0 {
			bits = a.BitLen()
		}
		if p, err := a.Prefix(bits); err == nil && p.Contains(e.ip) {
			return true
		}
	}
	return false
}

// expand expands the macros of a domain-spec (RFC 7208 §7). ok is false
// when the spec needs the connecting address and none is being checked.
func (e *spfEval) expand(spec, domain string) (string, bool) {
	if !strings.Contains(spec, "%") {
		return strings.ToLower(strings.TrimSuffix(spec, ".")), true
	}
	var b strings.Builder
	for i := 0; i < len(spec); i++ {
		c := spec[i]
		if c != '%' || i+1 >= len(spec) {
			b.WriteByte(c)
			continue
		}
		i++
		switch spec[i] {
		case '%':
			b.WriteByte('%')
			continue
		case '_':
			b.WriteByte(' ')
			continue
		case '-':
			b.WriteString("%20")
			continue
		}
		end := strings.IndexByte(spec[i:], '}')
		if end < 0 {
			return "", false
		}
		body := spec[i+1 : i+end]
		i += end
		if body == "" {
			return "", false
		}
		local, dom, _ := strings.Cut(e.sender, "@")
		var v string
		switch body[0] | 0x20 {
		case 's':
			v = e.sender
		case 'l':
			v = local
		case 'o':
			v = dom
		case 'd':
			v = domain
		case 'h':
			v = e.helo
		case 'i', 'c':
			if !e.ip.IsValid() {
				return "", false
			}
			if e.ip.Is4() {
				v = e.ip.String()
			} else {
				x := e.ip.As16()
				parts := make([]string, 0, 32)
				for _, by := range x {
					parts = append(parts, strconv.FormatUint(uint64(by>>4), 16), strconv.FormatUint(uint64(by&15), 16))
				}
				v = strings.Join(parts, ".")
			}
		case 'v':
			if !e.ip.IsValid() {
				return "", false
			}
			v = "in-addr"
			if e.ip.Is6() {
				v = "ip6"
			}
		case 'p':
			v = "unknown"
		case 'r':
			v = "unknown"
		case 't':
			v = "0"
		default:
			return "", false
		}
		rest := body[1:]
		n := 0
		for len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9' {
			n = n*10 + int(rest[0]-'0')
			rest = rest[1:]
		}
		rev := false
		if len(rest) > 0 && (rest[0] == 'r' || rest[0] == 'R') {
			rev, rest = true, rest[1:]
		}
		delims := rest
		if delims == "" {
			delims = "."
		}
		parts := strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(delims, r) })
		if rev {
			for l, r := 0, len(parts)-1; l < r; l, r = l+1, r-1 {
				parts[l], parts[r] = parts[r], parts[l]
			}
		}
		if n > 0 && n < len(parts) {
			parts = parts[len(parts)-n:]
		}
		b.WriteString(strings.Join(parts, "."))
	}
	out := strings.ToLower(strings.TrimSuffix(b.String(), "."))
	for len(out) > 253 { // RFC 7208 §7.3: drop left labels until it fits
		i := strings.IndexByte(out, '.')
		if i < 0 {
			break
		}
		out = out[i+1:]
	}
	return out, true
}

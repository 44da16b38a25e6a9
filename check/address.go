package check

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Address length limits, RFC 5321 §4.5.3.1 (the 254-octet address limit
// follows from the 256-octet path including "<" and ">").
const (
	MaxLocalPart = 64
	MaxDomain    = 255
	MaxAddress   = 254
)

// ParsedAddress is a syntactically valid address.
type ParsedAddress struct {
	Local         string // as written (quoted form kept)
	Domain        string // ASCII (A-label) form, lower case; "[...]" for address literals
	UnicodeDomain string // U-label form when the domain is internationalized
	SMTPUTF8      bool   // the local part has non-ASCII characters (RFC 6531)
	Literal       bool   // the domain is an address literal ([192.0.2.1])
}

// ParseAddress checks an address against RFC 5321/5322 (dot-atom or
// quoted-string local part, no comments or folding), RFC 6531 (UTF-8 local
// parts) and the length limits, and converts an internationalized domain to
// its ASCII form (IDNA 2008, UTS #46 lookup profile).
func ParseAddress(s string) (ParsedAddress, error) {
	var p ParsedAddress
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return p, errors.New("no @")
	}
	local, domain := s[:at], s[at+1:]
	if local == "" {
		return p, errors.New("empty local part")
	}
	if domain == "" {
		return p, errors.New("empty domain")
	}
	if len(local) > MaxLocalPart {
		return p, fmt.Errorf("local part is %d octets, more than %d (RFC 5321 §4.5.3.1.1)", len(local), MaxLocalPart)
	}
	utf8Local, err := checkLocal(local)
	if err != nil {
		return p, err
	}
	p.Local, p.SMTPUTF8 = local, utf8Local
	if domain[0] == '[' {
		if domain[len(domain)-1] != ']' {
			return p, errors.New("unterminated address literal")
		}
		lit := domain[1 : len(domain)-1]
		v6, isV6 := strings.CutPrefix(lit, "IPv6:")
		ip, err := netip.ParseAddr(v6)
		if err != nil || ip.Is4() == isV6 || ip.Zone() != "" {
			return p, fmt.Errorf("bad address literal %s", domain)
		}
		p.Domain, p.Literal = domain, true
	} else {
		d, u, err := checkDomain(domain)
		if err != nil {
			return p, err
		}
		p.Domain, p.UnicodeDomain = d, u
	}
	if n := len(local) + 1 + len(p.Domain); n > MaxAddress {
		return p, fmt.Errorf("address is %d octets, more than %d (RFC 5321 §4.5.3.1.3)", n, MaxAddress)
	}
	return p, nil
}

// isAtext reports RFC 5322 atext (ASCII part).
func isAtext(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// checkLocal validates a dot-atom or quoted-string local part and reports
// whether it contains UTF-8 (SMTPUTF8 needed).
func checkLocal(l string) (bool, error) {
	nonASCII := false
	if l[0] == '"' {
		if len(l) < 2 || l[len(l)-1] != '"' {
			return false, errors.New("unterminated quoted local part")
		}
		q := l[1 : len(l)-1]
		for i := 0; i < len(q); i++ {
			c := q[i]
			switch {
			case c == '\\':
				i++
				if i >= len(q) || q[i] < 0x20 || q[i] > 0x7e {
					return false, errors.New("bad quoted-pair in local part")
				}
			case c == '"':
				return false, errors.New(`unescaped '"' in quoted local part`)
			case c >= 0x80:
				nonASCII = true
			case c < 0x20 || c == 0x7f:
				return false, fmt.Errorf("control character %q in local part", c)
			}
		}
	} else {
		if l[0] == '.' || l[len(l)-1] == '.' || strings.Contains(l, "..") {
			return false, errors.New("local part starts or ends with a dot, or has two dots in a row")
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if c >= 0x80 {
				nonASCII = true
				continue
			}
			if c != '.' && !isAtext(c) {
				return false, fmt.Errorf("character %q not allowed in an unquoted local part", c)
			}
		}
	}
	if nonASCII && !utf8.ValidString(l) {
		return false, errors.New("local part is not valid UTF-8")
	}
	return nonASCII, nil
}

// checkDomain validates a host name and returns its A-label and, for IDNs,
// its U-label form.
func checkDomain(d string) (ascii, unicode string, err error) {
	d = strings.TrimSuffix(d, ".")
	idn := false
	for i := 0; i < len(d); i++ {
		if d[i] >= 0x80 {
			idn = true
			break
		}
	}
	if !idn && strings.Contains(d, "xn--") {
		idn = true
	}
	if idn {
		if !utf8.ValidString(d) {
			return "", "", errors.New("domain is not valid UTF-8")
		}
		a, err := idna.Lookup.ToASCII(d)
		if err != nil {
			return "", "", fmt.Errorf("invalid internationalized domain: %v", err)
		}
		u, _ := idna.Lookup.ToUnicode(a)
		if u == a {
			u = ""
		}
		d, unicode = a, u
	} else {
		d = strings.ToLower(d)
	}
	if len(d) > MaxDomain-2 { // 253 octets as text = 255 on the wire
		return "", "", fmt.Errorf("domain longer than %d octets", MaxDomain)
	}
	if !strings.Contains(d, ".") {
		return "", "", errors.New("domain has no dot (not a public mail domain)")
	}
	start := 0
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			c := d[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", "", fmt.Errorf("character %q not allowed in a domain", c)
			}
			continue
		}
		l := d[start:i]
		if l == "" {
			return "", "", errors.New("empty label in domain")
		}
		if len(l) > 63 {
			return "", "", errors.New("domain label longer than 63 octets")
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return "", "", errors.New("domain label starts or ends with a hyphen")
		}
		start = i + 1
	}
	tld := d[strings.LastIndexByte(d, '.')+1:]
	if strings.Trim(tld, "0123456789") == "" {
		return "", "", errors.New("top-level domain is numeric")
	}
	return d, unicode, nil
}

// AddressResult is the outcome of Checker.Address.
type AddressResult struct {
	Input         string    `json:"input"`
	Valid         bool      `json:"valid"` // syntax valid
	Local         string    `json:"local,omitempty"`
	Domain        string    `json:"domain,omitempty"` // ASCII form
	UnicodeDomain string    `json:"unicode_domain,omitempty"`
	SMTPUTF8      bool      `json:"smtputf8"`
	Suggestion    string    `json:"suggestion,omitempty"` // corrected address
	Disposable    bool      `json:"disposable"`
	Free          bool      `json:"free"`
	Role          bool      `json:"role"`
	MX            []string  `json:"mx,omitempty"`
	Status        Status    `json:"status"` // the worst finding
	Findings      []Finding `json:"findings"`
	// Probe is the SMTP probe result (Checker.AddressProbe only).
	Probe *ProbeResult `json:"probe,omitempty"`
}

// domainInfo caches everything Address learns about one domain.
type domainInfo struct {
	suggestion string
	disposable bool
	free       bool
	mx         []string
	findings   []Finding
	at         time.Time // when cached
}

// Address checks one address: syntax, typo suggestion, disposable, free
// and role flags, domain existence and MX. Per-domain results are cached
// in the Checker (bounded, for CacheTTL), so bulk checks ask DNS once per
// domain.
func (c *Checker) Address(ctx context.Context, s string) AddressResult {
	s = strings.TrimSpace(s)
	if len(s) > 2 && s[0] == '<' && s[len(s)-1] == '>' {
		s = s[1 : len(s)-1]
	}
	r := AddressResult{Input: s}
	p, err := ParseAddress(s)
	if err != nil {
		r.Status = StatusFail
		r.Findings = []Finding{{Check: "syntax", Status: StatusFail, Found: err.Error(),
			Why: Text{"The address is not valid: servers refuse it before sending (5.1.3), or the ESP's API rejects it.",
				"Die Adresse ist ungültig: Server lehnen sie vor dem Versand ab (5.1.3), oder die API des ESP weist sie zurück."},
			Fix:      Text{"Correct the address or remove it from the list.", "Adresse korrigieren oder aus der Liste entfernen."},
			Prevents: preventsSyntax}}
		return r
	}
	r.Valid, r.Local, r.Domain, r.UnicodeDomain, r.SMTPUTF8 = true, p.Local, p.Domain, p.UnicodeDomain, p.SMTPUTF8
	syn := Finding{Check: "syntax", Status: StatusOK, Found: p.Local + "@" + p.Domain,
		Why: Text{"Valid per RFC 5321/5322 and within the length limits.", "Gültig nach RFC 5321/5322 und innerhalb der Längengrenzen."}}
	if p.SMTPUTF8 {
		syn.Status = StatusWarn
		syn.Why = Text{"The local part has non-ASCII characters: only servers that offer SMTPUTF8 (RFC 6531) accept it; many ESPs do not.",
			"Der lokale Teil enthält Nicht-ASCII-Zeichen: Nur Server mit SMTPUTF8 (RFC 6531) nehmen ihn an; viele ESPs nicht."}
		syn.Fix = Text{"Ask the recipient for an ASCII alias, or send through a server with SMTPUTF8.", "Empfänger nach einem ASCII-Alias fragen oder über einen Server mit SMTPUTF8 senden."}
		syn.Prevents = preventsSyntax
	} else if p.Literal {
		syn.Status = StatusWarn
		syn.Why = Text{"An address literal instead of a domain is valid but refused by nearly all public servers.", "Ein Adressliteral statt einer Domain ist gültig, wird aber von fast allen öffentlichen Servern abgelehnt."}
		syn.Prevents = preventsSyntax
	}
	r.Findings = make([]Finding, 1, 6)
	r.Findings[0] = syn
	if IsRole(p.Local) {
		r.Role = true
		r.Findings = append(r.Findings, Finding{Check: "role", Status: StatusWarn, Found: p.Local,
			Why: Text{"A role address (info@, sales@ ...) reaches a group or a ticket system; it complains more often and some ESPs refuse to send marketing to it.",
				"Eine Funktionsadresse (info@, sales@ …) erreicht eine Gruppe oder ein Ticketsystem; sie beschwert sich häufiger, manche ESPs verweigern Marketing an sie."},
			Fix: Text{"Prefer a personal address for newsletters; keep role addresses for transactional mail.", "Für Newsletter lieber eine persönliche Adresse nutzen; Funktionsadressen für Transaktionsmails."}})
	}
	if p.Literal {
		r.Status = Worst(r.Findings)
		return r
	}
	info := c.domainInfo(ctx, p.Domain)
	r.Disposable, r.Free, r.MX = info.disposable, info.free, info.mx
	if info.suggestion != "" {
		r.Suggestion = p.Local + "@" + info.suggestion
	}
	r.Findings = append(r.Findings, info.findings...)
	r.Status = Worst(r.Findings)
	return r
}

func (c *Checker) domainInfo(ctx context.Context, d string) *domainInfo {
	if v, ok := c.addrCache.Load(d); ok {
		if info := v.(*domainInfo); clock(c.Now).Sub(info.at) < cacheTTL(c.CacheTTL) {
			return info
		}
		c.addrCache.Delete(d)
	}
	info := &domainInfo{suggestion: SuggestDomain(d), disposable: IsDisposable(d)}
	info.free = !info.disposable && IsFree(d)
	if info.suggestion != "" {
		info.findings = append(info.findings, Finding{Check: "typo", Status: StatusWarn, Found: d + " → " + info.suggestion,
			Why: Text{"The domain looks like a misspelling of a common mail domain; mail to it bounces or goes to a stranger (typo domains are often registered to catch mail).",
				"Die Domain sieht aus wie ein Tippfehler einer verbreiteten Maildomain; Mails an sie kommen zurück oder landen bei Fremden (Tippfehler-Domains werden oft gezielt registriert)."},
			Fix:      Text{"Ask the recipient to confirm; correct it to " + info.suggestion + " if that was meant.", "Beim Empfänger nachfragen; bei Bedarf auf " + info.suggestion + " korrigieren."},
			Prevents: join(preventsNoDomain, preventsUnknownUser)})
	}
	if info.disposable {
		info.findings = append(info.findings, Finding{Check: "disposable", Status: StatusWarn, Found: d,
			Why: Text{"The domain belongs to a throwaway-address service: the mailbox stops existing soon, later mail bounces.",
				"Die Domain gehört zu einem Wegwerfadressen-Dienst: Das Postfach verschwindet bald, spätere Mails kommen zurück."},
			Fix:      Text{"Do not add the address to lists; ask for a permanent address.", "Adresse nicht in Listen aufnehmen; nach einer dauerhaften Adresse fragen."},
			Prevents: preventsUnknownUser})
	}
	if info.free {
		info.findings = append(info.findings, Finding{Check: "free", Status: StatusOK, Found: d,
			Why: Text{"A free-mail provider: fine for people, unusual for business contacts.", "Ein Freemail-Anbieter: üblich für Privatpersonen, ungewöhnlich für Geschäftskontakte."}})
	}
	info.findings = append(info.findings, c.addressMX(ctx, d, info))
	// Cache only answers, not DNS failures.
	if last := info.findings[len(info.findings)-1]; last.Status != StatusUnknown {
		c.addrMu.Lock()
		c.addrCount++
		if c.addrCount > 100_000 {
			c.addrCache.Clear()
			c.addrCount = 0
		}
		c.addrMu.Unlock()
		info.at = clock(c.Now)
		c.addrCache.Store(d, info)
	}
	return info
}

func (c *Checker) addressMX(ctx context.Context, d string, info *domainInfo) Finding {
	mxs, err := c.Resolver.LookupMX(ctx, d)
	switch {
	case IsNotFound(err):
		return Finding{Check: "domain", Status: StatusFail, Found: d + ": NXDOMAIN",
			Why: Text{"The domain does not exist: mail to it bounces as host unknown (5.1.2/5.4.4).", "Die Domain existiert nicht: Mails an sie kommen als Host unbekannt zurück (5.1.2/5.4.4)."},
			Fix: Text{"Correct the domain or remove the address.", "Domain korrigieren oder Adresse entfernen."}, Prevents: preventsNoDomain}
	case err != nil:
		return unknownDNS("domain", err, preventsNoDomain)
	}
	if len(mxs) == 1 && mxs[0].Host == "" {
		return Finding{Check: "domain", Status: StatusFail, Found: d + ": null MX",
			Why: Text{"The domain publishes a null MX (RFC 7505): it accepts no mail, delivery fails with X.1.10.", "Die Domain veröffentlicht einen Null-MX (RFC 7505): Sie nimmt keine Mail an, Zustellung scheitert mit X.1.10."},
			Fix: Text{"Remove the address.", "Adresse entfernen."}, Prevents: preventsNullMX}
	}
	if len(mxs) == 0 {
		a, errA := c.Resolver.LookupA(ctx, d)
		if errA != nil && !IsNotFound(errA) {
			return unknownDNS("domain", errA, preventsNoDomain)
		}
		if len(a) == 0 {
			aaaa, errB := c.Resolver.LookupAAAA(ctx, d)
			if errB != nil && !IsNotFound(errB) {
				return unknownDNS("domain", errB, preventsNoDomain)
			}
			a = aaaa
		}
		if len(a) == 0 {
			return Finding{Check: "domain", Status: StatusFail, Found: d + ": no MX, no A/AAAA",
				Why: Text{"The domain exists but has no mail server: mail to it cannot be delivered.", "Die Domain existiert, hat aber keinen Mailserver: Mails an sie sind nicht zustellbar."},
				Fix: Text{"Correct the domain or remove the address.", "Domain korrigieren oder Adresse entfernen."}, Prevents: preventsNoDomain}
		}
		info.mx = []string{d}
		return Finding{Check: "domain", Status: StatusWarn, Found: d + ": no MX; implicit MX " + a[0].String(),
			Why:      Text{"No MX records; delivery falls back to the domain's address (RFC 5321 §5.1), which often runs no mail server.", "Keine MX-Einträge; zugestellt wird an die Adresse der Domain (RFC 5321 §5.1), auf der oft kein Mailserver läuft."},
			Prevents: preventsNoDomain}
	}
	hosts := make([]string, 0, len(mxs))
	for _, m := range mxs {
		if m.Host != "" {
			hosts = append(hosts, m.Host)
		}
	}
	info.mx = hosts
	return Finding{Check: "domain", Status: StatusOK, Found: strings.Join(hosts, ", "),
		Why: Text{"The domain has MX records: it accepts mail.", "Die Domain hat MX-Einträge: Sie nimmt Mail an."}, Prevents: preventsNoDomain}
}

package check

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/idna"
)

// DefaultDNSBLs are the IP blocklists asked when Checker.DNSBLs is nil.
// Spamhaus refuses queries that arrive through large public resolvers
// (answer 127.255.255.254); such answers are reported as unknown.
var DefaultDNSBLs = []string{"zen.spamhaus.org", "bl.spamcop.net", "b.barracudacentral.org"}

// CommonDKIMSelectors are tried when no selector is given. Selectors cannot
// be discovered from DNS; a real message's DKIM-Signature s= tag names the
// one in use.
var CommonDKIMSelectors = []string{"google", "selector1", "selector2", "default", "k1", "k2", "s1", "s2",
	"dkim", "mail", "mx", "smtp", "key1", "sig1", "mandrill", "zoho"}

// Checker runs the checks. Its zero value is not usable: set Resolver.
type Checker struct {
	Resolver Resolver
	// HTTPClient fetches MTA-STS policies. Nil means a client that resolves
	// through Resolver, refuses private targets (see AllowPrivate), follows
	// no redirects and gives up after 10 s.
	HTTPClient *http.Client
	// AllowPrivate permits MTA-STS policy hosts on private, loopback and
	// link-local addresses. Only for tests.
	AllowPrivate bool
	// DNSBLs are the blocklist zones for --ip; nil means DefaultDNSBLs.
	DNSBLs []string
	// Timeout bounds a whole domain check (default 10 s). Lookups still
	// unanswered then are reported as unknown.
	Timeout time.Duration
	// CacheTTL is how long Address keeps what it learned about a domain
	// (default DefaultCacheTTL).
	CacheTTL time.Duration
	// Now is the clock for CacheTTL (default time.Now); tests inject their own.
	Now func() time.Time

	addrCache sync.Map // ASCII domain → *domainInfo (Address)
	addrCount int64
	addrMu    sync.Mutex
}

// DomainOptions select the optional domain checks.
type DomainOptions struct {
	IP            netip.Addr // sending IP: PTR/FCrDNS, DNSBL, SPF check_host
	DKIMSelectors []string   // selectors to check; empty: CommonDKIMSelectors
	ESP           string     // mailgun, sendgrid, ses, postmark, google, microsoft
}

// DomainReport is the result of Checker.Domain.
type DomainReport struct {
	Domain   string    `json:"domain"`
	Findings []Finding `json:"findings"`
}

// ESPs lists the values DomainOptions.ESP accepts.
func ESPs() []string {
	out := make([]string, 0, len(esps))
	for _, e := range esps {
		out = append(out, e.name)
	}
	return out
}

// NormalizeDomain returns the ASCII (A-label) form of a domain name, lower
// case, without a trailing dot.
func NormalizeDomain(d string) (string, error) {
	d = strings.TrimSuffix(strings.TrimSpace(d), ".")
	if d == "" {
		return "", errors.New("check: empty domain")
	}
	a, err := idna.Lookup.ToASCII(d)
	if err != nil {
		return "", fmt.Errorf("check: invalid domain %q: %w", d, err)
	}
	if len(a) > 253 || !strings.Contains(a, ".") {
		return "", fmt.Errorf("check: invalid domain %q", d)
	}
	return a, nil
}

// Domain runs every check on domain and returns the findings in a fixed
// order. The lookups run concurrently. It returns an error only for a
// domain name that is not valid.
func (c *Checker) Domain(ctx context.Context, domain string, opt DomainOptions) (*DomainReport, error) {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return nil, err
	}
	if opt.ESP != "" && espByName(opt.ESP) == nil {
		return nil, fmt.Errorf("check: unknown ESP %q (want one of %s)", opt.ESP, strings.Join(ESPs(), ", "))
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var mxHosts []string
	mxReady := make(chan struct{})
	// hosts waits for the MX check: MTA-STS compares its policy with the
	// MX hosts and DANE asks for their TLSA records, while their own
	// lookups run alongside the rest.
	hosts := func() []string {
		<-mxReady
		return mxHosts
	}
	// The groups in the order of the report.
	groups := []func() []Finding{
		func() []Finding {
			fs, hs := c.checkMX(ctx, d)
			mxHosts = hs
			close(mxReady)
			return fs
		},
		func() []Finding { return c.checkSPF(ctx, d, opt.IP) },
		func() []Finding { return c.checkDKIM(ctx, d, opt) },
		func() []Finding { return c.checkDMARC(ctx, d) },
		func() []Finding { return c.checkPTR(ctx, opt.IP) },
		func() []Finding { return c.checkDNSBL(ctx, opt.IP) },
		func() []Finding { return c.checkMTASTS(ctx, d, hosts) },
		func() []Finding { return c.checkDANE(ctx, hosts) },
		func() []Finding { return c.checkTLSRPT(ctx, d) },
		func() []Finding { return c.checkBIMI(ctx, d) },
		func() []Finding { return c.checkESP(ctx, d, opt) },
	}
	all := runGroups(groups)
	all = append(all, readiness(all, opt.IP.IsValid())...)
	return &DomainReport{Domain: d, Findings: all}, nil
}

// runGroups runs groups of checks concurrently and returns their
// findings in the order of the groups.
func runGroups(groups []func() []Finding) []Finding {
	results := make([][]Finding, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		wg.Go(func() { results[i] = g() })
	}
	wg.Wait()
	var all []Finding
	for _, r := range results {
		all = append(all, r...)
	}
	return all
}

// unknownDNS is the finding for a lookup that failed (timeout, SERVFAIL).
func unknownDNS(check string, err error, prevents []string) Finding {
	return Finding{Check: check, Status: StatusUnknown, Found: err.Error(),
		Why: Text{"The DNS lookup did not complete, so this could not be checked. Receivers that hit the same failure defer or reject mail.",
			"Die DNS-Abfrage kam nicht zum Ende; das ließ sich nicht prüfen. Empfänger, die auf denselben Fehler stoßen, stellen Mails zurück oder lehnen sie ab."},
		Fix: Text{"Run the check again; if it persists, check the domain's name servers (they must answer every query, also for missing names).",
			"Prüfung wiederholen; bleibt es so, die Nameserver der Domain prüfen (sie müssen jede Anfrage beantworten, auch für nicht vorhandene Namen)."},
		Prevents: prevents}
}

// ---- MX ----

func (c *Checker) checkMX(ctx context.Context, d string) ([]Finding, []string) {
	mxs, err := c.Resolver.LookupMX(ctx, d)
	prevRecv := join(preventsNoDomain, preventsSenderDomain)
	if IsNotFound(err) {
		return []Finding{{Check: "mx", Status: StatusFail, Found: d + ": NXDOMAIN",
			Why: Text{"The domain does not exist in DNS. Mail to it bounces (host unknown) and receivers reject mail from it.",
				"Die Domain existiert im DNS nicht. Mails an sie kommen zurück (Host unbekannt), Mails von ihr werden abgelehnt."},
			Fix: Text{"Register the domain or correct its spelling; publish MX (or at least A) records.",
				"Domain registrieren oder Schreibweise korrigieren; MX-Einträge (mindestens einen A-Eintrag) veröffentlichen."},
			Prevents: prevRecv}}, nil
	}
	if err != nil {
		return []Finding{unknownDNS("mx", err, prevRecv)}, nil
	}
	if len(mxs) == 0 {
		a, errA := c.Resolver.LookupA(ctx, d)
		aaaa, errB := c.Resolver.LookupAAAA(ctx, d)
		if len(a)+len(aaaa) > 0 {
			return []Finding{{Check: "mx", Status: StatusWarn, Found: "no MX; implicit MX " + d + " → " + joinAddrs(append(a, aaaa...)),
				Why: Text{"Without MX records senders deliver to the domain's own address (implicit MX, RFC 5321 §5.1); many receivers also check that a sender domain has MX records.",
					"Ohne MX-Einträge liefern Absender an die Adresse der Domain selbst (implizites MX, RFC 5321 §5.1); viele Empfänger prüfen außerdem, ob eine Absenderdomain MX-Einträge hat."},
				Fix: Text{"Publish MX records naming the hosts that accept mail for the domain (or a null MX \"0 .\" if it receives none).",
					"MX-Einträge für die Hosts veröffentlichen, die Mail für die Domain annehmen (oder ein Null-MX „0 .“, wenn sie keine empfängt)."},
				Prevents: preventsSenderDomain}}, []string{d}
		}
		for _, e := range []error{errA, errB} {
			if e != nil && !IsNotFound(e) {
				return []Finding{unknownDNS("mx", e, prevRecv)}, nil
			}
		}
		return []Finding{{Check: "mx", Status: StatusFail, Found: "no MX, no A/AAAA",
			Why: Text{"The domain has neither MX nor address records: no mail can be delivered to it, and receivers reject mail from it as coming from an unroutable domain.",
				"Die Domain hat weder MX- noch Adresseinträge: An sie kann keine Mail zugestellt werden, und Empfänger lehnen Mails von ihr als nicht zustellbar ab."},
			Fix:      Text{"Publish MX records for the domain's mail servers.", "MX-Einträge für die Mailserver der Domain veröffentlichen."},
			Prevents: prevRecv}}, nil
	}
	slices.SortFunc(mxs, func(a, b MX) int {
		if a.Pref != b.Pref {
			return int(a.Pref) - int(b.Pref)
		}
		return strings.Compare(a.Host, b.Host)
	})
	var list []string
	null := false
	for _, mx := range mxs {
		h := mx.Host
		if h == "" {
			null = true
			h = "."
		}
		list = append(list, fmt.Sprintf("%d %s", mx.Pref, h))
	}
	found := strings.Join(list, ", ")
	if null {
		if len(mxs) > 1 {
			return []Finding{{Check: "mx", Status: StatusFail, Found: found,
				Why: Text{"A null MX (\"0 .\", RFC 7505) must be the only MX record; mixed with others, senders behave unpredictably.",
					"Ein Null-MX („0 .“, RFC 7505) muss der einzige MX-Eintrag sein; zusammen mit anderen verhalten sich Absender unvorhersehbar."},
				Fix:      Text{"Remove either the null MX or the other MX records.", "Entweder den Null-MX oder die übrigen MX-Einträge entfernen."},
				Prevents: preventsNullMX}}, nil
		}
		return []Finding{{Check: "mx", Status: StatusFail, Found: found + " (null MX)",
			Why: Text{"The domain publishes a null MX (RFC 7505): it accepts no mail. Mail to it bounces with X.1.10, and receivers reject mail from it with X.7.27 because bounces could not be returned.",
				"Die Domain veröffentlicht einen Null-MX (RFC 7505): Sie nimmt keine Mail an. Mails an sie kommen mit X.1.10 zurück, Mails von ihr werden mit X.7.27 abgelehnt, weil Rückmeldungen nicht zustellbar wären."},
			Fix: Text{"If the domain sends mail, replace the null MX with MX records of a server that accepts bounces.",
				"Wenn die Domain Mails versendet, den Null-MX durch MX-Einträge eines Servers ersetzen, der Rückläufer annimmt."},
			Prevents: preventsNullMX}}, nil
	}
	fs := []Finding{{Check: "mx", Status: StatusOK, Found: found,
		Why: Text{"MX records tell senders where to deliver mail for the domain and show receivers that the sender domain can take bounces.",
			"MX-Einträge sagen Absendern, wohin Mail für die Domain geht, und zeigen Empfängern, dass die Absenderdomain Rückläufer annehmen kann."},
		Prevents: prevRecv}}
	// Each MX host: not an IP literal, not a CNAME, resolvable.
	type hostRes struct {
		status Status
		note   string
	}
	res := make([]hostRes, len(mxs))
	var wg sync.WaitGroup
	for i, mx := range mxs {
		wg.Go(func() {
			h := mx.Host
			if _, err := netip.ParseAddr(h); err == nil {
				res[i] = hostRes{StatusFail, h + " is an IP address, not a host name (RFC 5321 §5.1)"}
				return
			}
			cname, errC := c.Resolver.LookupCNAME(ctx, h)
			a, errA := c.Resolver.LookupA(ctx, h)
			aaaa, errB := c.Resolver.LookupAAAA(ctx, h)
			switch {
			case len(a)+len(aaaa) == 0 && (errA != nil && !IsNotFound(errA)):
				res[i] = hostRes{StatusUnknown, h + ": " + errA.Error()}
			case len(a)+len(aaaa) == 0 && errB != nil && !IsNotFound(errB):
				res[i] = hostRes{StatusUnknown, h + ": " + errB.Error()}
			case len(a)+len(aaaa) == 0:
				res[i] = hostRes{StatusFail, h + " has no A/AAAA record"}
			case cname != "" && errC == nil:
				res[i] = hostRes{StatusWarn, h + " is a CNAME to " + cname + " (RFC 2181 §10.3)"}
			default:
				for _, ip := range append(a, aaaa...) {
					if !isPublic(ip) {
						res[i] = hostRes{StatusWarn, h + " resolves to non-public " + ip.String()}
						return
					}
				}
				res[i] = hostRes{StatusOK, ""}
			}
		})
	}
	wg.Wait()
	var notes []string
	var st []Finding
	for _, r := range res {
		if r.status != StatusOK {
			notes = append(notes, r.note)
			st = append(st, Finding{Status: r.status})
		}
	}
	if len(notes) > 0 {
		fs = append(fs, Finding{Check: "mx.hosts", Status: Worst(st), Found: strings.Join(notes, "; "),
			Why: Text{"MX targets must be host names with address records, not IP addresses or CNAME aliases; senders that follow the rules strictly cannot deliver to them.",
				"MX-Ziele müssen Hostnamen mit Adresseinträgen sein, keine IP-Adressen oder CNAME-Aliase; streng regelkonforme Absender können sie nicht beliefern."},
			Fix: Text{"Point each MX at the canonical host name of the mail server, which has A/AAAA records with public addresses.",
				"Jeden MX auf den kanonischen Hostnamen des Mailservers setzen, der A/AAAA-Einträge mit öffentlichen Adressen hat."},
			Prevents: preventsNoDomain})
	}
	hosts := make([]string, 0, len(mxs))
	for _, mx := range mxs {
		hosts = append(hosts, mx.Host)
	}
	return fs, hosts
}

func joinAddrs(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// isPublic reports whether ip is a global unicast address outside the
// private, loopback, link-local, CGNAT and documentation ranges.
func isPublic(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32"),
}

// ---- SPF ----

func (c *Checker) checkSPF(ctx context.Context, d string, ip netip.Addr) []Finding {
	rec, raw, res, reason := spfRecordOf(ctx, c.Resolver, d)
	switch res {
	case SPFTemperror:
		return []Finding{unknownDNS("spf", errors.New(reason), preventsSPF)}
	case SPFNone:
		return []Finding{{Check: "spf", Status: StatusFail, Found: "no v=spf1 TXT record at " + d,
			Why: Text{"Without SPF, receivers cannot tell which servers may send for the domain. Gmail, Yahoo and Microsoft require SPF (bulk senders: SPF and DKIM) and reject or defer unauthenticated mail.",
				"Ohne SPF können Empfänger nicht erkennen, welche Server für die Domain senden dürfen. Gmail, Yahoo und Microsoft verlangen SPF (Massenversender: SPF und DKIM) und lehnen nicht authentifizierte Mails ab oder stellen sie zurück."},
			Fix: Text{"Publish one TXT record at the domain, e.g. \"v=spf1 include:<your provider> -all\", listing every service that sends as the domain.",
				"Einen TXT-Eintrag an der Domain veröffentlichen, z. B. „v=spf1 include:<Ihr Anbieter> -all“, mit allen Diensten, die als die Domain senden."},
			Prevents: preventsSPF}}
	case SPFPermerror:
		return []Finding{{Check: "spf", Status: StatusFail, Found: strings.Join(raw, " | "),
			Why: Text{"The SPF record is invalid (" + reason + "); receivers treat that as permerror, which counts as failed authentication.",
				"Der SPF-Eintrag ist ungültig (" + reason + "); Empfänger werten das als permerror, also als fehlgeschlagene Authentifizierung."},
			Fix: Text{"Publish exactly one valid v=spf1 record; merge several records into one.",
				"Genau einen gültigen v=spf1-Eintrag veröffentlichen; mehrere Einträge zu einem zusammenführen."},
			Prevents: preventsSPF}}
	}
	fs := []Finding{{Check: "spf", Status: StatusOK, Found: raw[0],
		Why: Text{"One syntactically valid SPF record lists the servers allowed to send for the domain.",
			"Ein gültiger SPF-Eintrag nennt die Server, die für die Domain senden dürfen."},
		Prevents: preventsSPF}}
	if len(raw[0]) > 450 {
		fs[0].Status = StatusWarn
		fs[0].Why = Text{"The SPF record is long (" + fmt.Sprint(len(raw[0])) + " bytes); answers over 512 bytes need TCP, which some receivers do not use (RFC 7208 §3.4).",
			"Der SPF-Eintrag ist lang (" + fmt.Sprint(len(raw[0])) + " Byte); Antworten über 512 Byte brauchen TCP, das manche Empfänger nicht nutzen (RFC 7208 §3.4)."}
		fs[0].Fix = Text{"Shorten the record: remove unused includes, use ip4/ip6 ranges.", "Eintrag kürzen: ungenutzte includes entfernen, ip4/ip6-Bereiche verwenden."}
	}
	// The "all" term and ptr.
	var all *SPFTerm
	ptr := false
	for i, t := range rec.Terms {
		if !t.Modifier && t.Name == "all" && all == nil {
			all = &rec.Terms[i]
		}
		if !t.Modifier && t.Name == "ptr" {
			ptr = true
		}
	}
	switch {
	case all == nil && rec.Modifier("redirect") == "":
		fs = append(fs, Finding{Check: "spf.all", Status: StatusWarn, Found: "no all term",
			Why: Text{"Without a closing \"all\" the result for unlisted servers is neutral: forgeries are not rejected.",
				"Ohne abschließendes „all“ ist das Ergebnis für nicht genannte Server neutral: Fälschungen werden nicht abgewiesen."},
			Fix:      Text{"End the record with -all (or ~all while testing).", "Den Eintrag mit -all abschließen (oder ~all während der Umstellung)."},
			Prevents: preventsSPF})
	case all != nil && (all.Qualifier == '+'):
		fs = append(fs, Finding{Check: "spf.all", Status: StatusFail, Found: all.String(),
			Why: Text{"\"+all\" authorizes every server on the internet to send as the domain; receivers treat it as a sign of abuse.",
				"„+all“ erlaubt jedem Server im Internet, als die Domain zu senden; Empfänger werten das als Zeichen von Missbrauch."},
			Fix:      Text{"Replace +all with -all (or ~all).", "+all durch -all (oder ~all) ersetzen."},
			Prevents: preventsSPF})
	case all != nil && all.Qualifier == '?':
		fs = append(fs, Finding{Check: "spf.all", Status: StatusWarn, Found: all.String(),
			Why: Text{"\"?all\" makes the result for unlisted servers neutral, which protects nothing.",
				"„?all“ macht das Ergebnis für nicht genannte Server neutral und schützt nichts."},
			Fix: Text{"Use -all (or ~all).", "-all (oder ~all) verwenden."}, Prevents: preventsSPF})
	case all != nil:
		fs = append(fs, Finding{Check: "spf.all", Status: StatusOK, Found: all.String(),
			Why: Text{"Unlisted servers get fail (-all) or softfail (~all).", "Nicht genannte Server erhalten fail (-all) oder softfail (~all)."}})
	}
	if ptr {
		fs = append(fs, Finding{Check: "spf.ptr", Status: StatusWarn, Found: "ptr mechanism",
			Why: Text{"The ptr mechanism is slow and unreliable; RFC 7208 §5.5 says it SHOULD NOT be used, and some receivers ignore it.",
				"Der ptr-Mechanismus ist langsam und unzuverlässig; RFC 7208 §5.5 rät davon ab, manche Empfänger ignorieren ihn."},
			Fix:      Text{"Replace ptr with ip4/ip6 ranges or a/mx terms.", "ptr durch ip4/ip6-Bereiche oder a/mx ersetzen."},
			Prevents: preventsSPF})
	}
	// Lookup and void-lookup limits across nested includes.
	n := CountLookups(ctx, c.Resolver, d)
	found := fmt.Sprintf("%d DNS lookups, %d void", n.Lookups, n.Voids)
	if len(n.Counted) > 0 {
		found += ": " + strings.Join(n.Counted, ", ")
	}
	switch {
	case n.Lookups > spfMaxLookups || n.Voids > spfMaxVoids:
		fs = append(fs, Finding{Check: "spf.lookups", Status: StatusFail, Found: found,
			Why: Text{"RFC 7208 §4.6.4 allows at most 10 DNS-querying terms (include, a, mx, ptr, exists, redirect, nested includes counted) and 2 void lookups; beyond that the result is permerror and SPF fails for every message.",
				"RFC 7208 §4.6.4 erlaubt höchstens 10 DNS-abfragende Terme (include, a, mx, ptr, exists, redirect, verschachtelte includes mitgezählt) und 2 leere Abfragen; darüber ist das Ergebnis permerror und SPF schlägt für jede Mail fehl."},
			Fix: Text{"Remove includes of services you no longer use, replace a/mx with ip4/ip6, or move senders to subdomains with their own SPF record.",
				"includes nicht mehr genutzter Dienste entfernen, a/mx durch ip4/ip6 ersetzen oder Versender auf Subdomains mit eigenem SPF-Eintrag verlegen."},
			Prevents: preventsSPF})
	case n.Result == SPFTemperror:
		fs = append(fs, unknownDNS("spf.lookups", errors.New(n.Reason), preventsSPF))
	case n.Result == SPFPermerror:
		fs = append(fs, Finding{Check: "spf.lookups", Status: StatusFail, Found: found + "; " + n.Reason,
			Why: Text{"A nested SPF record is missing or invalid, so evaluation ends in permerror and SPF fails.",
				"Ein verschachtelter SPF-Eintrag fehlt oder ist ungültig; die Auswertung endet mit permerror, SPF schlägt fehl."},
			Fix: Text{"Remove or correct the include/redirect that points at a domain without a valid SPF record.",
				"Das include/redirect auf eine Domain ohne gültigen SPF-Eintrag entfernen oder korrigieren."},
			Prevents: preventsSPF})
	case n.Lookups >= 9:
		fs = append(fs, Finding{Check: "spf.lookups", Status: StatusWarn, Found: found,
			Why: Text{"Close to the limit of 10 DNS lookups (RFC 7208 §4.6.4); one more include breaks SPF.",
				"Nahe an der Grenze von 10 DNS-Abfragen (RFC 7208 §4.6.4); ein weiteres include bricht SPF."},
			Fix:      Text{"Trim includes before adding another sender.", "includes kürzen, bevor ein weiterer Versender dazukommt."},
			Prevents: preventsSPF})
	default:
		fs = append(fs, Finding{Check: "spf.lookups", Status: StatusOK, Found: found,
			Why: Text{"Within the limits of 10 DNS lookups and 2 void lookups (RFC 7208 §4.6.4).",
				"Innerhalb der Grenzen von 10 DNS-Abfragen und 2 leeren Abfragen (RFC 7208 §4.6.4)."}})
	}
	if ip.IsValid() {
		r := CheckHost(ctx, c.Resolver, ip, d, "")
		f := Finding{Check: "spf.check_host", Found: fmt.Sprintf("%s for %s (%s)", r.Result, ip, r.Reason), Prevents: preventsSPF}
		switch r.Result {
		case SPFPass:
			f.Status = StatusOK
			f.Why = Text{"The sending IP is authorized by the domain's SPF policy.", "Die sendende IP ist durch die SPF-Richtlinie der Domain erlaubt."}
		case SPFTemperror:
			f.Status = StatusUnknown
			f.Why = Text{"SPF evaluation hit a DNS error; receivers see temperror and defer.", "Die SPF-Auswertung traf auf einen DNS-Fehler; Empfänger sehen temperror und stellen zurück."}
		default:
			f.Status = StatusFail
			f.Why = Text{"The sending IP is not authorized (" + r.Result + "): mail from it fails SPF, and without aligned DKIM it fails DMARC.",
				"Die sendende IP ist nicht erlaubt (" + r.Result + "): Mails von ihr bestehen SPF nicht und ohne passendes DKIM auch DMARC nicht."}
			f.Fix = Text{"Add the IP (ip4:/ip6:) or your provider's include: to the SPF record.", "Die IP (ip4:/ip6:) oder das include: Ihres Anbieters in den SPF-Eintrag aufnehmen."}
		}
		fs = append(fs, f)
	}
	return fs
}

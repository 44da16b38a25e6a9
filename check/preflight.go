package check

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// PreflightOptions describe the host that runs the SMTP probe. Its public
// address cannot be discovered without asking an outside service, so the
// caller names it.
type PreflightOptions struct {
	SourceIP netip.Addr // the public address the probe connects from
	HELO     string     // the name the probe sends with EHLO
}

// Preflight audits the probing host before probing, with the same rules
// the domain check applies to a sending IP: the PTR of SourceIP with
// forward confirmation ("preflight.ptr"), the HELO name resolving to
// SourceIP ("preflight.helo"), and SourceIP on the blocklists of
// Checker.DNSBLs ("preflight.dnsbl:ZONE"). Receivers refuse or blocklist
// probes from hosts that fail these. It returns an error only for an
// invalid SourceIP.
func (c *Checker) Preflight(ctx context.Context, opt PreflightOptions) ([]Finding, error) {
	if !opt.SourceIP.IsValid() {
		return nil, errors.New("check: preflight needs the source IP")
	}
	ip := opt.SourceIP.Unmap()
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	groups := []func() []Finding{
		func() []Finding { return c.checkPTR(ctx, ip) },
		func() []Finding { return []Finding{c.checkHELO(ctx, opt.HELO, ip)} },
		func() []Finding { return c.checkDNSBL(ctx, ip) },
	}
	fs := runGroups(groups)
	for i := range fs {
		fs[i].Check = "preflight." + fs[i].Check
	}
	return fs, nil
}

// checkHELO checks that the EHLO name is a fully qualified domain name
// whose A/AAAA records include ip (RFC 5321 §4.1.1.1 asks for the
// client's primary host name; receivers such as Postfix with
// reject_unknown_helo_hostname refuse names that do not resolve). An
// address literal "[ip]" is allowed by RFC 5321 but disliked.
func (c *Checker) checkHELO(ctx context.Context, helo string, ip netip.Addr) Finding {
	helo = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(helo), "."))
	f := Finding{Check: "helo", Prevents: preventsHELO}
	fix := Text{"Send with EHLO the host's fully qualified name, give that name an A/AAAA record with " + ip.String() + ", and make the IP's PTR point at it (--helo).",
		"Per EHLO den voll qualifizierten Namen des Hosts senden, diesem Namen einen A/AAAA-Eintrag mit " + ip.String() + " geben und den PTR der IP auf ihn zeigen lassen (--helo)."}
	if lit, ok := strings.CutPrefix(helo, "["); ok && strings.HasSuffix(lit, "]") {
		a, err := netip.ParseAddr(strings.TrimPrefix(strings.TrimSuffix(lit, "]"), "ipv6:"))
		f.Found = helo
		f.Fix = fix
		if err == nil && a.Unmap() == ip {
			f.Status = StatusWarn
			f.Why = Text{"An address literal is a valid EHLO argument, but many receivers score it like a missing name or refuse it.",
				"Ein Adressliteral ist als EHLO-Argument gültig, aber viele Empfänger werten es wie einen fehlenden Namen oder lehnen es ab."}
			return f
		}
		f.Status = StatusFail
		f.Why = Text{"The address literal in EHLO is not the source IP; receivers treat a false EHLO address as forgery.",
			"Das Adressliteral im EHLO ist nicht die Quell-IP; Empfänger werten eine falsche EHLO-Adresse als Fälschung."}
		return f
	}
	d, err := NormalizeDomain(helo)
	if err != nil || d == "localhost" || strings.HasSuffix(d, ".localdomain") || strings.HasSuffix(d, ".local") {
		f.Status = StatusFail
		f.Found = "EHLO " + helo + ": not a fully qualified domain name"
		f.Why = Text{"Receivers refuse or distrust an EHLO name that is not a fully qualified domain name (localhost, a bare host name, a .local name).",
			"Empfänger lehnen einen EHLO-Namen ab, der kein voll qualifizierter Domainname ist (localhost, ein bloßer Hostname, ein .local-Name), oder misstrauen ihm."}
		f.Fix = fix
		return f
	}
	a, errA := c.Resolver.LookupA(ctx, d)
	aaaa, errB := c.Resolver.LookupAAAA(ctx, d)
	addrs := append(a, aaaa...)
	if len(addrs) == 0 {
		for _, e := range []error{errA, errB} {
			if e != nil && !IsNotFound(e) {
				return unknownDNS("helo", e, preventsHELO)
			}
		}
		f.Status = StatusFail
		f.Found = "EHLO " + d + ": no A/AAAA record"
		f.Why = Text{"The EHLO name does not resolve; receivers that check it (Postfix reject_unknown_helo_hostname and similar) refuse the session.",
			"Der EHLO-Name lässt sich nicht auflösen; Empfänger, die ihn prüfen (Postfix reject_unknown_helo_hostname und ähnliche), lehnen die Sitzung ab."}
		f.Fix = fix
		return f
	}
	f.Found = "EHLO " + d + " → " + joinAddrs(addrs)
	if slices.ContainsFunc(addrs, func(x netip.Addr) bool { return x.Unmap() == ip }) {
		f.Status = StatusOK
		f.Why = Text{"The EHLO name resolves to the source IP, as receivers expect.",
			"Der EHLO-Name zeigt auf die Quell-IP, wie Empfänger es erwarten."}
		return f
	}
	f.Status = StatusWarn
	f.Why = Text{"The EHLO name resolves, but not to the source IP " + ip.String() + "; spam filters count the mismatch against the sender, and some receivers refuse it.",
		"Der EHLO-Name lässt sich auflösen, aber nicht auf die Quell-IP " + ip.String() + "; Spamfilter werten die Abweichung gegen den Absender, manche Empfänger lehnen ab."}
	f.Fix = fix
	return f
}

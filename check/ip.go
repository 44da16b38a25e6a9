package check

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
)

// ---- PTR / forward-confirmed reverse DNS ----

func (c *Checker) checkPTR(ctx context.Context, ip netip.Addr) []Finding {
	if !ip.IsValid() {
		return nil
	}
	ip = ip.Unmap()
	names, err := c.Resolver.LookupPTR(ctx, ip)
	if err != nil && !IsNotFound(err) {
		return []Finding{unknownDNS("ptr", err, preventsPTR)}
	}
	if len(names) == 0 {
		return []Finding{{Check: "ptr", Status: StatusFail, Found: ip.String() + ": no PTR record",
			Why: Text{"Gmail requires every sending IP to have a PTR record whose name resolves back to the IP; others reject or rate-limit IPs without one (5.7.25).",
				"Gmail verlangt für jede sendende IP einen PTR-Eintrag, dessen Name wieder auf die IP zeigt; andere lehnen IPs ohne ihn ab oder drosseln sie (5.7.25)."},
			Fix: Text{"Ask whoever owns the IP (hosting provider, ISP) to set its PTR to your mail server's host name, and give that name an A/AAAA record with the IP.",
				"Den Inhaber der IP (Hoster, Provider) bitten, den PTR auf den Hostnamen des Mailservers zu setzen, und diesem Namen einen A/AAAA-Eintrag mit der IP geben."},
			Prevents: preventsPTR}}
	}
	var seen []string
	for i, n := range names {
		if i >= 10 {
			break
		}
		var addrs []netip.Addr
		var err error
		if ip.Is4() {
			addrs, err = c.Resolver.LookupA(ctx, n)
		} else {
			addrs, err = c.Resolver.LookupAAAA(ctx, n)
		}
		if err != nil && !IsNotFound(err) {
			return []Finding{unknownDNS("ptr", err, preventsPTR)}
		}
		for _, a := range addrs {
			if a.Unmap() == ip {
				return []Finding{{Check: "ptr", Status: StatusOK, Found: fmt.Sprintf("%s → %s → %s", ip, n, ip),
					Why: Text{"Forward-confirmed reverse DNS: the IP's PTR name resolves back to the IP, as Gmail and others require.",
						"Vorwärts bestätigtes Reverse-DNS: Der PTR-Name der IP zeigt wieder auf die IP, wie Gmail und andere es verlangen."},
					Prevents: preventsPTR}}
			}
		}
		seen = append(seen, fmt.Sprintf("%s → [%s]", n, joinAddrs(addrs)))
	}
	return []Finding{{Check: "ptr", Status: StatusFail, Found: ip.String() + " → " + strings.Join(seen, "; "),
		Why: Text{"The PTR name does not resolve back to the IP (no forward-confirmed reverse DNS); Gmail treats this like a missing PTR.",
			"Der PTR-Name zeigt nicht wieder auf die IP (kein vorwärts bestätigtes Reverse-DNS); Gmail behandelt das wie einen fehlenden PTR."},
		Fix: Text{"Add an A/AAAA record for the PTR name pointing at the IP, or change the PTR to a name that does.",
			"Für den PTR-Namen einen A/AAAA-Eintrag auf die IP anlegen oder den PTR auf einen Namen ändern, der auf sie zeigt."},
		Prevents: preventsPTR}}
}

// ---- DNS blocklists (RFC 5782) ----

// DNSBLName returns the query name for ip in zone: reversed octets for
// IPv4, reversed nibbles for IPv6 (RFC 5782 §2.1, §2.4).
func DNSBLName(ip netip.Addr, zone string) string {
	ip = ip.Unmap()
	var b strings.Builder
	if ip.Is4() {
		a := ip.As4()
		for i := 3; i >= 0; i-- {
			b.WriteString(strconv.Itoa(int(a[i])))
			b.WriteByte('.')
		}
	} else {
		return DNSBLName6(ip, zone)
	}
	b.WriteString(strings.TrimSuffix(zone, "."))
	return b.String()
}

var (
	loop8      = netip.MustParsePrefix("127.0.0.0/8")
	spamhausEr = netip.MustParsePrefix("127.255.255.0/24") // Spamhaus return codes for errors, not listings
	testPoint4 = netip.MustParseAddr("127.0.0.2")
	testPoint6 = netip.MustParseAddr("::ffff:7f00:2") // RFC 5782 §5; As16 keeps the mapped form
)

// dnsblAnswer classifies an A answer: listed, refused (Spamhaus error codes
// 127.255.255.x) or bogus (outside 127/8: a resolver that rewrites
// NXDOMAIN).
func dnsblAnswer(as []netip.Addr) (listed, refused, bogus bool, codes string) {
	var s []string
	for _, a := range as {
		s = append(s, a.String())
		switch {
		case spamhausEr.Contains(a):
			refused = true
		case loop8.Contains(a):
			listed = true
		default:
			bogus = true
		}
	}
	return listed, refused, bogus, strings.Join(s, ",")
}

func (c *Checker) checkDNSBL(ctx context.Context, ip netip.Addr) []Finding {
	if !ip.IsValid() {
		return nil
	}
	ip = ip.Unmap()
	zones := c.DNSBLs
	if zones == nil {
		zones = DefaultDNSBLs
	}
	out := make([]Finding, len(zones))
	var wg sync.WaitGroup
	for i, z := range zones {
		wg.Go(func() { out[i] = c.dnsblZone(ctx, ip, z) })
	}
	wg.Wait()
	return out
}

func (c *Checker) dnsblZone(ctx context.Context, ip netip.Addr, zone string) Finding {
	check := "dnsbl:" + zone
	unknown := func(found string) Finding {
		return Finding{Check: check, Status: StatusUnknown, Found: found,
			Why: Text{"The list did not give a usable answer, so it is not known whether the IP is listed. Spamhaus refuses queries that come through large public resolvers (127.255.255.x).",
				"Die Liste gab keine verwertbare Antwort; ob die IP gelistet ist, ist unbekannt. Spamhaus verweigert Anfragen über große öffentliche Resolver (127.255.255.x)."},
			Fix: Text{"Check with your own recursive resolver (--resolver) or the list's web lookup.",
				"Mit einem eigenen rekursiven Resolver (--resolver) oder der Web-Abfrage der Liste prüfen."},
			Prevents: preventsDNSBL}
	}
	// Health check: every list must list its test point (RFC 5782 §5).
	tp := testPoint4
	if ip.Is6() {
		tp = testPoint6
	}
	tpName := DNSBLName(tp, zone)
	if ip.Is6() {
		tpName = DNSBLName6(tp, zone)
	}
	as, err := c.Resolver.LookupA(ctx, tpName)
	if err != nil && !IsNotFound(err) {
		return unknown(tpName + ": " + err.Error())
	}
	listed, refused, bogus, codes := dnsblAnswer(as)
	if !listed || refused || bogus {
		return unknown(fmt.Sprintf("test point %s not listed as RFC 5782 requires (answer %q)", tp, codes))
	}
	name := DNSBLName(ip, zone)
	as, err = c.Resolver.LookupA(ctx, name)
	if err != nil && !IsNotFound(err) {
		return unknown(name + ": " + err.Error())
	}
	listed, refused, bogus, codes = dnsblAnswer(as)
	switch {
	case refused:
		return unknown(name + " → " + codes + " (query refused)")
	case bogus:
		return unknown(name + " → " + codes + " (not a 127.0.0.0/8 answer)")
	case listed:
		found := name + " → " + codes
		if txt, err := c.Resolver.LookupTXT(ctx, name); err == nil && len(txt) > 0 {
			found += ": " + strings.Join(txt, " ")
		}
		return Finding{Check: check, Status: StatusFail, Found: found,
			Why: Text{"The sending IP is on this blocklist; receivers that use it refuse the connection or the mail (e.g. Spamhaus blocks at Microsoft and Yahoo).",
				"Die sendende IP steht auf dieser Sperrliste; Empfänger, die sie nutzen, lehnen Verbindung oder Mail ab (z. B. Spamhaus-Sperren bei Microsoft und Yahoo)."},
			Fix: Text{"Find and stop the cause (compromised account, open relay, bad list), then request delisting on the list's website; with an ESP, contact its support.",
				"Ursache finden und abstellen (gekapertes Konto, offenes Relay, schlechte Liste), dann auf der Website der Liste die Entfernung beantragen; bei einem ESP dessen Support kontaktieren."},
			Prevents: preventsDNSBL}
	}
	return Finding{Check: check, Status: StatusOK, Found: name + ": not listed",
		Why: Text{"The IP is not on this blocklist.", "Die IP steht nicht auf dieser Sperrliste."}, Prevents: preventsDNSBL}
}

// DNSBLName6 returns the IPv6 query name for ip in its full 128-bit form,
// also for IPv4-mapped addresses (the RFC 5782 IPv6 test point
// ::FFFF:7F00:2).
func DNSBLName6(ip netip.Addr, zone string) string {
	a := ip.As16()
	var b strings.Builder
	const hex = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		b.WriteByte(hex[a[i]&15])
		b.WriteByte('.')
		b.WriteByte(hex[a[i]>>4])
		b.WriteByte('.')
	}
	b.WriteString(strings.TrimSuffix(zone, "."))
	return b.String()
}

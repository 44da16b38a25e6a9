package check

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// TLSA is one TLSA record (RFC 6698 §2.1).
type TLSA struct {
	Usage        uint8  `json:"usage"`         // 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE
	Selector     uint8  `json:"selector"`      // 0 full certificate, 1 SubjectPublicKeyInfo
	MatchingType uint8  `json:"matching_type"` // 0 exact, 1 SHA-256, 2 SHA-512
	Data         string `json:"data"`          // certificate association data, lower-case hex
}

// String renders the record in presentation format: "3 1 1 0a1b…".
func (t TLSA) String() string {
	return fmt.Sprintf("%d %d %d %s", t.Usage, t.Selector, t.MatchingType, t.Data)
}

// The RFC 7218 mnemonics ParseTLSA accepts besides numbers.
var tlsaMnemonics = [3]map[string]uint8{
	{"pkix-ta": 0, "pkix-ee": 1, "dane-ta": 2, "dane-ee": 3},
	{"cert": 0, "spki": 1},
	{"full": 0, "sha2-256": 1, "sha2-512": 2},
}

var errTLSASyntax = errors.New("tlsa: want USAGE SELECTOR MATCHING-TYPE HEX")

// ParseTLSA parses a TLSA record in presentation format: usage, selector
// and matching type as numbers 0–255 (or RFC 7218 mnemonics such as
// DANE-EE, SPKI, SHA2-256), then the association data in hex, which may
// be split by white space. It checks the syntax only; see TLSA.Problem
// for what DANE for SMTP accepts.
func ParseTLSA(s string) (TLSA, error) {
	f := strings.Fields(s)
	if len(f) < 4 {
		return TLSA{}, errTLSASyntax
	}
	var nums [3]uint8
	for i := range nums {
		if v, ok := tlsaMnemonics[i][strings.ToLower(f[i])]; ok {
			nums[i] = v
			continue
		}
		n, err := strconv.ParseUint(f[i], 10, 8)
		if err != nil {
			return TLSA{}, fmt.Errorf("%w: field %d is %q", errTLSASyntax, i+1, f[i])
		}
		nums[i] = uint8(n)
	}
	data := strings.ToLower(strings.Join(f[3:], ""))
	if _, err := hex.DecodeString(data); err != nil {
		return TLSA{}, fmt.Errorf("%w: association data is not hex", errTLSASyntax)
	}
	return TLSA{Usage: nums[0], Selector: nums[1], MatchingType: nums[2], Data: data}, nil
}

// Problem says what is wrong with the record for DANE in SMTP
// (RFC 7672): "" when senders can use it. malformed is true for a record
// that can never match (unknown selector or matching type, data that is
// not hex, a digest of the wrong length, exact data that is not a DER
// certificate or public key) and false for the PKIX usages 0 and 1, which
// are valid TLSA but which SMTP senders ignore (RFC 7672 §3.1.3).
func (t TLSA) Problem() (problem string, malformed bool) {
	switch {
	case t.Usage == 0 || t.Usage == 1:
		return fmt.Sprintf("usage %d (PKIX) is ignored by SMTP senders", t.Usage), false
	case t.Usage > 3:
		return fmt.Sprintf("usage %d is not defined", t.Usage), true
	case t.Selector > 1:
		return fmt.Sprintf("selector %d is not defined", t.Selector), true
	case t.MatchingType > 2:
		return fmt.Sprintf("matching type %d is not defined", t.MatchingType), true
	}
	b, err := hex.DecodeString(t.Data)
	if err != nil || len(b) == 0 {
		return "association data is empty or not hex", true
	}
	switch t.MatchingType {
	case 1:
		if len(b) != 32 {
			return fmt.Sprintf("SHA-256 data is %d bytes, not 32 (%d hex digits, not 64)", len(b), len(t.Data)), true
		}
	case 2:
		if len(b) != 64 {
			return fmt.Sprintf("SHA-512 data is %d bytes, not 64 (%d hex digits, not 128)", len(b), len(t.Data)), true
		}
	default:
		if t.Selector == 0 {
			if _, err := x509.ParseCertificate(b); err != nil {
				return "exact data is not a DER certificate", true
			}
		} else if _, err := x509.ParsePKIXPublicKey(b); err != nil {
			return "exact data is not a DER SubjectPublicKeyInfo", true
		}
	}
	return "", false
}

// ---- DANE (RFC 7672) ----

// daneHost is what one MX host publishes at _25._tcp.HOST.
type daneHost struct {
	host string
	recs []TLSA
	ad   bool
	err  error
}

func (c *Checker) checkDANE(ctx context.Context, mxHosts func() []string) []Finding {
	var hosts []string
	for _, h := range mxHosts() {
		if h != "" {
			hosts = append(hosts, h)
		}
	}
	if len(hosts) == 0 {
		return nil // no MX host to protect; the mx finding says why
	}
	tr, ok := c.Resolver.(TLSAResolver)
	if !ok {
		return []Finding{unknownDNS("dane", ErrNoTLSA, preventsDANE)}
	}
	res := make([]daneHost, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Go(func() {
			r := daneHost{host: h}
			r.recs, r.ad, r.err = tr.LookupTLSA(ctx, "_25._tcp."+h)
			res[i] = r
		})
	}
	wg.Wait()

	var notes []string
	var sts []Finding
	var with, without int
	var malformed, pkix, unsigned, failed bool
	for i := range res {
		r := &res[i]
		switch {
		case r.err != nil && !IsNotFound(r.err):
			failed = true
			sts = append(sts, Finding{Status: StatusUnknown})
			notes = append(notes, r.host+": "+r.err.Error())
			continue
		case len(r.recs) == 0:
			without++
			notes = append(notes, r.host+": no TLSA")
			continue
		}
		with++
		var parts []string
		usable := 0
		for _, t := range r.recs {
			p, bad := t.Problem()
			s := fmt.Sprintf("%d %d %d %s", t.Usage, t.Selector, t.MatchingType, truncate(t.Data, 16))
			switch {
			case bad:
				malformed = true
				sts = append(sts, Finding{Status: StatusFail})
				s += " (" + p + ")"
			case p != "":
				s += " (" + p + ")"
			default:
				usable++
			}
			parts = append(parts, s)
		}
		if usable == 0 && !malformed {
			pkix = true
			sts = append(sts, Finding{Status: StatusWarn})
		}
		sec := "DNSSEC-validated"
		if !r.ad {
			unsigned = true
			sec = "not marked DNSSEC-validated"
			sts = append(sts, Finding{Status: StatusWarn})
		}
		notes = append(notes, r.host+": "+strings.Join(parts, ", ")+" ["+sec+"]")
	}
	found := strings.Join(notes, "; ")
	if with == 0 && !failed {
		return []Finding{{Check: "dane", Status: StatusOK, Found: "no TLSA records at _25._tcp of any MX host (DANE not used)",
			Why: Text{"DANE (RFC 7672) is optional: with DNSSEC-signed TLSA records at _25._tcp.<MX host>, senders that support it insist on TLS with the certificate you pin, which stops downgrade attacks.",
				"DANE (RFC 7672) ist optional: Mit DNSSEC-signierten TLSA-Einträgen an _25._tcp.<MX-Host> bestehen Absender, die es unterstützen, auf TLS mit dem festgelegten Zertifikat; das verhindert Downgrade-Angriffe."},
			Fix: Text{"If your zone is DNSSEC-signed, publish \"3 1 1 <SHA-256 of the server's public key>\" at _25._tcp.<MX host> for every MX host.",
				"Ist die Zone DNSSEC-signiert, „3 1 1 <SHA-256 des öffentlichen Schlüssels des Servers>“ an _25._tcp.<MX-Host> für jeden MX-Host veröffentlichen."},
			Prevents: preventsDANE}}
	}
	if with > 0 && without > 0 {
		sts = append(sts, Finding{Status: StatusWarn})
	}
	f := Finding{Check: "dane", Status: Worst(sts), Found: found, Prevents: preventsDANE}
	var why, fix []Text
	if malformed {
		why = append(why, Text{"A TLSA record is malformed: it can never match the server's certificate, so DANE senders (Microsoft 365, Postfix and Exim with DANE) cannot authenticate this MX and defer mail to it when no other record matches.",
			"Ein TLSA-Eintrag ist fehlerhaft: Er kann nie zum Zertifikat des Servers passen; DANE-Absender (Microsoft 365, Postfix und Exim mit DANE) können diesen MX nicht authentifizieren und stellen Mails zurück, wenn kein anderer Eintrag passt."})
		fix = append(fix, Text{"Correct or remove the record: usage 3 (or 2), selector 1 (or 0), matching type 1 with 64 hex digits (SHA-256) or 2 with 128 (SHA-512).",
			"Den Eintrag korrigieren oder entfernen: Usage 3 (oder 2), Selector 1 (oder 0), Matching Type 1 mit 64 Hex-Ziffern (SHA-256) oder 2 mit 128 (SHA-512)."})
	}
	if failed {
		why = append(why, Text{"A TLSA lookup failed; when the zone is DNSSEC-signed, DANE senders defer mail to an MX whose TLSA lookup fails (RFC 7672 §2.2).",
			"Eine TLSA-Abfrage schlug fehl; ist die Zone DNSSEC-signiert, stellen DANE-Absender Mails an einen MX zurück, dessen TLSA-Abfrage fehlschlägt (RFC 7672 §2.2)."})
		fix = append(fix, Text{"Make the name servers answer TLSA queries (also with an empty answer) for every MX host.",
			"Dafür sorgen, dass die Nameserver TLSA-Anfragen für jeden MX-Host beantworten (auch mit leerer Antwort)."})
	}
	if pkix {
		why = append(why, Text{"The TLSA records use only the PKIX usages 0 or 1, which SMTP senders ignore (RFC 7672 §3.1.3).",
			"Die TLSA-Einträge nutzen nur die PKIX-Usages 0 oder 1, die SMTP-Absender ignorieren (RFC 7672 §3.1.3)."})
		fix = append(fix, Text{"Publish usage 3 (DANE-EE) or 2 (DANE-TA) records instead.", "Stattdessen Einträge mit Usage 3 (DANE-EE) oder 2 (DANE-TA) veröffentlichen."})
	}
	if unsigned {
		why = append(why, Text{"The resolver did not mark the TLSA answer as DNSSEC-validated (no AD bit): either the MX host's zone is not signed, and senders ignore the records, or the resolver used for this check does not validate.",
			"Der Resolver hat die TLSA-Antwort nicht als DNSSEC-geprüft markiert (kein AD-Bit): Entweder ist die Zone des MX-Hosts nicht signiert, dann ignorieren Absender die Einträge, oder der für die Prüfung genutzte Resolver validiert nicht."})
		fix = append(fix, Text{"Sign the MX host's zone with DNSSEC, or run the check with --resolver pointing at a validating resolver.",
			"Die Zone des MX-Hosts mit DNSSEC signieren oder mit --resolver über einen validierenden Resolver prüfen."})
	}
	if with > 0 && without > 0 {
		why = append(why, Text{"Only some MX hosts publish TLSA records; when a protected host is unreachable, senders fall back to an unprotected one without authenticated TLS.",
			"Nur einige MX-Hosts veröffentlichen TLSA-Einträge; ist ein geschützter Host nicht erreichbar, weichen Absender ohne authentifiziertes TLS auf einen ungeschützten aus."})
		fix = append(fix, Text{"Publish TLSA records for every MX host.", "Für jeden MX-Host TLSA-Einträge veröffentlichen."})
	}
	if len(why) == 0 {
		f.Why = Text{"Every MX host publishes usable, DNSSEC-validated TLSA records: DANE senders deliver only over TLS to a server whose certificate matches them.",
			"Jeder MX-Host veröffentlicht nutzbare, DNSSEC-geprüfte TLSA-Einträge: DANE-Absender liefern nur per TLS an einen Server, dessen Zertifikat dazu passt."}
		f.Fix = Text{"Before changing a server's certificate or key, publish the new TLSA record next to the old one and wait for the TTL.",
			"Vor einem Wechsel von Zertifikat oder Schlüssel den neuen TLSA-Eintrag neben dem alten veröffentlichen und die TTL abwarten."}
		return []Finding{f}
	}
	for _, t := range why {
		f.Why.EN = strings.TrimSpace(f.Why.EN + " " + t.EN)
		f.Why.DE = strings.TrimSpace(f.Why.DE + " " + t.DE)
	}
	for _, t := range fix {
		f.Fix.EN = strings.TrimSpace(f.Fix.EN + " " + t.EN)
		f.Fix.DE = strings.TrimSpace(f.Fix.DE + " " + t.DE)
	}
	return []Finding{f}
}

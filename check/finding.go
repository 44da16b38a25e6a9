// Package check runs sending-domain health checks (MX, SPF, DKIM, DMARC,
// PTR/FCrDNS, DNS blocklists, MTA-STS, DANE, TLS-RPT, BIMI, ESP records,
// bulk-sender readiness) and recipient address checks (syntax, typo suggestion,
// disposable/free/role flags, domain and MX), each finding linked to the
// knowledge-base entries of the delivery errors it prevents.
//
// It owns the checks and their bilingual findings; it does not own DNS
// transport beyond the small Resolver interface, nor the classification of
// delivery errors (package maildx). Standards: RFC 5321 (§4.5.3.1 limits,
// §5.1 implicit MX), RFC 5322 §3.4.1, RFC 6531 (SMTPUTF8), RFC 7505 (null
// MX), RFC 7208 (SPF), RFC 6376/8301/8463 (DKIM), RFC 7489 and RFC 9989
// (DMARC, DMARCbis), RFC 5782 (DNSBL), RFC 8461 (MTA-STS), RFC 8460
// (TLS-RPT), RFC 6698/7672 (DANE TLSA),
// draft-brand-indicators-for-message-identification (BIMI).
package check

// Status is the outcome of one check.
type Status string

// The statuses, from good to bad; StatusUnknown means the check could not
// be completed (DNS timeout, SERVFAIL, a blocklist that refused to answer).
const (
	StatusOK      Status = "ok"
	StatusWarn    Status = "warn"
	StatusFail    Status = "fail"
	StatusUnknown Status = "unknown"
)

// Text is a short text in English and German.
type Text struct {
	EN string `json:"en"`
	DE string `json:"de"`
}

// Get returns the text in lang ("de" or anything else for English).
func (t Text) Get(lang string) string {
	if lang == "de" && t.DE != "" {
		return t.DE
	}
	return t.EN
}

// Finding is the result of one check.
type Finding struct {
	Check  string `json:"check"`  // e.g. "spf", "spf.lookups", "dkim:google", "dnsbl:zen.spamhaus.org"
	Status Status `json:"status"` // ok, warn, fail, unknown
	Found  string `json:"found"`  // what was found: records, addresses, counts (not translated)
	Why    Text   `json:"why"`    // why it matters
	Fix    Text   `json:"fix"`    // what to do; empty when nothing needs doing
	// Prevents lists the knowledge-base entry ids of the delivery errors
	// this finding leads to when it is not ok.
	Prevents []string `json:"prevents,omitempty"`
}

// Worst returns the worst status among findings: fail, then unknown, then
// warn, then ok. An empty slice is ok.
func Worst(fs []Finding) Status {
	w := StatusOK
	for _, f := range fs {
		if rankStatus(f.Status) > rankStatus(w) {
			w = f.Status
		}
	}
	return w
}

func rankStatus(s Status) int {
	switch s {
	case StatusFail:
		return 3
	case StatusUnknown:
		return 2
	case StatusWarn:
		return 1
	}
	return 0
}

// Knowledge-base entry ids that findings point at. A test checks that each
// exists (kb.Default().ByID).
var (
	preventsSPF = []string{"gmail-550-5.7.26-unauthenticated", "gmail-550-5.7.27-spf-bulk-blocked",
		"gmail-421-4.7.27-spf-rate-limited", "gmail-550-5.7.26-spf-hard-fail", "yahoo-550-5.7.9-unauthenticated",
		"microsoft-5.7.23-spf-violation", "microsoft-550-5.7.515-authentication-level", "mta-spf-fail", "enhanced-x.7.23"}
	preventsDKIM = []string{"gmail-550-5.7.30-dkim-blocked", "gmail-421-4.7.30-dkim-rate-limited",
		"gmail-550-5.7.26-unauthenticated", "yahoo-550-5.7.9-unauthenticated",
		"microsoft-550-5.7.515-authentication-level", "mta-dkim-fail"}
	preventsDMARC = []string{"gmail-550-5.7.40-no-dmarc-blocked", "gmail-421-4.7.40-no-dmarc-rate-limited",
		"gmail-550-5.7.26-dmarc-policy", "yahoo-550-5.7.9-unauthenticated", "microsoft-5.7.509-dmarc-reject",
		"microsoft-550-5.7.515-authentication-level", "mta-dmarc-fail", "postmark-bounce-dmarcpolicy"}
	preventsPTR = []string{"gmail-550-5.7.25-no-ptr", "gmail-421-4.7.0-ptr-rate-limited",
		"microsoft-5.7.25-ipv6-no-ptr", "mta-require-ptr", "enhanced-x.7.25"}
	preventsDNSBL = []string{"mta-blocked-blocklist", "microsoft-550-ou-001-spamhaus", "yahoo-553-bl21-spamhaus",
		"microsoft-550-5.7.1-s3150-ip-blocklist", "mailgun-blacklisted", "ses-554-address-blacklisted"}
	preventsNoDomain = []string{"mta-host-unknown", "enhanced-x.1.2", "microsoft-5.4.4-nonexistent-domain",
		"ses-bounce-transient-5.4.4-invalid-domain"}
	preventsSenderDomain = []string{"mta-sender-domain-invalid", "yahoo-451-unresolvable-from-domain",
		"mailgun-sender-domain-no-mx", "mailgun-sender-domain-unresolvable"}
	preventsNullMX = []string{"mta-not-accept-null-mx", "enhanced-x.1.10", "enhanced-x.7.27"}
	preventsTLS    = []string{"gmail-550-5.7.29-no-tls-blocked", "gmail-421-4.7.29-no-tls-rate-limited",
		"microsoft-5.7.5-mta-sts-certificate", "mta-tls-required"}
	preventsSyntax = []string{"mta-recipient-address-syntax", "mailgun-400-to-invalid-address",
		"ses-invalid-address-missing-domain"}
	preventsUnknownUser = []string{"mta-user-unknown", "enhanced-x.1.1"}
	preventsDANE        = []string{"microsoft-5.7.323-dane-tlsa-invalid", "microsoft-5.7.324-dnssec-invalid"}
	// preventsSTARTTLS are the errors of senders that need TLS to the
	// recipient's MX (found by the probe).
	preventsSTARTTLS = []string{"microsoft-5.7.321-dane-starttls-not-supported", "microsoft-5.7.325-certificate-host-mismatch",
		"smtp-454-tls", "mta-tls-temporarily-unavailable", "mta-tls-required"}
	// preventsHELO are refusals of an EHLO name (the probe's preflight).
	// No check command fits them for explain's hint: the preflight
	// audits the probing host, not the user's mail server.
	preventsHELO = []string{"mta-helo-rejected", "gmail-501-5.5.4-invalid-helo"}
)

// AllPrevented returns every knowledge-base id that some finding may name.
func AllPrevented() []string {
	var out []string
	for _, l := range [][]string{preventsSPF, preventsDKIM, preventsDMARC, preventsPTR, preventsDNSBL,
		preventsNoDomain, preventsSenderDomain, preventsNullMX, preventsTLS, preventsSyntax, preventsUnknownUser, preventsDANE, preventsSTARTTLS, preventsHELO} {
		out = append(out, l...)
	}
	return out
}

// join returns the concatenation of id lists without duplicates.
func join(lists ...[]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range lists {
		for _, id := range l {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// Hint names the maildx check that finds the cause of a knowledge-base
// entry's error, for explain to suggest: "domain" (with "--ip" when the
// sending IP matters: blocklists, reverse DNS), "address", or "" when no
// check applies.
func Hint(entryID string) (command string, needsIP bool) {
	in := func(l []string) bool {
		for _, id := range l {
			if id == entryID {
				return true
			}
		}
		return false
	}
	switch {
	case in(preventsPTR), in(preventsDNSBL):
		return "domain", true
	case in(preventsSPF), in(preventsDKIM), in(preventsDMARC), in(preventsSenderDomain), in(preventsNullMX), in(preventsTLS), in(preventsDANE):
		return "domain", false
	case in(preventsSyntax), in(preventsUnknownUser), in(preventsNoDomain), in(preventsSTARTTLS):
		return "address", false
	}
	return "", false
}

package check

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// BIMIRecord is a parsed BIMI assertion record
// (draft-brand-indicators-for-message-identification §4.2).
type BIMIRecord struct {
	Logo      string `json:"logo,omitempty"`      // l=: HTTPS URL of the SVG Tiny PS logo
	Authority string `json:"authority,omitempty"` // a=: HTTPS URL of the VMC/CMC (PEM)
	// Declined is true for a record with empty l= and a=: the domain says
	// it has no logo.
	Declined bool `json:"declined,omitempty"`
}

// bimiSelector is the selector used without a BIMI-Selector header.
const bimiSelector = "default"

// Errors of ParseBIMI.
var (
	errBIMIVersion = errors.New("bimi: v=BIMI1 must be the first tag")
	errBIMIScheme  = errors.New("bimi: URL is not https")
)

// ParseBIMI parses the TXT value of a BIMI assertion record: "v=BIMI1"
// first, then l= (logo) and a= (authority evidence), each empty or one
// absolute HTTPS URL. Unknown tags are ignored. Both empty is a
// declination record.
func ParseBIMI(s string) (*BIMIRecord, error) {
	keys, tags := tagList(s)
	if len(keys) == 0 || keys[0] != "v" || tags["v"] != "BIMI1" {
		return nil, errBIMIVersion
	}
	r := &BIMIRecord{Logo: tags["l"], Authority: tags["a"]}
	for _, u := range []struct{ tag, v string }{{"l", r.Logo}, {"a", r.Authority}} {
		if u.v == "" {
			continue
		}
		if strings.Contains(u.v, ",") {
			return r, fmt.Errorf("bimi: %s= holds more than one URL", u.tag)
		}
		p, err := url.Parse(u.v)
		if err != nil {
			return r, fmt.Errorf("bimi: %s= is not a URL: %w", u.tag, err)
		}
		if !strings.EqualFold(p.Scheme, "https") || p.Host == "" {
			return r, fmt.Errorf("%w: %s=%s", errBIMIScheme, u.tag, u.v)
		}
	}
	r.Declined = r.Logo == "" && r.Authority == ""
	return r, nil
}

// bimiRecords returns the TXT values that start with v=BIMI1.
func bimiRecords(txts []string) []string {
	var out []string
	for _, t := range txts {
		if strings.HasPrefix(strings.TrimSpace(t), "v=BIMI1") {
			out = append(out, t)
		}
	}
	return out
}

// checkBIMI looks for default._bimi.DOMAIN, falling back to the
// organizational domain, and checks the record and its DMARC
// prerequisite. BIMI only decides whether a logo is shown; no receiver
// refuses mail over it, so a missing record is ok, not a warning.
func (c *Checker) checkBIMI(ctx context.Context, d string) []Finding {
	w := &dmarcWalk{r: c.Resolver, d: d}
	name := bimiSelector + "._bimi." + d
	txts, err := c.Resolver.LookupTXT(ctx, name)
	if err != nil && !IsNotFound(err) {
		return []Finding{unknownDNS("bimi", err, nil)}
	}
	recs := bimiRecords(txts)
	if len(recs) == 0 {
		if org, err := w.orgDomain(ctx); err == nil && org != d {
			oname := bimiSelector + "._bimi." + org
			txts, err := c.Resolver.LookupTXT(ctx, oname)
			if err != nil && !IsNotFound(err) {
				return []Finding{unknownDNS("bimi", err, nil)}
			}
			if recs = bimiRecords(txts); len(recs) > 0 {
				name = oname
			}
		}
	}
	fix := Text{"Publish TXT at " + bimiSelector + "._bimi." + d + ": \"v=BIMI1; l=https://<host>/logo.svg; a=https://<host>/vmc.pem\" (logo in SVG Tiny PS; a= points at a Verified or Common Mark Certificate).",
		"TXT an " + bimiSelector + "._bimi." + d + " veröffentlichen: „v=BIMI1; l=https://<Host>/logo.svg; a=https://<Host>/vmc.pem“ (Logo als SVG Tiny PS; a= verweist auf ein Verified- oder Common-Mark-Zertifikat)."}
	switch len(recs) {
	case 0:
		return []Finding{{Check: "bimi", Status: StatusOK, Found: "no BIMI record at " + bimiSelector + "._bimi." + d + " (optional)",
			Why: Text{"BIMI is optional: it only lets mailboxes show the brand logo next to authenticated mail and never decides delivery. It needs DMARC at p=quarantine or p=reject.",
				"BIMI ist optional: Es lässt Postfächer nur das Markenlogo neben authentifizierten Mails zeigen und entscheidet nie über die Zustellung. Es setzt DMARC mit p=quarantine oder p=reject voraus."},
			Fix: fix}}
	case 1:
	default:
		return []Finding{{Check: "bimi", Status: StatusFail, Found: strings.Join(recs, " | "),
			Why: Text{"More than one BIMI record at " + name + ": receivers treat that as an error and show no logo.",
				"Mehr als ein BIMI-Eintrag an " + name + ": Empfänger werten das als Fehler und zeigen kein Logo."},
			Fix: Text{"Keep exactly one v=BIMI1 record.", "Genau einen v=BIMI1-Eintrag behalten."}}}
	}
	found := recs[0]
	if name != bimiSelector+"._bimi."+d {
		found = name + " (organizational domain): " + found
	}
	rec, err := ParseBIMI(recs[0])
	if err != nil {
		return []Finding{{Check: "bimi", Status: StatusFail, Found: found + "; " + err.Error(),
			Why: Text{"The BIMI record is invalid (v=BIMI1 must come first; l= and a= must be HTTPS URLs), so no logo is shown.",
				"Der BIMI-Eintrag ist ungültig (v=BIMI1 muss zuerst stehen; l= und a= müssen HTTPS-URLs sein); es wird kein Logo gezeigt."},
			Fix: fix}}
	}
	if rec.Declined {
		return []Finding{{Check: "bimi", Status: StatusOK, Found: found + " (declination: no logo)",
			Why: Text{"The domain states that it publishes no logo; receivers show none.",
				"Die Domain erklärt, dass sie kein Logo veröffentlicht; Empfänger zeigen keins."}}}
	}
	main := Finding{Check: "bimi", Status: StatusOK, Found: found,
		Why: Text{"A valid BIMI record with a logo and a mark certificate is published; receivers that support BIMI show the logo on mail that passes DMARC.",
			"Ein gültiger BIMI-Eintrag mit Logo und Markenzertifikat ist veröffentlicht; Empfänger mit BIMI-Unterstützung zeigen das Logo bei Mails, die DMARC bestehen."}}
	switch {
	case rec.Authority == "":
		main.Status = StatusWarn
		main.Why = Text{"The record has no a= (mark certificate): Yahoo may show the logo, but Gmail and Apple Mail show logos only with a VMC or CMC.",
			"Dem Eintrag fehlt a= (Markenzertifikat): Yahoo zeigt das Logo womöglich, Gmail und Apple Mail zeigen Logos aber nur mit VMC oder CMC."}
		main.Fix = Text{"Obtain a Verified Mark Certificate (or Common Mark Certificate) and add a=https://…/cert.pem.",
			"Ein Verified-Mark-Zertifikat (oder Common-Mark-Zertifikat) beschaffen und a=https://…/cert.pem ergänzen."}
	case rec.Logo != "" && !strings.HasSuffix(strings.ToLower(strings.SplitN(rec.Logo, "?", 2)[0]), ".svg"):
		main.Status = StatusWarn
		main.Why = Text{"l= does not name an .svg file; BIMI logos must be SVG Tiny PS documents (the file was not fetched).",
			"l= nennt keine .svg-Datei; BIMI-Logos müssen SVG-Tiny-PS-Dokumente sein (die Datei wurde nicht abgerufen)."}
		main.Fix = fix
	}
	return []Finding{main, c.bimiDMARC(ctx, w)}
}

// bimiDMARC checks BIMI's prerequisite: the DMARC policy that applies to
// the domain is quarantine or reject for all mail (pct=100, not in testing
// mode), and so is the organizational domain's.
func (c *Checker) bimiDMARC(ctx context.Context, w *dmarcWalk) Finding {
	f := Finding{Check: "bimi.dmarc"}
	recs, policyDomain, err := w.policy(ctx)
	if err != nil {
		return unknownDNS("bimi.dmarc", err, nil)
	}
	var problems []string
	if len(recs) != 1 {
		problems = append(problems, fmt.Sprintf("%d DMARC records apply to %s", len(recs), w.d))
	} else {
		problems = append(problems, bimiPolicyProblems(recs[0], policyDomain != w.d)...)
		f.Found = "_dmarc." + policyDomain + ": " + recs[0]
		if org, err := w.orgDomain(ctx); err == nil && org != policyDomain {
			orecs, err := w.at(ctx, org)
			if err != nil {
				return unknownDNS("bimi.dmarc", err, nil)
			}
			if len(orecs) == 1 {
				for _, p := range bimiPolicyProblems(orecs[0], false) {
					problems = append(problems, "organizational domain "+org+": "+p)
				}
			}
		}
	}
	if len(problems) == 0 {
		f.Status = StatusOK
		f.Why = Text{"DMARC is at enforcement for all mail, as BIMI requires.",
			"DMARC wird für alle Mails durchgesetzt, wie BIMI es verlangt."}
		return f
	}
	f.Status = StatusFail
	f.Found = strings.TrimPrefix(f.Found+"; "+strings.Join(problems, "; "), "; ")
	f.Why = Text{"BIMI logos are shown only when DMARC is enforced for all mail (p=quarantine or p=reject, pct=100, no testing mode, also at the organizational domain); with this policy receivers ignore the BIMI record.",
		"BIMI-Logos erscheinen nur, wenn DMARC für alle Mails durchgesetzt wird (p=quarantine oder p=reject, pct=100, kein Testmodus, auch an der Organisationsdomain); mit dieser Richtlinie ignorieren Empfänger den BIMI-Eintrag."}
	f.Fix = Text{"Move DMARC to p=quarantine or p=reject without pct below 100 or t=y once the aggregate reports show all legitimate mail passing.",
		"DMARC auf p=quarantine oder p=reject ohne pct unter 100 oder t=y umstellen, sobald die Sammelberichte zeigen, dass alle echten Mails bestehen."}
	return f
}

// bimiPolicyProblems lists why a DMARC record does not meet BIMI's
// enforcement rule; sub means the record is inherited, so sp= applies.
func bimiPolicyProblems(rec string, sub bool) []string {
	_, tags := tagList(rec)
	var out []string
	p := strings.ToLower(tags["p"])
	if sub && tags["sp"] != "" {
		p = strings.ToLower(tags["sp"])
	}
	if p != "quarantine" && p != "reject" {
		out = append(out, "policy "+strconv.Quote(p)+" is not quarantine or reject")
	}
	if v, ok := tags["pct"]; ok && strings.TrimSpace(v) != "100" {
		out = append(out, "pct="+v+" is below 100")
	}
	if strings.EqualFold(tags["t"], "y") {
		out = append(out, "t=y (testing mode)")
	}
	return out
}

package check

import (
	"context"
	"strings"
)

// espSpec is what an email service provider's setup guide asks a customer
// to publish. Only records a check can find without account data are
// listed; selectors and tokens that are random per account (Amazon SES
// Easy DKIM, Postmark's dated selector) need --dkim-selector.
type espSpec struct {
	name          string
	doc           string   // setup guide the records come from
	spfInclude    []string // any of these include: terms
	mx            []string // MX hosts (exact or ".suffix"); empty: no MX requirement
	dkimSelectors []string // selectors the ESP uses (also tried as common ones)
	dkimCNAME     string   // suffix the selector CNAMEs point to ("" = TXT is fine)
	cname         [2]string
}

var esps = []espSpec{
	{name: "mailgun", doc: "https://documentation.mailgun.com/docs/mailgun/user-manual/domains/",
		spfInclude: []string{"mailgun.org", "eu.mailgun.org"}, mx: []string{"mxa.mailgun.org", "mxb.mailgun.org", "mxa.eu.mailgun.org", "mxb.eu.mailgun.org"},
		dkimSelectors: []string{"k1", "mx", "smtp", "pic", "krs", "mailo"}},
	{name: "sendgrid", doc: "https://www.twilio.com/docs/sendgrid/ui/account-and-settings/how-to-set-up-domain-authentication",
		spfInclude: []string{"sendgrid.net"}, dkimSelectors: []string{"s1", "s2"}, dkimCNAME: ".sendgrid.net"},
	{name: "ses", doc: "https://docs.aws.amazon.com/ses/latest/dg/send-email-authentication-spf.html",
		spfInclude: []string{"amazonses.com"}},
	{name: "postmark", doc: "https://postmarkapp.com/support/article/910-adding-a-custom-return-path-domain",
		cname: [2]string{"pm-bounces", "pm.mtasv.net"}},
	{name: "google", doc: "https://support.google.com/a/answer/33786",
		spfInclude: []string{"_spf.google.com"}, mx: []string{"smtp.google.com", ".google.com", ".googlemail.com"}, dkimSelectors: []string{"google"}},
	{name: "microsoft", doc: "https://learn.microsoft.com/en-us/defender-office-365/email-authentication-spf-configure",
		spfInclude: []string{"spf.protection.outlook.com"}, mx: []string{".mail.protection.outlook.com", ".mx.microsoft"},
		dkimSelectors: []string{"selector1", "selector2"}, dkimCNAME: ".onmicrosoft.com|.dkim.mail.microsoft"},
}

func espByName(name string) *espSpec {
	for i := range esps {
		if esps[i].name == strings.ToLower(name) {
			return &esps[i]
		}
	}
	return nil
}

func hostMatches(h string, pats []string) bool {
	for _, p := range pats {
		if h == p || (strings.HasPrefix(p, ".") && strings.HasSuffix(h, p)) {
			return true
		}
	}
	return false
}

func (c *Checker) checkESP(ctx context.Context, d string, opt DomainOptions) []Finding {
	e := espByName(opt.ESP)
	if e == nil {
		return nil
	}
	pre := "esp." + e.name
	var fs []Finding
	if len(e.spfInclude) > 0 {
		rec, _, res, reason := spfRecordOf(ctx, c.Resolver, d)
		f := Finding{Check: pre + ".spf", Prevents: preventsSPF}
		switch {
		case res == SPFTemperror:
			f = unknownDNS(pre+".spf", errorString(reason), preventsSPF)
		case rec == nil:
			f.Status, f.Found = StatusFail, "no valid SPF record"
		default:
			f.Status, f.Found = StatusFail, "no include:"+strings.Join(e.spfInclude, " / include:")
			for _, t := range rec.Terms {
				if t.Name == "include" && hostMatches(strings.ToLower(t.Arg), e.spfInclude) {
					f.Status, f.Found = StatusOK, t.String()
				}
			}
		}
		if f.Status == StatusFail {
			if e.name == "ses" || e.name == "sendgrid" {
				// SES and SendGrid (automated security) normally use their own
				// bounce domain as envelope sender: SPF is then checked there.
				f.Status = StatusWarn
			}
			f.Why = Text{e.name + " documents an SPF include for the domain its mail uses as envelope sender (" + e.doc + "); without it mail sent through " + e.name + " fails SPF.",
				e.name + " dokumentiert ein SPF-include für die Domain, die seine Mails als Umschlagabsender nutzen (" + e.doc + "); ohne es bestehen über " + e.name + " gesendete Mails SPF nicht."}
			f.Fix = Text{"Add include:" + e.spfInclude[0] + " before the all term of the SPF record (on the envelope-sender/MAIL FROM domain if you use a custom one).",
				"include:" + e.spfInclude[0] + " vor dem all-Term in den SPF-Eintrag aufnehmen (bei eigener MAIL-FROM-Domain dort)."}
		} else if f.Status == StatusOK {
			f.Why = Text{"The SPF record includes " + e.name + "'s senders.", "Der SPF-Eintrag schließt die Server von " + e.name + " ein."}
		}
		fs = append(fs, f)
	}
	if len(e.mx) > 0 {
		mxs, err := c.Resolver.LookupMX(ctx, d)
		f := Finding{Check: pre + ".mx", Prevents: preventsSenderDomain}
		if err != nil && !IsNotFound(err) {
			f = unknownDNS(pre+".mx", err, preventsSenderDomain)
		} else {
			var hosts []string
			f.Status = StatusFail
			for _, m := range mxs {
				hosts = append(hosts, m.Host)
				if hostMatches(m.Host, e.mx) {
					f.Status = StatusOK
				}
			}
			f.Found = "MX: " + strings.Join(hosts, ", ")
			if len(hosts) == 0 {
				f.Found = "no MX"
			}
			if f.Status == StatusOK {
				f.Why = Text{"The MX records point at " + e.name + " as its setup guide says.", "Die MX-Einträge zeigen wie in der Anleitung auf " + e.name + "."}
			} else {
				f.Why = Text{e.name + "'s setup guide (" + e.doc + ") asks for MX records on this (sending) domain so that bounces and replies reach it; some receivers also refuse sender domains without MX.",
					"Die Anleitung von " + e.name + " (" + e.doc + ") verlangt MX-Einträge auf dieser (Absender-)Domain, damit Rückläufer und Antworten ankommen; manche Empfänger lehnen Absenderdomains ohne MX ab."}
				f.Fix = Text{"Set the MX records of the domain to " + strings.Join(e.mx[:min(2, len(e.mx))], " and ") + " as the guide shows.",
					"Die MX-Einträge der Domain wie in der Anleitung auf " + strings.Join(e.mx[:min(2, len(e.mx))], " und ") + " setzen."}
			}
		}
		fs = append(fs, f)
	}
	if e.dkimCNAME != "" {
		for _, sel := range e.dkimSelectors {
			name := sel + "._domainkey." + d
			target, err := c.Resolver.LookupCNAME(ctx, name)
			f := Finding{Check: pre + ".dkim:" + sel, Prevents: preventsDKIM}
			switch {
			case err != nil && !IsNotFound(err):
				f = unknownDNS(f.Check, err, preventsDKIM)
			case target != "" && hostMatches(target, strings.Split(e.dkimCNAME, "|")):
				f.Status, f.Found = StatusOK, name+" CNAME "+target
				f.Why = Text{"The DKIM selector is delegated to " + e.name + ", which signs and rotates the key.", "Der DKIM-Selektor ist an " + e.name + " delegiert, das den Schlüssel signiert und wechselt."}
			default:
				f.Status, f.Found = StatusFail, name+": no CNAME to *"+strings.ReplaceAll(e.dkimCNAME, "|", " or *")
				if target != "" {
					f.Found = name + " CNAME " + target
				}
				f.Why = Text{e.name + " signs with this selector only when it is a CNAME to the target shown in your account (" + e.doc + ").",
					e.name + " signiert mit diesem Selektor nur, wenn er ein CNAME auf das im Konto angezeigte Ziel ist (" + e.doc + ")."}
				f.Fix = Text{"Create the CNAME records exactly as shown in your " + e.name + " account, then verify the domain there.",
					"Die CNAME-Einträge genau wie im " + e.name + "-Konto angezeigt anlegen und die Domain dort prüfen lassen."}
			}
			fs = append(fs, f)
		}
	}
	if e.cname[0] != "" {
		name := e.cname[0] + "." + d
		target, err := c.Resolver.LookupCNAME(ctx, name)
		f := Finding{Check: pre + ".return-path", Prevents: preventsDMARC}
		switch {
		case err != nil && !IsNotFound(err):
			f = unknownDNS(f.Check, err, preventsDMARC)
		case target == e.cname[1]:
			f.Status, f.Found = StatusOK, name+" CNAME "+target
			f.Why = Text{"The custom Return-Path is set up, so SPF aligns with the From domain.", "Der eigene Return-Path ist eingerichtet; SPF passt damit zur From-Domain."}
		default:
			f.Status, f.Found = StatusWarn, name+": no CNAME to "+e.cname[1]
			f.Why = Text{"Without a custom Return-Path, SPF passes for " + e.name + "'s domain, not yours: DMARC then rests on DKIM alone (" + e.doc + ").",
				"Ohne eigenen Return-Path besteht SPF für die Domain von " + e.name + ", nicht Ihre: DMARC hängt dann allein an DKIM (" + e.doc + ")."}
			f.Fix = Text{"Create CNAME " + name + " → " + e.cname[1] + " and verify it in your account.", "CNAME " + name + " → " + e.cname[1] + " anlegen und im Konto prüfen lassen."}
		}
		fs = append(fs, f)
	}
	return fs
}

type errorString string

func (e errorString) Error() string { return string(e) }

// readiness summarizes the findings against the bulk-sender rules of
// Gmail (Feb 2024), Yahoo (2024) and Microsoft consumer mail (May 2025):
// SPF and DKIM, DMARC at p=none or stronger with alignment, and for Gmail
// and Yahoo forward-confirmed reverse DNS; TLS and one-click unsubscribe
// are properties of the connection and the message and are not checked.
func readiness(fs []Finding, haveIP bool) []Finding {
	state := map[string]Status{}
	worse := func(k string, s Status) {
		if state[k] == "" {
			state[k] = s
		} else {
			state[k] = Worst([]Finding{{Status: state[k]}, {Status: s}})
		}
	}
	rank := map[Status]int{"": -1, StatusFail: 0, StatusUnknown: 1, StatusWarn: 2, StatusOK: 3}
	for _, f := range fs {
		switch {
		case f.Check == "spf" || f.Check == "spf.lookups" || f.Check == "spf.check_host":
			worse("spf", f.Status)
		case strings.HasPrefix(f.Check, "dkim"):
			if rank[f.Status] > rank[state["dkim"]] { // one good key is enough
				state["dkim"] = f.Status
			}
		case f.Check == "dmarc" || f.Check == "ptr":
			worse(f.Check, f.Status)
		}
	}
	if !haveIP {
		state["ptr"] = StatusUnknown
	}
	word := func(s Status) string {
		switch s {
		case StatusOK, StatusWarn:
			return "ok"
		case StatusFail:
			return "missing"
		}
		return "unknown"
	}
	// DKIM under the domain itself aligns (relaxed) with the From domain.
	align := StatusUnknown
	if state["dkim"] == StatusOK || state["dkim"] == StatusWarn {
		align = StatusOK
	} else if state["spf"] == StatusOK || state["spf"] == StatusWarn {
		align = StatusWarn
	}
	providers := []struct {
		name  string
		needs []string
		ids   []string
	}{
		{"gmail", []string{"spf", "dkim", "dmarc", "ptr"}, []string{"gmail-550-5.7.26-unauthenticated", "gmail-550-5.7.40-no-dmarc-blocked", "gmail-550-5.7.25-no-ptr", "gmail-550-5.7.30-dkim-blocked"}},
		{"yahoo", []string{"spf", "dkim", "dmarc", "ptr"}, []string{"yahoo-550-5.7.9-unauthenticated"}},
		{"microsoft", []string{"spf", "dkim", "dmarc"}, []string{"microsoft-550-5.7.515-authentication-level"}},
	}
	var out []Finding
	for _, p := range providers {
		var parts []string
		var sts []Finding
		for _, n := range p.needs {
			parts = append(parts, n+"="+word(state[n]))
			s := state[n]
			if s == StatusWarn {
				s = StatusOK
			}
			if s == "" {
				s = StatusUnknown
			}
			sts = append(sts, Finding{Status: s})
		}
		parts = append(parts, "alignment="+map[Status]string{StatusOK: "dkim", StatusWarn: "spf-only?", StatusUnknown: "unknown"}[align], "tls=not-checked", "one-click-unsubscribe=not-checked")
		sts = append(sts, Finding{Status: map[Status]Status{StatusOK: StatusOK, StatusWarn: StatusWarn, StatusUnknown: StatusUnknown}[align]})
		f := Finding{Check: "bulk-sender." + p.name, Status: Worst(sts), Found: strings.Join(parts, " "), Prevents: p.ids,
			Why: Text{"Bulk senders (about 5,000+ messages a day) must have SPF and DKIM, DMARC at p=none or stronger with an aligned From domain" + map[bool]string{true: ", and valid forward and reverse DNS for the sending IP", false: ""}[p.name != "microsoft"] + "; TLS and one-click unsubscribe (RFC 8058) are checked on the message, not in DNS.",
				"Massenversender (etwa 5.000+ Mails am Tag) brauchen SPF und DKIM, DMARC mit p=none oder strenger und passender From-Domain" + map[bool]string{true: " sowie gültiges Vorwärts- und Reverse-DNS der sendenden IP", false: ""}[p.name != "microsoft"] + "; TLS und Ein-Klick-Abmeldung (RFC 8058) zeigen sich an der Nachricht, nicht im DNS."}}
		if f.Status != StatusOK {
			f.Fix = Text{"Fix the items marked missing above; give --ip and --dkim-selector to turn unknown items into answers.",
				"Die oben als fehlend markierten Punkte beheben; mit --ip und --dkim-selector werden unbekannte Punkte geprüft."}
		}
		out = append(out, f)
	}
	return out
}

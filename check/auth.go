package check

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/net/publicsuffix"
)

// tagList parses "k=v; k=v" (RFC 6376 §3.2, RFC 7489 §6.4). Keys are
// lower-cased; order is kept.
func tagList(s string) (keys []string, vals map[string]string) {
	vals = map[string]string{}
	for _, part := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(part, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || k == "" {
			continue
		}
		if _, dup := vals[k]; !dup {
			keys = append(keys, k)
		}
		vals[k] = strings.TrimSpace(v)
	}
	return keys, vals
}

// ---- DKIM ----

func (c *Checker) checkDKIM(ctx context.Context, d string, opt DomainOptions) []Finding {
	given := len(opt.DKIMSelectors) > 0
	sels := opt.DKIMSelectors
	if !given {
		sels = CommonDKIMSelectors
		if e := espByName(opt.ESP); e != nil {
			sels = append(append([]string(nil), e.dkimSelectors...), sels...)
		}
	}
	sels = dedup(sels)
	res := make([]*Finding, len(sels))
	var wg sync.WaitGroup
	for i, s := range sels {
		wg.Go(func() { res[i] = c.dkimSelector(ctx, d, s, given) })
	}
	wg.Wait()
	var fs []Finding
	for _, f := range res {
		if f != nil {
			fs = append(fs, *f)
		}
	}
	if len(fs) == 0 {
		fs = append(fs, Finding{Check: "dkim", Status: StatusUnknown, Found: "no key at the common selectors " + strings.Join(sels, ", "),
			Why: Text{"DKIM selectors cannot be listed from DNS, so a key under another name may exist. Without DKIM, Gmail, Yahoo and Microsoft reject or defer bulk mail.",
				"DKIM-Selektoren lassen sich nicht aus dem DNS auflisten; ein Schlüssel unter anderem Namen kann existieren. Ohne DKIM lehnen Gmail, Yahoo und Microsoft Massenmails ab oder stellen sie zurück."},
			Fix: Text{"Look up s= in the DKIM-Signature header of a message you sent and run the check with --dkim-selector; if there is none, enable DKIM signing at your provider.",
				"s= im DKIM-Signature-Header einer gesendeten Mail nachsehen und mit --dkim-selector prüfen; fehlt die Signatur, DKIM beim Anbieter einschalten."},
			Prevents: preventsDKIM})
	}
	return fs
}

func dedup(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		x = strings.ToLower(strings.TrimSpace(x))
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// dkimSelector checks one key; nil when a guessed selector has no key.
func (c *Checker) dkimSelector(ctx context.Context, d, sel string, given bool) *Finding {
	name := sel + "._domainkey." + d
	check := "dkim:" + sel
	txts, err := c.Resolver.LookupTXT(ctx, name)
	if err != nil && !IsNotFound(err) {
		if !given {
			return nil
		}
		f := unknownDNS(check, err, preventsDKIM)
		return &f
	}
	var recs []string
	for _, t := range txts {
		if strings.Contains(t, "p=") {
			recs = append(recs, t)
		}
	}
	if len(recs) == 0 {
		if !given {
			return nil
		}
		return &Finding{Check: check, Status: StatusFail, Found: "no DKIM key at " + name,
			Why: Text{"Messages signed with this selector cannot be verified: DKIM fails, and without aligned SPF so does DMARC.",
				"Mit diesem Selektor signierte Mails lassen sich nicht prüfen: DKIM schlägt fehl und ohne passendes SPF auch DMARC."},
			Fix: Text{"Publish the public key your provider shows for this selector (TXT or CNAME at " + name + ").",
				"Den öffentlichen Schlüssel, den Ihr Anbieter für diesen Selektor anzeigt, veröffentlichen (TXT oder CNAME an " + name + ")."},
			Prevents: preventsDKIM}
	}
	f := Finding{Check: check, Found: recs[0], Prevents: preventsDKIM}
	bad := func(en, de string) *Finding {
		f.Status = StatusFail
		f.Why = Text{en, de}
		f.Fix = Text{"Publish the key exactly as your provider or signing software generates it (v=DKIM1; k=rsa; p=<base64>), at least 2048-bit RSA.",
			"Den Schlüssel genau so veröffentlichen, wie Anbieter oder Signiersoftware ihn erzeugen (v=DKIM1; k=rsa; p=<Base64>), RSA mit mindestens 2048 Bit."}
		return &f
	}
	if len(recs) > 1 {
		return bad("More than one key record at "+name+"; verifiers may pick either.", "Mehr als ein Schlüsseleintrag an "+name+"; Prüfer wählen zufällig einen.")
	}
	keys, tags := tagList(recs[0])
	if v, ok := tags["v"]; ok && (v != "DKIM1" || keys[0] != "v") {
		return bad("v= must be \"DKIM1\" and the first tag (RFC 6376 §3.6.1).", "v= muss „DKIM1“ und das erste Tag sein (RFC 6376 §3.6.1).")
	}
	p := strings.Join(strings.Fields(tags["p"]), "")
	if p == "" {
		return bad("The key is revoked (empty p=): every signature with this selector fails.", "Der Schlüssel ist widerrufen (leeres p=): Jede Signatur mit diesem Selektor schlägt fehl.")
	}
	der, err := base64.StdEncoding.DecodeString(p)
	if err != nil {
		return bad("p= is not valid base64.", "p= ist kein gültiges Base64.")
	}
	if h, ok := tags["h"]; ok && !strings.Contains(strings.ToLower(h), "sha256") {
		return bad("h= allows only SHA-1, which verifiers must no longer accept (RFC 8301).", "h= erlaubt nur SHA-1, das Prüfer nicht mehr akzeptieren dürfen (RFC 8301).")
	}
	k := strings.ToLower(tags["k"])
	switch k {
	case "", "rsa":
		pub, err := x509.ParsePKIXPublicKey(der)
		var rk *rsa.PublicKey
		if err == nil {
			rk, _ = pub.(*rsa.PublicKey)
		} else {
			rk, _ = x509.ParsePKCS1PublicKey(der)
		}
		if rk == nil {
			return bad("p= is not an RSA public key.", "p= ist kein öffentlicher RSA-Schlüssel.")
		}
		bits := rk.N.BitLen()
		f.Found = fmt.Sprintf("RSA %d bit: %s", bits, truncate(recs[0], 80))
		switch {
		case bits < 1024:
			return bad(fmt.Sprintf("RSA keys under 1024 bits must not be used (RFC 8301); %d-bit signatures are treated as failed.", bits),
				fmt.Sprintf("RSA-Schlüssel unter 1024 Bit dürfen nicht verwendet werden (RFC 8301); %d-Bit-Signaturen gelten als fehlgeschlagen.", bits))
		case bits < 2048:
			f.Status = StatusWarn
			f.Why = Text{fmt.Sprintf("A %d-bit RSA key still verifies, but RFC 8301 asks for at least 2048 bits and some receivers distrust shorter keys.", bits),
				fmt.Sprintf("Ein %d-Bit-RSA-Schlüssel wird noch geprüft, RFC 8301 verlangt aber mindestens 2048 Bit, und manche Empfänger misstrauen kürzeren Schlüsseln.", bits)}
			f.Fix = Text{"Rotate to a 2048-bit key (new selector, then switch signing, then remove the old key).",
				"Auf einen 2048-Bit-Schlüssel wechseln (neuer Selektor, Signatur umstellen, alten Schlüssel entfernen)."}
			return &f
		}
	case "ed25519":
		if len(der) != 32 {
			return bad("An ed25519 key must be 32 bytes (RFC 8463).", "Ein ed25519-Schlüssel muss 32 Byte lang sein (RFC 8463).")
		}
		f.Found = "ed25519: " + truncate(recs[0], 80)
	default:
		return bad("Unknown key type k="+k+".", "Unbekannter Schlüsseltyp k="+k+".")
	}
	if strings.Contains(tags["t"], "y") {
		f.Status = StatusWarn
		f.Why = Text{"The key is in testing mode (t=y): receivers may treat its signatures like unsigned mail.",
			"Der Schlüssel ist im Testmodus (t=y): Empfänger können seine Signaturen wie unsignierte Mails behandeln."}
		f.Fix = Text{"Remove t=y once signing works.", "t=y entfernen, sobald die Signatur funktioniert."}
		return &f
	}
	f.Status = StatusOK
	f.Why = Text{"A valid DKIM public key is published; messages signed with this selector can be verified.",
		"Ein gültiger öffentlicher DKIM-Schlüssel ist veröffentlicht; mit diesem Selektor signierte Mails lassen sich prüfen."}
	return &f
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// ---- DMARC ----

// OrgDomain returns the organizational domain of d (RFC 7489 §3.2) using
// the public suffix list compiled into golang.org/x/net/publicsuffix. The
// DMARC check finds the policy by the DMARCbis DNS tree walk and uses this
// as a cross-check.
func OrgDomain(d string) string {
	o, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return d
	}
	return o
}

func dmarcRecords(txts []string) []string {
	var out []string
	for _, t := range txts {
		if len(t) >= 8 && strings.EqualFold(t[:8], "v=DMARC1") && (len(t) == 8 || t[8] == ';' || t[8] == ' ') {
			out = append(out, t)
		}
	}
	return out
}

// dmarcMaxQueries caps the DMARCbis DNS tree walk (RFC 9989 §4.10.1).
const dmarcMaxQueries = 8

// dmarcTargets returns the names the DMARCbis DNS tree walk queries for d,
// in order: d itself, then, if d has 8 or more labels, its 7 rightmost
// labels, then one label fewer each step down to the top-level domain.
// There are at most dmarcMaxQueries.
func dmarcTargets(d string) []string {
	labels := strings.Split(d, ".")
	out := []string{d}
	n := len(labels)
	if n >= dmarcMaxQueries {
		n = dmarcMaxQueries
	}
	for n--; n >= 1; n-- {
		out = append(out, strings.Join(labels[len(labels)-n:], "."))
	}
	return out
}

// dmarcWalk performs the DMARCbis DNS tree walk for d. It memoizes answers
// so the policy and organizational-domain walks ask each name once.
type dmarcWalk struct {
	r    Resolver
	d    string
	recs map[string][]string
}

// at returns the v=DMARC1 records at _dmarc.name.
func (w *dmarcWalk) at(ctx context.Context, name string) ([]string, error) {
	if recs, ok := w.recs[name]; ok {
		return recs, nil
	}
	txts, err := w.r.LookupTXT(ctx, "_dmarc."+name)
	if err != nil && !IsNotFound(err) {
		return nil, err
	}
	recs := dmarcRecords(txts)
	if w.recs == nil {
		w.recs = map[string][]string{}
	}
	w.recs[name] = recs
	return recs, nil
}

// policy returns the records of the first name in the walk that has any,
// and that name; none found gives (nil, d).
func (w *dmarcWalk) policy(ctx context.Context) ([]string, string, error) {
	for _, name := range dmarcTargets(w.d) {
		recs, err := w.at(ctx, name)
		if err != nil {
			return nil, "", err
		}
		if len(recs) > 0 {
			return recs, name, nil
		}
	}
	return nil, w.d, nil
}

// orgDomain returns the organizational domain by the DMARCbis tree walk
// (RFC 9989 §4.10.2): walking up from d, a record with psd=n makes its
// domain the organizational domain, one with psd=y makes it the domain
// one label below; otherwise it is the domain with the fewest labels that
// has a record, or d when none has.
func (w *dmarcWalk) orgDomain(ctx context.Context) (string, error) {
	org := w.d
	for _, name := range dmarcTargets(w.d) {
		recs, err := w.at(ctx, name)
		if err != nil {
			return "", err
		}
		if len(recs) != 1 {
			continue // none, or several (invalid, ignored)
		}
		_, tags := tagList(recs[0])
		switch strings.ToLower(tags["psd"]) {
		case "n":
			return name, nil
		case "y":
			if name == w.d {
				return w.d, nil
			}
			return strings.Join(strings.Split(w.d, ".")[strings.Count(w.d, ".")-strings.Count(name, ".")-1:], "."), nil
		}
		org = name
	}
	return org, nil
}

func (c *Checker) checkDMARC(ctx context.Context, d string) []Finding {
	w := &dmarcWalk{r: c.Resolver, d: d}
	recs, policyDomain, err := w.policy(ctx)
	if err != nil {
		return []Finding{unknownDNS("dmarc", err, preventsDMARC)}
	}
	inherited := policyDomain != d
	switch {
	case len(recs) == 0:
		return []Finding{{Check: "dmarc", Status: StatusFail, Found: "no v=DMARC1 TXT record at _dmarc." + d,
			Why: Text{"Gmail and Yahoo require a DMARC record (p=none is enough) from bulk senders, Microsoft from 2025 too; without it they reject or defer mail (Gmail 5.7.26/4.7.40).",
				"Gmail und Yahoo verlangen von Massenversendern einen DMARC-Eintrag (p=none genügt), Microsoft seit 2025 ebenfalls; ohne ihn werden Mails abgelehnt oder zurückgestellt (Gmail 5.7.26/4.7.40)."},
			Fix: Text{"Publish TXT at _dmarc." + d + ": \"v=DMARC1; p=none; rua=mailto:dmarc@" + d + "\", then move to quarantine/reject once the reports show all mail aligned.",
				"TXT an _dmarc." + d + " veröffentlichen: „v=DMARC1; p=none; rua=mailto:dmarc@" + d + "“, später auf quarantine/reject umstellen, wenn die Berichte zeigen, dass alle Mails passen."},
			Prevents: preventsDMARC}}
	case len(recs) > 1:
		return []Finding{{Check: "dmarc", Status: StatusFail, Found: strings.Join(recs, " | "),
			Why: Text{"More than one DMARC record: receivers ignore them all (RFC 7489 §6.6.3), as if there were none.",
				"Mehr als ein DMARC-Eintrag: Empfänger ignorieren alle (RFC 7489 §6.6.3), als gäbe es keinen."},
			Fix:      Text{"Keep exactly one v=DMARC1 record.", "Genau einen v=DMARC1-Eintrag behalten."},
			Prevents: preventsDMARC}}
	}
	rec := recs[0]
	keys, tags := tagList(rec)
	found := rec
	if inherited {
		kind := "parent domain"
		if org, err := w.orgDomain(ctx); err == nil && org == policyDomain {
			kind = "organizational domain"
		}
		found = "_dmarc." + policyDomain + " (" + kind + ", DMARCbis tree walk): " + rec
	}
	main := Finding{Check: "dmarc", Found: found, Prevents: preventsDMARC}
	p := strings.ToLower(tags["p"])
	if inherited && tags["sp"] != "" {
		p = strings.ToLower(tags["sp"])
	}
	switch p {
	case "reject", "quarantine":
		main.Status = StatusOK
		main.Why = Text{"DMARC is published at enforcement (p=" + p + "): receivers act on mail that fails authentication, and the bulk-sender rules are met.",
			"DMARC ist mit Durchsetzung veröffentlicht (p=" + p + "): Empfänger handeln bei Mails, die die Authentifizierung nicht bestehen; die Regeln für Massenversender sind erfüllt."}
	case "none":
		main.Status = StatusWarn
		main.Why = Text{"p=none meets the Gmail/Yahoo/Microsoft minimum but only monitors: forged mail in the domain's name is still delivered.",
			"p=none erfüllt das Minimum von Gmail/Yahoo/Microsoft, beobachtet aber nur: Gefälschte Mails im Namen der Domain werden weiter zugestellt."}
		main.Fix = Text{"Read the aggregate reports; when all legitimate mail passes aligned SPF or DKIM, move to p=quarantine, then p=reject.",
			"Die Sammelberichte auswerten; wenn alle echten Mails mit passendem SPF oder DKIM bestehen, auf p=quarantine und dann p=reject umstellen."}
	case "":
		main.Status = StatusWarn
		main.Why = Text{"The record has no p= tag; RFC 7489 treats it as p=none only when rua is valid, otherwise it is ignored.",
			"Dem Eintrag fehlt p=; RFC 7489 behandelt ihn nur bei gültigem rua wie p=none, sonst wird er ignoriert."}
		main.Fix = Text{"Add p=none (or quarantine/reject).", "p=none (oder quarantine/reject) ergänzen."}
	default:
		main.Status = StatusFail
		main.Why = Text{"p=" + p + " is not a valid policy (none, quarantine, reject).", "p=" + p + " ist keine gültige Richtlinie (none, quarantine, reject)."}
		main.Fix = Text{"Set p=none, quarantine or reject.", "p=none, quarantine oder reject setzen."}
	}
	if keys[0] != "v" || tags["v"] != "DMARC1" {
		main.Status = StatusFail
		main.Why = Text{"v=DMARC1 must be the first tag, exactly so written (RFC 7489 §6.4).", "v=DMARC1 muss das erste Tag sein, genau so geschrieben (RFC 7489 §6.4)."}
		main.Fix = Text{"Start the record with \"v=DMARC1;\".", "Den Eintrag mit „v=DMARC1;“ beginnen."}
	}
	fs := []Finding{main}
	// Tags: alignment modes, pct and the DMARCbis (RFC 9989) changes.
	var notesEN, notesDE []string
	st := StatusOK
	for _, k := range []string{"adkim", "aspf"} {
		if v, ok := tags[k]; ok && v != "r" && v != "s" {
			st = StatusWarn
			notesEN = append(notesEN, k+"="+v+" is invalid (r or s)")
			notesDE = append(notesDE, k+"="+v+" ist ungültig (r oder s)")
		}
	}
	if v, ok := tags["pct"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 100 {
			st = StatusWarn
			notesEN = append(notesEN, "pct="+v+" is not 0-100")
			notesDE = append(notesDE, "pct="+v+" liegt nicht zwischen 0 und 100")
		} else if n < 100 {
			st = StatusWarn
			notesEN = append(notesEN, fmt.Sprintf("pct=%d applies the policy to only part of the failing mail", n))
			notesDE = append(notesDE, fmt.Sprintf("pct=%d wendet die Richtlinie nur auf einen Teil der Mails an", n))
		}
	}
	for _, k := range []string{"pct", "rf", "ri"} {
		if _, ok := tags[k]; ok {
			if st == StatusOK {
				st = StatusWarn
			}
			notesEN = append(notesEN, k+"= was removed by DMARCbis (RFC 9989); receivers following it ignore the tag")
			notesDE = append(notesDE, k+"= wurde mit DMARCbis (RFC 9989) entfernt; Empfänger danach ignorieren das Tag")
		}
	}
	if len(notesEN) > 0 {
		fs = append(fs, Finding{Check: "dmarc.tags", Status: st, Found: rec,
			Why: Text{strings.Join(notesEN, "; ") + ".", strings.Join(notesDE, "; ") + "."},
			Fix: Text{"Use adkim/aspf r or s; replace pct<100 by the DMARCbis t=y (testing) tag or by full enforcement; drop rf and ri.",
				"adkim/aspf auf r oder s setzen; pct<100 durch das DMARCbis-Tag t=y (Test) oder volle Durchsetzung ersetzen; rf und ri streichen."},
			Prevents: preventsDMARC})
	}
	fs = append(fs, c.checkRUA(ctx, policyDomain, tags["rua"]))
	if f := orgCrossCheck(ctx, w); f != nil {
		fs = append(fs, *f)
	}
	return fs
}

// orgCrossCheck compares the organizational domain found by the DMARCbis
// tree walk with the public suffix list's; a difference is a warning,
// because receivers still on RFC 7489 apply another policy or alignment.
func orgCrossCheck(ctx context.Context, w *dmarcWalk) *Finding {
	tree, err := w.orgDomain(ctx)
	if err != nil {
		return nil // the walk's lookups failed; nothing to compare
	}
	psl := OrgDomain(w.d)
	if tree == psl {
		return nil
	}
	return &Finding{Check: "dmarc.orgdomain", Status: StatusWarn,
		Found: "DNS tree walk: " + tree + "; public suffix list: " + psl,
		Why: Text{"Receivers following DMARCbis (RFC 9989) find the organizational domain by the DNS tree walk, older RFC 7489 receivers by the public suffix list; here they disagree, so relaxed alignment and the inherited policy differ between receivers.",
			"Empfänger nach DMARCbis (RFC 9989) bestimmen die Organisationsdomain über die DNS-Baumsuche, ältere nach RFC 7489 über die Public Suffix List; hier weichen sie ab, daher unterscheiden sich lockere Ausrichtung und geerbte Richtlinie je nach Empfänger."},
		Fix: Text{"Publish a DMARC record at the organizational domain you mean (" + psl + " per the list), with psd=n if it sits below a public suffix; remove stray records on parent domains, or mark a public suffix with psd=y.",
			"Einen DMARC-Eintrag an der gemeinten Organisationsdomain veröffentlichen (" + psl + " laut Liste), mit psd=n, wenn sie unter einem öffentlichen Suffix liegt; verirrte Einträge an übergeordneten Domains entfernen oder ein öffentliches Suffix mit psd=y kennzeichnen."},
		Prevents: preventsDMARC}
}

// checkRUA checks the aggregate-report URIs and, for destinations outside
// the policy's organizational domain, their authorization record
// (RFC 7489 §7.1: <policy-domain>._report._dmarc.<destination>).
func (c *Checker) checkRUA(ctx context.Context, policyDomain, rua string) Finding {
	if rua == "" {
		return Finding{Check: "dmarc.rua", Status: StatusWarn, Found: "no rua",
			Why: Text{"Without rua you get no aggregate reports, so you cannot see who sends as your domain or whether mail aligns before tightening the policy.",
				"Ohne rua erhalten Sie keine Sammelberichte und sehen nicht, wer als Ihre Domain sendet oder ob Mails passen, bevor Sie die Richtlinie verschärfen."},
			Fix: Text{"Add rua=mailto:<a mailbox you read or a DMARC report service>.", "rua=mailto:<ein gelesenes Postfach oder ein DMARC-Berichtsdienst> ergänzen."}}
	}
	var problems []string
	st := StatusOK
	for _, u := range strings.Split(rua, ",") {
		u = strings.TrimSpace(u)
		addr, ok := strings.CutPrefix(strings.ToLower(u), "mailto:")
		if !ok {
			if !strings.HasPrefix(strings.ToLower(u), "https:") {
				st = StatusWarn
				problems = append(problems, u+": not a mailto: URI")
			}
			continue
		}
		if i := strings.IndexByte(addr, '!'); i >= 0 {
			addr = addr[:i]
		}
		_, dest, ok := strings.Cut(addr, "@")
		if !ok || dest == "" {
			st = StatusWarn
			problems = append(problems, u+": no domain")
			continue
		}
		if OrgDomain(dest) == OrgDomain(policyDomain) {
			continue
		}
		name := policyDomain + "._report._dmarc." + dest
		txts, err := c.Resolver.LookupTXT(ctx, name)
		if err != nil && !IsNotFound(err) {
			if st == StatusOK {
				st = StatusUnknown
			}
			problems = append(problems, name+": "+err.Error())
			continue
		}
		if len(dmarcRecords(txts)) == 0 {
			st = StatusWarn
			problems = append(problems, dest+" has not authorized reports for "+policyDomain+" (no v=DMARC1 at "+name+")")
		}
	}
	if len(problems) == 0 {
		return Finding{Check: "dmarc.rua", Status: StatusOK, Found: rua,
			Why: Text{"Aggregate reports are requested and every external destination has authorized them.",
				"Sammelberichte sind angefordert, und jedes externe Ziel hat sie freigegeben."}}
	}
	return Finding{Check: "dmarc.rua", Status: st, Found: strings.Join(problems, "; "),
		Why: Text{"Receivers send reports to a destination outside your domain only when it publishes an authorization record (RFC 7489 §7.1); otherwise the reports are dropped.",
			"Empfänger senden Berichte an ein Ziel außerhalb Ihrer Domain nur, wenn es einen Freigabe-Eintrag veröffentlicht (RFC 7489 §7.1); sonst entfallen die Berichte."},
		Fix: Text{"Ask the report destination to publish TXT \"v=DMARC1\" at <your domain>._report._dmarc.<their domain>, or correct the rua address.",
			"Das Berichtsziel bitten, TXT „v=DMARC1“ an <Ihre Domain>._report._dmarc.<deren Domain> zu veröffentlichen, oder die rua-Adresse korrigieren."}}
}

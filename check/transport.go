package check

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// ErrPrivateTarget is returned when a fetch would reach a private,
// loopback or link-local address (SSRF guard).
var ErrPrivateTarget = errors.New("check: refusing to connect to a non-public address")

// MTASTSPolicy is a parsed MTA-STS policy file (RFC 8461 §3.2).
type MTASTSPolicy struct {
	Version string   `json:"version"`
	Mode    string   `json:"mode"`
	MX      []string `json:"mx"`
	MaxAge  int      `json:"max_age"`
}

// ParseMTASTSPolicy parses a policy file.
func ParseMTASTSPolicy(s string) (*MTASTSPolicy, error) {
	p := &MTASTSPolicy{MaxAge: -1}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return p, fmt.Errorf("mta-sts: bad line %q", line)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "version":
			p.Version = v
		case "mode":
			p.Mode = v
		case "mx":
			p.MX = append(p.MX, strings.ToLower(v))
		case "max_age":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 31557600 {
				return p, fmt.Errorf("mta-sts: bad max_age %q", v)
			}
			p.MaxAge = n
		}
	}
	switch {
	case p.Version != "STSv1":
		return p, errors.New(`mta-sts: version is not "STSv1"`)
	case p.Mode != "enforce" && p.Mode != "testing" && p.Mode != "none":
		return p, fmt.Errorf("mta-sts: bad mode %q", p.Mode)
	case p.MaxAge < 0:
		return p, errors.New("mta-sts: max_age missing")
	case p.Mode != "none" && len(p.MX) == 0:
		return p, errors.New("mta-sts: no mx lines")
	}
	return p, nil
}

// Matches reports whether host matches an mx pattern of the policy
// ("*.example.com" matches exactly one leftmost label).
func (p *MTASTSPolicy) Matches(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, pat := range p.MX {
		if rest, ok := strings.CutPrefix(pat, "*."); ok {
			if i := strings.IndexByte(host, '.'); i > 0 && host[i+1:] == rest {
				return true
			}
		} else if pat == host {
			return true
		}
	}
	return false
}

// httpClient returns the client for policy fetches.
func (c *Checker) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			ips, err := c.resolveHost(ctx, host)
			if err != nil {
				return nil, err
			}
			var last error = ErrPrivateTarget
			for _, ip := range ips {
				if !c.AllowPrivate && !isPublic(ip) {
					continue
				}
				conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
				if err == nil {
					return conn, nil
				}
				last = err
			}
			return nil, last
		},
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 5 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return errors.New("redirects are not allowed (RFC 8461 §3.3)")
		}}
}

func (c *Checker) resolveHost(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	a, errA := c.Resolver.LookupA(ctx, host)
	b, errB := c.Resolver.LookupAAAA(ctx, host)
	if len(a)+len(b) == 0 {
		if errA != nil {
			return nil, errA
		}
		if errB != nil {
			return nil, errB
		}
		return nil, fmt.Errorf("%s has no address", host)
	}
	return append(a, b...), nil
}

// fetchPolicy GETs https://mta-sts.<d>/.well-known/mta-sts.txt.
func (c *Checker) fetchPolicy(ctx context.Context, d string) (string, error) {
	host := "mta-sts." + d
	ips, err := c.resolveHost(ctx, host)
	if err != nil {
		return "", err
	}
	if !c.AllowPrivate {
		for _, ip := range ips {
			if !isPublic(ip) {
				return "", fmt.Errorf("%s resolves to %s: %w", host, ip, ErrPrivateTarget)
			}
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+host+"/.well-known/mta-sts.txt", nil)
	if err != nil {
		return "", err
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return string(b), err
}

func (c *Checker) checkMTASTS(ctx context.Context, d string, mxHosts func() []string) []Finding {
	name := "_mta-sts." + d
	txts, err := c.Resolver.LookupTXT(ctx, name)
	if err != nil && !IsNotFound(err) {
		return []Finding{unknownDNS("mta-sts", err, preventsTLS)}
	}
	var recs []string
	for _, t := range txts {
		if strings.HasPrefix(t, "v=STSv1") {
			recs = append(recs, t)
		}
	}
	fixText := Text{"Publish TXT at _mta-sts." + d + " \"v=STSv1; id=<changes with every policy update>\" and serve the policy at https://mta-sts." + d + "/.well-known/mta-sts.txt (valid certificate, no redirect).",
		"TXT an _mta-sts." + d + " „v=STSv1; id=<ändert sich mit jeder Richtlinie>“ veröffentlichen und die Richtlinie unter https://mta-sts." + d + "/.well-known/mta-sts.txt ausliefern (gültiges Zertifikat, keine Weiterleitung)."}
	switch len(recs) {
	case 0:
		return []Finding{{Check: "mta-sts", Status: StatusWarn, Found: "no v=STSv1 TXT at " + name,
			Why: Text{"MTA-STS (RFC 8461) is optional; without it senders deliver to the domain over TLS only opportunistically, open to downgrade attacks.",
				"MTA-STS (RFC 8461) ist optional; ohne es liefern Absender nur opportunistisch per TLS an die Domain, anfällig für Downgrade-Angriffe."},
			Fix: fixText}}
	case 1:
	default:
		return []Finding{{Check: "mta-sts", Status: StatusFail, Found: strings.Join(recs, " | "),
			Why: Text{"More than one MTA-STS record: senders treat the domain as having no policy (RFC 8461 §3.1).",
				"Mehr als ein MTA-STS-Eintrag: Absender behandeln die Domain, als gäbe es keine Richtlinie (RFC 8461 §3.1)."},
			Fix: fixText, Prevents: preventsTLS}}
	}
	_, tags := tagList(recs[0])
	if id := tags["id"]; len(id) < 1 || len(id) > 32 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
		return []Finding{{Check: "mta-sts", Status: StatusFail, Found: recs[0],
			Why: Text{"id= must be 1 to 32 letters or digits (RFC 8461 §3.1).", "id= muss aus 1 bis 32 Buchstaben oder Ziffern bestehen (RFC 8461 §3.1)."},
			Fix: fixText, Prevents: preventsTLS}}
	}
	body, err := c.fetchPolicy(ctx, d)
	if err != nil {
		return []Finding{{Check: "mta-sts", Status: StatusFail, Found: recs[0] + "; policy fetch: " + err.Error(),
			Why: Text{"The TXT record announces a policy that cannot be fetched; senders that cached an earlier policy keep enforcing it, others ignore MTA-STS.",
				"Der TXT-Eintrag kündigt eine Richtlinie an, die sich nicht abrufen lässt; Absender mit einer älteren zwischengespeicherten Richtlinie setzen diese weiter durch, andere ignorieren MTA-STS."},
			Fix: fixText, Prevents: preventsTLS}}
	}
	pol, err := ParseMTASTSPolicy(body)
	if err != nil {
		return []Finding{{Check: "mta-sts", Status: StatusFail, Found: err.Error(),
			Why: Text{"The policy file is invalid, so senders ignore it.", "Die Richtliniendatei ist ungültig; Absender ignorieren sie."},
			Fix: fixText, Prevents: preventsTLS}}
	}
	found := fmt.Sprintf("mode=%s max_age=%d mx=%s", pol.Mode, pol.MaxAge, strings.Join(pol.MX, ","))
	if pol.Mode != "none" {
		var miss []string
		for _, h := range mxHosts() {
			if h != "" && !pol.Matches(h) {
				miss = append(miss, h)
			}
		}
		if len(miss) > 0 {
			st := StatusWarn
			if pol.Mode == "enforce" {
				st = StatusFail
			}
			return []Finding{{Check: "mta-sts", Status: st, Found: found + "; MX not covered: " + strings.Join(miss, ", "),
				Why: Text{"Senders that enforce the policy refuse to deliver to MX hosts it does not list.",
					"Absender, die die Richtlinie durchsetzen, liefern nicht an MX-Hosts, die sie nicht nennt."},
				Fix: Text{"Add an mx: line for every MX host (wildcards like *.example.com allowed) and change the TXT id.",
					"Für jeden MX-Host eine mx:-Zeile ergänzen (Platzhalter wie *.example.com erlaubt) und die TXT-id ändern."},
				Prevents: preventsTLS}}
		}
	}
	if pol.Mode != "enforce" {
		return []Finding{{Check: "mta-sts", Status: StatusWarn, Found: found,
			Why: Text{"The policy is valid but in mode " + pol.Mode + ": senders report TLS failures but still deliver without TLS.",
				"Die Richtlinie ist gültig, aber im Modus " + pol.Mode + ": Absender melden TLS-Fehler, liefern aber weiter ohne TLS."},
			Fix: Text{"Switch to mode: enforce once TLS-RPT reports show no failures.", "Auf mode: enforce umstellen, wenn die TLS-RPT-Berichte keine Fehler zeigen."}}}
	}
	return []Finding{{Check: "mta-sts", Status: StatusOK, Found: found,
		Why: Text{"MTA-STS is enforced: senders deliver only over TLS with a valid certificate to the listed MX hosts.",
			"MTA-STS wird durchgesetzt: Absender liefern nur per TLS mit gültigem Zertifikat an die genannten MX-Hosts."},
		Prevents: preventsTLS}}
}

func (c *Checker) checkTLSRPT(ctx context.Context, d string) []Finding {
	name := "_smtp._tls." + d
	txts, err := c.Resolver.LookupTXT(ctx, name)
	if err != nil && !IsNotFound(err) {
		return []Finding{unknownDNS("tls-rpt", err, nil)}
	}
	var recs []string
	for _, t := range txts {
		if strings.HasPrefix(t, "v=TLSRPTv1") {
			recs = append(recs, t)
		}
	}
	fix := Text{"Publish TXT at " + name + ": \"v=TLSRPTv1; rua=mailto:tls-reports@" + d + "\".",
		"TXT an " + name + " veröffentlichen: „v=TLSRPTv1; rua=mailto:tls-reports@" + d + "“."}
	switch len(recs) {
	case 0:
		return []Finding{{Check: "tls-rpt", Status: StatusWarn, Found: "no v=TLSRPTv1 TXT at " + name,
			Why: Text{"TLS-RPT (RFC 8460) is optional; without it you do not learn when senders fail to reach your MX over TLS.",
				"TLS-RPT (RFC 8460) ist optional; ohne es erfahren Sie nicht, wenn Absender Ihren MX nicht per TLS erreichen."},
			Fix: fix}}
	case 1:
	default:
		return []Finding{{Check: "tls-rpt", Status: StatusFail, Found: strings.Join(recs, " | "),
			Why: Text{"More than one TLS-RPT record: senders send no reports (RFC 8460 §3).", "Mehr als ein TLS-RPT-Eintrag: Absender senden keine Berichte (RFC 8460 §3)."},
			Fix: fix}}
	}
	_, tags := tagList(recs[0])
	ok := false
	for _, u := range strings.Split(tags["rua"], ",") {
		u = strings.ToLower(strings.TrimSpace(u))
		if strings.HasPrefix(u, "mailto:") || strings.HasPrefix(u, "https:") {
			ok = true
		}
	}
	if !ok {
		return []Finding{{Check: "tls-rpt", Status: StatusFail, Found: recs[0],
			Why: Text{"rua= must name a mailto: or https: destination (RFC 8460 §3).", "rua= muss ein mailto:- oder https:-Ziel nennen (RFC 8460 §3)."},
			Fix: fix}}
	}
	return []Finding{{Check: "tls-rpt", Status: StatusOK, Found: recs[0],
		Why: Text{"Senders report TLS delivery failures to the given address.", "Absender melden TLS-Zustellfehler an die angegebene Adresse."}}}
}

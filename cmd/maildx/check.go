package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/maildx/maildx/check"
	"github.com/spf13/cobra"
)

// checkLabels holds the fixed words of the check output.
var checkLabels = map[string]map[string]string{
	"en": {"found": "found", "why": "why", "fix": "fix", "suggest": "did you mean", "summary": "%d ok, %d warnings, %d failed, %d unknown"},
	"de": {"found": "gefunden", "why": "warum", "fix": "was tun", "suggest": "gemeint war vielleicht", "summary": "%d in Ordnung, %d Warnungen, %d fehlgeschlagen, %d unbekannt"},
}

// checkIcon is the checklist mark of a status.
func checkIcon(s check.Status) string {
	switch s {
	case check.StatusOK:
		return "✓"
	case check.StatusWarn:
		return "⚠"
	case check.StatusFail:
		return "✗"
	}
	return "?"
}

// checkFlags are the flags both check subcommands share.
type checkFlags struct {
	asJSON       bool
	lang         string
	resolver     string
	timeout      time.Duration
	allowPrivate bool
}

func (f *checkFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.asJSON, "json", false, "print the findings as JSON")
	fl.StringVar(&f.resolver, "resolver", "", "DNS resolver HOST:PORT (default: the nameservers of /etc/resolv.conf)")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Second, "upper bound for all DNS lookups of one check")
	fl.BoolVar(&f.allowPrivate, "allow-private-targets", false, "let MTA-STS fetches and probes reach private/loopback addresses (tests only)")
	_ = fl.MarkHidden("allow-private-targets")
	addLangFlag(cmd, &f.lang)
}

// checker builds a Checker from the flags.
func (f *checkFlags) checker() (*check.Checker, error) {
	r := &check.DNSResolver{Timeout: 2 * time.Second}
	if f.resolver != "" {
		host, port, err := net.SplitHostPort(f.resolver)
		if err != nil {
			host, port = f.resolver, "53"
		}
		if host == "" {
			return nil, usagef("--resolver must be HOST:PORT, not %q", f.resolver)
		}
		r.Servers = []string{net.JoinHostPort(host, port)}
	}
	if f.timeout <= 0 {
		return nil, usagef("--timeout must be positive")
	}
	return &check.Checker{Resolver: check.NewCachingResolver(r), Timeout: f.timeout, AllowPrivate: f.allowPrivate}, nil
}

func (a *app) checkCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check a sending domain's DNS or recipient addresses before errors happen",
		Long: `Check the DNS setup of a sending domain (check domain) or recipient
addresses (check address). Every finding says what was found, why it matters,
how to fix it, and which delivery errors (knowledge-base entries) it prevents.

Exit status: 0 when no check failed (warnings and unknown results included),
1 when at least one finding is "fail" (domain) or an address failed,
2 on a usage error.`,
	}
	cmd.AddCommand(a.checkDomainCmd(), a.checkAddressCmd())
	return cmd
}

func (a *app) checkDomainCmd() *cobra.Command {
	var (
		cf        checkFlags
		ipFlag    string
		selectors []string
		esp       string
		dnsbls    []string
	)
	cmd := &cobra.Command{
		Use:   "domain [--json] [--ip IP] [--dkim-selector S]... [--esp NAME] DOMAIN",
		Short: "Check MX, SPF, DKIM, DMARC, PTR, blocklists, MTA-STS, DANE, TLS-RPT and BIMI of a domain",
		Long: `Check the DNS records that decide whether mail from (and to) DOMAIN is
accepted: MX (null MX, implicit MX, MX pointing at a CNAME or an IP), SPF
(syntax, one record, the 10-lookup and 2-void-lookup limits counted through
nested includes, +all/?all, ptr), DKIM keys (given selectors or common ones:
presence, parse, key size), DMARC (RFC 7489 with the DMARCbis changes as
warnings, organizational-domain fallback via the public suffix list, rua
authorization), MTA-STS (TXT and the HTTPS policy), DANE (TLSA records at
_25._tcp of each MX host: syntax, and whether the resolver marked the
answer DNSSEC-validated), TLS-RPT, BIMI (the
default._bimi record and its DMARC-at-enforcement prerequisite; the logo is
not fetched), and a Gmail/Yahoo/Microsoft bulk-sender readiness summary.

With --ip: SPF check_host for that IP, PTR with forward confirmation, and
DNS blocklists (RFC 5782 test-point health check first; Spamhaus
"query refused" answers 127.255.255.x count as unknown, not listed).
With --esp: the records that provider's setup guide asks for.

Lookups run concurrently, each query bounded by 2 s, the whole check by
--timeout; unanswered checks are reported as unknown.

Exit status: 0 no finding failed, 1 at least one failed, 2 usage error.`,
		Example: `  maildx check domain example.com
  maildx check domain --ip 192.0.2.10 --dkim-selector s1 --esp mailgun mg.example.com
  maildx check domain --json --lang de example.com`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			lang, err := a.resolveLang(cf.lang)
			if err != nil {
				return err
			}
			c, err := cf.checker()
			if err != nil {
				return err
			}
			var opt check.DomainOptions
			if ipFlag != "" {
				ip, err := netip.ParseAddr(ipFlag)
				if err != nil {
					return usagef("--ip: %q is not an IP address", ipFlag)
				}
				opt.IP = ip
			}
			if esp != "" {
				ok := false
				for _, e := range check.ESPs() {
					ok = ok || e == strings.ToLower(esp)
				}
				if !ok {
					return usagef("--esp must be one of %s, not %q", strings.Join(check.ESPs(), ", "), esp)
				}
				opt.ESP = strings.ToLower(esp)
			}
			opt.DKIMSelectors = selectors
			if cmd.Flags().Changed("dnsbl") {
				c.DNSBLs = dnsbls
			}
			if _, err := check.NormalizeDomain(argv[0]); err != nil {
				return usagef("%v", err)
			}
			rep, err := c.Domain(context.Background(), argv[0], opt)
			if err != nil {
				return usagef("%v", err)
			}
			if cf.asJSON {
				if err := writeJSON(a.stdout, rep.Findings); err != nil {
					return err
				}
			} else {
				writeChecklist(a.stdout, rep.Domain, rep.Findings, lang)
			}
			if anyFail(rep.Findings) {
				return exitError{exitPartial}
			}
			return nil
		},
	}
	cf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&ipFlag, "ip", "", "sending IP address: SPF check_host, PTR/FCrDNS and blocklists")
	f.StringArrayVar(&selectors, "dkim-selector", nil, "DKIM selector to check (repeatable; default: common selectors)")
	f.StringVar(&esp, "esp", "", "check the records of an ESP: "+strings.Join(check.ESPs(), ", "))
	f.StringArrayVar(&dnsbls, "dnsbl", nil, "blocklist zone for --ip (repeatable; default: "+strings.Join(check.DefaultDNSBLs, ", ")+")")
	return cmd
}

func anyFail(fs []check.Finding) bool {
	for _, f := range fs {
		if f.Status == check.StatusFail {
			return true
		}
	}
	return false
}

// writeChecklist prints findings as a checklist: mark, check, found; why
// and fix for anything not ok.
func writeChecklist(w io.Writer, title string, fs []check.Finding, lang string) {
	l := checkLabels[lang]
	fmt.Fprintln(w, title)
	var n [4]int
	for _, f := range fs {
		switch f.Status {
		case check.StatusOK:
			n[0]++
		case check.StatusWarn:
			n[1]++
		case check.StatusFail:
			n[2]++
		default:
			n[3]++
		}
		writeWrapped(w, f.Found, fmt.Sprintf("  %s %-22s ", checkIcon(f.Status), f.Check), strings.Repeat(" ", 27))
		if f.Status == check.StatusOK {
			continue
		}
		writeWrapped(w, f.Why.Get(lang), "      "+l["why"]+": ", "        ")
		if fix := f.Fix.Get(lang); fix != "" {
			writeWrapped(w, fix, "      "+l["fix"]+": ", "        ")
		}
	}
	fmt.Fprintf(w, "  "+l["summary"]+"\n", n[0], n[1], n[2], n[3])
}

// probeDial replaces the probe's TCP dialer in tests (which map port 25
// onto a local test server); nil in the program.
var probeDial func(ctx context.Context, network, addr string) (net.Conn, error)

// probeRootCAs replaces the system roots for the probe's STARTTLS
// certificate check in tests; nil in the program.
var probeRootCAs *x509.CertPool

func (a *app) checkAddressCmd() *cobra.Command {
	var (
		cf           checkFlags
		lines, probe bool
		po           check.ProbeOptions
		preflight    bool
		sourceIP     string
		dnsbls       []string
	)
	cmd := &cobra.Command{
		Use:   "address [--json] [--lines] [--probe [--helo NAME] [--mail-from ADDR] [--preflight --source-ip IP]] ADDRESS...",
		Short: "Check recipient addresses: syntax, typos, disposable/free/role, domain and MX",
		Long: `Check each ADDRESS: syntax per RFC 5321/5322 with the length limits
(local part 64, domain 255, address 254 octets), quoted local parts, IDN
domains (converted to punycode) and UTF-8 local parts (SMTPUTF8); typo
suggestions for common mail domains (gmial.com → gmail.com); disposable,
free-mail and role-account flags from the shipped lists (sources and
licences in check/data/README.md); domain existence and MX.
DNS answers are cached per domain.

With --lines, addresses are read from stdin, one per line, and results are
written as they come (JSON Lines with --json; otherwise one tab-separated
line: number, status, address, suggestion, flags).

--probe also asks the recipient's mail server (lowest-preference MX, port
25 only, public addresses only) with EHLO, MAIL FROM:<> (or --mail-from)
and RCPT TO, then RCPT TO a random address at the same domain to detect
catch-all servers, then RSET and QUIT. It never sends DATA. When the
server lists STARTTLS in its EHLO reply, the probe upgrades the session
(TLS, server name = the MX host) before MAIL FROM and reports the TLS
version and whether the certificate is valid for the MX name (finding
probe.starttls: ok verified; warn when not offered, refused, failing or
not verifying; a failed handshake is retried in plain text). A temporary
(4xx) answer is retried once after --greylist-delay. The result is
"deliverable" only when the server accepted the address and refused the
random one; it is "undeliverable" when the server refused the address as
unknown or disabled, and "unknown" otherwise (catch-all, greylisted twice,
timeouts, policy blocks, connection refused). Yahoo/AOL, Microsoft consumer
(Outlook.com, Hotmail, Live) and Gmail MX hosts are not probed: they accept
every address or block probes. Use --helo with this host's real name
(forward-confirmed reverse DNS); many networks block outgoing port 25.

--preflight (with --probe) first audits the probing host, whose public
address cannot be found offline, so it is given with --source-ip:
PTR of that IP with forward confirmation, the --helo name resolving to
it, and the IP on the blocklists (--dnsbl, default as for check domain).
The findings (preflight.ptr, preflight.helo, preflight.dnsbl:ZONE) come
first: a checklist, or with --json {"preflight": [...], "results":
[...]} (with --lines a first line {"preflight": [...]}). The probes run
whatever the preflight finds; a failed preflight finding makes the exit
status 1.

Exit status: 0 no address failed, 1 at least one failed (invalid syntax,
domain missing or accepting no mail) or a preflight finding failed, 2
usage error.`,
		Example: `  maildx check address anna@gmial.com info@example.com
  maildx check address --json "\"john doe\"@example.com"
  maildx check address --lines --json < list.txt
  maildx check address --probe --helo mx.example.org --preflight --source-ip 192.0.2.25 anna@example.net`,
		RunE: func(cmd *cobra.Command, argv []string) error {
			lang, err := a.resolveLang(cf.lang)
			if err != nil {
				return err
			}
			if !probe {
				for _, f := range []string{"helo", "mail-from", "probe-timeout", "greylist-delay", "preflight", "source-ip", "dnsbl"} {
					if cmd.Flags().Changed(f) {
						return usagef("--%s needs --probe", f)
					}
				}
			}
			if probe {
				if po.Timeout <= 0 || po.GreylistDelay <= 0 {
					return usagef("--probe-timeout and --greylist-delay must be positive")
				}
				if po.MailFrom != "" {
					if _, err := check.ParseAddress(po.MailFrom); err != nil {
						return usagef("--mail-from: %v", err)
					}
				}
				if po.HELO == "" || strings.ContainsAny(po.HELO, " \t\r\n<>") {
					return usagef("--helo must be a host name")
				}
				po.Dial, po.RootCAs = probeDial, probeRootCAs
				fmt.Fprintln(a.stderr, "maildx: note:", check.ProbeNotice.Get(lang))
			}
			var srcIP netip.Addr
			switch {
			case preflight && sourceIP == "":
				return usagef("--preflight needs --source-ip: this host's public address cannot be found offline")
			case !preflight && (sourceIP != "" || cmd.Flags().Changed("dnsbl")):
				return usagef("--source-ip and --dnsbl need --preflight")
			case preflight:
				if srcIP, err = netip.ParseAddr(sourceIP); err != nil {
					return usagef("--source-ip: %q is not an IP address", sourceIP)
				}
			}
			if lines && len(argv) > 0 {
				return usagef("--lines reads stdin; do not give ADDRESS arguments")
			}
			if !lines && len(argv) == 0 {
				return usagef("give at least one ADDRESS, or --lines to read stdin")
			}
			c, err := cf.checker()
			if err != nil {
				return err
			}
			ctx := context.Background()
			failed := false
			var pre []check.Finding
			if preflight {
				if cmd.Flags().Changed("dnsbl") {
					c.DNSBLs = dnsbls
				}
				if pre, err = c.Preflight(ctx, check.PreflightOptions{SourceIP: srcIP, HELO: po.HELO}); err != nil {
					return usagef("%v", err)
				}
				failed = anyFail(pre)
				switch {
				case cf.asJSON && lines:
					enc := json.NewEncoder(a.stdout)
					enc.SetEscapeHTML(false)
					if err := enc.Encode(map[string][]check.Finding{"preflight": pre}); err != nil {
						return err
					}
				case !cf.asJSON:
					writeChecklist(a.stdout, "preflight "+srcIP.String()+" (EHLO "+po.HELO+")", pre, lang)
					fmt.Fprintln(a.stdout)
				}
			}
			if lines {
				var popt *check.ProbeOptions
				if probe {
					popt = &po
				}
				lfailed, err := a.checkAddressLines(ctx, c, cf.asJSON, cf.timeout, popt)
				if err != nil {
					return err
				}
				failed = failed || lfailed
			} else {
				results := make([]check.AddressResult, 0, len(argv))
				for _, s := range argv {
					r := checkOne(ctx, c, s, cf.timeout, probe, &po)
					failed = failed || r.Status == check.StatusFail
					results = append(results, r)
				}
				if cf.asJSON {
					var v any = results
					if preflight {
						v = struct {
							Preflight []check.Finding       `json:"preflight"`
							Results   []check.AddressResult `json:"results"`
						}{pre, results}
					}
					if err := writeJSON(a.stdout, v); err != nil {
						return err
					}
				} else {
					for i, r := range results {
						if i > 0 {
							fmt.Fprintln(a.stdout)
						}
						title := checkIcon(r.Status) + " " + r.Input
						if r.Suggestion != "" {
							title += "  (" + checkLabels[lang]["suggest"] + " " + r.Suggestion + "?)"
						}
						writeChecklist(a.stdout, title, r.Findings, lang)
					}
				}
			}
			if failed {
				return exitError{exitPartial}
			}
			return nil
		},
	}
	cf.register(cmd)
	cmd.Flags().BoolVar(&lines, "lines", false, "read addresses from stdin, one per line, and stream the results")
	fl := cmd.Flags()
	fl.BoolVar(&probe, "probe", false, "also ask the recipient's MX with RCPT TO (no message is sent)")
	fl.StringVar(&po.HELO, "helo", defaultHELO(), "EHLO name for --probe (use this host's name with reverse DNS)")
	fl.StringVar(&po.MailFrom, "mail-from", "", "MAIL FROM address for --probe (default: the null path <>)")
	fl.DurationVar(&po.Timeout, "probe-timeout", 10*time.Second, "--probe: bound for the connect and every SMTP command")
	fl.DurationVar(&po.GreylistDelay, "greylist-delay", 60*time.Second, "--probe: wait before the one retry after a 4xx answer")
	fl.BoolVar(&preflight, "preflight", false, "--probe: first audit this host (needs --source-ip): PTR, EHLO name, blocklists")
	fl.StringVar(&sourceIP, "source-ip", "", "--preflight: the public IP address this host probes from")
	fl.StringArrayVar(&dnsbls, "dnsbl", nil, "--preflight: blocklist zone (repeatable; default: "+strings.Join(check.DefaultDNSBLs, ", ")+")")
	return cmd
}

// defaultHELO is the host name when it is fully qualified, else "localhost".
func defaultHELO() string {
	h, err := os.Hostname()
	if err != nil || !strings.Contains(h, ".") {
		return "localhost"
	}
	return h
}

// checkOne checks one address, with the probe when asked. The DNS part is
// bounded by timeout; the probe by its own per-command timeouts.
func checkOne(ctx context.Context, c *check.Checker, s string, timeout time.Duration, probe bool, po *check.ProbeOptions) check.AddressResult {
	if !probe {
		tctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return c.Address(tctx, s)
	}
	// The probe may wait for the greylisting retry: allow for it.
	tctx, cancel := context.WithTimeout(ctx, timeout+po.GreylistDelay+10*po.Timeout)
	defer cancel()
	return c.AddressProbe(tctx, s, *po)
}

// checkAddressLines streams stdin: one result per line.
func (a *app) checkAddressLines(ctx context.Context, c *check.Checker, asJSON bool, timeout time.Duration, po *check.ProbeOptions) (bool, error) {
	sc := bufio.NewScanner(a.stdin)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	w := bufio.NewWriterSize(a.stdout, 64<<10)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	failed := false
	n := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		n++
		var r check.AddressResult
		if po != nil {
			r = checkOne(ctx, c, line, timeout, true, po)
		} else {
			r = checkOne(ctx, c, line, timeout, false, nil)
		}
		failed = failed || r.Status == check.StatusFail
		if asJSON {
			if err := enc.Encode(r); err != nil {
				return failed, err
			}
			continue
		}
		var flags []string
		for _, f := range []struct {
			on   bool
			name string
		}{{r.Disposable, "disposable"}, {r.Free, "free"}, {r.Role, "role"}, {r.SMTPUTF8, "smtputf8"}} {
			if f.on {
				flags = append(flags, f.name)
			}
		}
		if r.Probe != nil {
			flags = append(flags, "probe="+r.Probe.Result+"/"+r.Probe.Reason)
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", n, r.Status, r.Input, r.Suggestion, strings.Join(flags, ","))
	}
	if err := sc.Err(); err != nil {
		return failed, fmt.Errorf("reading stdin: %w", err)
	}
	return failed, w.Flush()
}

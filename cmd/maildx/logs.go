package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/maildx/maildx/internal/events"
	"github.com/maildx/maildx/maillog"
	"github.com/maildx/maildx/store"
	"github.com/spf13/cobra"
)

func (a *app) logsCmd() *cobra.Command {
	var (
		asJSON, all, follow bool
		since, until, lang  string
		db                  string
	)
	cmd := &cobra.Command{
		Use:   "logs [--json] [--all] [--since T] [--until T] [--follow] [--store DB] [--lang de|en] PATH...",
		Short: "Find failed and deferred deliveries in Postfix, Exim and Sendmail logs",
		Long: `Read mail server logs – Postfix, Exim (main log) and Sendmail – and show, per
recipient, every delivery that failed: bounced, deferred, expired (the MTA
gave up) and rejected (refused at SMTP time, e.g. NOQUEUE: reject), each with
the diagnosis of 'maildx explain'. With --all, sent deliveries are shown too.

PATH is a log file, a gzip-compressed rotated file (recognised by its
content), or - for stdin. Several files are read oldest first, as logrotate
names them: mail.log.3.gz, mail.log.2.gz, mail.log.1, then mail.log. Lines are
joined by queue id across the files; a message whose from= line is missing
still yields its outcomes. Lines that are not understood are skipped and
counted. Classic syslog timestamps have no year: it is taken from the file's
modification time (a December line in a file written in January belongs to
the year before).

--since and --until take RFC 3339 (2025-01-02T15:04:05+01:00), a date
(2025-01-02, local midnight) or a duration back from now (90m, 24h, 7d).
--follow keeps reading the last PATH as it grows, across rotation and
truncation, until interrupted.

Output: a table (time, status, recipient, reason, action, title), or with
--json one JSON object per line (JSON Lines) with the fields:
  time, mta, host, instance, queue_id, sender, recipient, orig_recipient,
  relay_host, relay_ip, transport, router, status (bounced, deferred,
  expired, rejected, sent), dsn, reply_code, text (what the remote server
  said), command, attempts (delivery lines seen for this queue id and
  recipient), file, line, diagnosis (the object of 'maildx explain --json').
They are documented in docs/logs.md. At the end a summary goes to stderr:
lines read, lines not understood, outcomes by status and by reason, and
the top 10 recipient domains and relays by failures.

--store DB also writes the outcomes shown (with --all the sent ones too)
into the event store DB (a SQLite file or a postgres:// URL; see
'maildx events') as delivery events: provider postfix, exim or sendmail;
sent → delivered, deferred → deferred, bounced and expired → bounced,
rejected → dropped. An outcome is stored once however often the log is
read (its ID is a hash of queue id, recipient, status and time). Stored
failures feed the suppression list (docs/events.md).

Exit status: 0 success, 1 a file could not be read (the others still are),
2 usage error.`,
		Example: `  maildx logs /var/log/mail.log
  maildx logs --json --since 24h /var/log/mail.log*
  journalctl -u postfix -o short-iso | maildx logs -
  maildx logs --follow --lang de /var/log/mail.log`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, paths []string) error {
			lang, err := a.resolveLang(lang)
			if err != nil {
				return err
			}
			now := time.Now()
			from, err := parseWhen(since, now)
			if err != nil {
				return usagef("--since: %v", err)
			}
			to, err := parseWhen(until, now)
			if err != nil {
				return usagef("--until: %v", err)
			}
			paths = maillog.SortFiles(paths)
			if follow && paths[len(paths)-1] == "-" {
				return usagef("--follow needs a file; stdin is read until it ends anyway")
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			if follow {
				var stop context.CancelFunc
				ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
				defer stop()
			}
			return a.runLogs(ctx, paths, logsOptions{json: asJSON, all: all, follow: follow, since: from, until: to, lang: lang, store: db})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print one JSON object per outcome (JSON Lines)")
	f.BoolVar(&all, "all", false, "show sent deliveries too, not only failures")
	f.StringVar(&since, "since", "", "only outcomes at or after T (RFC 3339, 2006-01-02, or a duration like 24h)")
	f.StringVar(&until, "until", "", "only outcomes before T (same forms as --since)")
	f.BoolVar(&follow, "follow", false, "keep reading the last file as it grows, across rotation")
	storeDBFlag(cmd, &db, "store")
	addLangFlag(cmd, &lang)
	return cmd
}

type logsOptions struct {
	json, all, follow bool
	since, until      time.Time
	lang              string
	store             string // event store DSN; "" = do not store
}

// runLogs reads the files in order through one Reader and writes the
// outcomes and, at the end, the summary.
func (a *app) runLogs(ctx context.Context, paths []string, opt logsOptions) error {
	var sink *outcomeSink
	if opt.store != "" {
		st, err := a.openStoreDB(ctx, opt.store)
		if err != nil {
			return err
		}
		defer st.Close()
		sink = &outcomeSink{st: st, ctx: ctx, follow: opt.follow}
	}
	tally := maillog.NewTally()
	r := maillog.NewReader(maillog.Options{
		Lang: opt.lang,
		Keep: func(o *maillog.Outcome) bool {
			if !opt.since.IsZero() && o.Time.Before(opt.since) || !opt.until.IsZero() && !o.Time.Before(opt.until) {
				return false
			}
			if o.Status == maillog.StatusSent && !opt.all {
				tally.Add(o) // counted, not shown, not diagnosed
				return false
			}
			return true
		},
	})
	bw := bufio.NewWriterSize(a.stdout, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	tw := tabwriter.NewWriter(bw, 0, 8, 2, ' ', 0)
	rows := 0
	if !opt.json {
		fmt.Fprintln(tw, strings.Join(logsHeader(opt.lang), "\t"))
	}
	flush := func() error {
		if !opt.json {
			tw.Flush()
		}
		return bw.Flush()
	}
	emit := func(o maillog.Outcome) error {
		if sink != nil {
			if err := sink.add(o); err != nil {
				return err
			}
		}
		tally.Add(&o)
		if opt.json {
			if err := enc.Encode(o); err != nil {
				return err
			}
		} else {
			d := o.Diagnosis
			rcpt := o.Recipient
			if rcpt == "" {
				rcpt = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", o.Time.Local().Format("2006-01-02 15:04:05"), o.Status, rcpt, d.Reason, d.Action, d.Title)
		}
		// Flush in blocks (the table's columns are aligned per block) and
		// at once when following, so lines show up as they happen.
		if rows++; opt.follow || rows%200 == 0 {
			return flush()
		}
		return nil
	}
	failed := false
	for i, p := range paths {
		var err error
		switch {
		case p == "-":
			r.SetSource("-", time.Time{})
			err = r.Read(ctx, a.stdin, emit)
		case opt.follow && i == len(paths)-1:
			if err = flush(); err == nil {
				err = r.Follow(ctx, p, 0, emit)
			}
		default:
			err = r.ReadFile(ctx, p, emit)
		}
		if sink != nil && sink.err != nil {
			break
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if werr := flush(); werr != nil {
				return werr // stdout is gone: stop
			}
			name := p
			if name == "-" {
				name = "stdin"
			}
			if strings.Contains(err.Error(), p) {
				fmt.Fprintf(a.stderr, "maildx: %v\n", err)
			} else {
				fmt.Fprintf(a.stderr, "maildx: %s: %v\n", name, err)
			}
			failed = true
		}
	}
	if err := flush(); err != nil {
		return err
	}
	writeLogSummary(a.stderr, r.Stats(), tally, opt.all, opt.lang)
	if sink != nil {
		// Store what was read before an interrupt too.
		if err := sink.flush(); err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "stored in %s: %d new events, %d already stored\n", dbName(opt.store), sink.inserted, sink.total-sink.inserted)
	}
	if failed {
		return exitError{exitPartial}
	}
	return nil
}

// outcomeSink writes outcomes into the event store in batches (one at a
// time when following, so that they are stored as they happen).
type outcomeSink struct {
	st              store.Store
	ctx             context.Context
	follow          bool
	batch           []store.Event
	total, inserted int
	err             error
}

const storeBatch = 500

func (s *outcomeSink) add(o maillog.Outcome) error {
	s.batch = append(s.batch, events.FromOutcome(o))
	if s.follow || len(s.batch) >= storeBatch {
		return s.flush()
	}
	return nil
}

func (s *outcomeSink) flush() error {
	if s.err != nil || len(s.batch) == 0 {
		return s.err
	}
	// A cancelled context (Ctrl-C while following) must not lose the
	// outcomes already shown.
	ctx := context.WithoutCancel(s.ctx)
	n, err := s.st.AddEvents(ctx, s.batch)
	if err != nil {
		s.err = fmt.Errorf("storing the outcomes: %w", err)
		return s.err
	}
	s.total += len(s.batch)
	s.inserted += n
	s.batch = s.batch[:0]
	return nil
}

func logsHeader(lang string) []string {
	if lang == "de" {
		return []string{"ZEIT", "STATUS", "EMPFÄNGER", "GRUND", "AKTION", "TITEL"}
	}
	return []string{"TIME", "STATUS", "RECIPIENT", "REASON", "ACTION", "TITLE"}
}

// logWords are the words of the summary in one language.
type logWords struct {
	lines, evicted, notShown, none, outcomes, byReason, topDomains, topRelays string
}

var logSummaryWords = map[string]logWords{
	"en": {
		lines:      "lines read: %d, not understood: %d (%.2f%%), without delivery information: %d\n",
		evicted:    "queue ids dropped from the full table: %d (their later lines still count, without sender)\n",
		notShown:   " (not shown; --all shows them)",
		none:       "none",
		outcomes:   "outcomes: %s\n",
		byReason:   "by reason",
		topDomains: "top recipient domains (failures)",
		topRelays:  "top relays (failures)",
	},
	"de": {
		lines:      "Zeilen gelesen: %d, nicht verstanden: %d (%.2f %%), ohne Zustellinformation: %d\n",
		evicted:    "Queue-IDs aus der vollen Tabelle verdrängt: %d (ihre späteren Zeilen zählen weiter, ohne Absender)\n",
		notShown:   " (nicht angezeigt; --all zeigt sie)",
		none:       "keine",
		outcomes:   "Ergebnisse: %s\n",
		byReason:   "nach Grund",
		topDomains: "häufigste Empfängerdomains (Fehler)",
		topRelays:  "häufigste Relays (Fehler)",
	},
}

// writeLogSummary prints the counts after a run, in English or German.
func writeLogSummary(w io.Writer, st maillog.Stats, t *maillog.Tally, all bool, lang string) {
	words, ok := logSummaryWords[lang]
	if !ok {
		words = logSummaryWords["en"]
	}
	pct := 0.0
	if st.Lines > 0 {
		pct = 100 * float64(st.NotUnderstood) / float64(st.Lines)
	}
	fmt.Fprintf(w, "\n"+words.lines, st.Lines, st.NotUnderstood, pct, st.Other)
	if st.Evicted > 0 {
		fmt.Fprintf(w, words.evicted, st.Evicted)
	}
	statuses := t.Statuses()
	parts := make([]string, 0, len(statuses))
	for _, c := range statuses {
		s := fmt.Sprintf("%s %d", c.Key, c.N)
		if c.Key == string(maillog.StatusSent) && !all {
			s += words.notShown
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		parts = append(parts, words.none)
	}
	fmt.Fprintf(w, words.outcomes, strings.Join(parts, ", "))
	writeCounts(w, words.byReason, t.Reasons())
	writeCounts(w, words.topDomains, t.TopDomains(10))
	writeCounts(w, words.topRelays, t.TopRelays(10))
}

func writeCounts(w io.Writer, title string, cs []maillog.Count) {
	if len(cs) == 0 {
		return
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s %d", c.Key, c.N)
	}
	fmt.Fprintf(w, "%s: %s\n", title, strings.Join(parts, ", "))
}

// parseWhen reads --since/--until: RFC 3339, a date (local midnight), or
// a duration back from now ("24h", "90m", "7d"). Empty means no bound.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not RFC 3339, a date (2006-01-02) or a duration (24h, 7d)", s)
}

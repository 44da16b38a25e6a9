package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/maildx/maildx/dsn"
	"github.com/maildx/maildx/internal/events"
	"github.com/maildx/maildx/mailbox"
	"github.com/maildx/maildx/store"
	"github.com/spf13/cobra"
)

func (a *app) parseCmd() *cobra.Command {
	var (
		asJSON bool
		lang   string
		db     string
	)
	cmd := &cobra.Command{
		Use:   "parse [--json] [--store DB] [--lang de|en] PATH...",
		Short: "Read bounce emails: one diagnosis per failed recipient",
		Long: `Read bounce emails and report every failed recipient with its diagnosis.

PATH may be an .eml file, a directory of them (walked recursively), a
Maildir (cur/ and new/), an mbox file (streamed, never read whole), a
gzip-compressed file, or "-" for stdin.

Understood: RFC 3464 delivery status notifications (also RFC 6533),
ARF feedback reports (RFC 5965), auto-replies (RFC 3834), and the
plain-text bounces of Postfix, Exim, Sendmail, qmail, Exchange and the
large providers. A message that is not a bounce yields nothing.

--json writes JSON Lines: one object per recipient, in the order the bounce
lists them, with the diagnosis fields (docs/diagnosis.md) and the bounce's
own fields (docs/parse.md). Without --json a table is printed, aligned in
blocks of 256 rows as it streams. A summary
goes to stderr when more than one message was read. An unreadable or
malformed message is reported on stderr with its path; the others are still
processed and the exit status is 1.

--store DB also writes every recipient into the event store DB (a SQLite
file or a postgres:// URL; see 'maildx events') as a delivery event with
provider "bounce": a feedback report is a complaint; DSN action failed →
bounced, delayed → deferred, delivered/relayed/expanded → delivered.
Automatic replies (out of office) are not stored. The event ID is a hash of
the original Message-ID (or the file) and the recipient, so a bounce read
twice is stored once. Stored failures feed the suppression list
(docs/events.md).`,
		Example: "  maildx parse bounce.eml\n  maildx parse --json ~/Maildir/.Bounces\n  maildx parse --lang de - < bounce.eml",
		Args:    args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, paths []string) error {
			lang, err := a.resolveLang(lang)
			if err != nil {
				return err
			}
			return a.runParse(cmd.Context(), paths, lang, asJSON, db)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "write JSON Lines, one object per recipient")
	storeDBFlag(cmd, &db, "store")
	addLangFlag(cmd, &lang)
	return cmd
}

// parseStats is the summary of one parse run.
type parseStats struct {
	messages, bounces, recipients, failed int
	byReason                              map[string]int
}

func (a *app) runParse(ctx context.Context, paths []string, lang string, asJSON bool, db string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	var evStore store.Store
	var stored, inserted int
	if db != "" {
		var err error
		if evStore, err = a.openStoreDB(ctx, db); err != nil {
			return err
		}
		defer evStore.Close()
	}
	w := bufio.NewWriterSize(a.stdout, 64<<10)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	var tw *tabwriter.Writer
	if !asJSON {
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "FILE\tRECIPIENT\tREASON\tBOUNCE\tACTION\tCODES\tTITLE")
	}
	st := parseStats{byReason: map[string]int{}}
	reportErr := func(path string, err error) {
		st.failed++
		fmt.Fprintf(a.stderr, "maildx: %s: %v\n", path, err)
	}
	for _, path := range paths {
		err := mailbox.Walk(ctx, path, mailbox.Options{Stdin: a.stdin}, func(m mailbox.Message) error {
			st.messages++
			results, err := dsn.Parse(m.Data, dsn.Options{Lang: lang, File: m.Path})
			if err != nil {
				reportErr(m.Path, err)
				return nil
			}
			if len(results) > 0 {
				st.bounces++
			}
			if evStore != nil {
				var batch []store.Event
				for _, r := range results {
					if events.BounceStorable(r) {
						batch = append(batch, events.FromBounce(r))
					}
				}
				if len(batch) > 0 {
					n, err := evStore.AddEvents(ctx, batch)
					if err != nil {
						return fmt.Errorf("storing the events of %s: %w", m.Path, err)
					}
					stored += len(batch)
					inserted += n
				}
			}
			for _, r := range results {
				st.recipients++
				st.byReason[r.Reason]++
				if asJSON {
					if err := enc.Encode(r); err != nil {
						return err
					}
					continue
				}
				bounce := "soft"
				if r.HardBounce {
					bounce = "hard"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Path, r.Recipient, r.Reason, bounce, r.Action,
					strings.Join(r.Codes, " "), r.Title)
				if st.recipients%tableBlock == 0 {
					// The table streams: columns are aligned within
					// blocks of rows, so memory stays bounded on a
					// large mbox and the first rows show at once.
					tw.Flush()
				}
			}
			return nil
		}, reportErr)
		if err != nil {
			reportErr(path, err)
		}
	}
	if tw != nil {
		tw.Flush()
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if st.messages > 1 || st.failed > 0 {
		a.parseSummary(st, lang)
	}
	if evStore != nil {
		fmt.Fprintf(a.stderr, "stored in %s: %d new events, %d already stored\n", dbName(db), inserted, stored-inserted)
	}
	if st.failed > 0 {
		return exitError{exitPartial}
	}
	return nil
}

// tableBlock is the number of table rows aligned together before they
// are written.
const tableBlock = 256

// parseSummary writes one line to stderr: counts, then recipients by
// reason, most frequent first (ties by name, so the line is stable).
func (a *app) parseSummary(st parseStats, lang string) {
	reasons := make([]string, 0, len(st.byReason))
	for r := range st.byReason {
		reasons = append(reasons, r)
	}
	slices.SortFunc(reasons, func(x, y string) int {
		if d := st.byReason[y] - st.byReason[x]; d != 0 {
			return d
		}
		return strings.Compare(x, y)
	})
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%s %d", r, st.byReason[r])
	}
	format := "%d messages read, %d bounces, %d recipients, %d unreadable; by reason: %s\n"
	if lang == "de" {
		format = "%d Nachrichten gelesen, %d Bounces, %d Empfänger, %d unlesbar; nach Grund: %s\n"
	}
	fmt.Fprintf(a.stderr, format, st.messages, st.bounces, st.recipients, st.failed, strings.Join(parts, ", "))
}

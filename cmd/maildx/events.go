package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/maildx/maildx/event"
	"github.com/maildx/maildx/internal/events"
	"github.com/maildx/maildx/store"
	"github.com/spf13/cobra"
)

// maxImportFile bounds one webhook payload file read by events import.
const maxImportFile = 64 << 20

// storeDBFlag registers --db on cmd (name is the flag's name: "db", or
// "store" for logs and parse).
func storeDBFlag(cmd *cobra.Command, db *string, name string) {
	def, err := store.DefaultPath()
	if err != nil {
		def = "maildx.db"
	}
	usage := "event store: a SQLite file or a postgres:// URL"
	if name == "db" {
		cmd.Flags().StringVar(db, name, "", usage+" (default "+def+")")
		return
	}
	cmd.Flags().StringVar(db, name, "", usage+"; write the results into it as delivery events")
}

// openStoreDB opens the event store named by dsn ("" is store.DefaultPath),
// a SQLite one in the synchronous mode of MAILDX_SQLITE_SYNCHRONOUS.
func (a *app) openStoreDB(ctx context.Context, dsn string) (store.Store, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if dsn == "" {
		p, err := store.DefaultPath()
		if err != nil {
			return nil, fmt.Errorf("no default event store path (%v); give --db", err)
		}
		dsn = p
	}
	var opts store.Options
	if !store.IsPostgres(dsn) {
		// The same durability as serve's default (docs/store.md).
		opts.SQLiteSynchronous = strings.ToLower(strings.TrimSpace(a.getenv(envSQLiteSynchronous)))
		if err := checkSQLiteSync(opts.SQLiteSynchronous, dsn); err != nil {
			return nil, err
		}
	}
	s, err := store.OpenWith(ctx, dsn, opts)
	if err != nil {
		return nil, fmt.Errorf("opening the event store %s: %w", dbName(dsn), err)
	}
	return s, nil
}

// dbName is the store's name for messages: a PostgreSQL URL without its
// password.
func dbName(dsn string) string {
	if store.IsPostgres(dsn) {
		if u, err := url.Parse(dsn); err == nil {
			return u.Redacted()
		}
		return "(PostgreSQL)"
	}
	return dsn
}

func ctxOf(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

func (a *app) eventsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Import, list, show, reclassify and purge stored delivery events",
		Long: `Work with the event store: the delivery events that 'maildx serve' receives
from the providers' webhooks, 'maildx logs --store' reads from mail logs and
'maildx parse --store' from bounces, each with its diagnosis.

Every subcommand takes --db: a SQLite file (created on first use) or a
postgres:// URL. The default is the SQLite file under the user's data
directory (` + defaultDBForHelp() + `).

Documented in docs/events.md.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("events needs a subcommand: import, list, show, reclassify or purge")
		},
	}
	cmd.AddCommand(a.eventsImportCmd(), a.eventsListCmd(), a.eventsShowCmd(), a.eventsReclassifyCmd(), a.eventsPurgeCmd())
	return cmd
}

func defaultDBForHelp() string {
	if p, err := store.DefaultPath(); err == nil {
		return p
	}
	return "see docs/store.md"
}

// importProviders are the values of events import --provider.
var importProviders = []string{event.ProviderMailgun, event.ProviderSendGrid, event.ProviderSES, event.ProviderPostmark, event.ProviderGeneric}

func (a *app) eventsImportCmd() *cobra.Command {
	var (
		db, provider, lang string
		asJSON             bool
	)
	cmd := &cobra.Command{
		Use:   "import [--provider mailgun|sendgrid|ses|postmark|generic] [--db DB] FILE...",
		Short: "Import webhook payload files into the event store",
		Long: `Import webhook payloads saved as files (one payload per file, as the provider
POSTs it: a Mailgun event, a SendGrid batch, an SNS message from SES, a
Postmark webhook, or the generic {"recipient", "error", ...} object or array),
explain every failure and store the events. FILE - reads stdin.

Signatures, credentials and timestamps are NOT checked: the files come from
your own disk, not from the network. Do not import payloads you did not
receive yourself. The adapters are otherwise the same as in 'maildx serve'.

Without --provider the provider is recognised from the payload's shape.
Importing a file twice stores its events once (the event IDs are
deterministic). The imported events are printed (a table, or JSON Lines
with --json); a summary goes to stderr.

Exit status: 0 success, 1 a file could not be read or parsed (reported
with its path; the others are still imported), 2 usage error.`,
		Example: "  maildx events import sendgrid-batch.json\n  maildx events import --provider ses --db /srv/maildx.db ses/*.json",
		Args:    args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, files []string) error {
			if provider != "" && !contains(importProviders, provider) {
				return usagef("--provider must be one of %s, not %q", strings.Join(importProviders, ", "), provider)
			}
			lang, err := a.resolveLang(lang)
			if err != nil {
				return err
			}
			return a.runEventsImport(ctxOf(cmd), db, provider, lang, asJSON, files)
		},
	}
	storeDBFlag(cmd, &db, "db")
	cmd.Flags().StringVar(&provider, "provider", "", "payload format: "+strings.Join(importProviders, ", ")+" (default: recognised)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the imported events as JSON Lines")
	addLangFlag(cmd, &lang)
	return cmd
}

// detectProvider recognises a webhook payload by its shape.
func detectProvider(body []byte) string {
	body = bytes.TrimSpace(body)
	var obj map[string]json.RawMessage
	if len(body) > 0 && body[0] == '[' {
		var arr []map[string]json.RawMessage
		if json.Unmarshal(body, &arr) != nil || len(arr) == 0 {
			return ""
		}
		obj = arr[0]
		if _, ok := obj["sg_event_id"]; ok {
			return event.ProviderSendGrid
		}
		if _, ok := obj["error"]; ok {
			return event.ProviderGeneric
		}
		if _, ok := obj["event"]; ok {
			return event.ProviderSendGrid
		}
		if _, ok := obj["recipient"]; ok {
			return event.ProviderGeneric
		}
		return ""
	}
	if json.Unmarshal(body, &obj) != nil {
		return ""
	}
	has := func(k string) bool { _, ok := obj[k]; return ok }
	switch {
	case has("event-data"):
		return event.ProviderMailgun
	case has("RecordType"):
		return event.ProviderPostmark
	case has("Type") && (has("TopicArn") || has("Message")):
		return event.ProviderSES
	case has("recipient") || has("error"):
		return event.ProviderGeneric
	case has("sg_event_id"):
		return event.ProviderSendGrid
	}
	return ""
}

// importAdapter returns the parser for a provider (no keys: Parse does not
// verify).
func importAdapter(provider, lang string) event.Adapter {
	switch provider {
	case event.ProviderMailgun:
		return &event.Mailgun{Lang: lang}
	case event.ProviderSendGrid:
		return &event.SendGrid{Lang: lang}
	case event.ProviderSES:
		return &event.SES{Lang: lang}
	case event.ProviderPostmark:
		return &event.Postmark{Lang: lang}
	}
	return &event.Generic{Lang: lang}
}

func (a *app) runEventsImport(ctx context.Context, db, provider, lang string, asJSON bool, files []string) error {
	st, err := a.openStoreDB(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	w := bufio.NewWriter(a.stdout)
	defer w.Flush()
	out := newEventWriter(w, asJSON)
	var nFiles, nEvents, inserted, failed int
	for _, path := range files {
		body, err := a.readImportFile(path)
		if err != nil {
			failed++
			fmt.Fprintf(a.stderr, "maildx: %s: %v\n", path, err)
			continue
		}
		p := provider
		if p == "" {
			if p = detectProvider(body); p == "" {
				failed++
				fmt.Fprintf(a.stderr, "maildx: %s: not a webhook payload maildx recognises; give --provider\n", path)
				continue
			}
		}
		evs, err := importAdapter(p, lang).Parse(body)
		var notice *event.Notice
		if errors.As(err, &notice) {
			nFiles++
			fmt.Fprintf(a.stderr, "maildx: %s: %s, no events: %s\n", path, notice.Kind, notice.Message)
			continue
		}
		if err != nil {
			failed++
			fmt.Fprintf(a.stderr, "maildx: %s: %v\n", path, err)
			continue
		}
		batch := make([]store.Event, len(evs))
		for i, e := range evs {
			batch[i] = events.ToStore(e)
		}
		n, err := st.AddEvents(ctx, batch)
		if err != nil {
			w.Flush()
			return fmt.Errorf("%s: storing the events: %w", path, err)
		}
		nFiles++
		nEvents += len(evs)
		inserted += n
		for _, e := range batch {
			if err := out.write(e); err != nil {
				return err
			}
		}
	}
	if err := out.flush(); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "%d files imported, %d events: %d new, %d already stored; %d files failed\n",
		nFiles, nEvents, inserted, nEvents-inserted, failed)
	if failed > 0 {
		return exitError{exitPartial}
	}
	return nil
}

func (a *app) readImportFile(path string) ([]byte, error) {
	var r io.Reader = a.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxImportFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxImportFile {
		return nil, fmt.Errorf("larger than %d MB; a webhook payload is not", maxImportFile>>20)
	}
	return b, nil
}

// eventJSON is the JSON form of a stored event: the event of
// docs/webhooks.md plus the time it was stored.
type eventJSON struct {
	event.Event
	Received time.Time `json:"received"`
}

func toEventJSON(s store.Event) eventJSON {
	return eventJSON{Event: events.FromStore(s), Received: s.Received}
}

// eventWriter prints events as a table or as JSON Lines.
type eventWriter struct {
	enc *json.Encoder
	tw  *tabwriter.Writer
}

func newEventWriter(w io.Writer, asJSON bool) *eventWriter {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return &eventWriter{enc: enc}
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tID\tTYPE\tPROVIDER\tRECIPIENT\tREASON\tACTION\tTITLE")
	return &eventWriter{tw: tw}
}

func (ew *eventWriter) write(s store.Event) error {
	if ew.enc != nil {
		return ew.enc.Encode(toEventJSON(s))
	}
	title := ""
	if e := events.FromStore(s); e.Diagnosis != nil {
		title = truncate(e.Diagnosis.Title, 60)
	}
	_, err := fmt.Fprintf(ew.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Time.Local().Format("2006-01-02 15:04:05"), s.ID, s.Type,
		s.Provider, dash(s.Recipient), dash(s.Reason), dash(s.Action), title)
	return err
}

func (ew *eventWriter) flush() error {
	if ew.tw != nil {
		return ew.tw.Flush()
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (a *app) eventsListCmd() *cobra.Command {
	var (
		db, since, until string
		f                store.Filter
		limit            int
		asJSON           bool
	)
	cmd := &cobra.Command{
		Use:   "list [--json] [--recipient R] [--reason R] [--provider P] [--type T] [--since T] [--until T] [--limit N]",
		Short: "List stored events, newest first",
		Long: `List stored events, newest first, as a table or with --json as JSON Lines
(one event per line, the fields of docs/webhooks.md plus "received").

Filters combine: --recipient (exact address, the domain compared
case-insensitively), --domain (recipient domain), --reason (the diagnosis'
reason, e.g. userunknown), --provider (mailgun, sendgrid, ses, postmark,
generic, postfix, exim, sendmail, bounce), --type (delivered, bounced,
deferred, dropped, complained, unsubscribed, opened, clicked).
--since (inclusive) and --until (exclusive) take RFC 3339, a date
(2025-01-02, local midnight) or a duration back from now (24h, 7d).
--limit N shows at most N events (default 50; 0 shows all).`,
		Example: "  maildx events list --type bounced --since 7d\n  maildx events list --json --recipient kunde@example.de --limit 0",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now()
			var err error
			if f.Since, err = parseWhen(since, now); err != nil {
				return usagef("--since: %v", err)
			}
			if f.Until, err = parseWhen(until, now); err != nil {
				return usagef("--until: %v", err)
			}
			if limit < 0 {
				return usagef("--limit must be 0 (all) or more")
			}
			return a.runEventsList(ctxOf(cmd), db, f, limit, asJSON)
		},
	}
	fl := cmd.Flags()
	storeDBFlag(cmd, &db, "db")
	fl.BoolVar(&asJSON, "json", false, "print JSON Lines, one event per line")
	fl.StringVar(&f.Recipient, "recipient", "", "only events for this address")
	fl.StringVar(&f.Domain, "domain", "", "only events for this recipient domain")
	fl.StringVar(&f.Reason, "reason", "", "only events with this diagnosis reason")
	fl.StringVar(&f.Provider, "provider", "", "only events from this provider")
	fl.StringVar(&f.Type, "type", "", "only events of this type")
	fl.StringVar(&since, "since", "", "only events at or after T (RFC 3339, 2006-01-02, or a duration like 24h)")
	fl.StringVar(&until, "until", "", "only events before T (same forms as --since)")
	fl.IntVar(&limit, "limit", 50, "show at most N events; 0 shows all")
	return cmd
}

func (a *app) runEventsList(ctx context.Context, db string, f store.Filter, limit int, asJSON bool) error {
	st, err := a.openStoreDB(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	w := bufio.NewWriterSize(a.stdout, 64<<10)
	defer w.Flush()
	out := newEventWriter(w, asJSON)
	shown := 0
	for {
		f.Limit = 1000
		if limit > 0 && limit-shown < f.Limit {
			f.Limit = limit - shown
		}
		page, next, err := st.ListEvents(ctx, f)
		if err != nil {
			return err
		}
		for _, e := range page {
			if err := out.write(e); err != nil {
				return err
			}
		}
		shown += len(page)
		if next == "" || limit > 0 && shown >= limit {
			break
		}
		f.Cursor = next
	}
	if err := out.flush(); err != nil {
		return err
	}
	return w.Flush()
}

func (a *app) eventsShowCmd() *cobra.Command {
	var (
		db     string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "show [--json] [--db DB] ID",
		Short: "Show one stored event with its diagnosis",
		Long: `Show one stored event: its fields, the diagnosis (what happened, whose side,
what to do), whether the recipient is on the suppression list, and the raw
payload. --json prints the event as one JSON object (docs/webhooks.md plus
"received"). Exit status 1 when there is no event with that ID.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, ids []string) error {
			ctx := ctxOf(cmd)
			st, err := a.openStoreDB(ctx, db)
			if err != nil {
				return err
			}
			defer st.Close()
			e, err := st.GetEvent(ctx, ids[0])
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no event with ID %q (maildx events list shows the IDs)", ids[0])
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.stdout, toEventJSON(e))
			}
			a.writeEvent(ctx, st, e)
			return nil
		},
	}
	storeDBFlag(cmd, &db, "db")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the event as JSON")
	return cmd
}

// writeEvent prints a stored event for a terminal.
func (a *app) writeEvent(ctx context.Context, st store.Store, s store.Event) {
	w := a.stdout
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	row("ID", s.ID)
	prov := s.Provider
	if s.ProviderEventID != "" {
		prov += " (event " + s.ProviderEventID + ")"
	}
	row("Provider", prov)
	row("Type", s.Type)
	row("Recipient", s.Recipient)
	row("Message-ID", s.MessageID)
	row("Sending domain", s.SendingDomain)
	row("Time", s.Time.Local().Format(time.RFC3339))
	row("Stored", s.Received.Local().Format(time.RFC3339))
	row("Remote text", strings.Join(strings.Fields(s.RemoteText), " "))
	if s.Recipient != "" {
		if sup, err := st.GetSuppression(ctx, s.Recipient); err == nil {
			row("Suppressed", fmt.Sprintf("yes, %s since %s", sup.Reason, sup.Created.Local().Format(time.RFC3339)))
		} else if errors.Is(err, store.ErrNotFound) {
			row("Suppressed", "no")
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	if e := events.FromStore(s); e.Diagnosis != nil {
		writeDiagnosis(w, *e.Diagnosis)
		fmt.Fprintln(w)
	}
	if len(s.Raw) > 0 {
		var buf bytes.Buffer
		if json.Indent(&buf, s.Raw, "  ", "  ") == nil {
			fmt.Fprintf(w, "Raw payload:\n  %s\n", buf.String())
		} else {
			fmt.Fprintf(w, "Raw payload:\n  %s\n", s.Raw)
		}
	}
}

func (a *app) eventsReclassifyCmd() *cobra.Command {
	var db, lang string
	cmd := &cobra.Command{
		Use:   "reclassify [--db DB] [--lang de|en]",
		Short: "Re-run the classifier over the stored events (after a knowledge-base update)",
		Long: `Re-run the classifier over every stored event – webhook events from their raw
payload, log and bounce events from the text they were read from – and store
the new diagnosis where it changed. Run it after updating maildx (its
knowledge base). Prints how many events changed.

The diagnosis keeps the language it was stored in unless --lang is given.
The suppression list is not re-evaluated (docs/store.md).

Exit status: 1 when some events could not be re-read (they keep their
diagnosis and are listed on stderr).`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lang != "" {
				l, err := a.resolveLang(lang)
				if err != nil {
					return err
				}
				lang = l
			}
			ctx := ctxOf(cmd)
			st, err := a.openStoreDB(ctx, db)
			if err != nil {
				return err
			}
			defer st.Close()
			seen, failed := 0, 0
			changed, err := st.Reclassify(ctx, func(e store.Event) store.Event {
				seen++
				n, err := events.Reclassify(e, lang)
				if err != nil {
					if failed++; failed <= 10 {
						fmt.Fprintf(a.stderr, "maildx: %v\n", err)
					}
					return e
				}
				return n
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%d events reclassified, %d changed\n", seen, changed)
			if failed > 0 {
				fmt.Fprintf(a.stderr, "maildx: %d events could not be re-read and keep their diagnosis\n", failed)
				return exitError{exitPartial}
			}
			return nil
		},
	}
	storeDBFlag(cmd, &db, "db")
	cmd.Flags().StringVar(&lang, "lang", "", "language of the new diagnoses: en or de (default: as stored)")
	return cmd
}

func (a *app) eventsPurgeCmd() *cobra.Command {
	var db, before string
	cmd := &cobra.Command{
		Use:   "purge --before DATE [--db DB]",
		Short: "Delete events older than a date (suppressions stay)",
		Long: `Delete the stored events that happened before DATE: RFC 3339, a date
(2025-01-02, local midnight) or a duration back from now (90d keeps the last
90 days). Email addresses are personal data: purge what you no longer need.
The suppression list is kept (remove entries with 'maildx suppressions
remove'). Prints how many events were deleted.`,
		Example: "  maildx events purge --before 90d\n  maildx events purge --before 2025-01-01",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if before == "" {
				return usagef("purge needs --before DATE (for example --before 90d)")
			}
			t, err := parseWhen(before, time.Now())
			if err != nil {
				return usagef("--before: %v", err)
			}
			ctx := ctxOf(cmd)
			st, err := a.openStoreDB(ctx, db)
			if err != nil {
				return err
			}
			defer st.Close()
			n, err := st.Purge(ctx, t)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%d events before %s deleted\n", n, t.Local().Format(time.RFC3339))
			return nil
		},
	}
	storeDBFlag(cmd, &db, "db")
	cmd.Flags().StringVar(&before, "before", "", "delete events before DATE (RFC 3339, 2006-01-02, or a duration like 90d) (required)")
	return cmd
}

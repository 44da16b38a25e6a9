package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/maildx/maildx/store"
	"github.com/spf13/cobra"
)

func (a *app) suppressionsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "suppressions",
		Short: "List, check, add, remove and export suppressed addresses",
		Long: `The suppression list: addresses that must not be mailed again. The store adds
an address when a stored event is a hard bounce or a disabled account
(diagnosis action "suppress"), a complaint or an unsubscribe, and after 3
soft bounces in a row spanning at least 72 hours; you add and remove
addresses by hand. The local part of an address is compared exactly, the
domain case-insensitively.

Every subcommand takes --db: a SQLite file or a postgres:// URL (default
` + defaultDBForHelp() + `). Documented in docs/events.md.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("suppressions needs a subcommand: list, check, add, remove or export")
		},
	}
	cmd.AddCommand(a.suppressionsListCmd(), a.suppressionsCheckCmd(), a.suppressionsAddCmd(), a.suppressionsRemoveCmd(), a.suppressionsExportCmd())
	return cmd
}

// suppressionJSON is the JSON form of a suppression list entry.
type suppressionJSON struct {
	Address         string    `json:"address"`
	Normalized      string    `json:"normalized"`
	Reason          string    `json:"reason"`
	DiagnosisReason string    `json:"diagnosis_reason,omitempty"`
	EventID         string    `json:"event_id,omitempty"`
	Note            string    `json:"note,omitempty"`
	Created         time.Time `json:"created"`
}

func toSuppressionJSON(s store.Suppression) suppressionJSON {
	return suppressionJSON{s.Address, s.Normalized, s.Reason, s.DiagnosisReason, s.EventID, s.Note, s.Created}
}

const suppressionHeader = "ADDRESS\tREASON\tDIAGNOSIS\tSINCE\tEVENT\tNOTE"

func writeSuppressionRow(w io.Writer, s store.Suppression) {
	fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Address, s.Reason, dash(s.DiagnosisReason),
		s.Created.Local().Format("2006-01-02 15:04:05"), dash(s.EventID), s.Note)
}

func (a *app) suppressionsListCmd() *cobra.Command {
	var (
		db, q, reason string
		limit         int
		asJSON        bool
	)
	cmd := &cobra.Command{
		Use:   "list [--json] [--q Q] [--reason R] [--limit N]",
		Short: "List suppressed addresses, newest first",
		Long: `List the suppression list, newest first, as a table or with --json as JSON
Lines (address, normalized, reason, diagnosis_reason, event_id, note,
created). --q matches a part of the address (case-insensitive); --reason
matches the entry's reason (bounce, complaint, unsubscribe, soft-bounce,
manual) or the classifier's reason of the causing event (e.g. userunknown).
--limit N shows at most N entries (default 0: all).`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 0 {
				return usagef("--limit must be 0 (all) or more")
			}
			ctx := ctxOf(cmd)
			st, err := a.openStoreDB(ctx, db)
			if err != nil {
				return err
			}
			defer st.Close()
			w := bufio.NewWriterSize(a.stdout, 64<<10)
			defer w.Flush()
			enc := json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
			if !asJSON {
				fmt.Fprintln(tw, suppressionHeader)
			}
			shown, cursor := 0, ""
			for {
				n := 1000
				if limit > 0 && limit-shown < n {
					n = limit - shown
				}
				list, next, err := st.ListSuppressions(ctx, q, reason, cursor, n)
				if err != nil {
					return err
				}
				for _, s := range list {
					if asJSON {
						if err := enc.Encode(toSuppressionJSON(s)); err != nil {
							return err
						}
					} else {
						writeSuppressionRow(tw, s)
					}
				}
				shown += len(list)
				if next == "" || limit > 0 && shown >= limit {
					break
				}
				cursor = next
			}
			if !asJSON {
				tw.Flush()
			}
			return w.Flush()
		},
	}
	storeDBFlag(cmd, &db, "db")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON Lines, one entry per line")
	cmd.Flags().StringVar(&q, "q", "", "only addresses containing Q (case-insensitive)")
	cmd.Flags().StringVar(&reason, "reason", "", "only entries with this reason or diagnosis reason")
	cmd.Flags().IntVar(&limit, "limit", 0, "show at most N entries; 0 shows all")
	return cmd
}

func (a *app) suppressionsCheckCmd() *cobra.Command {
	var (
		db     string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "check [--json] ADDRESS...",
		Short: "Tell whether addresses are suppressed (exit 1 if any is)",
		Long: `Check addresses against the suppression list and print, per address, its
entry or "not suppressed". With --json one JSON object per line:
{"address", "suppressed", "entry"}.

Exit status: 0 when none of the addresses is suppressed (all may be
mailed), 1 when at least one is, 2 usage error. So a script can send only
when 'maildx suppressions check ADDRESS' succeeds.`,
		Example: "  maildx suppressions check kunde@example.de\n  maildx suppressions check --json a@example.com b@example.org",
		Args:    args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, addrs []string) error {
			ctx := ctxOf(cmd)
			st, err := a.openStoreDB(ctx, db)
			if err != nil {
				return err
			}
			defer st.Close()
			enc := json.NewEncoder(a.stdout)
			enc.SetEscapeHTML(false)
			tw := tabwriter.NewWriter(a.stdout, 0, 8, 2, ' ', 0)
			if !asJSON {
				fmt.Fprintln(tw, suppressionHeader)
			}
			suppressed := false
			for _, addr := range addrs {
				s, err := st.GetSuppression(ctx, addr)
				found := err == nil
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				suppressed = suppressed || found
				switch {
				case asJSON:
					res := struct {
						Address    string           `json:"address"`
						Suppressed bool             `json:"suppressed"`
						Entry      *suppressionJSON `json:"entry,omitempty"`
					}{Address: addr, Suppressed: found}
					if found {
						e := toSuppressionJSON(s)
						res.Entry = &e
					}
					if err := enc.Encode(res); err != nil {
						return err
					}
				case found:
					writeSuppressionRow(tw, s)
				default:
					fmt.Fprintf(tw, "%s\tnot suppressed\t\t\t\t\n", addr)
				}
			}
			if !asJSON {
				tw.Flush()
			}
			if suppressed {
				return exitError{exitPartial}
			}
			return nil
		},
	}
	storeDBFlag(cmd, &db, "db")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per address")
	return cmd
}

// plausibleAddress is the check before adding by hand: local@domain with
// both parts, no spaces.
func plausibleAddress(addr string) bool {
	addr = strings.Trim(strings.TrimSpace(addr), "<>")
	at := strings.LastIndexByte(addr, '@')
	return at > 0 && at < len(addr)-1 && !strings.ContainsAny(addr, " \t\r\n,;")
}

func (a *app) suppressionsAddCmd() *cobra.Command {
	var db, note string
	cmd := &cobra.Command{
		Use:   "add [--note N] ADDRESS...",
		Short: "Suppress addresses by hand",
		Long: `Add addresses to the suppression list with reason "manual" and an optional
note. An address that is already suppressed keeps its entry (printed as it
is). An address without local part and domain is reported on stderr and
skipped; the exit status is then 1.`,
		Example: `  maildx suppressions add --note "asked by phone" kunde@example.de`,
		Args:    args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, addrs []string) error {
			ctx := ctxOf(cmd)
			st, err := a.openStoreDB(ctx, db)
			if err != nil {
				return err
			}
			defer st.Close()
			tw := tabwriter.NewWriter(a.stdout, 0, 8, 2, ' ', 0)
			fmt.Fprintln(tw, suppressionHeader)
			failed := false
			for _, addr := range addrs {
				if !plausibleAddress(addr) {
					failed = true
					fmt.Fprintf(a.stderr, "maildx: %q is not an email address (local@domain)\n", addr)
					continue
				}
				s, err := st.AddSuppression(ctx, addr, note)
				if err != nil {
					tw.Flush()
					return fmt.Errorf("%s: %w", addr, err)
				}
				writeSuppressionRow(tw, s)
			}
			tw.Flush()
			if failed {
				return exitError{exitPartial}
			}
			return nil
		},
	}
	storeDBFlag(cmd, &db, "db")
	cmd.Flags().StringVar(&note, "note", "", "why the address is suppressed (kept with the entry)")
	return cmd
}

func (a *app) suppressionsRemoveCmd() *cobra.Command {
	var db string
	cmd := &cobra.Command{
		Use:   "remove ADDRESS...",
		Short: "Remove addresses from the suppression list",
		Long: `Remove addresses from the suppression list (and any run of soft failures
recorded for them), so they may be mailed again. An address that was not
suppressed is reported on stderr; the others are still removed and the exit
status is 1.`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, addrs []string) error {
			ctx := ctxOf(cmd)
			st, err := a.openStoreDB(ctx, db)
			if err != nil {
				return err
			}
			defer st.Close()
			failed := false
			for _, addr := range addrs {
				err := st.RemoveSuppression(ctx, addr)
				switch {
				case errors.Is(err, store.ErrNotFound):
					failed = true
					fmt.Fprintf(a.stderr, "maildx: %s: not suppressed\n", addr)
				case err != nil:
					return fmt.Errorf("%s: %w", addr, err)
				default:
					fmt.Fprintf(a.stdout, "%s removed\n", addr)
				}
			}
			if failed {
				return exitError{exitPartial}
			}
			return nil
		},
	}
	storeDBFlag(cmd, &db, "db")
	return cmd
}

func (a *app) suppressionsExportCmd() *cobra.Command {
	var (
		db    string
		asCSV bool
	)
	cmd := &cobra.Command{
		Use:   "export [--csv]",
		Short: "Write the whole suppression list as CSV to stdout",
		Long: `Write the whole suppression list as CSV to stdout, oldest first, with a
header row: address,normalized,reason,diagnosis_reason,event_id,note,created
(created in RFC 3339, UTC). Cells starting with = + - @ get a leading '
so that spreadsheets do not run them as formulas. CSV is the only format;
--csv says so explicitly.`,
		Example: "  maildx suppressions export > suppressions.csv",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_ = asCSV
			ctx := ctxOf(cmd)
			st, err := a.openStoreDB(ctx, db)
			if err != nil {
				return err
			}
			defer st.Close()
			return exportCSV(ctx, st, a.stdout)
		},
	}
	storeDBFlag(cmd, &db, "db")
	cmd.Flags().BoolVar(&asCSV, "csv", true, "write CSV (the default and only format)")
	return cmd
}

func exportCSV(ctx context.Context, st store.Store, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := st.ExportSuppressionsCSV(ctx, bw); err != nil {
		return err
	}
	return bw.Flush()
}

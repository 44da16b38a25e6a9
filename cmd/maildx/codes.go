package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/maildx/maildx/kb"
	"github.com/spf13/cobra"
)

func (a *app) codesCmd() *cobra.Command {
	var (
		asJSON                    bool
		lang, source, cat, reason string
		search                    string
	)
	cmd := &cobra.Command{
		Use:   "codes [--source S] [--category C] [--reason R] [--search WORDS] [--json]",
		Short: "List and search the knowledge base",
		Long: `List the knowledge base, optionally narrowed by source, category, reason and
search words. Search words must all occur in an entry (its codes, id, or the
English or German texts); matching ignores case and umlauts, so
"Postfach voll", "postfach" and "mailbox full" all work.

Sources: ` + sourceIDs() + `
Categories: ` + strings.Join(kb.Categories, ", "),
		Example: "  maildx codes --source gmail\n  maildx codes --search \"Postfach voll\"\n  maildx codes --category reputation-block --json",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			lang, err := a.resolveLang(lang)
			if err != nil {
				return err
			}
			if source != "" && !validSource(source) {
				return usagef("unknown --source %q (one of: %s)", source, sourceIDs())
			}
			if cat != "" && !contains(kb.Categories, cat) {
				return usagef("unknown --category %q (one of: %s)", cat, strings.Join(kb.Categories, ", "))
			}
			if reason != "" && !contains(kb.Reasons, reason) {
				return usagef("unknown --reason %q (one of: %s)", reason, strings.Join(kb.Reasons, ", "))
			}
			k, err := kb.Default()
			if err != nil {
				return err
			}
			entries := k.Search(kb.Filter{Source: source, Category: cat, Reason: reason, Words: search})
			if asJSON {
				if entries == nil {
					entries = []*kb.Entry{}
				}
				return writeJSON(a.stdout, entries)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCODES\tREASON\tTITLE")
			for _, e := range entries {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.ID, truncate(strings.Join(e.Codes, " "), 28), e.Reason, e.Text.Get(lang).Title)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "%d entries\n", len(entries))
			if len(entries) == 0 {
				return exitError{exitPartial}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print a JSON array of full entries")
	f.StringVar(&source, "source", "", "only entries of this source")
	f.StringVar(&cat, "category", "", "only entries of this category")
	f.StringVar(&reason, "reason", "", "only entries with this reason")
	f.StringVar(&search, "search", "", "words that must all occur (English or German)")
	addLangFlag(cmd, &lang)
	return cmd
}

func sourceIDs() string {
	ids := make([]string, len(kb.Sources))
	for i, s := range kb.Sources {
		ids[i] = s.ID
	}
	return strings.Join(ids, ", ")
}

func validSource(id string) bool {
	for _, s := range kb.Sources {
		if s.ID == id {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

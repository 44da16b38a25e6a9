package main

import (
	"fmt"

	"github.com/maildx/maildx/kb"
	"github.com/spf13/cobra"
)

func (a *app) lookupCmd() *cobra.Command {
	var asJSON bool
	var lang string
	cmd := &cobra.Command{
		Use:   "lookup [--json] [--lang de|en] KEY",
		Short: "Show the knowledge-base entries for a code or entry id",
		Long: `Show the knowledge-base entries for one key:

  a reply code           550
  an enhanced code       5.1.1 or X.1.1 (an unknown detail falls back to X.Y.0)
  a client code          0x800CCC0E (any case)
  a library/vendor code  EENVELOPE, ECONNREFUSED, TSS04, S3150
  an HTTP status         "HTTP 429" (provider APIs)
  an entry id            smtp-550

The entry for the code itself comes first, then provider entries that use it.
With --json the output is a JSON array of full entries (both languages);
an unknown key prints [] and exits with status 1.`,
		Example: "  maildx lookup 5.7.26\n  maildx lookup --lang de 0x800CCC0E\n  maildx lookup --json EENVELOPE",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			lang, err := a.resolveLang(lang)
			if err != nil {
				return err
			}
			k, err := kb.Default()
			if err != nil {
				return err
			}
			res := k.Lookup(args[0])
			if asJSON {
				entries := res.Entries
				if entries == nil {
					entries = []*kb.Entry{}
				}
				if err := writeJSON(a.stdout, entries); err != nil {
					return err
				}
				if res.FallbackFrom != "" {
					fmt.Fprintf(a.stderr, "maildx: "+label(lang, "fallback")+"\n", res.FallbackFrom, res.Entries[0].Codes[0])
				}
			} else {
				if res.FallbackFrom != "" {
					fmt.Fprintf(a.stdout, label(lang, "fallback")+"\n\n", res.FallbackFrom, parentOf(res))
				}
				for i, e := range res.Entries {
					if i > 0 {
						fmt.Fprintln(a.stdout)
					}
					writeEntry(a.stdout, e, lang)
				}
			}
			if len(res.Entries) == 0 {
				fmt.Fprintf(a.stderr, "maildx: no knowledge-base entry for %q (try: maildx codes --search %q)\n", args[0], args[0])
				return exitError{exitPartial}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of entries")
	addLangFlag(cmd, &lang)
	return cmd
}

// parentOf names the X.Y.0 code a fallback lookup used.
func parentOf(res kb.LookupResult) string {
	for _, c := range res.Entries[0].ParsedCodes() {
		if c.Kind == kb.KindStatus {
			return c.Value
		}
	}
	return res.Entries[0].ID
}

package main

import (
	"strings"

	"github.com/spf13/cobra"
)

// addLangFlag registers --lang on cmd.
func addLangFlag(cmd *cobra.Command, lang *string) {
	cmd.Flags().StringVar(lang, "lang", "", "output language: en or de (default: $MAILDX_LANG, then $LANG, then en)")
}

// resolveLang picks the output language: the flag, then MAILDX_LANG, then
// LANG (de_DE.UTF-8 → de), else English. Only the flag is strict: an
// unsupported value there is a usage error, while an environment variable
// naming another language simply falls back to English.
func (a *app) resolveLang(flag string) (string, error) {
	if flag != "" {
		switch strings.ToLower(flag) {
		case "en", "de":
			return strings.ToLower(flag), nil
		}
		return "", usagef("--lang must be en or de, not %q", flag)
	}
	for _, env := range []string{"MAILDX_LANG", "LANG"} {
		v := strings.ToLower(a.getenv(env))
		if v == "" {
			continue
		}
		if strings.HasPrefix(v, "de") {
			return "de", nil
		}
		return "en", nil
	}
	return "en", nil
}

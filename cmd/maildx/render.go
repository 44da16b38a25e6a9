package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/maildx/maildx/kb"
)

// labels holds the few fixed words of the human output in both languages.
var labels = map[string]map[string]string{
	"en": {
		"meaning": "What it means", "solution": "What to do", "note": "Note",
		"reason": "reason", "category": "category", "action": "action", "fault": "fault",
		"temporary": "temporary", "permanent": "permanent", "standard": "standard",
		"severity": "severity", "frequency": "frequency",
		"soft": "soft bounce", "hard": "hard bounce", "retry in": "retry in",
		"what happened": "What happened", "provider": "provider", "entries": "entries", "why": "why", "check": "check it",
		"action:suppress": "suppress", "action:retry": "retry", "action:fix-sender": "fix-sender",
		"action:fix-request": "fix-request", "action:contact-recipient": "contact-recipient", "action:none": "none",
		"fault:recipient": "recipient's side", "fault:sender": "sender's side", "fault:network": "network",
		"fault:remote-system": "receiving system", "fault:client": "your mail client or app", "fault:provider-account": "your provider account",
		"fallback": "No entry for %s of its own; showing its registered parent %s (RFC 3463, section 3.1).",
	},
	"de": {
		"meaning": "Bedeutung", "solution": "Was zu tun ist", "note": "Hinweis",
		"reason": "Grund", "category": "Kategorie", "action": "Aktion", "fault": "Ursache",
		"temporary": "vorübergehend", "permanent": "dauerhaft", "standard": "Standard",
		"severity": "Wichtigkeit", "frequency": "Häufigkeit",
		"soft": "Soft Bounce", "hard": "Hard Bounce", "retry in": "erneut versuchen in",
		"what happened": "Was passiert ist", "provider": "Anbieter", "entries": "Einträge", "why": "warum", "check": "prüfen mit",
		"action:suppress": "Adresse sperren (suppress)", "action:retry": "erneut versuchen (retry)",
		"action:fix-sender": "Absender korrigieren (fix-sender)", "action:fix-request": "Anfrage korrigieren (fix-request)",
		"action:contact-recipient": "Empfänger kontaktieren (contact-recipient)", "action:none": "nichts zu tun (none)",
		"fault:recipient": "Seite des Empfängers", "fault:sender": "Seite des Absenders", "fault:network": "Netzwerk",
		"fault:remote-system": "empfangendes System", "fault:client": "Ihr Mailprogramm oder Ihre App", "fault:provider-account": "Ihr Anbieterkonto",
		"fallback": "Kein eigener Eintrag für %s; gezeigt wird der registrierte Obercode %s (RFC 3463, Abschnitt 3.1).",
	},
}

func label(lang, key string) string { return labels[lang][key] }

// writeEntry prints one entry as a readable block.
func writeEntry(w io.Writer, e *kb.Entry, lang string) {
	t := e.Text.Get(lang)
	fmt.Fprintf(w, "%s  %s\n", strings.Join(e.Codes, " "), t.Title)
	kind := label(lang, "permanent")
	if e.Temporary {
		kind = label(lang, "temporary")
	}
	fmt.Fprintf(w, "  %s · %s: %s · %s: %s · %s: %s · %s: %s\n", kind,
		label(lang, "reason"), e.Reason, label(lang, "category"), e.Category,
		label(lang, "action"), e.Action, label(lang, "fault"), e.Fault)
	meta := []string{e.ID, e.Source, label(lang, "standard") + ": " + e.Standard}
	if e.Severity != "" {
		meta = append(meta, label(lang, "severity")+": "+e.Severity)
	}
	if e.Frequency != "" {
		meta = append(meta, label(lang, "frequency")+": "+e.Frequency)
	}
	fmt.Fprintf(w, "  %s\n\n", strings.Join(meta, " · "))
	fmt.Fprintf(w, "  %s:\n", label(lang, "meaning"))
	writeWrapped(w, t.Meaning, "    ", "    ")
	fmt.Fprintf(w, "\n  %s:\n", label(lang, "solution"))
	for i, s := range t.Solution {
		writeWrapped(w, s, fmt.Sprintf("    %d. ", i+1), "       ")
	}
	if e.Note != nil {
		fmt.Fprintf(w, "\n  %s:\n", label(lang, "note"))
		writeWrapped(w, e.Note.Get(lang), "    ", "    ")
	}
}

// writeWrapped writes s word-wrapped at 78 columns: first line after first,
// further lines after rest.
func writeWrapped(w io.Writer, s, first, rest string) {
	const width = 78
	line := first
	empty := true
	for _, word := range strings.Fields(s) {
		if !empty && len([]rune(line))+1+len([]rune(word)) > width {
			fmt.Fprintln(w, line)
			line, empty = rest, true
		}
		if !empty {
			line += " "
		}
		line += word
		empty = false
	}
	fmt.Fprintln(w, line)
}

// writeJSON prints v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

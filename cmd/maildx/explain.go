package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"

	"github.com/maildx/maildx"
	"github.com/maildx/maildx/check"
	"github.com/spf13/cobra"
)

// maxStdin bounds what explain reads from stdin as one text.
const maxStdin = 1 << 20

func (a *app) explainCmd() *cobra.Command {
	var (
		asJSON, lines bool
		lang          string
		attempt       int
	)
	cmd := &cobra.Command{
		Use:   "explain [--json] [--lang de|en] [TEXT...]",
		Short: "Explain a delivery error: what happened, whose fault, what to do",
		Long: `Explain one delivery error. TEXT may be an SMTP reply (single or multi-line),
an enhanced status code (5.7.26, X.2.2), a reply code (452), a provider
message (Gmail, Microsoft 365, Yahoo, Mailgun, SendGrid), a nodemailer error
object or its toString() form, an Outlook client code (0x800CCC0E) or a socket
error. Several TEXT arguments are joined with spaces; without TEXT the whole
of stdin is one text.

With --lines every stdin line is explained on its own and one result is
written per line, streaming (JSON Lines with --json).

--json prints the diagnosis object; its fields are documented in
docs/diagnosis.md.`,
		Example: `  maildx explain "550 5.1.1 <a@example.com>: Recipient address rejected: User unknown"
  maildx explain --lang de 0x800CCC0E
  maildx explain --json '{"code":"EENVELOPE","response":"421 4.3.0 Temporary System Problem. Try again later ... gsmtp","responseCode":421,"command":"RCPT TO"}'
  maildx explain --lines --json < errors.txt`,
		RunE: func(cmd *cobra.Command, args []string) error {
			lang, err := a.resolveLang(lang)
			if err != nil {
				return err
			}
			if lines && len(args) > 0 {
				return usagef("--lines reads stdin; do not give TEXT arguments")
			}
			if attempt < 0 {
				return usagef("--attempt must be 0 or more")
			}
			opts := []maildx.Option{maildx.WithLang(lang), maildx.WithAttempt(attempt)}
			if lines {
				return a.explainLines(asJSON, opts)
			}
			text := strings.Join(args, " ")
			if len(args) == 0 {
				b, err := io.ReadAll(io.LimitReader(a.stdin, maxStdin+1))
				if err != nil {
					return fmt.Errorf("reading stdin: %w", err)
				}
				if len(b) > maxStdin {
					fmt.Fprintf(a.stderr, "maildx: stdin is longer than %d bytes; explaining the first %d\n", maxStdin, maxStdin)
					b = b[:maxStdin]
				}
				text = string(b)
			}
			if strings.TrimSpace(text) == "" {
				return usagef("nothing to explain: give TEXT or pipe it to stdin")
			}
			d := maildx.Explain(text, opts...)
			if asJSON {
				return writeJSON(a.stdout, d)
			}
			writeDiagnosis(a.stdout, d)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print the diagnosis as JSON (JSON Lines with --lines)")
	f.BoolVar(&lines, "lines", false, "explain each stdin line on its own, one result per line")
	f.IntVar(&attempt, "attempt", 0, "failed delivery attempts so far; retry_after doubles per attempt")
	addLangFlag(cmd, &lang)
	return cmd
}

// explainLines streams stdin: one result per line, in input order, in
// constant memory. Lines are explained in batches by one worker per CPU
// (the classifier is safe for concurrent use) and written in order; at
// most a few batches are in flight. Over-long lines are cut at maxLine
// bytes rather than failing the stream.
func (a *app) explainLines(asJSON bool, opts []maildx.Option) error {
	const (
		maxLine   = 64 << 10
		batchSize = 256
	)
	workers := max(1, runtime.GOMAXPROCS(0))
	type batch struct {
		first int      // number of the batch's first line
		lines []string // input
		out   []byte   // rendered results
		done  chan struct{}
	}
	render := func(b *batch) {
		var buf bytes.Buffer
		var d maildx.Diagnosis // reused: each result is rendered at once
		for i, line := range b.lines {
			maildx.ExplainTo(&d, line, opts...)
			if asJSON {
				buf.Write(d.AppendJSON(buf.AvailableBuffer()))
				buf.WriteByte('\n')
				continue
			}
			hard := "soft"
			if d.HardBounce {
				hard = "hard"
			}
			fmt.Fprintf(&buf, "%d\t%s\t%s\t%s\t%s\n", b.first+i, d.Reason, hard, d.Action, d.Title)
		}
		b.out = buf.Bytes()
		close(b.done)
	}
	jobs := make(chan *batch, workers)
	ordered := make(chan *batch, 2*workers) // bounds the batches in flight
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				render(b)
			}
		}()
	}
	writeErr := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(a.stdout, 64<<10)
		var err error
		for b := range ordered {
			<-b.done
			if err == nil {
				_, err = w.Write(b.out)
			}
		}
		if err == nil {
			err = w.Flush()
		}
		writeErr <- err
	}()

	r := bufio.NewReaderSize(a.stdin, 64<<10)
	var line []byte
	cur := &batch{first: 1, done: make(chan struct{})}
	n := 0
	send := func() {
		jobs <- cur
		ordered <- cur
		cur = &batch{first: n + 1, done: make(chan struct{})}
	}
	var readErr error
	for {
		chunk, isPrefix, err := r.ReadLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = fmt.Errorf("reading stdin: %w", err)
			break
		}
		if len(line) < maxLine {
			line = append(line, chunk[:min(len(chunk), maxLine-len(line))]...)
		}
		if isPrefix {
			continue
		}
		n++
		cur.lines = append(cur.lines, string(line))
		line = line[:0]
		if len(cur.lines) == batchSize {
			send()
		}
	}
	if len(cur.lines) > 0 {
		send()
	}
	close(jobs)
	close(ordered)
	wg.Wait()
	if err := <-writeErr; err != nil {
		return err
	}
	return readErr
}

// writeDiagnosis prints a diagnosis as a short block for a terminal.
func writeDiagnosis(w io.Writer, d maildx.Diagnosis) {
	l := d.Lang
	icon := "⚠️ "
	if d.Category == "success" || d.Reason == "vacation" {
		icon = "ℹ️ "
	}
	codes := strings.Join(d.Codes, " ")
	if codes != "" {
		codes += "  "
	}
	fmt.Fprintf(w, "%s %s%s\n", icon, codes, d.Title)
	bounce := label(l, "soft")
	if d.HardBounce {
		bounce = label(l, "hard")
	}
	kind := label(l, "permanent")
	if d.Temporary {
		kind = label(l, "temporary")
	}
	line := []string{bounce, kind, label(l, "fault:"+d.Fault), label(l, "action") + ": " + label(l, "action:"+d.Action)}
	if d.RetryAfter > 0 {
		line = append(line, fmt.Sprintf("%s %s", label(l, "retry in"), duration(d.RetryAfter)))
	}
	fmt.Fprintf(w, "   %s\n\n", strings.Join(line, " · "))
	fmt.Fprintf(w, "   %s:\n", label(l, "what happened"))
	writeWrapped(w, d.Meaning, "     ", "     ")
	fmt.Fprintf(w, "\n   %s:\n", label(l, "solution"))
	for i, s := range d.Solution {
		writeWrapped(w, s, fmt.Sprintf("     %d. ", i+1), "        ")
	}
	fmt.Fprintln(w)
	meta := []string{label(l, "reason") + ": " + d.Reason, label(l, "category") + ": " + d.Category}
	if d.Provider != "" {
		meta = append(meta, label(l, "provider")+": "+d.Provider)
	}
	fmt.Fprintf(w, "   %s\n", strings.Join(meta, " · "))
	if len(d.Entries) > 0 {
		ids := make([]string, len(d.Entries))
		for i, e := range d.Entries {
			ids[i] = e.ID
		}
		writeWrapped(w, strings.Join(ids, ", "), "   "+label(l, "entries")+": ", "     ")
	}
	writeWrapped(w, strings.Join(d.Evidence, "; "), "   "+label(l, "why")+": ", "     ")
	if hint := checkHint(d); hint != "" {
		fmt.Fprintf(w, "   %s: %s\n", label(l, "check"), hint)
	}
}

// checkHint names the maildx check command that finds the cause of the
// diagnosed error, for the first matched entry a check covers.
func checkHint(d maildx.Diagnosis) string {
	for _, e := range d.Entries {
		switch cmd, ip := check.Hint(e.ID); {
		case cmd == "domain" && ip:
			return "maildx check domain --ip YOUR-SENDING-IP YOUR-DOMAIN"
		case cmd == "domain":
			return "maildx check domain YOUR-DOMAIN"
		case cmd == "address":
			return "maildx check address ADDRESS"
		}
	}
	return ""
}

// duration renders seconds as a short human duration.
func duration(s int) string {
	switch {
	case s%3600 == 0:
		return fmt.Sprintf("%d h", s/3600)
	case s%60 == 0:
		return fmt.Sprintf("%d min", s/60)
	}
	return fmt.Sprintf("%d s", s)
}

package dsn

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

type label struct {
	file, index, recipient, status, reply, reason, hard string
}

func loadLabels(t testing.TB) (map[string][]label, []string) {
	t.Helper()
	f, err := os.Open("testdata/set-of-emails/labels.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	byFile := map[string][]label{}
	var order []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(sc.Text(), "\t")
		if len(p) != 7 || p[0] == "file" {
			continue
		}
		if _, ok := byFile[p[0]]; !ok {
			order = append(order, p[0])
		}
		byFile[p[0]] = append(byFile[p[0]], label{p[0], p[1], p[2], p[3], p[4], p[5], p[6]})
	}
	return byFile, order
}

// Floors for the corpus agreement; raise them as parsing improves, never
// lower them to let a change pass.
const (
	floorReason    = 0.64
	floorRecipient = 0.85
)

// TestCorpus parses every bounce of Sisimai's set-of-emails and compares
// with labels.tsv: recipients (in order), reason, status (where the label
// is not a placeholder), reply code and hard_bounce. It prints a
// per-field agreement table; -v shows the rows that differ.
func TestCorpus(t *testing.T) {
	labels, order := loadLabels(t)
	files, _ := filepath.Glob("testdata/set-of-emails/maildir/*.eml")
	sort.Strings(files)
	type tally struct{ ok, n int }
	fields := map[string]*tally{}
	count := func(field string, ok bool) {
		if fields[field] == nil {
			fields[field] = &tally{}
		}
		fields[field].n++
		if ok {
			fields[field].ok++
		}
	}
	parseErrors := 0
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Parse(data, Options{})
		if err != nil {
			parseErrors++
			t.Errorf("%s: %v", path, err)
			continue
		}
		rel := "maildir/" + filepath.Base(path)
		want := labels[rel]
		for i, l := range want {
			if i >= len(res) {
				count("recipient", false)
				count("reason", false)
				t.Logf("%s #%s: missing result for %s (want %s)", rel, l.index, l.recipient, l.reason)
				continue
			}
			r := res[i]
			count("recipient", strings.EqualFold(r.Recipient, l.recipient))
			count("reason", r.Reason == l.reason)
			count("hard_bounce", fmt.Sprint(r.HardBounce) == l.hard)
			if !strings.HasPrefix(l.status, "X.0.9") && l.status != "" {
				count("status", statusOf(r) == l.status)
			}
			if l.reply != "" {
				count("reply_code", fmt.Sprint(r.ReplyCode) == l.reply)
			}
			if r.Reason != l.reason || !strings.EqualFold(r.Recipient, l.recipient) {
				t.Logf("%s #%s: got %s %s, want %s %s [%s] %q", rel, l.index, r.Recipient, r.Reason, l.recipient, l.reason, r.DecodedBy, squeeze(r.Diagnostic, 160))
			}
		}
		if len(want) > 0 && len(res) > len(want) {
			t.Logf("%s: %d extra results", rel, len(res)-len(want))
		}
	}
	_ = order
	var b strings.Builder
	for _, f := range []string{"recipient", "reason", "status", "reply_code", "hard_bounce"} {
		if x := fields[f]; x != nil {
			fmt.Fprintf(&b, "  %-12s %4d/%4d  %5.1f%%\n", f, x.ok, x.n, 100*float64(x.ok)/float64(x.n))
		}
	}
	t.Logf("corpus agreement (%d files, %d parse errors):\n%s", len(files), parseErrors, b.String())
	if x := fields["reason"]; x != nil && float64(x.ok)/float64(x.n) < floorReason {
		t.Errorf("reason agreement below floor %.2f", floorReason)
	}
	if x := fields["recipient"]; x != nil && float64(x.ok)/float64(x.n) < floorRecipient {
		t.Errorf("recipient agreement below floor %.2f", floorRecipient)
	}
}

// statusOf is the status a result reports: the DSN's, else the one the
// classifier found.
func statusOf(r Result) string {
	if r.DSNStatus != "" {
		return r.DSNStatus
	}
	return r.Status
}

func TestNotBounces(t *testing.T) {
	files, _ := filepath.Glob("testdata/set-of-emails/not/*.eml")
	for _, path := range files {
		data, _ := os.ReadFile(path)
		res, err := Parse(data, Options{})
		if err != nil {
			t.Errorf("%s: %v", path, err)
		}
		if len(res) != 0 {
			t.Errorf("%s: not a bounce, got %d results (%s)", path, len(res), res[0].DecodedBy)
		}
	}
}

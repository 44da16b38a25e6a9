package maildx

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestExplainCases runs the table of real-world error strings in
// testdata/explain-cases.tsv. Columns (tab-separated): reason, action,
// hard_bounce, provider, text; "-" skips a column; "\n" in text stands
// for a line break (multi-line replies).
func TestExplainCases(t *testing.T) {
	f, err := os.Open("testdata/explain-cases.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n, line := 0, 0
	for sc.Scan() {
		line++
		row := sc.Text()
		if strings.TrimSpace(row) == "" || strings.HasPrefix(row, "#") {
			continue
		}
		p := strings.SplitN(row, "\t", 5)
		if len(p) != 5 {
			t.Fatalf("line %d: want 5 tab-separated columns, got %d", line, len(p))
		}
		n++
		text := strings.ReplaceAll(p[4], `\n`, "\n")
		d := Explain(text)
		check := func(field, want, got string) {
			if want != "-" && want != got {
				t.Errorf("line %d: %s = %s, want %s\n    text: %s\n    evidence: %s", line, field, got, want, p[4], strings.Join(d.Evidence, "; "))
			}
		}
		check("reason", p[0], d.Reason)
		check("action", p[1], d.Action)
		hb := "false"
		if d.HardBounce {
			hb = "true"
		}
		check("hard_bounce", p[2], hb)
		prov := d.Provider
		if prov == "" {
			prov = "none"
		}
		check("provider", p[3], prov)
	}
	if n < 200 {
		t.Errorf("only %d cases; the table must hold at least 200", n)
	}
}

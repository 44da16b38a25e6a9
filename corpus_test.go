package maildx

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

type corpusCase struct {
	file, reason, status, reply, text string
}

func loadCorpusDiagnostics(t testing.TB) []corpusCase {
	t.Helper()
	f, err := os.Open("testdata/corpus-diagnostics.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		p := strings.SplitN(sc.Text(), "\t", 5)
		if len(p) != 5 {
			t.Fatalf("bad line %q", sc.Text())
		}
		out = append(out, corpusCase{p[0], p[1], p[2], p[3], p[4]})
	}
	return out
}

// corpusFloor is the share of corpus diagnostics whose reason must agree
// with the Sisimai label. Raise it as the classifier improves; never lower
// it to make a change pass.
const corpusFloor = 0.80

// TestCorpusDiagnostics explains the Diagnostic-Code texts of the labelled
// real bounces in testdata/corpus-diagnostics.tsv and compares reasons.
// Run with -v to see the disagreements.
func TestCorpusDiagnostics(t *testing.T) {
	cases := loadCorpusDiagnostics(t)
	agree := 0
	confusion := map[string]int{}
	for _, c := range cases {
		d := Explain(c.text)
		if d.Reason == c.reason {
			agree++
			continue
		}
		confusion[c.reason+" → "+d.Reason]++
		t.Logf("%s: want %s, got %s (%s)\n    %s", c.file, c.reason, d.Reason, strings.Join(d.Evidence, "; "), c.text)
	}
	share := float64(agree) / float64(len(cases))
	keys := make([]string, 0, len(confusion))
	for k := range confusion {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if confusion[keys[i]] != confusion[keys[j]] {
			return confusion[keys[i]] > confusion[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "  %3d  %s\n", confusion[k], k)
	}
	t.Logf("reason agreement: %d/%d = %.1f%%\ndisagreements (label → ours):\n%s", agree, len(cases), 100*share, b.String())
	if share < corpusFloor {
		t.Errorf("agreement %.1f%% is below the floor %.1f%%", 100*share, 100*corpusFloor)
	}
}

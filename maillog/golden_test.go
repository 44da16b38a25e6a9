package maillog

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenRef is the reference time of each sample log (its "mtime").
var goldenRef = map[string]time.Time{
	"postfix.log":     time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC),
	"postfix-iso.log": time.Date(2025, 3, 11, 0, 0, 0, 0, time.UTC),
	"exim_mainlog":    time.Date(2025, 2, 6, 0, 0, 0, 0, time.UTC),
	"sendmail.log":    time.Date(2025, 6, 13, 0, 0, 0, 0, time.UTC),
}

// goldenOutcome is an Outcome with the diagnosis reduced to the fields
// that the log reader decides the inputs of; the texts of the knowledge
// base are tested elsewhere.
type goldenOutcome struct {
	Outcome
	Diagnosis *goldenDiag `json:"diagnosis"`
}

type goldenDiag struct {
	Reason     string `json:"reason"`
	Action     string `json:"action"`
	HardBounce bool   `json:"hard_bounce"`
	Temporary  bool   `json:"temporary"`
}

// readAll runs a Reader over one sample and returns its outcomes.
func readAll(t *testing.T, name string, opt Options) ([]Outcome, Stats) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	r := NewReader(opt)
	r.SetSource(name, goldenRef[name])
	var out []Outcome
	if err := r.Read(context.Background(), f, func(o Outcome) error { out = append(out, o); return nil }); err != nil {
		t.Fatal(err)
	}
	return out, r.Stats()
}

func TestGolden(t *testing.T) {
	for name := range goldenRef {
		t.Run(name, func(t *testing.T) {
			out, st := readAll(t, name, Options{})
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			for _, o := range out {
				g := goldenOutcome{Outcome: o}
				g.Diagnosis = &goldenDiag{o.Diagnosis.Reason, o.Diagnosis.Action, o.Diagnosis.HardBounce, o.Diagnosis.Temporary}
				if err := enc.Encode(g); err != nil {
					t.Fatal(err)
				}
			}
			if err := enc.Encode(st); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name+".golden.jsonl")
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from %s (run go test -run Golden -update and review the diff):\n%s", name, path, buf.String())
			}
		})
	}
}

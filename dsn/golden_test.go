package dsn

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/maildx/maildx/mailbox"
)

var update = flag.Bool("update", false, "rewrite testdata/parse-golden.tsv")

const goldenPath = "testdata/parse-golden.tsv"

// goldenOutput parses every corpus file (maildir/ and not/, read as the CLI
// reads them) in English and German and writes one JSON line per file and
// language with all results.
func goldenOutput(t *testing.T) []byte {
	t.Helper()
	var files []string
	for _, dir := range []string{"maildir", "not"} {
		f, _ := filepath.Glob("testdata/set-of-emails/" + dir + "/*.eml")
		files = append(files, f...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("no corpus files")
	}
	var buf bytes.Buffer
	for _, path := range files {
		for _, lang := range []string{"en", "de"} {
			var res []Result
			var errs []string
			werr := mailbox.Walk(context.Background(), path, mailbox.Options{}, func(msg mailbox.Message) error {
				r, err := Parse(msg.Data, Options{Lang: lang, File: msg.Path})
				if err != nil {
					errs = append(errs, err.Error())
				}
				res = append(res, r...)
				return nil
			}, func(p string, err error) {
				errs = append(errs, err.Error())
			})
			if werr != nil {
				t.Fatal(werr)
			}
			// One line per file and language: the decisions in plain words
			// and a digest of the whole JSON, so the file stays small and a
			// diff still shows what changed.
			whole, err := json.Marshal(struct {
				Errors  []string `json:"errors,omitempty"`
				Results []Result `json:"results"`
			}{errs, res})
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(whole)
			fmt.Fprintf(&buf, "%s\t%s\t%x", strings.TrimPrefix(path, "testdata/set-of-emails/"), lang, sum[:8])
			for _, r := range res {
				fmt.Fprintf(&buf, "\t%s %s %s %s %d", r.Recipient, r.Reason, statusOf(r), r.Action, r.ReplyCode)
			}
			if len(errs) > 0 {
				fmt.Fprintf(&buf, "\terrors=%d", len(errs))
			}
			buf.WriteByte('\n')
		}
	}
	return buf.Bytes()
}

// TestGolden guards the parser's output: every result of every corpus file
// must stay byte-identical to testdata/parse-golden.tsv (regenerate with
// -update only for an intended change of results).
func TestGolden(t *testing.T) {
	got := goldenOutput(t)
	if *update {
		if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	n := 0
	for i := 0; i < max(len(gl), len(wl)) && n < 10; i++ {
		var g, w []byte
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if !bytes.Equal(g, w) {
			n++
			t.Errorf("line %d differs:\n got: %s\nwant: %s", i+1, g, w)
		}
	}
	if n == 0 {
		t.Error("output differs from golden file")
	}
}

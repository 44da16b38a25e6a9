package maildx

import (
	"bytes"
	"encoding/json"
	"testing"
)

func stdJSON(t testing.TB, d Diagnosis) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// TestAppendJSONMatchesEncodingJSON holds the fast encoder to the output
// of encoding/json over every bench string, in both languages, and odd
// inputs.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	texts := append(loadBenchErrors(t), "", "\x00\x01\"\\\t\r\n", "bad utf-8 \xff\xfe", "line\u2028sep\u2029", "<html>&amp;</html>", "5.7.26")
	for _, text := range texts {
		for _, lang := range []string{"en", "de"} {
			d := Explain(text, WithLang(lang), WithAttempt(2))
			if got, want := d.AppendJSON(nil), stdJSON(t, d); !bytes.Equal(got, want) {
				t.Fatalf("%q:\n got %s\nwant %s", text, got, want)
			}
		}
	}
	var zero Diagnosis
	if got, want := zero.AppendJSON(nil), stdJSON(t, zero); !bytes.Equal(got, want) {
		t.Fatalf("zero value:\n got %s\nwant %s", got, want)
	}
}

func FuzzAppendJSON(f *testing.F) {
	f.Add("550 5.1.1 user unknown")
	f.Add("\xff\u2028\x00")
	f.Fuzz(func(t *testing.T, s string) {
		d := Diagnosis{Input: s, Title: s, Solution: []string{s}, Evidence: []string{s}}
		if got, want := d.AppendJSON(nil), stdJSON(t, d); !bytes.Equal(got, want) {
			t.Fatalf("%q:\n got %s\nwant %s", s, got, want)
		}
	})
}

package kb

import (
	"bufio"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/maildx/maildx/smtpcode"
)

// TestDataFile validates each data file on its own, so a problem is
// reported against the file that has it: go test ./kb -run TestDataFile/gmail
func TestDataFile(t *testing.T) {
	names, err := fs.Glob(dataFS, "data/*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no data files: %v", err)
	}
	for _, name := range names {
		base := filepath.Base(name)
		t.Run(strings.TrimSuffix(base, ".yaml"), func(t *testing.T) {
			b, err := fs.ReadFile(dataFS, name)
			if err != nil {
				t.Fatal(err)
			}
			_, problems := ParseFile(base, b)
			for _, p := range problems {
				t.Error(p)
			}
		})
	}
}

func TestLoadDefault(t *testing.T) {
	k, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Entries()) == 0 {
		t.Fatal("no entries")
	}
	for i := 1; i < len(k.Entries()); i++ {
		if sourceRank(k.Entries()[i-1].Source) > sourceRank(k.Entries()[i].Source) {
			t.Fatalf("entries not in source order at %d", i)
		}
	}
}

func TestValidationCatchesProblems(t *testing.T) {
	good := `source: socket
provider: ""
description: {en: Sockets, de: Sockets}
entries:
  - id: socket-x
    codes: ["ECONNREFUSED"]
    reason: networkerror
    category: network
    temporary: true
    action: retry
    fault: network
    standard: non-standard
    text:
      en: {title: T, meaning: M, solution: [S]}
      de: {title: T, meaning: M, solution: [S]}
`
	if _, problems := ParseFile("socket.yaml", []byte(good)); len(problems) != 0 {
		t.Fatalf("good file rejected: %v", problems)
	}
	bad := []struct{ name, from, to, want string }{
		{"unknown key", "    reason:", "    reasn:", "unknown field"},
		{"unknown reason", "reason: networkerror", "reason: nosuchreason", "reason \"nosuchreason\""},
		{"unknown category", "category: network", "category: nope", "category \"nope\""},
		{"unknown action", "action: retry", "action: wait", "action \"wait\""},
		{"unknown fault", "fault: network", "fault: god", "fault \"god\""},
		{"missing german", "      de: {title: T, meaning: M, solution: [S]}\n", "", "text.de"},
		{"empty step", "de: {title: T, meaning: M, solution: [S]}", "de: {title: T, meaning: M, solution: [\" \"]}", "empty step"},
		{"malformed code", `["ECONNREFUSED"]`, `["5.1"]`, "malformed code"},
		{"bad hex", `["ECONNREFUSED"]`, `["0x80ZZ"]`, "malformed hex"},
		{"bad id", "id: socket-x", "id: Socket X", "id must be"},
		{"id prefix", "id: socket-x", "id: smtp-x", "must start with"},
		{"no standard", "standard: non-standard", "standard: \"\"", "standard is empty"},
		{"retry_after without retry", "action: retry", "action: none\n    retry_after: 60", "retry_after"},
		{"upper-case match", "    reason:", "    match: [\"Connection Refused\"]\n    reason:", "match fragment"},
		{"short part", "    reason:", "    match: [\"connection … no\"]\n    reason:", "each part"},
		{"unknown source", "source: socket", "source: nowhere", "unknown source"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(good, tt.from, tt.to, 1)
			if src == good {
				t.Fatalf("replacement %q did not apply", tt.from)
			}
			_, problems := ParseFile("socket.yaml", []byte(src))
			if !strings.Contains(strings.Join(problems, "\n"), tt.want) {
				t.Errorf("problems %q do not mention %q", problems, tt.want)
			}
		})
	}
	// Duplicate ids across files are caught by Load.
	fsys := fstest.MapFS{
		"data/socket.yaml":     {Data: []byte(good)},
		"data/nodemailer.yaml": {Data: []byte(strings.NewReplacer("source: socket", "source: nodemailer", "id: socket-x", "id: nodemailer-x").Replace(good))},
	}
	if _, err := Load(fsys); err != nil {
		t.Fatalf("two good files: %v", err)
	}
	fsys["data/nodemailer.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(good, "source: socket", "source: nodemailer", 1))}
	if _, err := Load(fsys); err == nil || !strings.Contains(err.Error(), "id must start") {
		t.Fatalf("want id prefix error, got %v", err)
	}
}

// registry is the IANA "Enumerated Status Codes" registry as of RFC 8689.
var registry = func() []string {
	var out []string
	add := func(subject, last int) {
		for d := 0; d <= last; d++ {
			out = append(out, "X."+itoa(subject)+"."+itoa(d))
		}
	}
	add(0, 0)
	add(1, 10)
	add(2, 4)
	add(3, 6)
	add(4, 7)
	add(5, 6)
	add(6, 10)
	add(7, 30)
	return out
}()

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestRegistryCoverage(t *testing.T) {
	k := mustLoad(t)
	if _, ok := k.SourceDescription("enhanced"); !ok {
		t.Skip("enhanced.yaml not present yet")
	}
	for _, code := range registry {
		c, err := ParseCode(code)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range k.ByCode(c) {
			if e.Source == "enhanced" {
				found = true
			}
		}
		if !found {
			t.Errorf("registry code %s has no entry in enhanced.yaml", code)
		}
	}
}

// TestSeedCoverage checks that every code and message the seed documents
// name (listed per source in testdata/seed/) resolves to an entry.
func TestSeedCoverage(t *testing.T) {
	k := mustLoad(t)
	files, _ := filepath.Glob("testdata/seed/*.txt")
	sort.Strings(files)
	for _, path := range files {
		source := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(source, func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			n := 0
			for sc.Scan() {
				line := strings.TrimSpace(sc.Text())
				if i := strings.Index(line, " #"); i >= 0 {
					line = strings.TrimSpace(line[:i])
				}
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				n++
				if text, ok := strings.CutPrefix(line, "match:"); ok {
					text = strings.ToLower(strings.TrimSpace(text))
					if !matchedBy(k, source, text) {
						t.Errorf("no %s entry has a match fragment contained in %q", source, text)
					}
					continue
				}
				res := k.Lookup(line)
				found := false
				for _, e := range res.Entries {
					if e.Source == source {
						found = true
					}
				}
				if !found {
					t.Errorf("lookup %q finds no entry of source %s", line, source)
				}
			}
			if n == 0 {
				t.Error("empty seed list")
			}
		})
	}
}

func matchedBy(k *KB, source, text string) bool {
	for _, e := range k.Search(Filter{Source: source}) {
		for _, m := range e.Match {
			if strings.Contains(text, m) {
				return true
			}
		}
	}
	return false
}

func mustLoad(t *testing.T) *KB {
	t.Helper()
	k, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestReplyCodeCoverage: every reply code of RFC 5321, RFC 4954 (AUTH),
// RFC 3207 (STARTTLS) and RFC 7504 has an entry in smtp.yaml.
func TestReplyCodeCoverage(t *testing.T) {
	k := mustLoad(t)
	for _, code := range strings.Fields("211 214 220 221 235 250 251 252 334 354 421 432 450 451 452 454 455 500 501 502 503 504 521 530 534 535 538 550 551 552 553 554 555 556") {
		found := false
		for _, e := range k.Lookup(code).Entries {
			found = found || e.Source == "smtp"
		}
		if !found {
			t.Errorf("reply code %s has no smtp entry", code)
		}
	}
}

func TestLookup(t *testing.T) {
	k := mustLoad(t)
	tests := []struct {
		key, firstSource, fallback string
	}{
		{"550", "smtp", ""},
		{"5.1.1", "enhanced", ""},
		{"X.1.1", "enhanced", ""},
		{"0x800ccc0e", "outlook-client", ""},
		{"EENVELOPE", "nodemailer", ""},
		{"[TSS04]", "yahoo", ""},
		{"HTTP 429", "mailgun", ""},
		{"5.7.708", "microsoft", ""},
		{"5.4.999", "enhanced", "5.4.999"},
		{"smtp-550", "smtp", ""},
	}
	for _, tt := range tests {
		res := k.Lookup(tt.key)
		if len(res.Entries) == 0 {
			t.Errorf("%s: no entries", tt.key)
			continue
		}
		if res.Entries[0].Source != tt.firstSource || res.FallbackFrom != tt.fallback {
			t.Errorf("%s: first %s (%s), fallback %q; want source %s, fallback %q", tt.key, res.Entries[0].ID, res.Entries[0].Source, res.FallbackFrom, tt.firstSource, tt.fallback)
		}
	}
	if res := k.Lookup("no-such-code"); len(res.Entries) != 0 {
		t.Errorf("unknown key found %v", res.Entries[0].ID)
	}
}

func TestSearchFolding(t *testing.T) {
	k := mustLoad(t)
	for _, q := range []string{"Postfach voll", "postfach VOLL", "mailbox full", "Größe", "groesse"} {
		if len(k.Search(Filter{Words: q})) == 0 {
			t.Errorf("search %q finds nothing", q)
		}
	}
	a, b := k.Search(Filter{Words: "Größe"}), k.Search(Filter{Words: "groesse"})
	if len(a) != len(b) {
		t.Errorf("umlaut folding: %d vs %d results", len(a), len(b))
	}
}

// TestParseCodeParsed checks the parsed forms ParseCode files beside the
// canonical spelling, which the classifier reads instead of parsing again.
func TestParseCodeParsed(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Code
	}{
		{"550", Code{Kind: KindReply, Value: "550", Number: 550}},
		{"HTTP 429", Code{Kind: KindHTTP, Value: "429", Number: 429}},
		{"5.7.26", Code{Kind: KindStatus, Value: "5.7.26", Status: smtpcode.Status{Class: smtpcode.ClassPermanent, Subject: 7, Detail: 26}}},
		{"x.1.1", Code{Kind: KindStatus, Value: "X.1.1", Status: smtpcode.Status{Subject: 1, Detail: 1}}},
		{"0x800ccc0e", Code{Kind: KindHex, Value: "0x800CCC0E"}},
		{"EENVELOPE", Code{Kind: KindName, Value: "EENVELOPE"}},
	} {
		got, err := ParseCode(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseCode(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

// TestPackKeepsValues holds pack to its promise: the loaded (packed)
// entries equal the ones ParseFile decodes, field by field.
func TestPackKeepsValues(t *testing.T) {
	k := mustLoad(t)
	names, err := fs.Glob(dataFS, "data/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range names {
		b, err := fs.ReadFile(dataFS, name)
		if err != nil {
			t.Fatal(err)
		}
		f, problems := ParseFile(path.Base(name), b)
		if len(problems) > 0 {
			t.Fatal(problems)
		}
		for _, want := range f.Entries {
			got, ok := k.ByID(want.ID)
			if !ok {
				t.Fatalf("%s missing after Load", want.ID)
			}
			want.search = fold(searchDoc(want))
			if k.Entries()[got.Seq()] != got {
				t.Errorf("%s: Seq %d is not its position in Entries", want.ID, got.Seq())
			}
			want.seq = got.seq // Load numbers the entries; ParseFile does not
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s differs after packing:\n got %+v\nwant %+v", want.ID, got, want)
			}
			n++
		}
	}
	if n != len(k.Entries()) {
		t.Errorf("compared %d entries, the knowledge base has %d", n, len(k.Entries()))
	}
}

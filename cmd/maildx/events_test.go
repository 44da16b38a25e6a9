package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runStoreCLI runs maildx with args and returns stdout, stderr and the
// exit status.
func runStoreCLI(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	return runCLI(t, nil, stdin, args...)
}

func eventFile(provider, name string) string {
	return filepath.Join("..", "..", "event", "testdata", provider, name)
}

func tempDB(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "events.db")
}

// importAll imports a realistic mix of payloads and returns the DB path.
func importAll(t *testing.T) string {
	t.Helper()
	db := tempDB(t)
	out, errOut, code := runStoreCLI(t, "", "events", "import", "--db", db,
		eventFile("mailgun", "failed-permanent.json"),
		eventFile("mailgun", "delivered.json"),
		eventFile("sendgrid", "batch.json"),
		eventFile("ses", "bounce-permanent.json"),
		eventFile("postmark", "bounce-hard.json"),
		eventFile("generic", "batch.json"))
	if code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}
	return db
}

func TestEventsImport(t *testing.T) {
	db := importAll(t)
	// Importing again stores nothing new.
	out, errOut, code := runStoreCLI(t, "", "events", "import", "--db", db, "--json", eventFile("sendgrid", "batch.json"))
	if code != 0 || !strings.Contains(errOut, ": 0 new,") {
		t.Fatalf("re-import: exit %d, stderr %q", code, errOut)
	}
	if n := len(decodeLines(t, out)); n == 0 {
		t.Fatalf("re-import printed no events")
	}

	// A bad file among good ones: reported with its path, the others imported, exit 1.
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"event-data": 42}`), 0o644)
	junk := filepath.Join(dir, "junk.json")
	os.WriteFile(junk, []byte(`hello`), 0o644)
	missing := filepath.Join(dir, "missing.json")
	db2 := tempDB(t)
	_, errOut, code = runStoreCLI(t, "", "events", "import", "--db", db2, bad, eventFile("mailgun", "failed-permanent.json"), junk, missing)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, errOut)
	}
	for _, p := range []string{bad, junk, missing} {
		if !strings.Contains(errOut, p) {
			t.Errorf("stderr does not name %s:\n%s", p, errOut)
		}
	}
	out, _, _ = runStoreCLI(t, "", "events", "list", "--db", db2, "--json")
	if n := len(decodeLines(t, out)); n != 1 {
		t.Errorf("%d events stored from the good file, want 1", n)
	}

	// A subscription confirmation is a notice, not a failure.
	_, errOut, code = runStoreCLI(t, "", "events", "import", "--db", db2, eventFile("ses", "subscription-confirmation.json"))
	if code != 0 || !strings.Contains(errOut, "subscription-confirmation") {
		t.Errorf("subscription confirmation: exit %d, stderr %q", code, errOut)
	}

	// stdin and an explicit provider.
	b, _ := os.ReadFile(eventFile("postmark", "spam-complaint.json"))
	_, errOut, code = runStoreCLI(t, string(b), "events", "import", "--db", db2, "--provider", "postmark", "-")
	if code != 0 || !strings.Contains(errOut, "1 new") {
		t.Errorf("stdin import: exit %d, stderr %q", code, errOut)
	}
	// The wrong provider for a payload is a parse error.
	_, _, code = runStoreCLI(t, "", "events", "import", "--db", db2, "--provider", "sendgrid", eventFile("mailgun", "failed-permanent.json"))
	if code != 1 {
		t.Errorf("wrong provider: exit %d, want 1", code)
	}
}

func TestDetectProvider(t *testing.T) {
	for file, want := range map[string]string{
		"mailgun/failed-temporary.json": "mailgun",
		"sendgrid/batch.json":           "sendgrid",
		"ses/delivery.json":             "ses",
		"postmark/delivery.json":        "postmark",
		"generic/gmail.json":            "generic",
		"generic/batch.json":            "generic",
	} {
		b, err := os.ReadFile(filepath.Join("..", "..", "event", "testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		if got := detectProvider(b); got != want {
			t.Errorf("%s: %q, want %q", file, got, want)
		}
	}
}

func TestEventsList(t *testing.T) {
	db := importAll(t)
	out, _, code := runStoreCLI(t, "", "events", "list", "--db", db, "--json", "--limit", "0")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	all := decodeLines(t, out)
	if len(all) < 10 {
		t.Fatalf("only %d events listed", len(all))
	}
	var prev time.Time
	for _, e := range all {
		for _, f := range []string{"id", "provider", "type", "recipient", "time", "raw", "received"} {
			if _, ok := e[f]; !ok {
				t.Errorf("event lacks %q: %v", f, e)
			}
		}
		tm, err := time.Parse(time.RFC3339Nano, e["time"].(string))
		if err != nil || !prev.IsZero() && tm.After(prev) {
			t.Errorf("not newest first: %s after %s (%v)", tm, prev, err)
		}
		prev = tm
	}

	out, _, _ = runStoreCLI(t, "", "events", "list", "--db", db, "--json", "--limit", "2")
	if n := len(decodeLines(t, out)); n != 2 {
		t.Errorf("--limit 2 gave %d", n)
	}
	out, _, _ = runStoreCLI(t, "", "events", "list", "--db", db, "--json", "--provider", "sendgrid", "--type", "bounced")
	res := decodeLines(t, out)
	if len(res) == 0 {
		t.Fatal("no sendgrid bounces")
	}
	for _, e := range res {
		if e["provider"] != "sendgrid" || e["type"] != "bounced" || e["diagnosis"] == nil {
			t.Errorf("filter leaked: %v", e)
		}
	}
	out, _, _ = runStoreCLI(t, "", "events", "list", "--db", db, "--json", "--recipient", "kunde@EXAMPLE.de", "--limit", "0")
	for _, e := range decodeLines(t, out) {
		if e["recipient"] != "kunde@example.de" {
			t.Errorf("--recipient leaked: %v", e["recipient"])
		}
	}
	out, _, _ = runStoreCLI(t, "", "events", "list", "--db", db, "--json", "--reason", "userunknown", "--limit", "0")
	if res := decodeLines(t, out); len(res) == 0 {
		t.Error("no userunknown events")
	} else {
		for _, e := range res {
			if e["diagnosis"].(map[string]any)["reason"] != "userunknown" {
				t.Errorf("--reason leaked: %v", e)
			}
		}
	}
	out, _, _ = runStoreCLI(t, "", "events", "list", "--db", db, "--json", "--until", "2000-01-01")
	if strings.TrimSpace(out) != "" {
		t.Errorf("--until 2000 listed events: %s", out)
	}
	out, _, _ = runStoreCLI(t, "", "events", "list", "--db", db, "--since", "2000-01-01")
	if !strings.HasPrefix(out, "TIME") || !strings.Contains(out, "kunde@example.de") {
		t.Errorf("table:\n%s", out)
	}
	for _, bad := range [][]string{{"--since", "yesterday"}, {"--limit", "-1"}, {"--nope"}, {"extra-arg"}} {
		_, _, code := runStoreCLI(t, "", append([]string{"events", "list", "--db", db}, bad...)...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}

func TestEventsShow(t *testing.T) {
	db := importAll(t)
	out, _, _ := runStoreCLI(t, "", "events", "list", "--db", db, "--json", "--provider", "mailgun", "--type", "bounced")
	res := decodeLines(t, out)
	if len(res) != 1 {
		t.Fatalf("%d mailgun bounces", len(res))
	}
	id := res[0]["id"].(string)
	out, errOut, code := runStoreCLI(t, "", "events", "show", "--db", db, id)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{id, "kunde@example.de", "mailgun", "bounced", "Suppressed:", "yes, bounce", "Raw payload:", "event-data"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	out, _, code = runStoreCLI(t, "", "events", "show", "--db", db, "--json", id)
	if m := decodeLines(t, strings.ReplaceAll(out, "\n", " ")); code != 0 || len(m) != 1 || m[0]["id"] != id || m[0]["diagnosis"] == nil {
		t.Errorf("show --json: exit %d\n%s", code, out)
	}
	_, errOut, code = runStoreCLI(t, "", "events", "show", "--db", db, "no-such-id")
	if code != 1 || !strings.Contains(errOut, "no-such-id") {
		t.Errorf("unknown id: exit %d, %q", code, errOut)
	}
	if _, _, code = runStoreCLI(t, "", "events", "show", "--db", db); code != 2 {
		t.Errorf("show without ID: exit %d", code)
	}
}

func TestEventsPurge(t *testing.T) {
	db := importAll(t)
	if _, errOut, code := runStoreCLI(t, "", "events", "purge", "--db", db); code != 2 || !strings.Contains(errOut, "--before") {
		t.Errorf("purge without --before: exit %d, %q", code, errOut)
	}
	if _, _, code := runStoreCLI(t, "", "events", "purge", "--db", db, "--before", "soon"); code != 2 {
		t.Errorf("bad date: exit %d", code)
	}
	out, _, _ := runStoreCLI(t, "", "events", "list", "--db", db, "--json", "--limit", "0")
	total := len(decodeLines(t, out))
	out, _, code := runStoreCLI(t, "", "events", "purge", "--db", db, "--before", "2000-01-01")
	if code != 0 || !strings.HasPrefix(out, "0 events") {
		t.Errorf("purge 2000: exit %d, %q", code, out)
	}
	out, _, code = runStoreCLI(t, "", "events", "purge", "--db", db, "--before", time.Now().Add(time.Hour).Format(time.RFC3339))
	if code != 0 || !strings.HasPrefix(out, strconv.Itoa(total)+" events") {
		t.Errorf("purge now: exit %d, %q, want %d deleted", code, out, total)
	}
	out, _, _ = runStoreCLI(t, "", "events", "list", "--db", db, "--json")
	if strings.TrimSpace(out) != "" {
		t.Errorf("events left after purge: %s", out)
	}
	// Suppressions stay.
	if _, _, code := runStoreCLI(t, "", "suppressions", "check", "--db", db, "kunde@example.de"); code != 1 {
		t.Errorf("suppression gone after purge (check exit %d)", code)
	}
}

func TestEventsReclassify(t *testing.T) {
	db := importAll(t)
	out, _, _ := runStoreCLI(t, "", "events", "list", "--db", db, "--json", "--limit", "0")
	total := len(decodeLines(t, out))
	// Nothing changed in the knowledge base: nothing changes.
	out, errOut, code := runStoreCLI(t, "", "events", "reclassify", "--db", db)
	if code != 0 || out != strconv.Itoa(total)+" events reclassified, 0 changed\n" {
		t.Fatalf("exit %d, out %q, stderr %q", code, out, errOut)
	}
	// Another language changes every diagnosed event.
	out, _, code = runStoreCLI(t, "", "events", "reclassify", "--db", db, "--lang", "de")
	if code != 0 || strings.Contains(out, " 0 changed") {
		t.Fatalf("--lang de: exit %d, %q", code, out)
	}
	out, _, _ = runStoreCLI(t, "", "events", "list", "--db", db, "--json", "--type", "bounced", "--limit", "1")
	if d := decodeLines(t, out)[0]["diagnosis"].(map[string]any); d["lang"] != "de" {
		t.Errorf("diagnosis not German after reclassify: %v", d["lang"])
	}
	// The stored language is kept afterwards.
	out, _, _ = runStoreCLI(t, "", "events", "reclassify", "--db", db)
	if !strings.HasSuffix(out, " 0 changed\n") {
		t.Errorf("second run changed events: %q", out)
	}
	if _, _, code = runStoreCLI(t, "", "events", "reclassify", "--db", db, "--lang", "fr"); code != 2 {
		t.Errorf("--lang fr: exit %d", code)
	}
}

func TestEventsUsage(t *testing.T) {
	db := tempDB(t)
	for _, a := range [][]string{
		{"events"},
		{"events", "import", "--db", db},
		{"events", "import", "--db", db, "--provider", "brevo", "x.json"},
		{"events", "list", "--bogus"},
		{"suppressions"},
		{"suppressions", "check", "--db", db},
		{"suppressions", "add", "--db", db},
		{"suppressions", "list", "--db", db, "--limit", "-3"},
	} {
		if _, errOut, code := runStoreCLI(t, "", a...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", a, code, errOut)
		}
	}
}

func TestEventsDefaultDB(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", dir)
	if _, errOut, code := runStoreCLI(t, "", "events", "list"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "maildx", "maildx.db")); err != nil {
		t.Errorf("default store not created: %v", err)
	}
}

func TestLogsStore(t *testing.T) {
	db := tempDB(t)
	p := sampleLog(t, "postfix.log", time.Date(2025, 1, 2, 12, 0, 0, 0, time.Local))
	out, errOut, code := runStoreCLI(t, "", "logs", "--json", "--store", db, p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	shown := len(decodeLines(t, out))
	if !strings.Contains(errOut, ": "+strconv.Itoa(shown)+" new events, 0 already stored") {
		t.Fatalf("first run, %d outcomes: %s", shown, errOut)
	}
	// The same log again stores nothing.
	_, errOut, code = runStoreCLI(t, "", "logs", "--store", db, p)
	if code != 0 || !strings.Contains(errOut, ": 0 new events, "+strconv.Itoa(shown)+" already stored") {
		t.Fatalf("second run: exit %d: %s", code, errOut)
	}
	out, _, _ = runStoreCLI(t, "", "events", "list", "--db", db, "--json", "--provider", "postfix", "--limit", "0")
	res := decodeLines(t, out)
	if len(res) != shown {
		t.Fatalf("%d events stored, %d outcomes", len(res), shown)
	}
	types := map[string]int{}
	for _, e := range res {
		types[e["type"].(string)]++
		if !strings.HasPrefix(e["id"].(string), "log:") || e["diagnosis"] == nil {
			t.Errorf("event %v", e)
		}
	}
	// bounced 6 + expired 1 → bounced; deferred 5; rejected 5 → dropped.
	if types["bounced"] != 7 || types["deferred"] != 5 || types["dropped"] != 5 {
		t.Errorf("types %v", types)
	}
	// --all adds the sent ones as delivered events.
	_, errOut, _ = runStoreCLI(t, "", "logs", "--all", "--store", db, p)
	if strings.Contains(errOut, ": 0 new events") {
		t.Errorf("--all stored no delivered events: %s", errOut)
	}
	out, _, _ = runStoreCLI(t, "", "events", "list", "--db", db, "--json", "--type", "delivered", "--limit", "1")
	if len(decodeLines(t, out)) != 1 {
		t.Error("no delivered events after --all")
	}
	// Log events reclassify from their stored outcome.
	out, errOut, code = runStoreCLI(t, "", "events", "reclassify", "--db", db)
	if code != 0 || !strings.HasSuffix(out, " 0 changed\n") {
		t.Errorf("reclassify log events: exit %d, %q %s", code, out, errOut)
	}
}

func TestParseStore(t *testing.T) {
	db := tempDB(t)
	dir := "../../dsn/testdata/set-of-emails/maildir"
	files := []string{filepath.Join(dir, "lhost-postfix-05.eml")}
	more, _ := filepath.Glob(filepath.Join(dir, "lhost-exim-0*.eml"))
	files = append(files, more...)
	out, errOut, code := runStoreCLI(t, "", append([]string{"parse", "--json", "--store", db}, files...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	results := decodeLines(t, out)
	if len(results) == 0 || !strings.Contains(errOut, " new events, 0 already stored") {
		t.Fatalf("%d results; stderr %s", len(results), errOut)
	}
	_, errOut, _ = runStoreCLI(t, "", append([]string{"parse", "--store", db}, files...)...)
	if !strings.Contains(errOut, ": 0 new events, ") {
		t.Errorf("second parse stored again: %s", errOut)
	}
	out, _, _ = runStoreCLI(t, "", "events", "list", "--db", db, "--json", "--provider", "bounce", "--limit", "0")
	stored := decodeLines(t, out)
	if len(stored) == 0 {
		t.Fatal("no bounce events stored")
	}
	for _, e := range stored {
		if !strings.HasPrefix(e["id"].(string), "bounce:") || e["recipient"] == "" || e["diagnosis"] == nil {
			t.Errorf("event %v", e)
		}
	}
	out, errOut, code = runStoreCLI(t, "", "events", "reclassify", "--db", db)
	if code != 0 || !strings.HasSuffix(out, " 0 changed\n") {
		t.Errorf("reclassify bounce events: exit %d, %q %s", code, out, errOut)
	}
}

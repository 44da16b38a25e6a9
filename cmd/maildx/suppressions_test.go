package main

import (
	"encoding/csv"
	"strings"
	"testing"
)

func TestSuppressionsFromEvents(t *testing.T) {
	db := importAll(t)
	// The Mailgun hard bounce suppressed its recipient; check says so and
	// exits 1.
	out, _, code := runStoreCLI(t, "", "suppressions", "check", "--db", db, "kunde@example.de")
	if code != 1 || !strings.Contains(out, "kunde@example.de") || !strings.Contains(out, "bounce") {
		t.Fatalf("check: exit %d\n%s", code, out)
	}
	// The domain is compared case-insensitively, the local part exactly.
	if _, _, code = runStoreCLI(t, "", "suppressions", "check", "--db", db, "kunde@EXAMPLE.DE"); code != 1 {
		t.Errorf("domain case: exit %d, want 1", code)
	}
	if _, _, code = runStoreCLI(t, "", "suppressions", "check", "--db", db, "KUNDE@example.de"); code != 0 {
		t.Errorf("local part case: exit %d, want 0", code)
	}
	out, _, code = runStoreCLI(t, "", "suppressions", "check", "--db", db, "--json", "kunde@example.de", "nobody@example.net")
	res := decodeLines(t, out)
	if code != 1 || len(res) != 2 || res[0]["suppressed"] != true || res[1]["suppressed"] != false {
		t.Fatalf("check --json: exit %d\n%s", code, out)
	}
	entry := res[0]["entry"].(map[string]any)
	if entry["reason"] != "bounce" || entry["event_id"] == "" || entry["diagnosis_reason"] == "" {
		t.Errorf("entry %v", entry)
	}
	// The complaint of the SendGrid batch is listed with reason complaint.
	out, _, code = runStoreCLI(t, "", "suppressions", "list", "--db", db, "--json", "--reason", "complaint")
	if res := decodeLines(t, out); code != 0 || len(res) == 0 {
		t.Errorf("no complaint suppressions: exit %d %s", code, out)
	}
}

func TestSuppressionsManual(t *testing.T) {
	db := tempDB(t)
	out, errOut, code := runStoreCLI(t, "", "suppressions", "add", "--db", db, "--note", "asked by phone", "Kunde@Example.DE", "=cmd@evil.example", "not-an-address")
	if code != 1 || !strings.Contains(errOut, "not-an-address") {
		t.Fatalf("add: exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "Kunde@Example.DE") || !strings.Contains(out, "manual") || !strings.Contains(out, "asked by phone") {
		t.Errorf("add output:\n%s", out)
	}
	// Adding again keeps the entry.
	out, _, code = runStoreCLI(t, "", "suppressions", "add", "--db", db, "--note", "other", "Kunde@example.de")
	if code != 0 || !strings.Contains(out, "asked by phone") {
		t.Errorf("re-add: exit %d\n%s", code, out)
	}
	if _, _, code = runStoreCLI(t, "", "suppressions", "check", "--db", db, "Kunde@example.de"); code != 1 {
		t.Errorf("check after add: exit %d", code)
	}

	out, _, _ = runStoreCLI(t, "", "suppressions", "list", "--db", db, "--json")
	if res := decodeLines(t, out); len(res) != 2 {
		t.Errorf("list: %d entries, want 2", len(res))
	}
	out, _, _ = runStoreCLI(t, "", "suppressions", "list", "--db", db, "--json", "--q", "EXAMPLE.de")
	if res := decodeLines(t, out); len(res) != 1 || res[0]["normalized"] != "Kunde@example.de" {
		t.Errorf("list --q: %v", res)
	}
	out, _, _ = runStoreCLI(t, "", "suppressions", "list", "--db", db)
	if !strings.HasPrefix(out, "ADDRESS") || strings.Count(out, "\n") != 3 {
		t.Errorf("table:\n%s", out)
	}

	out, _, code = runStoreCLI(t, "", "suppressions", "export", "--db", db, "--csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs) != 3 {
		t.Fatalf("export: exit %d, %v\n%s", code, err, out)
	}
	if strings.Join(recs[0], ",") != "address,normalized,reason,diagnosis_reason,event_id,note,created" {
		t.Errorf("header %v", recs[0])
	}
	if !strings.Contains(out, "'=cmd@evil.example") {
		t.Errorf("formula not neutralised:\n%s", out)
	}

	// The local part is compared exactly: kunde@ is not Kunde@.
	_, errOut, code = runStoreCLI(t, "", "suppressions", "remove", "--db", db, "kunde@example.de")
	if code != 1 || !strings.Contains(errOut, "kunde@example.de: not suppressed") {
		t.Errorf("remove kunde@: exit %d, %s", code, errOut)
	}
	out, errOut, code = runStoreCLI(t, "", "suppressions", "remove", "--db", db, "Kunde@EXAMPLE.de", "nobody@example.org")
	if code != 1 || !strings.Contains(out, "Kunde@EXAMPLE.de removed") || !strings.Contains(errOut, "nobody@example.org: not suppressed") {
		t.Errorf("remove: exit %d\n%s\n%s", code, out, errOut)
	}
	out, _, code = runStoreCLI(t, "", "suppressions", "check", "--db", db, "Kunde@example.de")
	if code != 0 || !strings.Contains(out, "not suppressed") {
		t.Errorf("check after remove: exit %d\n%s", code, out)
	}
}

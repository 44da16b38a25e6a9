package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runLogsCLI runs maildx with args (the logs command included).
func runLogsCLI(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	return runCLI(t, nil, stdin, args...)
}

// sampleLog copies a maillog sample into a temp dir with the given mtime
// (the reference for year inference).
func sampleLog(t *testing.T, name string, mtime time.Time) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "maillog", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	return p
}

func decodeLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var res []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON Lines: %v\n%s", err, l)
		}
		res = append(res, m)
	}
	return res
}

func TestLogsJSON(t *testing.T) {
	p := sampleLog(t, "postfix.log", time.Date(2025, 1, 2, 12, 0, 0, 0, time.Local))
	out, errOut, code := runLogsCLI(t, "", "logs", "--json", p)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	res := decodeLines(t, out)
	counts := map[string]int{}
	for _, m := range res {
		counts[m["status"].(string)]++
		for _, f := range []string{"time", "mta", "status", "recipient", "attempts", "diagnosis"} {
			if _, ok := m[f]; !ok {
				t.Errorf("outcome lacks %q: %v", f, m)
			}
		}
		d := m["diagnosis"].(map[string]any)
		if d["reason"] == "" || d["action"] == "" || d["title"] == "" {
			t.Errorf("diagnosis incomplete: %v", d)
		}
	}
	want := map[string]int{"bounced": 6, "deferred": 5, "expired": 1, "rejected": 5}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%s: %d outcomes, want %d (all: %v)", k, counts[k], n, counts)
		}
	}
	if counts["sent"] != 0 {
		t.Errorf("sent shown without --all")
	}
	if !strings.HasPrefix(res[0]["time"].(string), "2024-12-31T23:40:11") {
		t.Errorf("first time %v, want 2024-12-31T23:40:11 (year before the mtime)", res[0]["time"])
	}
	for _, s := range []string{"lines read: 44", "not understood: 3", "bounced 6", "sent 4 (not shown", "by reason:", "userunknown", "top recipient domains (failures): example.com", "top relays (failures):", "mx.example.net"} {
		if !strings.Contains(errOut, s) {
			t.Errorf("summary lacks %q:\n%s", s, errOut)
		}
	}
}

func TestLogsSummaryGerman(t *testing.T) {
	p := sampleLog(t, "postfix.log", time.Date(2025, 1, 2, 12, 0, 0, 0, time.Local))
	_, errOut, _ := runLogsCLI(t, "", "logs", "--json", "--lang", "de", p)
	for _, s := range []string{"Zeilen gelesen: 44", "nicht verstanden: 3", "sent 4 (nicht angezeigt; --all zeigt sie)", "nach Grund:", "häufigste Empfängerdomains (Fehler): example.com"} {
		if !strings.Contains(errOut, s) {
			t.Errorf("German summary lacks %q:\n%s", s, errOut)
		}
	}
}

func TestLogsAllSinceAndTable(t *testing.T) {
	p := sampleLog(t, "postfix.log", time.Date(2025, 1, 2, 12, 0, 0, 0, time.Local))
	out, _, code := runLogsCLI(t, "", "logs", "--json", "--all", p)
	if n := strings.Count(out, `"status":"sent"`); code != 0 || n != 4 {
		t.Fatalf("--all: exit %d, %d sent outcomes, want 4", code, n)
	}
	out, _, _ = runLogsCLI(t, "", "logs", "--json", "--since", "2025-01-01", p)
	for _, m := range decodeLines(t, out) {
		if strings.HasPrefix(m["time"].(string), "2024") {
			t.Errorf("--since 2025-01-01 let through %v", m["time"])
		}
	}
	out, _, _ = runLogsCLI(t, "", "logs", "--until", "2025-01-01", p)
	if strings.Contains(out, "2025-01-01 00:3") {
		t.Errorf("--until let later lines through:\n%s", out)
	}
	out, errOut, code := runLogsCLI(t, "", "logs", "--lang", "de", p)
	if code != 0 || !strings.Contains(out, "EMPFÄNGER") || !strings.Contains(out, "lost.sender@example.net") || !strings.Contains(out, "suppress") {
		t.Fatalf("table: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestLogsStdinAndMissingFile(t *testing.T) {
	p := sampleLog(t, "sendmail.log", time.Date(2025, 6, 13, 0, 0, 0, 0, time.Local))
	missing := filepath.Join(t.TempDir(), "no-such.log")
	out, errOut, code := runLogsCLI(t, "", "logs", "--json", missing, p)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(errOut, missing) {
		t.Errorf("stderr does not name %s: %s", missing, errOut)
	}
	if n := len(decodeLines(t, out)); n != 4 {
		t.Errorf("%d outcomes from the readable file, want 4:\n%s", n, out)
	}
	b, _ := os.ReadFile(p)
	out, _, code = runLogsCLI(t, string(b), "logs", "--json", "-")
	if code != 0 || !strings.Contains(out, `"recipient":"cody@example.com"`) {
		t.Errorf("stdin: exit %d\n%s", code, out)
	}
}

func TestLogsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"logs"},
		{"logs", "--since", "yesterday", "x.log"},
		{"logs", "--until", "-5h", "x.log"},
		{"logs", "--lang", "fr", "x.log"},
		{"logs", "--nosuchflag", "x.log"},
		{"logs", "--follow", "-"},
	} {
		if _, errOut, code := runLogsCLI(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errOut)
		}
	}
}

func TestParseWhen(t *testing.T) {
	now := time.Date(2025, 1, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2025-01-02T15:04:05Z", time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)},
		{"24h", now.Add(-24 * time.Hour)},
		{"7d", now.Add(-7 * 24 * time.Hour)},
		{"2025-01-02", time.Date(2025, 1, 2, 0, 0, 0, 0, time.Local)},
	}
	for _, tt := range tests {
		got, err := parseWhen(tt.in, now)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseWhen(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
}

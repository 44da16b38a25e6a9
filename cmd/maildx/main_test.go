package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// runCLI runs maildx with args and returns stdout, stderr and the exit status.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	code := a.run(args)
	return out.String(), errb.String(), code
}

func TestLookup(t *testing.T) {
	out, _, code := runCLI(t, nil, "", "lookup", "econnrefused")
	if code != 0 || !strings.Contains(out, "Connection refused") {
		t.Fatalf("code %d, out %q", code, out)
	}
	out, _, _ = runCLI(t, nil, "", "lookup", "--lang", "de", "ECONNREFUSED")
	if !strings.Contains(out, "Verbindung abgelehnt") || !strings.Contains(out, "Was zu tun ist") {
		t.Fatalf("German output: %q", out)
	}
	out, _, _ = runCLI(t, map[string]string{"LANG": "de_DE.UTF-8"}, "", "lookup", "ECONNREFUSED")
	if !strings.Contains(out, "Verbindung abgelehnt") {
		t.Fatalf("LANG=de not honoured: %q", out)
	}
	out, _, _ = runCLI(t, map[string]string{"LANG": "de_DE.UTF-8", "MAILDX_LANG": "en"}, "", "lookup", "ECONNREFUSED")
	if !strings.Contains(out, "Connection refused") {
		t.Fatalf("MAILDX_LANG must beat LANG: %q", out)
	}
}

func TestLookupJSON(t *testing.T) {
	out, _, code := runCLI(t, nil, "", "lookup", "--json", "ECONNREFUSED")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var entries []map[string]any
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, out)
	}
	if len(entries) == 0 {
		t.Fatal("no entries")
	}
	for _, field := range []string{"id", "source", "codes", "reason", "category", "temporary", "action", "fault", "standard", "text"} {
		if _, ok := entries[0][field]; !ok {
			t.Errorf("entry lacks %q", field)
		}
	}
	text := entries[0]["text"].(map[string]any)
	for _, lang := range []string{"en", "de"} {
		l := text[lang].(map[string]any)
		if l["title"] == "" || l["meaning"] == "" || len(l["solution"].([]any)) == 0 {
			t.Errorf("text.%s incomplete: %v", lang, l)
		}
	}
}

func TestLookupUnknown(t *testing.T) {
	out, errOut, code := runCLI(t, nil, "", "lookup", "--json", "no-such-thing")
	if code != 1 || strings.TrimSpace(out) != "[]" || !strings.Contains(errOut, "no knowledge-base entry") {
		t.Fatalf("code %d out %q err %q", code, out, errOut)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := [][]string{
		{"lookup"},
		{"lookup", "a", "b"},
		{"lookup", "--lang", "fr", "550"},
		{"lookup", "--nosuchflag", "550"},
		{"codes", "--source", "nowhere"},
		{"codes", "--category", "nothing"},
		{"nosuchcommand"},
	}
	for _, args := range tests {
		_, errOut, code := runCLI(t, nil, "", args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errOut)
		}
		if !strings.HasPrefix(errOut, "maildx: ") {
			t.Errorf("%v: stderr %q does not start with maildx:", args, errOut)
		}
	}
}

func TestCodesSearch(t *testing.T) {
	out, _, code := runCLI(t, nil, "", "codes", "--search", "VERBINDUNG abgelehnt")
	if code != 0 || !strings.Contains(out, "socket-connection-refused") {
		t.Fatalf("code %d out %q", code, out)
	}
	out, _, code = runCLI(t, nil, "", "codes", "--search", "zzzz-nothing")
	if code != 1 || strings.Contains(out, "socket-") {
		t.Fatalf("code %d out %q", code, out)
	}
}

func TestExplainCLI(t *testing.T) {
	out, _, code := runCLI(t, nil, "", "explain", "550 5.1.1 <a@example.com>: Recipient address rejected: User unknown", "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if d["reason"] != "userunknown" || d["hard_bounce"] != true || d["reply_code"] != float64(550) {
		t.Errorf("diagnosis %v", d)
	}
	// Human output in German from stdin.
	out, _, code = runCLI(t, nil, "452 4.2.2 Mailbox full\n", "explain", "--lang", "de")
	if code != 0 || !strings.Contains(out, "Was zu tun ist") || !strings.Contains(out, "452 4.2.2") {
		t.Errorf("exit %d, out %q", code, out)
	}
	_, errOut, code := runCLI(t, nil, "  \n", "explain")
	if code != 2 || !strings.Contains(errOut, "nothing to explain") {
		t.Errorf("empty stdin: exit %d, %q", code, errOut)
	}
}

func TestExplainLines(t *testing.T) {
	in := "550 5.1.1 user unknown\n\n421 4.7.0 try again later\r\n" + strings.Repeat("x", 200000) + "\nlast line without newline"
	out, _, code := runCLI(t, nil, in, "explain", "--lines", "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("want 5 results (one per input line), got %d", len(lines))
	}
	var first, third map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[2]), &third)
	if first["reason"] != "userunknown" || third["temporary"] != true {
		t.Errorf("first %v third %v", first["reason"], third["temporary"])
	}
	_, _, code = runCLI(t, nil, "", "explain", "--lines", "550")
	if code != 2 {
		t.Errorf("--lines with TEXT: exit %d, want 2", code)
	}
}

func TestParseCLI(t *testing.T) {
	dir := t.TempDir()
	good := "../../dsn/testdata/set-of-emails/maildir/lhost-postfix-05.eml"
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "a.eml"), data, 0o644)
	os.WriteFile(filepath.Join(dir, "b.eml"), []byte("not a message at all\x00"), 0o644)
	os.WriteFile(filepath.Join(dir, "c.eml"), []byte("From: a@example.com\nSubject: hi\n\nhello\n"), 0o644)
	out, errOut, code := runCLI(t, nil, "", "parse", "--json", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1 (one unreadable message)", code)
	}
	if !strings.Contains(errOut, "b.eml") || !strings.Contains(errOut, "3 messages read, 1 bounces, 1 recipients, 1 unreadable") {
		t.Errorf("stderr %q", errOut)
	}
	if _, errOut, _ := runCLI(t, nil, "", "parse", "--json", "--lang", "de", dir); !strings.Contains(errOut, "3 Nachrichten gelesen, 1 Bounces, 1 Empfänger, 1 unlesbar; nach Grund: userunknown 1") {
		t.Errorf("German summary %q", errOut)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &r); err != nil {
		t.Fatalf("want one JSON line: %v\n%s", err, out)
	}
	if r["recipient"] != "kijitora@example.org" || r["reason"] != "userunknown" || r["dsn_action"] != "failed" || !strings.HasSuffix(r["file"].(string), "a.eml") {
		t.Errorf("result %v", r)
	}
	// stdin, table output, German.
	out, _, code = runCLI(t, nil, string(data), "parse", "--lang", "de", "-")
	if code != 0 || !strings.Contains(out, "kijitora@example.org") || !strings.Contains(out, "userunknown") {
		t.Errorf("stdin: exit %d out %q", code, out)
	}
	if _, _, code := runCLI(t, nil, "", "parse"); code != 2 {
		t.Errorf("no PATH: exit %d, want 2", code)
	}
	if _, errOut, code := runCLI(t, nil, "", "parse", filepath.Join(dir, "missing.eml")); code != 1 || !strings.Contains(errOut, "missing.eml") {
		t.Errorf("missing file: exit %d, %q", code, errOut)
	}
}

// TestParseTableBlocks: the table streams in blocks of tableBlock rows,
// and no row is lost or doubled at a block boundary.
func TestParseTableBlocks(t *testing.T) {
	data, err := os.ReadFile("../../dsn/testdata/set-of-emails/maildir/lhost-postfix-05.eml")
	if err != nil {
		t.Fatal(err)
	}
	var mbox strings.Builder
	n := tableBlock + 10
	for range n {
		mbox.WriteString("From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n")
		mbox.Write(data)
		mbox.WriteString("\n")
	}
	path := filepath.Join(t.TempDir(), "box")
	os.WriteFile(path, []byte(mbox.String()), 0o644)
	out, _, code := runCLI(t, nil, "", "parse", path)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != n+1 || !strings.HasPrefix(lines[0], "FILE") || strings.Count(out, "kijitora@example.org") != n {
		t.Errorf("want a header and %d rows, got %d lines", n, len(lines))
	}
	if !strings.Contains(lines[n], "box:"+strconv.Itoa(n)) {
		t.Errorf("last row %q", lines[n])
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServe(t *testing.T) {
	var out, errb syncBuffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, "127.0.0.1:0") }()
	var url string
	for i := 0; i < 100 && url == ""; i++ {
		time.Sleep(20 * time.Millisecond)
		if s := out.String(); strings.Contains(s, "http://") {
			url = strings.Fields(s[strings.Index(s, "http://"):])[0]
		}
	}
	if url == "" {
		t.Fatalf("no URL printed: %q", out.String())
	}
	resp, err := http.Post(url+"api/v1/explain", "application/json", strings.NewReader(`{"text":"550 5.1.1 user unknown"}`))
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()
	if d["reason"] != "userunknown" {
		t.Errorf("explain via serve: %v", d)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if _, _, code := runCLI(t, nil, "", "serve", "--addr", "nonsense"); code != 2 {
		t.Errorf("bad --addr: exit %d, want 2", code)
	}
}

func TestExplainNamesCheck(t *testing.T) {
	out, _, _ := runCLI(t, nil, "", "explain", "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org")
	if !strings.Contains(out, "maildx check domain --ip") {
		t.Errorf("blocklist error does not name the check:\n%s", out)
	}
	out, _, _ = runCLI(t, nil, "", "explain", "550 5.1.1 user unknown")
	if !strings.Contains(out, "maildx check address") {
		t.Errorf("unknown user does not name the address check:\n%s", out)
	}
}

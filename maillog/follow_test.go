package maillog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestFollow appends to a live file, rotates it (rename + new file) and
// truncates it, and expects every outcome exactly once.
func TestFollow(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mail.log")
	line := func(rcpt string) string {
		return fmt.Sprintf("Mar  3 10:00:00 mx postfix/smtp[1]: AB12345: to=<%s>, relay=none, delay=1, dsn=5.1.1, status=bounced (550 5.1.1 no such user)\n", rcpt)
	}
	appendTo := func(s string) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(s)
		f.Close()
	}
	appendTo(line("a@example.net"))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var mu sync.Mutex
	var got []string
	r := NewReader(Options{Location: time.UTC})
	done := make(chan error, 1)
	go func() {
		done <- r.Follow(ctx, path, 10*time.Millisecond, func(o Outcome) error {
			mu.Lock()
			got = append(got, o.Recipient)
			mu.Unlock()
			return nil
		})
	}()
	waitFor := func(n int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			k := len(got)
			mu.Unlock()
			if k >= n {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("timed out waiting for %d outcomes, have %v", n, got)
	}
	waitFor(1)
	// A line written in two parts is read once it is complete.
	l := line("b@example.net")
	appendTo(l[:20])
	time.Sleep(40 * time.Millisecond)
	appendTo(l[20:])
	waitFor(2)
	// Rotation: the old file gets one more line, is renamed, a new one starts.
	appendTo(line("c@example.net"))
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo(line("d@example.net"))
	waitFor(4)
	// copytruncate: the file shrinks and starts again. The new content is
	// shorter than what was read, so the shrink is seen whenever it is polled.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(40 * time.Millisecond)
	appendTo(line("e@x.net"))
	waitFor(5)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Follow returned %v after cancel", err)
	}
	want := []string{"a@example.net", "b@example.net", "c@example.net", "d@example.net", "e@x.net"}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

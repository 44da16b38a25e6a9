package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const crashChildEnv = "MAILDX_STORE_CRASH_CHILD"

// TestSQLiteCrashSafety runs a child process (this test binary) that adds
// batches of events from two goroutines and prints the IDs of every batch
// whose AddEvents returned. The parent kills it with SIGKILL mid-load, reopens
// the file and checks that every acknowledged event is there.
func TestSQLiteCrashSafety(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("-short: skipping the SIGKILL crash test")
	}
	for round := range 3 {
		path := t.TempDir() + "/crash.db"
		cmd := exec.Command(os.Args[0], "-test.run=^TestSQLiteCrashSafety$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var acked []string
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		killed := false
		for sc.Scan() {
			line, ok := strings.CutPrefix(sc.Text(), "acked ")
			if !ok {
				continue
			}
			acked = append(acked, strings.Split(line, ",")...)
			if !killed && len(acked) >= 2000+round*1500 {
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
			}
		}
		err = cmd.Wait()
		if !killed {
			t.Fatalf("child ended before it was killed: %v", err)
		}
		s := openT(t, path, Options{})
		ctx := context.Background()
		missing := 0
		for _, id := range acked {
			if _, err := s.GetEvent(ctx, id); err != nil {
				missing++
				if missing < 5 {
					t.Errorf("acknowledged event %s missing after SIGKILL: %v", id, err)
				}
			}
		}
		if missing > 0 {
			t.Fatalf("%d of %d acknowledged events missing", missing, len(acked))
		}
		all, _, _ := s.ListEvents(ctx, Filter{Limit: 1})
		t.Logf("round %d: %d acknowledged events present after SIGKILL (store not empty: %v)", round, len(acked), len(all) > 0)
		s.Close()
	}
}

func crashChild(path string) {
	s, err := Open(context.Background(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for b := 0; ; b++ {
				evs := make([]Event, 0, 50)
				for i := range 50 {
					id := fmt.Sprintf("g%d-b%d-%d", g, b, i)
					evs = append(evs, soft(ev(id, TypeBounced, id+"@x.de", time.Now())))
				}
				if _, err := s.AddEvents(context.Background(), evs); err != nil {
					fmt.Fprintln(os.Stderr, "child:", err)
					os.Exit(3)
				}
				mu.Lock()
				// One write per line: the parent sees whole lines only.
				os.Stdout.WriteString("acked " + strings.Join(ids(evs), ",") + "\n")
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

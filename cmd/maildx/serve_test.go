package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/maildx/maildx/check"
	"github.com/maildx/maildx/check/dnstest"
	"github.com/maildx/maildx/check/smtptest"
)

const crashMailgunKey = "key-crash-test"

// TestServeChild is the server process of TestServeCrash: the test binary
// re-executed with MAILDX_SERVE_CHILD=DB runs "maildx serve" until killed,
// with --sqlite-synchronous MAILDX_SERVE_CHILD_SYNC when that is set.
func TestServeChild(t *testing.T) {
	db := os.Getenv("MAILDX_SERVE_CHILD")
	if db == "" {
		t.Skip("helper process of TestServeCrash")
	}
	a := &app{stdin: strings.NewReader(""), stdout: os.Stdout, stderr: io.Discard, getenv: os.Getenv}
	args := []string{"serve", "--addr", "127.0.0.1:0", "--db", db}
	if mode := os.Getenv("MAILDX_SERVE_CHILD_SYNC"); mode != "" {
		args = append(args, "--sqlite-synchronous", mode)
	}
	os.Exit(a.run(args))
}

// startChild starts the server with --sqlite-synchronous mode ("" for the
// default) and returns its base URL; it fails t unless the server says it
// runs the store in mode want.
func startChild(t *testing.T, db, mode, want string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeChild$")
	cmd.Env = append(os.Environ(), "MAILDX_SERVE_CHILD="+db, "MAILDX_SERVE_CHILD_SYNC="+mode,
		"MAILDX_MAILGUN_SIGNING_KEY="+crashMailgunKey, "MAILDX_API_TOKEN=crash-token")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urlc, storec := make(chan string, 1), make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if i := strings.Index(sc.Text(), "http://"); i >= 0 {
				urlc <- strings.TrimSuffix(strings.Fields(sc.Text()[i:])[0], "/")
			}
			if strings.HasPrefix(sc.Text(), "event store:") {
				storec <- sc.Text()
			}
		}
	}()
	var u string
	for _, c := range []chan string{urlc, storec} {
		select {
		case line := <-c:
			if c == urlc {
				u = line
			} else if !strings.HasSuffix(line, "(SQLite, synchronous="+want+")") {
				cmd.Process.Kill()
				t.Fatalf("server started with %q, want synchronous=%s", line, want)
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			t.Fatal("server did not start")
		}
	}
	return cmd, u
}

func mailgunBody(id, token string, ts int64) []byte {
	mac := hmac.New(sha256.New, []byte(crashMailgunKey))
	mac.Write([]byte(strconv.FormatInt(ts, 10) + token))
	return fmt.Appendf(nil, `{"signature":{"timestamp":"%d","token":"%s","signature":"%s"},"event-data":{"id":"%s","timestamp":%d,"event":"failed","severity":"permanent","reason":"bounce","recipient":"%s@example.de","message":{"headers":{"message-id":"%s@shop.example"}},"delivery-status":{"code":550,"message":"5.1.1 The email account that you tried to reach does not exist.","description":""}}}`,
		ts, token, hex.EncodeToString(mac.Sum(nil)), id, ts, id, id)
}

// TestServeCrash posts signed Mailgun webhooks concurrently to a "maildx
// serve" process, kills it with SIGKILL under load, restarts it on the
// same SQLite file and checks that every event answered 2xx is stored: with
// the default synchronous mode (normal) and with --sqlite-synchronous full.
func TestServeCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	for _, tc := range []struct{ flag, want string }{{"", "normal"}, {"full", "full"}} {
		t.Run(tc.want, func(t *testing.T) { testServeCrash(t, tc.flag, tc.want) })
	}
}

func testServeCrash(t *testing.T, mode, want string) {
	db := filepath.Join(t.TempDir(), "crash.db")
	cmd, base := startChild(t, db, mode, want)
	var mu sync.Mutex
	acked := map[string]bool{}
	ctx, stop := context.WithCancel(context.Background())
	client := &http.Client{Timeout: 5 * time.Second}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				id := fmt.Sprintf("crash-%d-%d", w, i)
				body := mailgunBody(id, "tok-"+id, time.Now().Unix())
				req, _ := http.NewRequestWithContext(ctx, "POST", base+"/webhooks/mailgun", bytes.NewReader(body))
				resp, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					mu.Lock()
					acked[id] = true
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	stop()
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no webhook was acknowledged before the kill")
	}

	cmd, base = startChild(t, db, mode, want)
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	stored := map[string]bool{}
	cursor := ""
	for {
		req, _ := http.NewRequest("GET", base+"/api/v1/events?provider=mailgun&limit=1000&cursor="+url.QueryEscape(cursor), nil)
		req.Header.Set("Authorization", "Bearer crash-token")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Events []struct {
				ProviderEventID string `json:"provider_event_id"`
			} `json:"events"`
			NextCursor string `json:"next_cursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("listing after restart: %d %v", resp.StatusCode, err)
		}
		for _, e := range page.Events {
			stored[e.ProviderEventID] = true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	lost := 0
	for id := range acked {
		if !stored[id] {
			lost++
			if lost <= 5 {
				t.Errorf("event %s was acknowledged but is not stored", id)
			}
		}
	}
	t.Logf("%d webhooks acknowledged before SIGKILL, %d events stored, %d lost", len(acked), len(stored), lost)
}

func TestServeRefusesPublicWithoutToken(t *testing.T) {
	db := filepath.Join(t.TempDir(), "e.db")
	_, errOut, code := runCLI(t, nil, "", "serve", "--addr", "0.0.0.0:0", "--db", db)
	if code != 2 || !strings.Contains(errOut, "MAILDX_API_TOKEN") {
		t.Errorf("serve on 0.0.0.0 without token: exit %d, %q", code, errOut)
	}
	_, errOut, code = runCLI(t, nil, "", "serve", "--addr", ":0", "--db", db)
	if code != 2 || !strings.Contains(errOut, "MAILDX_API_TOKEN") {
		t.Errorf("serve on :0 without token: exit %d, %q", code, errOut)
	}
	for _, h := range []string{"127.0.0.1", "localhost", "::1"} {
		if !isLoopback(h) {
			t.Errorf("isLoopback(%q) = false", h)
		}
	}
	for _, h := range []string{"", "0.0.0.0", "192.0.2.1", "example.com"} {
		if isLoopback(h) {
			t.Errorf("isLoopback(%q) = true", h)
		}
	}
}

// startServe runs serveWith(c) on a loopback port and returns its base URL
// (with a trailing slash).
func startServe(t *testing.T, c serveConfig) string {
	t.Helper()
	var out, errb syncBuffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	c.addr = "127.0.0.1:0"
	go func() { done <- a.serveWith(ctx, c) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	for i := 0; i < 200; i++ {
		if s := out.String(); strings.Contains(s, "http://") {
			return strings.Fields(s[strings.Index(s, "http://"):])[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no URL printed: %q %q", out.String(), errb.String())
	return ""
}

const serveCheckZone = `
ok.test. MX 10 mx.ok.test.
mx.ok.test. A 93.184.216.34
ok.test. TXT "v=spf1 ip4:93.184.216.34 -all"
p.test. MX 10 mx.p.test.
mx.p.test. A 127.0.0.1
`

func postJSON(t *testing.T, u, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeChecks(t *testing.T) {
	dns := dnstest.Start(t, serveCheckZone)
	base := startServe(t, serveConfig{resolver: dns.Addr})
	resp, err := http.Get(base + "api/v1/check/domain/ok.test")
	if err != nil {
		t.Fatal(err)
	}
	var fs []check.Finding
	err = json.NewDecoder(resp.Body).Decode(&fs)
	resp.Body.Close()
	if resp.StatusCode != 200 || err != nil || len(fs) == 0 {
		t.Fatalf("domain check via serve: %d %v", resp.StatusCode, err)
	}
	resp, err = http.Get(base + "check/domain?lang=de")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `<a href="/check/domain" aria-current="page">Prüfen</a>`) {
		t.Errorf("no check menu item: %s", page)
	}
	// Probing is off without --allow-probe.
	if code, body := postJSON(t, base+"api/v1/check/address", `{"address": "a@ok.test", "probe": true}`); code != 400 || !strings.Contains(body, "disabled") {
		t.Errorf("probe without --allow-probe: %d %s", code, body)
	}
}

func TestServeProbe(t *testing.T) {
	dns := dnstest.Start(t, serveCheckZone)
	mx := smtptest.Start(t, &smtptest.Server{Rcpt: map[string][]string{"a@p.test": {"250 Ok"}}})
	// --allow-probe: the MX on 127.0.0.1 is still refused.
	base := startServe(t, serveConfig{resolver: dns.Addr, allowProbe: true, probeHELO: "probe.test", probeDial: mx.Dial()})
	code, body := postJSON(t, base+"api/v1/check/address", `{"address": "a@p.test", "probe": true}`)
	if code != 200 || !strings.Contains(body, `"reason":"private-target"`) || mx.Conns() != 0 {
		t.Errorf("private MX probed: %d %s, %d connections", code, body, mx.Conns())
	}
	// With --allow-private-targets (tests only) it reaches the test server.
	base = startServe(t, serveConfig{resolver: dns.Addr, allowProbe: true, probeHELO: "probe.test", probeDial: mx.Dial(), allowPrivate: true})
	code, body = postJSON(t, base+"api/v1/check/address", `{"address": "a@p.test", "probe": true}`)
	if code != 200 || !strings.Contains(body, `"result":"deliverable"`) {
		t.Errorf("probe with --allow-private-targets: %d %s", code, body)
	}
}

func TestServeCheckFlags(t *testing.T) {
	db := filepath.Join(t.TempDir(), "e.db")
	env := map[string]string{"MAILDX_API_TOKEN": "t"}
	_, errOut, code := runCLI(t, env, "", "serve", "--addr", "0.0.0.0:0", "--db", db, "--allow-private-targets")
	if code != 2 || !strings.Contains(errOut, "tests only") {
		t.Errorf("--allow-private-targets on a public address: exit %d, %q", code, errOut)
	}
	_, errOut, code = runCLI(t, nil, "", "serve", "--addr", "127.0.0.1:0", "--db", db, "--resolver", ":53")
	if code != 2 || !strings.Contains(errOut, "--resolver") {
		t.Errorf("bad --resolver: exit %d, %q", code, errOut)
	}
	out, _, _ := runCLI(t, nil, "", "serve", "--help")
	for _, f := range []string{"--allow-probe", "--trust-proxy", "--allow-private-targets", "--resolver"} {
		if !strings.Contains(out, f) {
			t.Errorf("serve --help lacks %s", f)
		}
	}
}

// TestServeSQLiteSynchronous: --sqlite-synchronous takes normal or full
// (default from MAILDX_SQLITE_SYNCHRONOUS), for a SQLite store only; the
// event commands take the environment variable too.
func TestServeSQLiteSynchronous(t *testing.T) {
	db := filepath.Join(t.TempDir(), "e.db")
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"--db", db, "--sqlite-synchronous", "off"}, `mode "off"`},
		{map[string]string{"MAILDX_SQLITE_SYNCHRONOUS": "sometimes"}, []string{"--db", db}, `"sometimes"`},
		{nil, []string{"--db", "postgres://u@127.0.0.1:1/x", "--sqlite-synchronous", "full"}, "applies to a SQLite --db"},
	} {
		_, errOut, code := runCLI(t, tc.env, "", append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("serve %v (env %v): exit %d, %q; want 2 and %q", tc.args, tc.env, code, errOut, tc.want)
		}
	}
	out, _, _ := runCLI(t, nil, "", "serve", "--help")
	if !strings.Contains(out, "--sqlite-synchronous") || !strings.Contains(out, "MAILDX_SQLITE_SYNCHRONOUS") {
		t.Errorf("serve --help does not document --sqlite-synchronous")
	}
	_, errOut, code := runCLI(t, map[string]string{"MAILDX_SQLITE_SYNCHRONOUS": "sometimes"}, "", "suppressions", "list", "--db", db)
	if code == 0 || !strings.Contains(errOut, `"sometimes"`) {
		t.Errorf("suppressions list with a bad MAILDX_SQLITE_SYNCHRONOUS: exit %d, %q", code, errOut)
	}
	if _, errOut, code := runCLI(t, map[string]string{"MAILDX_SQLITE_SYNCHRONOUS": "full"}, "", "suppressions", "list", "--db", db); code != 0 {
		t.Errorf("suppressions list with MAILDX_SQLITE_SYNCHRONOUS=full: exit %d, %q", code, errOut)
	}
}

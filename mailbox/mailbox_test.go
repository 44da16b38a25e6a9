package mailbox

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// got is one delivered message or one reported problem, with paths made
// relative to the test's root directory.
type got struct {
	Path string
	Data string // message bytes; empty for problems
	Err  error  // nil for messages
}

func (g got) String() string {
	if g.Err != nil {
		return fmt.Sprintf("error %s: %v", g.Path, g.Err)
	}
	return fmt.Sprintf("message %s: %q", g.Path, g.Data)
}

// walk runs Walk and collects messages and problems in the order seen.
func walk(t *testing.T, root, path string, opts Options) []got {
	t.Helper()
	if path != "-" {
		path = filepath.Join(root, path)
	}
	rel := func(p string) string {
		if p == root {
			return "."
		}
		return strings.TrimPrefix(p, root+string(filepath.Separator))
	}
	var out []got
	err := Walk(context.Background(), path, opts,
		func(m Message) error {
			out = append(out, got{Path: rel(m.Path), Data: string(m.Data)})
			return nil
		},
		func(p string, err error) {
			if err == nil {
				t.Errorf("errf(%q, nil) called", p)
			}
			out = append(out, got{Path: rel(p), Err: err})
		})
	if err != nil {
		t.Fatalf("Walk(%q) = %v, want nil", path, err)
	}
	return out
}

func gz(t testing.TB, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func toCRLF(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// anyErr marks an expected problem whose error value is not checked.
var anyErr = errors.New("any error")

const (
	msgA = "Subject: a\n\nbody a\n"
	msgB = "Subject: b\n\nbody b\n"
	msgC = "Subject: c\r\n\r\nbody c\r\n"

	threeMbox = "From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n" +
		"Subject: one\n\n" +
		">From the start\n" +
		">>From quoted twice\n" +
		"From not a separator: no empty line before it\n" +
		"> From stays\n" +
		"\n" +
		"From MAILER-DAEMON Mon Jan  1 00:00:01 2024\n" +
		"Subject: two\n\nbody two\n\n\n" + // an empty line at the end of the body
		"\n" +
		"From MAILER-DAEMON Mon Jan  1 00:00:02 2024\n" +
		"Subject: three\n\nlast\n" +
		"\n"
	three1 = "Subject: one\n\nFrom the start\n>From quoted twice\nFrom not a separator: no empty line before it\n> From stays\n"
	three2 = "Subject: two\n\nbody two\n\n\n"
	three3 = "Subject: three\n\nlast\n"
)

func TestWalk(t *testing.T) {
	long := strings.Repeat("x", 3*bufSize) + "\n"
	longFrom := "From " + strings.Repeat("y", 2*bufSize) + "\n"
	big := "Subject: big\n\n" + strings.Repeat("b", 200) + "\n"

	tests := []struct {
		name  string
		files map[string]string // relative path → content
		links map[string]string // relative path → symlink target
		dirs  []string          // extra empty directories
		path  string            // relative to the root, or "-"
		stdin string            // used when path is "-"
		opts  Options
		want  []got
	}{
		{
			name:  "single eml",
			files: map[string]string{"a.eml": msgA},
			path:  "a.eml",
			want:  []got{{Path: "a.eml", Data: msgA}},
		},
		{
			name:  "directory of eml in name order",
			files: map[string]string{"b.eml": msgB, "a.eml": msgA, "c.txt": msgC},
			path:  ".",
			want:  []got{{Path: "a.eml", Data: msgA}, {Path: "b.eml", Data: msgB}, {Path: "c.txt", Data: msgC}},
		},
		{
			name: "nested directories, mbox and Maildir, hidden skipped",
			files: map[string]string{
				"x/2.eml":            msgB,
				"x/1/z.eml":          msgA,
				"y/box":              threeMbox,
				".hidden/h.eml":      msgC,
				"x/.h.eml":           msgC,
				"md/cur/1":           msgA,
				"md/new/2":           msgB,
				"md/tmp/3":           msgC,
				"md/dovecot-uidlist": "3 V1 N2\n",
				"md/.Sent/cur/4":     msgC,
			},
			path: ".",
			want: []got{
				{Path: "md/cur/1", Data: msgA},
				{Path: "md/new/2", Data: msgB},
				{Path: "x/1/z.eml", Data: msgA},
				{Path: "x/2.eml", Data: msgB},
				{Path: "y/box:1", Data: three1},
				{Path: "y/box:2", Data: three2},
				{Path: "y/box:3", Data: three3},
			},
		},
		{
			name:  "Maildir with cur, new and tmp",
			files: map[string]string{"cur/b:2,S": msgB, "cur/a:2,": msgA, "new/c": msgC, "tmp/d": msgA, "cur/.x": msgA},
			path:  ".",
			want:  []got{{Path: "cur/a:2,", Data: msgA}, {Path: "cur/b:2,S", Data: msgB}, {Path: "new/c", Data: msgC}},
		},
		{
			name:  "Maildir with only new",
			files: map[string]string{"new/1": msgA},
			dirs:  []string{"tmp"},
			path:  ".",
			want:  []got{{Path: "new/1", Data: msgA}},
		},
		{
			// The second From_ line follows a closing MIME boundary with no
			// empty line between (seen in real bounce collections); a
			// complete From_ line still separates, a "From " line of prose
			// does not.
			name: "mbox without the empty line before a From_ line",
			files: map[string]string{"box": "From a@example.com  Thu Jul  2 12:05:05 2020\nSubject: 1\n\nbody\nFrom here on, one.\n--b--\n" +
				"From double-bounce@example.com  Thu Jul  2 12:05:05 2020\nSubject: 2\n\ntwo\n"},
			path: "box",
			want: []got{
				{Path: "box:1", Data: "Subject: 1\n\nbody\nFrom here on, one.\n--b--\n"},
				{Path: "box:2", Data: "Subject: 2\n\ntwo\n"},
			},
		},
		{
			name:  "mbox with escaping",
			files: map[string]string{"box": threeMbox},
			path:  "box",
			want:  []got{{Path: "box:1", Data: three1}, {Path: "box:2", Data: three2}, {Path: "box:3", Data: three3}},
		},
		{
			name:  "mbox with CRLF",
			files: map[string]string{"box": toCRLF(threeMbox)},
			path:  "box",
			want:  []got{{Path: "box:1", Data: toCRLF(three1)}, {Path: "box:2", Data: toCRLF(three2)}, {Path: "box:3", Data: toCRLF(three3)}},
		},
		{
			name:  "mbox without final newline or empty line",
			files: map[string]string{"box": "From a\nSubject: x\n\nlast line"},
			path:  "box",
			want:  []got{{Path: "box:1", Data: "Subject: x\n\nlast line"}},
		},
		{
			name: "mbox with lines longer than the read buffer",
			files: map[string]string{"box": "From a\nSubject: x\n\n" + long + ">" + long +
				"\n" + longFrom + msgA + "\n"},
			path: "box",
			want: []got{{Path: "box:1", Data: "Subject: x\n\n" + long + ">" + long}, {Path: "box:2", Data: msgA}},
		},
		{
			name:  "gzip single message",
			files: map[string]string{"a.eml.gz": gz(t, msgA)},
			path:  "a.eml.gz",
			want:  []got{{Path: "a.eml.gz", Data: msgA}},
		},
		{
			name:  "gzip mbox",
			files: map[string]string{"box.gz": gz(t, threeMbox)},
			path:  "box.gz",
			want:  []got{{Path: "box.gz:1", Data: three1}, {Path: "box.gz:2", Data: three2}, {Path: "box.gz:3", Data: three3}},
		},
		{
			name:  "gzip at the decompression bound",
			files: map[string]string{"a.gz": gz(t, msgA)},
			path:  "a.gz",
			opts:  Options{MaxDecompressedSize: int64(len(msgA))},
			want:  []got{{Path: "a.gz", Data: msgA}},
		},
		{
			name:  "gzip beyond the decompression bound",
			files: map[string]string{"a.gz": gz(t, strings.Repeat("A", 1000)), "b.eml": msgB},
			path:  ".",
			opts:  Options{MaxDecompressedSize: 100},
			want:  []got{{Path: "a.gz", Err: ErrTooLarge}, {Path: "b.eml", Data: msgB}},
		},
		{
			name:  "gzip mbox beyond the decompression bound keeps earlier messages",
			files: map[string]string{"box.gz": gz(t, threeMbox)},
			path:  "box.gz",
			opts:  Options{MaxDecompressedSize: int64(strings.Index(threeMbox, "Subject: three"))},
			want:  []got{{Path: "box.gz:1", Data: three1}, {Path: "box.gz:2", Data: three2}, {Path: "box.gz", Err: ErrTooLarge}},
		},
		{
			name:  "corrupt gzip among good files",
			files: map[string]string{"a.eml": msgA, "b.gz": gz(t, threeMbox)[:40], "c.gz": "\x1f\x8bnot gzip", "d.eml": msgB},
			path:  ".",
			want:  []got{{Path: "a.eml", Data: msgA}, {Path: "b.gz", Err: anyErr}, {Path: "c.gz", Err: anyErr}, {Path: "d.eml", Data: msgB}},
		},
		{
			name:  "stdin mbox",
			path:  "-",
			stdin: threeMbox,
			want:  []got{{Path: "-:1", Data: three1}, {Path: "-:2", Data: three2}, {Path: "-:3", Data: three3}},
		},
		{
			name:  "stdin single message",
			path:  "-",
			stdin: msgC,
			want:  []got{{Path: "-", Data: msgC}},
		},
		{
			name:  "stdin gzip",
			path:  "-",
			stdin: gz(t, msgA),
			want:  []got{{Path: "-", Data: msgA}},
		},
		{
			name:  "stdin empty",
			path:  "-",
			stdin: "",
		},
		{
			name:  "dangling symlink among good files",
			files: map[string]string{"a.eml": msgA, "c.eml": msgB},
			links: map[string]string{"b.eml": "missing.eml"},
			path:  ".",
			want:  []got{{Path: "a.eml", Data: msgA}, {Path: "b.eml", Err: fs.ErrNotExist}, {Path: "c.eml", Data: msgB}},
		},
		{
			name:  "symlink to file followed, to directory not",
			files: map[string]string{"d/a.eml": msgA},
			links: map[string]string{"l/a.eml": "../d/a.eml", "l/d": "../d"},
			path:  "l",
			want:  []got{{Path: "l/a.eml", Data: msgA}},
		},
		{
			name:  "symlinked root directory",
			files: map[string]string{"d/a.eml": msgA},
			links: map[string]string{"l": "d"},
			path:  "l",
			want:  []got{{Path: "l/a.eml", Data: msgA}},
		},
		{
			name:  "message over the bound among good ones",
			files: map[string]string{"a.eml": msgA, "b.eml": big, "c.eml": msgB},
			path:  ".",
			opts:  Options{MaxMessageSize: 100},
			want:  []got{{Path: "a.eml", Data: msgA}, {Path: "b.eml", Err: ErrTooLarge}, {Path: "c.eml", Data: msgB}},
		},
		{
			name:  "message exactly at the bound",
			files: map[string]string{"a.eml": msgA},
			path:  "a.eml",
			opts:  Options{MaxMessageSize: int64(len(msgA))},
			want:  []got{{Path: "a.eml", Data: msgA}},
		},
		{
			name:  "mbox message over the bound is skipped",
			files: map[string]string{"box": "From a\n" + msgA + "\nFrom b\n" + big + "\nFrom c\n" + msgB},
			path:  "box",
			opts:  Options{MaxMessageSize: 100},
			want:  []got{{Path: "box:1", Data: msgA}, {Path: "box:2", Err: ErrTooLarge}, {Path: "box:3", Data: msgB}},
		},
		{
			name:  "mbox message at the bound with separator",
			files: map[string]string{"box": "From a\n" + msgA + "\nFrom b\n" + msgA + "\n"},
			path:  "box",
			opts:  Options{MaxMessageSize: int64(len(msgA))},
			want:  []got{{Path: "box:1", Data: msgA}, {Path: "box:2", Data: msgA}},
		},
		{
			name:  "empty file",
			files: map[string]string{"e.eml": ""},
			path:  "e.eml",
		},
		{
			name:  "empty file among good ones",
			files: map[string]string{"a.eml": msgA, "b.mbox": "", "c.eml": msgB},
			path:  ".",
			want:  []got{{Path: "a.eml", Data: msgA}, {Path: "c.eml", Data: msgB}},
		},
		{
			name:  "empty mbox entry",
			files: map[string]string{"box": "From a\n"},
			path:  "box",
			want:  []got{{Path: "box:1", Err: ErrEmptyMessage}},
		},
		{
			name:  "empty mbox entries before and after a message",
			files: map[string]string{"box": "From a\n\nFrom b\n" + msgA + "\nFrom c"},
			path:  "box",
			want:  []got{{Path: "box:1", Err: ErrEmptyMessage}, {Path: "box:2", Data: msgA}, {Path: "box:3", Err: ErrEmptyMessage}},
		},
		{
			name: "empty directory",
			dirs: []string{"d"},
			path: "d",
		},
		{
			name: "missing path",
			path: "nope",
			want: []got{{Path: "nope", Err: fs.ErrNotExist}},
		},
		{
			name: "no stdin",
			path: "-",
			want: []got{{Path: "-", Err: ErrNoStdin}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for p, content := range tt.files {
				writeFile(t, filepath.Join(root, p), content)
			}
			for _, d := range tt.dirs {
				if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for p, target := range tt.links {
				p = filepath.Join(root, p)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(target, p); err != nil {
					t.Skipf("symlinks not supported: %v", err)
				}
			}
			opts := tt.opts
			if tt.path == "-" && (tt.stdin != "" || tt.name == "stdin empty") {
				opts.Stdin = strings.NewReader(tt.stdin)
			}
			out := walk(t, root, tt.path, opts)
			if len(out) != len(tt.want) {
				t.Errorf("Walk(%q) gave %d items, want %d:\n got  %v\n want %v", tt.path, len(out), len(tt.want), out, tt.want)
				return
			}
			for i, w := range tt.want {
				g := out[i]
				switch {
				case g.Path != w.Path:
					t.Errorf("item %d: path %q, want %q", i, g.Path, w.Path)
				case w.Err == nil && g.Err != nil:
					t.Errorf("item %d: %v, want message %q", i, g, w.Data)
				case w.Err == nil && g.Data != w.Data:
					t.Errorf("item %d (%s): data %q, want %q", i, g.Path, g.Data, w.Data)
				case w.Err != nil && g.Err == nil:
					t.Errorf("item %d: %v, want error %v", i, g, w.Err)
				case w.Err != nil && w.Err != anyErr && !errors.Is(g.Err, w.Err):
					t.Errorf("item %d (%s): error %v, want %v", i, g.Path, g.Err, w.Err)
				}
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWalkTestdata(t *testing.T) {
	var paths []string
	err := Walk(context.Background(), "testdata", Options{}, func(m Message) error {
		paths = append(paths, m.Path)
		if !bytes.Contains(m.Data, []byte("Subject: ")) {
			t.Errorf("%s: no Subject in %q", m.Path, m.Data)
		}
		if bytes.HasPrefix(m.Data, []byte("From ")) {
			t.Errorf("%s: From_ line left in %q", m.Path, m.Data)
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatalf("Walk(testdata) = %v", err)
	}
	want := []string{"testdata/bounces.mbox:1", "testdata/bounces.mbox:2", "testdata/bounces.mbox:3", "testdata/single.eml"}
	if fmt.Sprint(paths) != fmt.Sprint(want) {
		t.Errorf("Walk(testdata) paths = %v, want %v", paths, want)
	}
}

func TestWalkStops(t *testing.T) {
	root := t.TempDir()
	for _, n := range []string{"a.eml", "b.eml", "c.eml"} {
		writeFile(t, filepath.Join(root, n), msgA)
	}
	writeFile(t, filepath.Join(root, "box"), threeMbox)
	stop := errors.New("stop")

	t.Run("fn error", func(t *testing.T) {
		calls := 0
		err := Walk(context.Background(), root, Options{}, func(m Message) error {
			calls++
			if calls == 2 {
				return stop
			}
			return nil
		}, func(string, error) {})
		if err != stop || calls != 2 {
			t.Errorf("Walk = %v after %d calls, want %v after 2", err, calls, stop)
		}
	})
	t.Run("fn error inside mbox", func(t *testing.T) {
		calls := 0
		err := Walk(context.Background(), filepath.Join(root, "box"), Options{}, func(m Message) error {
			calls++
			return stop
		}, nil)
		if err != stop || calls != 1 {
			t.Errorf("Walk = %v after %d calls, want %v after 1", err, calls, stop)
		}
	})
	t.Run("nil errf returns first problem", func(t *testing.T) {
		calls := 0
		err := Walk(context.Background(), root, Options{MaxMessageSize: 10}, func(m Message) error {
			calls++
			return nil
		}, nil)
		if !errors.Is(err, ErrTooLarge) || calls != 0 {
			t.Errorf("Walk = %v after %d calls, want ErrTooLarge after 0", err, calls)
		}
	})
	t.Run("canceled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		err := Walk(ctx, root, Options{}, func(m Message) error {
			calls++
			cancel()
			return nil
		}, nil)
		if !errors.Is(err, context.Canceled) || calls != 1 {
			t.Errorf("Walk = %v after %d calls, want context.Canceled after 1", err, calls)
		}
	})
}

// mboxGen generates an mbox of n small messages on the fly, so the test
// never holds the whole mbox in memory either.
type mboxGen struct {
	n, i int
	buf  []byte
	read int64 // bytes handed out so far
}

func (g *mboxGen) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		if g.i == g.n {
			return 0, io.EOF
		}
		g.i++
		g.buf = fmt.Appendf(nil, "From sender@example.com Mon Jan  1 00:00:00 2024\nSubject: %d\n\n>From body %d\n\n", g.i, g.i)
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	g.read += int64(n)
	return n, nil
}

func TestWalkLargeMboxStreams(t *testing.T) {
	const n = 20000
	gen := &mboxGen{n: n}
	count := 0
	var maxAhead, consumed int64
	err := Walk(context.Background(), "-", Options{Stdin: gen}, func(m Message) error {
		count++
		want := "Subject: " + strconv.Itoa(count) + "\n\nFrom body " + strconv.Itoa(count) + "\n"
		if string(m.Data) != want {
			return fmt.Errorf("message %s = %q, want %q", m.Path, m.Data, want)
		}
		if m.Path != "-:"+strconv.Itoa(count) {
			return fmt.Errorf("path %q, want -:%d", m.Path, count)
		}
		// Bytes read but not yet delivered stay within the read buffer:
		// each message also had a From_ line, a '>' and an empty line.
		consumed += int64(len("From sender@example.com Mon Jan  1 00:00:00 2024\n") + len(want) + 2)
		maxAhead = max(maxAhead, gen.read-consumed)
		return nil
	}, nil)
	if err != nil {
		t.Fatalf("Walk = %v", err)
	}
	if count != n {
		t.Errorf("Walk delivered %d messages, want %d", count, n)
	}
	if maxAhead > 2*bufSize {
		t.Errorf("Walk read %d bytes ahead of the message delivered, want at most %d", maxAhead, 2*bufSize)
	}
}

// mboxrd writes msgs as an mboxrd file, the inverse of the reader.
func mboxrd(msgs [][]byte) []byte {
	var b bytes.Buffer
	for _, m := range msgs {
		b.WriteString("From fuzz@example.com Mon Jan  1 00:00:00 2024\n")
		for line := range bytes.Lines(m) {
			if isQuotedFrom(line) || bytes.HasPrefix(line, fromLine) {
				b.WriteByte('>')
			}
			b.Write(line)
		}
		if !bytes.HasSuffix(m, []byte("\n")) {
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func FuzzMbox(f *testing.F) {
	for _, name := range []string{"testdata/bounces.mbox", "testdata/single.eml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add([]byte(toCRLF(string(data))))
	}
	f.Add([]byte(threeMbox))
	f.Add([]byte(gz(f, threeMbox)))
	f.Add([]byte("From a\n\nFrom b\n>From c\x00From d\n\n\r\n\x00\n"))
	f.Add([]byte(""))

	const limit = 512
	f.Fuzz(func(t *testing.T, data []byte) {
		// Raw input on stdin: no panic, bounded messages, sane paths.
		var msgs []Message
		var errs []error
		err := Walk(context.Background(), "-", Options{Stdin: bytes.NewReader(data), MaxMessageSize: limit, MaxDecompressedSize: 1 << 16},
			func(m Message) error {
				if len(m.Data) > limit || len(m.Data) == 0 {
					t.Errorf("message %s has %d bytes, want 1..%d", m.Path, len(m.Data), limit)
				}
				if m.Path != "-" && !strings.HasPrefix(m.Path, "-:") {
					t.Errorf("message path %q", m.Path)
				}
				msgs = append(msgs, m)
				return nil
			},
			func(p string, err error) { errs = append(errs, err) })
		if err != nil {
			t.Fatalf("Walk = %v", err)
		}
		if !bytes.HasPrefix(data, fromLine) && !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			switch {
			case len(data) == 0:
				if len(msgs)+len(errs) != 0 {
					t.Errorf("empty input gave %d messages, %d errors", len(msgs), len(errs))
				}
			case len(data) > limit:
				if len(msgs) != 0 || len(errs) != 1 || !errors.Is(errs[0], ErrTooLarge) {
					t.Errorf("large single message gave %v, %v", msgs, errs)
				}
			default:
				if len(msgs) != 1 || !bytes.Equal(msgs[0].Data, data) || len(errs) != 0 {
					t.Errorf("single message gave %v, %v", msgs, errs)
				}
			}
		}

		// Round trip: messages separated by NUL, written as mboxrd, read back.
		var in [][]byte
		for m := range bytes.SplitSeq(data, []byte{0}) {
			if len(m) > 0 {
				in = append(in, m)
			}
		}
		i := 0
		err = Walk(context.Background(), "-", Options{Stdin: bytes.NewReader(mboxrd(in))},
			func(m Message) error {
				if i >= len(in) {
					return fmt.Errorf("extra message %s: %q", m.Path, m.Data)
				}
				want := in[i]
				if !bytes.HasSuffix(want, []byte("\n")) {
					want = append(want[:len(want):len(want)], '\n')
				}
				if !bytes.Equal(m.Data, want) {
					return fmt.Errorf("message %s = %q, want %q", m.Path, m.Data, want)
				}
				i++
				return nil
			}, nil)
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		if i != len(in) {
			t.Fatalf("round trip gave %d messages, want %d", i, len(in))
		}
	})
}

// Package mailbox reads raw messages from mail stores, one at a time, for
// bounce parsing.
//
// Walk accepts a path naming one of:
//
//   - "-": standard input (Options.Stdin);
//   - a regular file holding one message (.eml or any other name);
//   - a regular file in mbox format, recognised by a first line starting
//     with "From " (the From_ line of RFC 4155);
//   - a Maildir directory (one with a cur/ or new/ subdirectory), whose
//     cur/ and then new/ messages are read and whose tmp/ is ignored;
//   - any other directory, walked recursively, so directories of .eml
//     files, of mbox files and of nested Maildirs all work.
//
// Files and standard input that start with the gzip magic bytes (1f 8b) are
// decompressed transparently.
//
// The mbox reader follows RFC 4155 and reads both the mboxo and the mboxrd
// variants: a message starts at a line beginning with "From " that is the
// first line of the file or follows an empty line; the From_ line and the
// empty line before it are not part of the message; one ">" is removed from
// every line matching ^>+From (mboxrd quoting, which also undoes mboxo
// quoting). Lines may end in LF or CRLF. Message bytes are otherwise
// delivered as they are stored; this package does not parse MIME.
//
// Bounds: Walk holds at most one message in memory, never reads more than
// Options.MaxMessageSize bytes of a message (larger messages are reported as
// ErrTooLarge and skipped), reads long lines in bounded pieces, and stops
// decompressing a gzip stream after Options.MaxDecompressedSize bytes.
// Directories are visited in lexical order, hidden names (starting with ".")
// are skipped and symbolic links to directories are not followed, so a walk
// always terminates and its order is deterministic.
//
// This package does not own message parsing (see the dsn package) and never
// modifies a mail store.
package mailbox

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Default bounds used when the corresponding Options field is zero.
const (
	DefaultMaxMessageSize      int64 = 50 << 20
	DefaultMaxDecompressedSize int64 = 4 << 30
)

// Errors reported to the error callback of Walk; they may be wrapped.
var (
	// ErrTooLarge means a message exceeded Options.MaxMessageSize, or a gzip
	// stream exceeded Options.MaxDecompressedSize.
	ErrTooLarge = errors.New("mailbox: too large")
	// ErrEmptyMessage means an mbox entry had a From_ line but no content.
	ErrEmptyMessage = errors.New("mailbox: empty message")
	// ErrNoStdin means the path "-" was given but Options.Stdin is nil.
	ErrNoStdin = errors.New("mailbox: no standard input configured")
)

// Message is one message read from a store.
type Message struct {
	// Path says where the message came from: the file path; for an mbox
	// "path:N" with N the 1-based message number; "-" or "-:N" for
	// standard input.
	Path string
	// Data is the raw message, at most Options.MaxMessageSize bytes. It is
	// owned by the callback and is not reused by Walk.
	Data []byte
}

// Options configures Walk. The zero value is useful: default bounds and no
// standard input.
type Options struct {
	// MaxMessageSize is the largest message, in bytes, that Walk delivers.
	// A larger message is reported as ErrTooLarge and skipped, never
	// truncated. Zero or negative means DefaultMaxMessageSize.
	MaxMessageSize int64
	// MaxDecompressedSize bounds the decompressed size of one gzip file or
	// stream; beyond it the rest of that file is reported as ErrTooLarge.
	// Zero or negative means DefaultMaxDecompressedSize.
	MaxDecompressedSize int64
	// Stdin is read when the path is "-". If it is nil, "-" is reported as
	// ErrNoStdin.
	Stdin io.Reader
}

// Walk visits every message at path and calls fn for each, in a
// deterministic order. An error returned by fn stops the walk and is
// returned by Walk, as is ctx.Err() once ctx is done.
//
// Problems with one message or file (unreadable or missing file, dangling
// symbolic link, message too large, empty mbox entry, corrupt gzip data) are
// passed to errf with the path concerned, and the walk continues with the
// next message or file. If errf is nil, the first such problem stops the
// walk and is returned instead. An empty file is an empty mailbox: it yields
// no message and no error.
func Walk(ctx context.Context, path string, opts Options, fn func(Message) error, errf func(path string, err error)) error {
	w := &walker{ctx: ctx, fn: fn, errf: errf, maxMsg: opts.MaxMessageSize, maxGz: opts.MaxDecompressedSize}
	if w.maxMsg <= 0 {
		w.maxMsg = DefaultMaxMessageSize
	}
	if w.maxGz <= 0 {
		w.maxGz = DefaultMaxDecompressedSize
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if path == "-" {
		if opts.Stdin == nil {
			return w.report(path, ErrNoStdin)
		}
		return w.stream(opts.Stdin, path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return w.report(path, err)
	}
	if fi.IsDir() {
		return w.dir(path)
	}
	// Anything else given explicitly (regular file, FIFO, device) is read
	// as a stream, so process substitution and /dev/stdin work.
	return w.file(path)
}

type walker struct {
	ctx    context.Context
	fn     func(Message) error
	errf   func(string, error)
	maxMsg int64
	maxGz  int64
}

// report passes a per-item problem to errf; it returns an error only when
// the walk must stop (no errf, or ctx done).
func (w *walker) report(path string, err error) error {
	if w.errf == nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	w.errf(path, err)
	return w.ctx.Err()
}

func (w *walker) deliver(m Message) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	return w.fn(m)
}

// dir walks a directory tree in lexical order, treating Maildirs as units.
func (w *walker) dir(path string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if isMaildir(path) {
		return w.maildir(path)
	}
	return w.entries(path, true)
}

// entries visits the non-hidden entries of one directory in name order:
// files are read, symbolic links resolved, and subdirectories walked when
// descend is set (a Maildir's cur/ and new/ are not descended).
func (w *walker) entries(path string, descend bool) error {
	entries, err := os.ReadDir(path)
	if err != nil {
		// os.ReadDir returns the entries it could read; report and go on.
		if err := w.report(path, err); err != nil {
			return err
		}
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(path, e.Name())
		var err error
		switch kind := e.Type(); {
		case kind.IsDir() && descend:
			err = w.dir(p)
		case kind.IsRegular():
			err = w.file(p)
		case kind&fs.ModeSymlink != 0:
			err = w.symlink(p)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// isMaildir reports whether path has a cur/ or new/ subdirectory.
func isMaildir(path string) bool {
	for _, sub := range []string{"cur", "new"} {
		if fi, err := os.Stat(filepath.Join(path, sub)); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

// maildir reads cur/ and then new/, each in name order; tmp/ holds messages
// still being delivered and is skipped.
func (w *walker) maildir(path string) error {
	for _, sub := range []string{"cur", "new"} {
		d := filepath.Join(path, sub)
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			continue
		}
		if err := w.entries(d, false); err != nil {
			return err
		}
	}
	return nil
}

// symlink reads a symbolic link found during a walk if it points to a
// regular file. Links to directories are not followed, which rules out
// loops; a dangling link is reported.
func (w *walker) symlink(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return w.report(path, err)
	}
	if fi.Mode().IsRegular() {
		return w.file(path)
	}
	return nil
}

func (w *walker) file(path string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return w.report(path, err)
	}
	defer f.Close()
	return w.stream(f, path)
}

const bufSize = 64 << 10

// stream reads one file or standard input: gzip-decompressed if needed, then
// either an mbox or a single message.
func (w *walker) stream(r io.Reader, name string) error {
	br := bufio.NewReaderSize(r, bufSize)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return w.report(name, fmt.Errorf("reading gzip header: %w", err))
		}
		defer zr.Close()
		br = bufio.NewReaderSize(&limitReader{r: zr, n: w.maxGz}, bufSize)
	}
	head, err := br.Peek(5)
	if len(head) == 0 {
		if err == io.EOF {
			return nil // an empty mailbox
		}
		return w.report(name, err)
	}
	if string(head) == "From " {
		return w.mbox(br, name)
	}
	data, err := io.ReadAll(io.LimitReader(br, w.maxMsg+1))
	if err != nil {
		return w.report(name, err)
	}
	if int64(len(data)) > w.maxMsg {
		return w.report(name, w.tooLarge())
	}
	return w.deliver(Message{Path: name, Data: data})
}

func (w *walker) tooLarge() error {
	return fmt.Errorf("%w: message exceeds %d bytes", ErrTooLarge, w.maxMsg)
}

// limitReader is io.LimitReader that fails with ErrTooLarge instead of
// pretending the data ended.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// Tell a stream that ends exactly at the limit from one that goes on.
		var one [1]byte
		if n, err := l.r.Read(one[:]); n == 0 {
			return 0, err
		}
		return 0, fmt.Errorf("%w: decompressed data exceeds the limit", ErrTooLarge)
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// mbox splits an mbox stream (RFC 4155, mboxo or mboxrd) into messages. br
// must start with a From_ line. Lines are read in pieces of at most bufSize
// bytes, so memory stays bounded by the message limit whatever the input.
func (w *walker) mbox(br *bufio.Reader, name string) error {
	var (
		n         int    // number of the current message; 0 before the first From_ line
		buf       []byte // content of the current message
		tooLarge  bool   // current message exceeded the bound; buf was dropped
		blank     []byte // a pending empty line, which may precede a From_ line
		lineStart = true // the next piece starts a line
		skipLine  bool   // discard the rest of the current (From_) line
	)
	add := func(b []byte) {
		if tooLarge {
			return
		}
		if int64(len(buf))+int64(len(b)) > w.maxMsg {
			tooLarge, buf = true, nil
			return
		}
		buf = append(buf, b...)
	}
	finish := func() error {
		if n == 0 {
			return nil
		}
		p := name + ":" + strconv.Itoa(n)
		data, large := buf, tooLarge
		buf, tooLarge, blank = nil, false, nil
		switch {
		case large:
			return w.report(p, w.tooLarge())
		case len(data) == 0:
			return w.report(p, ErrEmptyMessage)
		}
		return w.deliver(Message{Path: p, Data: data})
	}
	for {
		line, err := br.ReadSlice('\n')
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			// The message in progress is incomplete: drop it.
			return w.report(name, err)
		}
		start := lineStart
		lineStart = err != bufio.ErrBufferFull
		switch {
		case len(line) == 0:
		case skipLine:
			skipLine = !lineStart
		case start && bytes.HasPrefix(line, fromLine) && (n == 0 || blank != nil || lineStart && fullFromLine.Match(line)):
			// RFC 4155: a From_ line at the start or after an empty line
			// begins a new message; the empty line belongs to the separator.
			// Some writers omit the empty line; a complete From_ line
			// (sender and asctime date) is taken as a separator anyway,
			// since prose rarely ends a "From " line with a timestamp.
			if err := finish(); err != nil {
				return err
			}
			n++
			skipLine = !lineStart
		case start && (string(line) == "\n" || string(line) == "\r\n"):
			if blank != nil {
				add(blank)
			}
			blank = crlf[2-len(line):] // copy: line is only valid until the next read
		default:
			if blank != nil {
				add(blank)
				blank = nil
			}
			if start && isQuotedFrom(line) {
				line = line[1:] // mboxrd: strip one '>' from ^>+From
			}
			add(line)
		}
		if err == io.EOF {
			// The trailing empty line, if any, is the last separator.
			return finish()
		}
	}
}

// fullFromLine is a From_ line with its sender and asctime date
// ("From MAILER-DAEMON  Thu Jul  2 12:05:05 2020", time zone optional).
var fullFromLine = regexp.MustCompile(`^From \S+ +(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 0-3]?\d \d\d:\d\d(:\d\d)?( [A-Z+-][A-Za-z0-9]{2,5})? \d{4}( [+-]\d{4})?\r?\n$`)

var (
	fromLine = []byte("From ")
	crlf     = []byte("\r\n")
)

// isQuotedFrom reports whether line matches ^>+From .
func isQuotedFrom(line []byte) bool {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	return i > 0 && bytes.HasPrefix(line[i:], fromLine)
}

package maillog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/maildx/maildx"
)

// DefaultMaxOpen is the size of the open queue-id table when
// Options.MaxOpen is 0.
const DefaultMaxOpen = 100_000

// maxRcpts bounds the recipients remembered per queue id; beyond it,
// attempts are not counted (outcomes are still reported).
const maxRcpts = 1000

// maxLine bounds one log line; longer lines are skipped as not understood.
const maxLine = 64 << 10

// Options configure a Reader. The zero value is useful: English
// diagnoses, local time, every outcome kept.
type Options struct {
	// Lang is the language of the diagnoses: "en" (default) or "de".
	Lang string
	// Location is the time zone of timestamps that carry none (classic
	// syslog, the Exim main log); nil means time.Local.
	Location *time.Location
	// MaxOpen bounds the table of open queue ids; 0 means DefaultMaxOpen.
	MaxOpen int
	// Keep, when set, is called for every outcome before it is diagnosed;
	// returning false drops it (and saves the classifier's time).
	Keep func(*Outcome) bool
	// Now returns the current time; nil means time.Now. It is the
	// reference for year inference of stdin and followed files.
	Now func() time.Time
}

// Reader turns log lines into Outcomes. It keeps state across calls (the
// open queue ids), so the files of one log – rotated ones first – should
// go through the same Reader. A Reader is not safe for concurrent use.
type Reader struct {
	opt     Options
	loc     *time.Location
	maxOpen int

	file   string
	ref    time.Time
	lineNo int64
	stats  Stats

	open       map[string]*message
	head, tail *message // insertion order: head is the oldest

	// cache of the last classic timestamp prefix ("Jan  5 06:25:01")
	lastStamp [15]byte
	lastTime  time.Time
	lastOK    bool
	// the last fixed zone of an ISO timestamp
	zone    *time.Location
	zoneOff int

	emitFn  func(Outcome) error
	emitErr error
}

// message is an open queue id.
type message struct {
	id         string
	sender     string
	rcpts      []rcpt
	prev, next *message
}

// rcpt is what the Reader remembers of one recipient of an open message.
type rcpt struct {
	addr, orig string
	attempts   int
	pending    bool // last status was deferred
	last       Outcome
}

// NewReader returns a Reader with the given options.
func NewReader(opt Options) *Reader {
	r := &Reader{opt: opt, loc: opt.Location, maxOpen: opt.MaxOpen, open: make(map[string]*message)}
	if r.loc == nil {
		r.loc = time.Local
	}
	if r.maxOpen <= 0 {
		r.maxOpen = DefaultMaxOpen
	}
	if r.opt.Now == nil {
		r.opt.Now = time.Now
	}
	r.ref = r.opt.Now()
	return r
}

// Stats returns the counts so far.
func (r *Reader) Stats() Stats {
	s := r.stats
	s.Open = len(r.open)
	return s
}

// SetSource names the input whose lines follow (Outcome.File) and sets the
// reference time for year inference: a classic syslog timestamp has no
// year, so it gets the reference's year, or the year before when that
// would put it more than two days after the reference (a December line in
// a file last written in January). The reference is the file's
// modification time, or now for stdin; the zero time means now.
func (r *Reader) SetSource(name string, ref time.Time) {
	if ref.IsZero() {
		ref = r.opt.Now()
	}
	r.file, r.ref, r.lineNo, r.lastOK = name, ref, 0, false
}

// Line parses one log line (without its newline) and calls emit for each
// outcome it completes. It returns the first error of emit.
func (r *Reader) Line(line []byte, emit func(Outcome) error) error {
	r.emitFn, r.emitErr = emit, nil
	r.lineNo++
	r.stats.Lines++
	r.parseLine(line)
	r.emitFn = nil
	return r.emitErr
}

// Read reads src to its end, line by line, and calls emit for each
// outcome. Gzip-compressed input is recognised by its magic bytes and
// decompressed. Read stops early when ctx is cancelled (returning
// ctx.Err()) or emit fails (returning its error).
func (r *Reader) Read(ctx context.Context, src io.Reader, emit func(Outcome) error) error {
	br := bufio.NewReaderSize(src, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("opening gzip stream: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	_, err := r.readLines(ctx, br, true, emit)
	return err
}

// ReadFile reads one file (plain or gzip) with Read; the file's
// modification time is the reference for year inference.
func (r *Reader) ReadFile(ctx context.Context, path string, emit func(Outcome) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	r.SetSource(path, fi.ModTime())
	if err := r.Read(ctx, f, emit); err != nil {
		if ctx.Err() != nil || r.emitErr != nil {
			return err
		}
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

// readLines parses the complete lines of br. At EOF, a last line without
// newline is parsed only when final is set; otherwise it is left unread
// and its length returned as pending, so a follower can wait for the rest.
// The int is the number of bytes consumed.
func (r *Reader) readLines(ctx context.Context, br *bufio.Reader, final bool, emit func(Outcome) error) (int64, error) {
	var consumed int64
	skipping := false // inside an over-long line
	for n := 0; ; n++ {
		if n&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return consumed, err
			}
		}
		line, err := br.ReadSlice('\n')
		switch err {
		case nil:
			consumed += int64(len(line))
			if skipping {
				skipping = false
				r.lineNo++
				r.stats.Lines++
				r.stats.NotUnderstood++
				continue
			}
			line = trimEOL(line)
			if err := r.Line(line, emit); err != nil {
				return consumed, err
			}
		case bufio.ErrBufferFull:
			consumed += int64(len(line))
			skipping = true
		case io.EOF:
			if len(line) == 0 {
				return consumed, nil
			}
			if !final {
				// Unread the partial line: the caller will seek back.
				return consumed, nil
			}
			consumed += int64(len(line))
			if skipping {
				r.lineNo++
				r.stats.Lines++
				r.stats.NotUnderstood++
				return consumed, nil
			}
			return consumed, r.Line(trimEOL(line), emit)
		default:
			return consumed, err
		}
	}
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'})
}

// emit completes an outcome (file, line, diagnosis) and hands it on.
func (r *Reader) emit(o *Outcome) {
	if r.emitErr != nil {
		return
	}
	r.stats.Outcomes++
	o.File, o.Line = r.file, r.lineNo
	if r.opt.Keep != nil && !r.opt.Keep(o) {
		return
	}
	d := r.diagnose(o)
	o.Diagnosis = &d
	if r.emitFn != nil {
		r.emitErr = r.emitFn(*o)
	}
}

// diagnose runs the classifier on the remote text with what the log says
// about it: the DSN code, whether the MTA gave up, the attempts so far.
func (r *Reader) diagnose(o *Outcome) maildx.Diagnosis {
	opts := []maildx.Option{maildx.WithLang(r.opt.Lang)}
	dsn := o.DSN
	if dsn == "" && o.Status == StatusExpired {
		dsn = "4.4.7" // RFC 3463 §3.5: delivery time expired
	}
	if dsn != "" {
		opts = append(opts, maildx.WithStatus(dsn))
	}
	switch o.Status {
	case StatusSent:
		opts = append(opts, maildx.WithReason("delivered"))
	case StatusBounced, StatusExpired:
		opts = append(opts, maildx.WithFinal())
	case StatusDeferred:
		opts = append(opts, maildx.WithAttempt(o.Attempts))
	}
	return maildx.Explain(o.Text, opts...)
}

// --- the table of open queue ids ---

// lookup returns the open message id, creating it (and evicting the
// oldest when the table is full) if create is set.
func (r *Reader) lookup(id string, create bool) *message {
	if m, ok := r.open[id]; ok {
		return m
	}
	if !create {
		return nil
	}
	for len(r.open) >= r.maxOpen && r.head != nil {
		r.remove(r.head)
		r.stats.Evicted++
	}
	m := &message{id: id}
	r.open[id] = m
	m.prev = r.tail
	if r.tail != nil {
		r.tail.next = m
	} else {
		r.head = m
	}
	r.tail = m
	return m
}

func (r *Reader) remove(m *message) {
	delete(r.open, m.id)
	if m.prev != nil {
		m.prev.next = m.next
	} else {
		r.head = m.next
	}
	if m.next != nil {
		m.next.prev = m.prev
	} else {
		r.tail = m.prev
	}
	m.prev, m.next = nil, nil
}

// removeID closes a queue id ("removed", "Completed").
func (r *Reader) removeID(id []byte) {
	if m, ok := r.open[string(id)]; ok {
		r.remove(m)
	}
}

// delivery records one delivery line of message m and emits its outcome.
func (r *Reader) delivery(m *message, o *Outcome) {
	o.Attempts = 1
	if m != nil {
		o.Sender = m.sender
		var rc *rcpt
		for i := range m.rcpts {
			if m.rcpts[i].addr == o.Recipient {
				rc = &m.rcpts[i]
				break
			}
		}
		if rc == nil && len(m.rcpts) < maxRcpts {
			m.rcpts = append(m.rcpts, rcpt{addr: o.Recipient})
			rc = &m.rcpts[len(m.rcpts)-1]
		}
		if rc != nil {
			rc.attempts++
			o.Attempts = rc.attempts
			rc.pending = o.Status == StatusDeferred
			if rc.pending {
				rc.last = *o
				rc.last.Diagnosis = nil
			}
		}
	}
	r.emit(o)
}

// expire emits an expired outcome for every recipient of m still
// deferred, or one without recipient when none is known.
func (r *Reader) expire(m *message, base Outcome) {
	n := 0
	for i := range m.rcpts {
		rc := &m.rcpts[i]
		if !rc.pending {
			continue
		}
		rc.pending = false
		n++
		o := rc.last
		o.Time, o.Status, o.Sender = base.Time, StatusExpired, m.sender
		o.Attempts = rc.attempts
		r.emit(&o)
	}
	if n == 0 {
		base.Sender = m.sender
		base.Status = StatusExpired
		base.Attempts = 0
		r.emit(&base)
	}
}

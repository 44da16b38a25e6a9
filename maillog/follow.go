package maillog

import (
	"bufio"
	"context"
	"io"
	"os"
	"time"
)

// DefaultPollInterval is how often Follow looks for new lines, rotation
// and truncation when its interval is 0.
const DefaultPollInterval = 250 * time.Millisecond

// Follow reads the file at path from its start and then keeps reading the
// lines appended to it, like tail -F, until ctx is cancelled; it then
// returns nil. Every interval it compares the file's size and identity
// (device and inode) with what it has open: when the path names a new file
// (logrotate renamed the old one and the MTA or syslog daemon created a
// new one), the rest of the old file is read and the new one is opened
// from its start; when the file shrank (copytruncate), reading restarts at
// its start. A last line without newline is held back until it is
// complete. Classic syslog timestamps are dated with now as reference.
func (r *Reader) Follow(ctx context.Context, path string, interval time.Duration, emit func(Outcome) error) error {
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	r.SetSource(path, time.Time{})
	var off int64
	br := bufio.NewReaderSize(f, 64<<10)
	read := func(final bool) error {
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			return err
		}
		br.Reset(f)
		r.ref = r.opt.Now()
		n, err := r.readLines(ctx, br, final, emit)
		off += n
		return err
	}
	done := func(err error) error {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if err := read(false); err != nil {
			return done(err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		nfi, err := os.Stat(path)
		switch {
		case err != nil:
			// Renamed away and not yet recreated: keep the old file.
		case !os.SameFile(fi, nfi):
			if err := read(true); err != nil {
				return done(err)
			}
			nf, err := os.Open(path)
			if err != nil {
				continue // created and gone again; try next tick
			}
			if fi2, err := nf.Stat(); err == nil {
				f.Close()
				f, fi, off = nf, fi2, 0
				r.SetSource(path, time.Time{})
			} else {
				nf.Close()
			}
		case nfi.Size() < off:
			off = 0 // truncated
			fi = nfi
		}
	}
}

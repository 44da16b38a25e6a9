package dsn

// qpReader is mime/quotedprintable's Reader (Go 1.26) with one change:
// a run of bytes that pass through unchanged is copied at once, not byte
// by byte. Lines are read as there (bufio.Reader.ReadSlice on a 4 KiB
// buffer, with its ErrBufferFull on longer lines) and every other byte is
// decoded, accepted or refused as there, so the decoded bytes and the
// errors are the same.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

type qpReader struct {
	br   *bufio.Reader
	rerr error  // last read error
	line []byte // to be consumed before more of br
}

func newQPReader(r io.Reader) *qpReader {
	return &qpReader{br: bufio.NewReader(r)}
}

// qpPlain flags the bytes Read passes through as they are: tab, CR, LF,
// ' ' to '~' but '=', and every byte from 0x80.
var qpPlain = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c == '\t' || c == '\r' || c == '\n' || c >= ' ' && c <= '~' && c != '=' || c >= 0x80
	}
	return t
}()

func qpFromHex(b byte) (byte, error) {
	switch {
	case b >= '0' && b <= '9':
		return b - '0', nil
	case b >= 'A' && b <= 'F':
		return b - 'A' + 10, nil
	// Accept badly encoded bytes.
	case b >= 'a' && b <= 'f':
		return b - 'a' + 10, nil
	}
	return 0, fmt.Errorf("quotedprintable: invalid hex byte 0x%02x", b)
}

func qpReadHexByte(v []byte) (b byte, err error) {
	if len(v) < 2 {
		return 0, io.ErrUnexpectedEOF
	}
	var hb, lb byte
	if hb, err = qpFromHex(v[0]); err != nil {
		return 0, err
	}
	if lb, err = qpFromHex(v[1]); err != nil {
		return 0, err
	}
	return hb<<4 | lb, nil
}

func isQPDiscardWhitespace(r rune) bool {
	switch r {
	case '\n', '\r', ' ', '\t':
		return true
	}
	return false
}

var (
	qpCRLF       = []byte("\r\n")
	qpLF         = []byte("\n")
	qpSoftSuffix = []byte("=")
)

// Read reads and decodes quoted-printable data from the underlying reader.
func (r *qpReader) Read(p []byte) (n int, err error) {
	for len(p) > 0 {
		if len(r.line) == 0 {
			if r.rerr != nil {
				return n, r.rerr
			}
			r.line, r.rerr = r.br.ReadSlice('\n')

			// Does the line end in CRLF instead of just LF?
			hasLF := bytes.HasSuffix(r.line, qpLF)
			hasCR := bytes.HasSuffix(r.line, qpCRLF)
			wholeLine := r.line
			r.line = bytes.TrimRightFunc(wholeLine, isQPDiscardWhitespace)
			if bytes.HasSuffix(r.line, qpSoftSuffix) {
				rightStripped := bytes.TrimLeft(wholeLine[len(r.line):], " \t")
				r.line = r.line[:len(r.line)-1]
				if !bytes.HasPrefix(rightStripped, qpLF) && !bytes.HasPrefix(rightStripped, qpCRLF) &&
					!(len(rightStripped) == 0 && len(r.line) > 0 && r.rerr == io.EOF) {
					r.rerr = fmt.Errorf("quotedprintable: invalid bytes after =: %q", rightStripped)
				}
			} else if hasLF {
				if hasCR {
					r.line = append(r.line, '\r', '\n')
				} else {
					r.line = append(r.line, '\n')
				}
			}
			continue
		}
		// The run of bytes that pass through, as far as p takes them.
		k := 0
		for lim := min(len(p), len(r.line)); k < lim && qpPlain[r.line[k]]; k++ {
		}
		if k > 0 {
			copy(p, r.line[:k])
			p = p[k:]
			r.line = r.line[k:]
			n += k
			continue
		}
		b := r.line[0]

		switch {
		case b == '=':
			b, err = qpReadHexByte(r.line[1:])
			if err != nil {
				if len(r.line) >= 2 && r.line[1] != '\r' && r.line[1] != '\n' {
					// Take the = as a literal =.
					b = '='
					break
				}
				return n, err
			}
			r.line = r.line[2:] // 2 of the 3; other 1 is done below
		case b < ' ' || b > '~':
			return n, fmt.Errorf("quotedprintable: invalid unescaped byte 0x%02x in body", b)
		}
		p[0] = b
		p = p[1:]
		r.line = r.line[1:]
		n++
	}
	return n, nil
}

package maillog

import (
	"bytes"
	"time"
)

// header is the part of a log line before the program's message.
type header struct {
	t    time.Time
	host []byte
	prog []byte // syslog tag without [pid], e.g. "postfix-out/smtp"
	msg  []byte
}

// parseLine dispatches one line by its header and program.
func (r *Reader) parseLine(line []byte) {
	if len(line) == 0 {
		r.stats.Other++
		return
	}
	var h header
	var ok bool
	switch c := line[0]; {
	case c >= 'A' && c <= 'Z':
		h, ok = r.classicHeader(line)
	case c >= '0' && c <= '9':
		if len(line) > 10 && line[10] == ' ' {
			// The Exim main log: "2024-01-05 06:25:01 ..."
			t, rest, ok := r.eximStamp(line)
			if !ok {
				r.stats.NotUnderstood++
				return
			}
			r.exim(header{t: t, msg: rest})
			return
		}
		h, ok = r.isoHeader(line)
	}
	if !ok {
		r.stats.NotUnderstood++
		return
	}
	r.program(h)
}

// program hands the message to the parser of its MTA.
func (r *Reader) program(h header) {
	prog := h.prog
	switch {
	case bytes.HasPrefix(prog, []byte("postfix")):
		if i := bytes.LastIndexByte(prog, '/'); i > 0 {
			r.postfix(h, prog[:i], prog[i+1:])
			return
		}
	case bytes.Equal(prog, []byte("exim")) || bytes.Equal(prog, []byte("exim4")):
		// Exim logging to syslog; the message may carry Exim's own
		// timestamp (syslog_timestamp = true) or not.
		if len(h.msg) > 10 && h.msg[10] == ' ' && h.msg[0] >= '0' && h.msg[0] <= '9' {
			if t, rest, ok := r.eximStamp(h.msg); ok {
				h.t, h.msg = t, rest
			}
		}
		r.exim(h)
		return
	case bytes.Equal(prog, []byte("sendmail")) || bytes.HasPrefix(prog, []byte("sm-")):
		r.sendmail(h)
		return
	}
	r.stats.Other++
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// classicHeader parses "Jan  5 06:25:01 host tag[pid]: msg" (RFC 3164).
func (r *Reader) classicHeader(line []byte) (header, bool) {
	var h header
	if len(line) < 16 || line[3] != ' ' || line[6] != ' ' || line[9] != ':' || line[12] != ':' || line[15] != ' ' {
		return h, false
	}
	if r.lastOK && bytes.Equal(r.lastStamp[:], line[:15]) {
		h.t = r.lastTime
	} else {
		mon := 0
		for i, m := range months {
			if string(line[:3]) == m {
				mon = i + 1
				break
			}
		}
		day, ok1 := num(line[4:6])
		hh, ok2 := num(line[7:9])
		mm, ok3 := num(line[10:12])
		ss, ok4 := num(line[13:15])
		if mon == 0 || !ok1 || !ok2 || !ok3 || !ok4 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 {
			return h, false
		}
		year := r.ref.Year()
		t := time.Date(year, time.Month(mon), day, hh, mm, ss, 0, r.loc)
		if t.Sub(r.ref) > 48*time.Hour {
			// A timestamp after the reference belongs to the year before:
			// the month jumped backwards across New Year (Dec → Jan).
			t = time.Date(year-1, time.Month(mon), day, hh, mm, ss, 0, r.loc)
		}
		h.t = t
		copy(r.lastStamp[:], line[:15])
		r.lastTime, r.lastOK = t, true
	}
	return h, splitTag(line[16:], &h)
}

// isoHeader parses "2024-01-05T06:25:01.123456+01:00 host tag[pid]: msg"
// (RFC 5424 / rsyslog high-precision) and journald's short-iso
// "2024-01-05T06:25:01+0100".
func (r *Reader) isoHeader(line []byte) (header, bool) {
	var h header
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		return h, false
	}
	t, ok := r.parseISO(line[:sp])
	if !ok {
		return h, false
	}
	h.t = t
	return h, splitTag(line[sp+1:], &h)
}

// splitTag parses "host tag[pid]: msg".
func splitTag(b []byte, h *header) bool {
	sp := bytes.IndexByte(b, ' ')
	if sp <= 0 {
		return false
	}
	h.host = b[:sp]
	b = b[sp+1:]
	i := bytes.Index(b, []byte(": "))
	if i <= 0 {
		if bytes.HasSuffix(b, []byte(":")) && len(b) > 1 {
			i = len(b) - 1
		} else {
			return false
		}
	}
	tag := b[:i]
	if j := bytes.IndexByte(tag, '['); j > 0 {
		tag = tag[:j]
	}
	if bytes.IndexByte(tag, ' ') >= 0 {
		return false
	}
	h.prog = tag
	if i+2 <= len(b) {
		h.msg = b[i+2:]
	}
	return true
}

// parseISO parses an RFC 3339 timestamp, with or without fraction, with a
// zone "Z", "+01:00" or "+0100"; a missing zone means Options.Location.
func (r *Reader) parseISO(b []byte) (time.Time, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	year, ok0 := num(b[0:4])
	mon, ok1 := num(b[5:7])
	day, ok2 := num(b[8:10])
	hh, ok3 := num(b[11:13])
	mm, ok4 := num(b[14:16])
	ss, ok5 := num(b[17:19])
	if !ok0 || !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || mon < 1 || mon > 12 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 {
		return time.Time{}, false
	}
	b = b[19:]
	nsec := 0
	if len(b) > 0 && (b[0] == '.' || b[0] == ',') {
		i, scale := 1, 100_000_000
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			nsec += int(b[i]-'0') * scale
			scale /= 10
		}
		if i == 1 {
			return time.Time{}, false
		}
		b = b[i:]
	}
	z := r.loc
	switch {
	case len(b) == 0:
	case len(b) == 1 && b[0] == 'Z':
		z = time.UTC
	case (len(b) == 6 && b[3] == ':') || len(b) == 5:
		if b[0] != '+' && b[0] != '-' {
			return time.Time{}, false
		}
		zh, okh := num(b[1:3])
		zm, okm := num(b[len(b)-2:])
		if !okh || !okm || zh > 23 || zm > 59 {
			return time.Time{}, false
		}
		off := zh*3600 + zm*60
		if b[0] == '-' {
			off = -off
		}
		if r.zone == nil || r.zoneOff != off {
			r.zone, r.zoneOff = fixedZone(off), off
		}
		z = r.zone
	default:
		return time.Time{}, false
	}
	return time.Date(year, time.Month(mon), day, hh, mm, ss, nsec, z), true
}

// fixedZone returns UTC for offset 0, else an unnamed fixed zone.
func fixedZone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	return time.FixedZone("", off)
}

// num parses a short run of ASCII digits; a leading space (syslog's
// space-padded day) counts as 0.
func num(b []byte) (int, bool) {
	n := 0
	if len(b) == 0 {
		return 0, false
	}
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			n = n*10 + int(c-'0')
		case c == ' ' && i == 0 && len(b) > 1:
		default:
			return 0, false
		}
	}
	return n, true
}

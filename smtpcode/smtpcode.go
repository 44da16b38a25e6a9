// Package smtpcode parses and classifies SMTP reply codes (RFC 5321 section
// 4.2, RFC 4954, RFC 3030) and enhanced mail system status codes (RFC 3463,
// registry per RFC 5248). It holds pure functions only: no I/O, no state.
package smtpcode

import (
	"strconv"
	"strings"
)

// Class is the first digit of a reply code or enhanced status code.
type Class int

// Classes as defined by RFC 5321 section 4.2.1 and RFC 3463 section 3.1.
const (
	ClassNone      Class = 0
	ClassSuccess   Class = 2
	ClassTransient Class = 4 // persistent transient failure: retrying may work
	ClassPermanent Class = 5 // permanent failure: the message or address must change
)

// Status is a parsed enhanced status code "class.subject.detail".
// Class may be 0 for the registry's generic "X" form (X.1.1).
type Status struct {
	Class   Class
	Subject int
	Detail  int
}

// String renders the code; a zero class renders as "X".
func (s Status) String() string {
	c := "X"
	if s.Class != ClassNone {
		c = strconv.Itoa(int(s.Class))
	}
	return c + "." + strconv.Itoa(s.Subject) + "." + strconv.Itoa(s.Detail)
}

// Generic returns the code with its class replaced by "X", the form the IANA
// registry uses.
func (s Status) Generic() Status { return Status{Subject: s.Subject, Detail: s.Detail} }

// Parent returns the X.Y.0 code of the same subject, the fallback RFC 3463
// section 3.1 prescribes when a detail code is not understood.
func (s Status) Parent() Status { return Status{Class: s.Class, Subject: s.Subject} }

// ParseStatus parses "5.1.1", "4.7.500" or "X.1.1" (case-insensitive X).
// RFC 3463 allows 1–3 digits for subject and detail, without leading zeros;
// the class must be 2, 4 or 5. Anything else is rejected so that version
// numbers and IP address fragments are not read as status codes.
func ParseStatus(s string) (Status, bool) {
	if len(s) < 5 || s[1] != '.' {
		return Status{}, false
	}
	var st Status
	switch s[0] {
	case '2':
		st.Class = ClassSuccess
	case '4':
		st.Class = ClassTransient
	case '5':
		st.Class = ClassPermanent
	case 'X', 'x':
		st.Class = ClassNone
	default:
		return Status{}, false
	}
	rest := s[2:]
	dot := strings.IndexByte(rest, '.')
	if dot < 0 {
		return Status{}, false
	}
	var ok bool
	if st.Subject, ok = number(rest[:dot]); !ok {
		return Status{}, false
	}
	if st.Detail, ok = number(rest[dot+1:]); !ok {
		return Status{}, false
	}
	return st, true
}

// number parses 1–3 ASCII digits without a leading zero (a lone "0" is fine).
func number(s string) (int, bool) {
	if len(s) == 0 || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// ParseReply parses a three-digit reply code. RFC 5321 section 4.2 limits
// the first digit to 2–5 and the second to 0–5; the seeds also list the
// client socket errors 101 and 111 as "SMTP errors", which allowSocket
// admits so that they can be looked up.
func ParseReply(s string, allowSocket bool) (int, bool) {
	if len(s) != 3 {
		return 0, false
	}
	for i := 0; i < 3; i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n := int(s[0]-'0')*100 + int(s[1]-'0')*10 + int(s[2]-'0')
	if allowSocket && (n == 101 || n == 111) {
		return n, true
	}
	if !ValidReply(n) {
		return 0, false
	}
	return n, true
}

// ValidReply reports whether n has the shape of an RFC 5321 reply code:
// first digit 2–5, second digit 0–5.
func ValidReply(n int) bool {
	return n >= 200 && n <= 559 && (n/10)%10 <= 5
}

// ReplyClass returns the class of a reply code.
func ReplyClass(n int) Class {
	switch n / 100 {
	case 2, 3:
		return ClassSuccess
	case 4:
		return ClassTransient
	case 5:
		return ClassPermanent
	}
	return ClassNone
}

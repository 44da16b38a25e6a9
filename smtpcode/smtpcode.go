// Package smtpcode parses and classifies SMTP reply codes (RFC 5321 section
// 4.2, RFC 4954, RFC 3030) and enhanced mail system status codes (RFC 3463,
// registry per RFC 5248). It holds pure functions only: no I/O, no state.
package smtpcode

import (
	"strconv"
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
	// The classifier reads every number of a text that looks like a
	// status code with this, so the digits are taken in one pass rather
	// than by searching for the second dot first.
	var i int
	var ok bool
	if st.Subject, i, ok = number(s, 2); !ok || i == len(s) || s[i] != '.' {
		return Status{}, false
	}
	if st.Detail, i, ok = number(s, i+1); !ok || i != len(s) {
		return Status{}, false
	}
	return st, true
}

// number parses the 1–3 ASCII digits at s[i:] without a leading zero (a
// lone "0" is fine) and returns the number and where the digits end.
func number(s string, i int) (n, end int, ok bool) {
	for end = i; end < len(s) && s[end] >= '0' && s[end] <= '9'; end++ {
		if end-i == 3 {
			return 0, 0, false
		}
		n = n*10 + int(s[end]-'0')
	}
	if end == i || end-i > 1 && s[i] == '0' {
		return 0, 0, false
	}
	return n, end, true
}

// ParseReply parses a three-digit reply code. RFC 5321 section 4.2 limits
// the first digit to 2–5 and the second to 0–5; the seeds also list the
// client socket errors 101 and 111 as "SMTP errors", which allowSocket
// admits so that they can be looked up.
func ParseReply(s string, allowSocket bool) (int, bool) {
	if len(s) != 3 || s[2] < '0' || s[2] > '9' {
		return 0, false
	}
	// ValidReply's range, digit by digit.
	if s[0] >= '2' && s[0] <= '5' && s[1] >= '0' && s[1] <= '5' {
		return int(s[0]-'0')*100 + int(s[1]-'0')*10 + int(s[2]-'0'), true
	}
	if allowSocket && s[0] == '1' && (s[1] == '0' || s[1] == '1') && s[2] == '1' {
		return int(s[1]-'0')*10 + 101, true // 101, 111
	}
	return 0, false
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

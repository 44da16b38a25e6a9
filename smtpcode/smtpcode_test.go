package smtpcode

import "testing"

func TestParseStatus(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"5.1.1", "5.1.1", true},
		{"4.7.500", "4.7.500", true},
		{"X.7.26", "X.7.26", true},
		{"x.2.2", "X.2.2", true},
		{"2.0.0", "2.0.0", true},
		{"5.01.1", "", false},   // leading zero
		{"3.1.1", "", false},    // class 3 does not exist
		{"5.1.1000", "", false}, // too many digits
		{"5.1", "", false},
		{"192.168.1.1", "", false},
		{"", "", false},
		{"5..1", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseStatus(tt.in)
		if ok != tt.ok || (ok && got.String() != tt.want) {
			t.Errorf("ParseStatus(%q) = %v, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestStatusParentGeneric(t *testing.T) {
	st, _ := ParseStatus("5.7.708")
	if got := st.Parent().String(); got != "5.7.0" {
		t.Errorf("Parent = %s", got)
	}
	if got := st.Generic().String(); got != "X.7.708" {
		t.Errorf("Generic = %s", got)
	}
}

func TestParseReply(t *testing.T) {
	tests := []struct {
		in     string
		socket bool
		want   int
		ok     bool
	}{
		{"550", false, 550, true},
		{"421", false, 421, true},
		{"101", false, 0, false},
		{"101", true, 101, true},
		{"111", true, 111, true},
		{"560", false, 0, false},
		{"600", false, 0, false},
		{"55", false, 0, false},
		{"5a0", false, 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseReply(tt.in, tt.socket)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParseReply(%q, %v) = %d, %v; want %d, %v", tt.in, tt.socket, got, ok, tt.want, tt.ok)
		}
	}
	if ReplyClass(452) != ClassTransient || ReplyClass(554) != ClassPermanent || ReplyClass(250) != ClassSuccess {
		t.Error("ReplyClass")
	}
}

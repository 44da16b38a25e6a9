package events

import (
	"os"
	"testing"
	"time"

	"github.com/maildx/maildx/dsn"
	"github.com/maildx/maildx/event"
	"github.com/maildx/maildx/maillog"
	"github.com/maildx/maildx/store"
)

func TestToStoreRoundTrip(t *testing.T) {
	b, err := os.ReadFile("../../event/testdata/mailgun/failed-permanent.json")
	if err != nil {
		t.Fatal(err)
	}
	evs, err := (&event.Mailgun{Lang: "de"}).Parse(b)
	if err != nil || len(evs) != 1 {
		t.Fatalf("%v %d", err, len(evs))
	}
	e := evs[0]
	s := ToStore(e)
	if s.ID != e.ID || s.Type != string(e.Type) || s.Reason != e.Diagnosis.Reason || s.Action != e.Diagnosis.Action ||
		s.HardBounce != e.Diagnosis.HardBounce || len(s.Diagnosis) == 0 || string(s.Raw) != string(e.Raw) {
		t.Fatalf("ToStore: %+v", s)
	}
	if Lang(s) != "de" {
		t.Errorf("Lang %q", Lang(s))
	}
	back := FromStore(s)
	if back.ID != e.ID || back.Diagnosis == nil || back.Diagnosis.Title != e.Diagnosis.Title {
		t.Errorf("FromStore: %+v", back)
	}
	r, err := Reclassify(s, "")
	if err != nil || string(r.Diagnosis) != string(s.Diagnosis) {
		t.Errorf("Reclassify changed an unchanged event: %v", err)
	}
	if _, err := Reclassify(store.Event{ID: "x", Provider: "brevo"}, ""); err == nil {
		t.Error("unknown provider reclassified")
	}
}

func TestOutcomeID(t *testing.T) {
	o := maillog.Outcome{Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), MTA: "postfix", QueueID: "4Bx1y2", Recipient: "a@example.com",
		Status: maillog.StatusBounced, Text: "550 5.1.1 user unknown", Attempts: 1, Line: 7}
	a := FromOutcome(o)
	o.Line, o.File, o.Attempts = 99, "other.log", 3 // not part of the identity
	if b := FromOutcome(o); a.ID != b.ID {
		t.Error("ID depends on more than queue id, recipient, status and time")
	}
	o.Status = maillog.StatusDeferred
	if FromOutcome(o).ID == a.ID {
		t.Error("status not part of the ID")
	}
	if a.Type != store.TypeBounced || a.Provider != "postfix" {
		t.Errorf("%+v", a)
	}
	for s, want := range map[maillog.Status]string{maillog.StatusSent: "delivered", maillog.StatusExpired: "bounced", maillog.StatusRejected: "dropped", maillog.StatusDeferred: "deferred"} {
		if got := OutcomeType(s); got != want {
			t.Errorf("%s → %s, want %s", s, got, want)
		}
	}
}

func TestBounce(t *testing.T) {
	r := dsn.Result{Bounce: dsn.Bounce{Recipient: "a@example.com", DSNAction: "failed", MessageID: "<m1@example.com>", File: "x.eml", Date: "Thu, 2 Jan 2025 03:04:05 +0100"}}
	s := FromBounce(r)
	if s.Type != store.TypeBounced || s.MessageID != "m1@example.com" || !s.Time.Equal(time.Date(2025, 1, 2, 2, 4, 5, 0, time.UTC)) {
		t.Errorf("%+v", s)
	}
	r2 := r
	r2.File = "copy.eml"
	if FromBounce(r2).ID != s.ID {
		t.Error("same bounce in two files got two IDs")
	}
	r2.DSNAction = "delayed"
	if FromBounce(r2).ID == s.ID || BounceType(r2) != store.TypeDeferred {
		t.Error("delayed notice shares the failed notice's ID")
	}
	if BounceType(dsn.Result{Bounce: dsn.Bounce{FeedbackType: "abuse"}}) != store.TypeComplained {
		t.Error("feedback report is not a complaint")
	}
	if BounceStorable(dsn.Result{Bounce: dsn.Bounce{DecodedBy: "rfc3834"}}) {
		t.Error("auto-reply stored")
	}
}

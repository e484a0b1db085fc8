package store

import (
	"errors"
	"testing"
)

func TestEmailLedger(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	const key = "tr-abc/intake/reminder"
	steps := []struct {
		do              string // "begin" or "mark"
		wantAlreadySent bool
	}{
		{do: "begin"},
		{do: "begin"}, // retry before the first attempt was marked sent
		{do: "mark"},
		{do: "begin", wantAlreadySent: true},
	}
	for i, step := range steps {
		switch step.do {
		case "begin":
			// A retry brings a new message id; the first one is kept.
			sent, err := s.BeginEmail(t.Context(), key, "<msg-"+string(rune('0'+i))+"@elkgezin>", "coach@example.org", "Intake due")
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			if sent != step.wantAlreadySent {
				t.Errorf("step %d: alreadySent = %v, want %v", i, sent, step.wantAlreadySent)
			}
		case "mark":
			if err := s.MarkEmailSent(t.Context(), key); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
	}
	got, err := s.Email(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != EmailSent || got.Attempts != 3 || got.SentAt == nil || got.MessageID != "<msg-0@elkgezin>" ||
		got.Recipient != "coach@example.org" || got.Subject != "Intake due" || got.FirstAttemptAt.IsZero() {
		t.Errorf("ledger row = %+v", got)
	}
}

func TestEmailUnknownKey(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	if err := s.MarkEmailSent(t.Context(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("MarkEmailSent: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Email(t.Context(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Email: err = %v, want ErrNotFound", err)
	}
}

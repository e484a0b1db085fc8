package main

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/elkgezin/elkgezin/internal/pgtest"
	"github.com/elkgezin/elkgezin/store"
)

// The operator's list of emails in doubt: the unconfirmed one, and a
// committing one once it is stuck; never a sent one, never an address.
func TestUnconfirmedListsTheEmailsInDoubt(t *testing.T) {
	url := pgtest.NewDatabase(t)
	t.Setenv("DATABASE_URL", url)
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := t.Context()
	email := func(key string, steps ...func(string, int) error) {
		t.Helper()
		_, attempt, err := st.BeginEmail(ctx, key, "<"+key+"@elkgezin>", "coach@test.example", "Nieuw gezin toegewezen")
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range steps {
			if err := step(key, attempt); err != nil {
				t.Fatal(err)
			}
		}
	}
	committing := func(key string, attempt int) error { return st.MarkEmailCommitting(ctx, key, attempt) }
	unconfirmed := func(key string, _ int) error { return st.MarkEmailUnconfirmed(ctx, key) }
	sent := func(key string, _ int) error { return st.MarkEmailSent(ctx, key) }
	email("tr-a/intake@20261229T004636Z/assignment/coach:c1", committing, unconfirmed)
	email("tr-b/intake@20261229T004636Z/assignment/coach:c2", committing)
	email("tr-c/intake@20261229T004636Z/assignment/coach:c3", committing, sent)

	run := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := runUnconfirmed(ctx, testConfig(t, "unconfirmed"), args, &out, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	out := run()
	if !strings.Contains(out, "unconfirmed") || !strings.Contains(out, "<tr-a/intake@20261229T004636Z/assignment/coach:c1@elkgezin>") {
		t.Errorf("the unconfirmed email is not listed:\n%s", out)
	}
	if strings.Contains(out, "tr-b/") || strings.Contains(out, "tr-c/") {
		t.Errorf("a sent email, or one committing for seconds, is listed:\n%s", out)
	}
	if strings.Contains(out, "test.example") || strings.Contains(out, "Nieuw gezin") {
		t.Errorf("the list names an address or a subject:\n%s", out)
	}
	if out := run("--stuck-for", "0s"); !strings.Contains(out, "tr-b/") || strings.Contains(out, "tr-c/") {
		t.Errorf("with --stuck-for 0s, the committing email is not listed (or the sent one is):\n%s", out)
	}
	for _, bad := range [][]string{{"--limit", "0"}, {"--limit", "x"}, {"--stuck-for", "-1m"}} {
		err := runUnconfirmed(ctx, testConfig(t, "unconfirmed"), bad, io.Discard, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil || !strings.HasPrefix(err.Error(), "unconfirmed: ") {
			t.Errorf("%v: err = %v, want an error of the unconfirmed command", bad, err)
		}
	}
}

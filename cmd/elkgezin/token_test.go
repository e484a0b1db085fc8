package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/apitoken"
	"github.com/elkgezin/elkgezin/internal/pgtest"
	"github.com/elkgezin/elkgezin/store"
)

const tokenTestProgramme = `id: test-seconds
name: Testprogramma
referrers:
  - id: test-partner
    name: Testpartner
assignment_limit: 60s
intake_deadline: 90s
home_visit_cadence: 20s
reminder_lead: 6s
alert_grace: 6s
handover:
  acknowledgement_limit: 10s
  link_valid_for: 1h
supervisor_email: supervisor@test.example
coaches:
  - id: test-coach
    name: Testcoach
    email: coach@test.example
  - id: test-coach-2
    name: Testcoach 2
    email: coach2@test.example
co_workers:
  - id: test-brugfiguur
    name: Brugfiguur 1
    email: brug@test.example
    role: brugfiguur
`

// tokenEnv points the command at a fresh database and a programme directory.
func tokenEnv(t *testing.T) string {
	t.Helper()
	url := pgtest.NewDatabase(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "test-seconds.yaml"), []byte(tokenTestProgramme), 0o600); err != nil {
		t.Fatal(err)
	}
	other := strings.NewReplacer("id: test-seconds", "id: other-programme", "test-partner", "other-partner",
		"test-coach-2", "other-coach-2", "test-coach", "other-coach", "test-brugfiguur", "other-brugfiguur").Replace(tokenTestProgramme)
	if err := os.WriteFile(filepath.Join(dir, "other-programme.yaml"), []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DATABASE_URL", url)
	t.Setenv("PROGRAMMES_DIR", dir)
	return url
}

// runTokenCmd runs elkgezin token with args and returns stdout and stderr.
func runTokenCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	old := tokenStderr
	tokenStderr = &errOut
	defer func() { tokenStderr = old }()
	err = runToken(t.Context(), testConfig(t, "token"), args, &out)
	return out.String(), errOut.String(), err
}

func TestTokenCommand(t *testing.T) {
	url := tokenEnv(t)

	out, errOut, err := runTokenCmd(t, "create", "--kind", "coach", "--subject", "test-coach", "--programme", "test-seconds", "--label", "An's laptop")
	if err != nil {
		t.Fatal(err)
	}
	// Only the token on stdout, so that scripts can capture it.
	token := strings.TrimSuffix(out, "\n")
	if !regexp.MustCompile(`^tok_[a-z2-7]{8}\.[A-Za-z0-9_-]{43}$`).MatchString(token) || strings.Count(out, "\n") != 1 {
		t.Fatalf("stdout %q is not just a token", out)
	}
	id := apitoken.ID(token)
	if !strings.Contains(errOut, "created token "+id+" for coach:test-coach in test-seconds") || strings.Contains(errOut, token) {
		t.Errorf("stderr %q", errOut)
	}

	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	info, err := st.AuthenticateToken(t.Context(), token)
	if err != nil || info.ID != id || info.Kind != store.TokenCoach || info.Subject != "test-coach" || info.Label != "An's laptop" {
		t.Fatalf("authenticate the new token: %+v, %v", info, err)
	}

	out, _, err = runTokenCmd(t, "create", "-kind=supervisor", "-subject=sup-vilvoorde", "-programme=test-seconds", "-programme=other-programme")
	if err != nil {
		t.Fatal(err)
	}
	supID := apitoken.ID(strings.TrimSpace(out))
	if _, _, err := runTokenCmd(t, "create", "--kind", "partner", "--subject", "test-partner"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runTokenCmd(t, "create", "--kind", "admin", "--subject", "root"); err != nil {
		t.Fatal(err)
	}

	out, _, err = runTokenCmd(t, "revoke", supID)
	if err != nil || out != "revoked "+supID+"\n" {
		t.Fatalf("revoke: %q, %v", out, err)
	}

	out, _, err = runTokenCmd(t, "list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "ID ") || !strings.Contains(lines[0], "LAST USED") {
		t.Fatalf("list:\n%s", out)
	}
	fields := strings.Fields(lines[1])
	if fields[0] != id || fields[1] != "coach" || fields[2] != "test-coach" || fields[3] != "test-seconds" ||
		!strings.Contains(lines[1], "An's laptop") || strings.Contains(out, token) {
		t.Errorf("coach line %q", lines[1])
	}
	// The supervisor's: revoked. The coach's: used (authenticated above).
	if sup := strings.Fields(lines[2]); sup[0] != supID || sup[3] != "other-programme,test-seconds" || strings.Count(lines[2], "Z") != 2 {
		t.Errorf("supervisor line %q: want created and revoked, never used", lines[2])
	}
	if strings.Count(lines[1], "Z") != 2 || !strings.HasSuffix(lines[1], "Z\t-") && !strings.HasSuffix(lines[1], "Z  -") {
		t.Errorf("coach line %q: want created and last used, not revoked, no expiry", lines[1])
	}
	if f := strings.Fields(lines[3]); f[1] != "partner" || f[3] != "-" {
		t.Errorf("partner line %q", lines[3])
	}

	// Revoked means refused.
	if _, err := st.AuthenticateToken(t.Context(), token); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runTokenCmd(t, "revoke", id); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AuthenticateToken(t.Context(), token); !errors.Is(err, store.ErrTokenInvalid) {
		t.Errorf("a revoked token authenticates: %v", err)
	}
}

func TestTokenCommandRefuses(t *testing.T) {
	tokenEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "name a command"},
		{[]string{"rotate"}, "unknown command"},
		{[]string{"create", "--kind", "family", "--subject", "x1"}, "--kind must be one of"},
		{[]string{"create", "--subject", "x1"}, "--kind must be one of"},
		{[]string{"create", "--kind", "admin"}, "--subject is required"},
		{[]string{"create", "--kind", "coach", "--subject", "test-coach"}, "needs at least one --programme"},
		{[]string{"create", "--kind", "supervisor", "--subject", "sup"}, "needs at least one --programme"},
		{[]string{"create", "--kind", "partner", "--subject", "test-partner", "--programme", "test-seconds"}, "takes no --programme"},
		{[]string{"create", "--kind", "admin", "--subject", "root", "--programme", "test-seconds"}, "takes no --programme"},
		{[]string{"create", "--kind", "coach", "--subject", "test-coach", "--programme", "no-such"}, `"no-such" is not a programme`},
		{[]string{"create", "--kind", "coach", "--subject", "test-coach", "--programme", "test-seconds", "--programme", "other-programme"}, `"test-coach" is not a coach of programme other-programme`},
		{[]string{"create", "--kind", "coach", "--subject", "nobody", "--programme", "test-seconds"}, `"nobody" is not a coach`},
		{[]string{"create", "--kind", "coach", "--subject", "test-brugfiguur", "--programme", "test-seconds"}, "it is a co-worker: use --kind co_worker"},
		{[]string{"create", "--kind", "co_worker", "--subject", "test-coach", "--programme", "test-seconds"}, `"test-coach" is not a co-worker of programme test-seconds`},
		{[]string{"create", "--kind", "co_worker", "--subject", "test-brugfiguur", "--programme", "other-programme"}, `"test-brugfiguur" is not a co-worker of programme other-programme`},
		{[]string{"create", "--kind", "co_worker", "--subject", "test-brugfiguur"}, "needs at least one --programme"},
		{[]string{"create", "--kind", "supervisor", "--subject", "sup", "--programme", "nope"}, "is not a programme"},
		{[]string{"create", "--kind", "partner", "--subject", "politie"}, `no programme in`},
		{[]string{"create", "--kind", "admin", "--subject", "Root User"}, "subject"},
		{[]string{"create", "--kind", "admin", "--subject", "root", "extra"}, "unexpected argument"},
		{[]string{"create", "--colour", "red"}, "flag provided but not defined"},
		{[]string{"revoke"}, "give the id of one token"},
		{[]string{"revoke", "tok_a", "tok_b"}, "give the id of one token"},
		{[]string{"revoke", "my-token"}, "is not a token id"},
		{[]string{"revoke", "tok_abcdefgh." + strings.Repeat("x", 43)}, "not the token itself"},
		{[]string{"revoke", "tok_abcdefgh"}, "there is no token tok_abcdefgh"},
		{[]string{"list", "all"}, "unexpected argument"},
		{[]string{"create", "--kind", "admin", "--subject", "root", "--expires", "soon"}, "--expires"},
		{[]string{"create", "--kind", "admin", "--subject", "root", "--expires", "0d"}, "positive duration"},
	} {
		out, _, err := runTokenCmd(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error saying %q", tc.args, err, tc.want)
		}
		if out != "" {
			t.Errorf("%q printed %q on stdout", tc.args, out)
		}
	}
	out, _, err := runTokenCmd(t, "list")
	if err != nil || strings.Count(out, "\n") != 1 {
		t.Errorf("refused requests made tokens: %q, %v", out, err)
	}
	if _, _, err := runTokenCmd(t, "create", "-h"); err != nil {
		t.Errorf("help: %v", err)
	}
}

func TestTokenCommandExpires(t *testing.T) {
	url := tokenEnv(t)
	out, errOut, err := runTokenCmd(t, "create", "--kind", "admin", "--subject", "root", "--expires", "90d")
	if err != nil {
		t.Fatal(err)
	}
	want := time.Now().Add(90 * 24 * time.Hour).UTC().Format("2006-01-02")
	if !strings.Contains(errOut, "valid until "+want) {
		t.Errorf("stderr %q does not say until when", errOut)
	}
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	info, err := st.AuthenticateToken(t.Context(), strings.TrimSpace(out))
	if err != nil || info.ExpiresAt == nil || time.Until(*info.ExpiresAt) < 89*24*time.Hour || time.Until(*info.ExpiresAt) > 90*24*time.Hour {
		t.Fatalf("token info %+v, %v: want it to expire in 90 days", info, err)
	}
	list, _, _ := runTokenCmd(t, "list")
	if !strings.Contains(list, "EXPIRES") || !strings.Contains(list, want) {
		t.Errorf("list does not show the expiry:\n%s", list)
	}
}

// TestTokenCommandCoWorker: a co-worker the programme file declares gets a
// token of their own kind, which the store authenticates as theirs.
func TestTokenCommandCoWorker(t *testing.T) {
	url := tokenEnv(t)
	out, errOut, err := runTokenCmd(t, "create", "--kind", "co_worker", "--subject", "test-brugfiguur", "--programme", "test-seconds", "--label", "brugfiguur")
	if err != nil {
		t.Fatalf("create a co-worker token: %v (%s)", err, errOut)
	}
	token := strings.TrimSuffix(out, "\n")
	if !strings.Contains(errOut, "for co_worker:test-brugfiguur in test-seconds") {
		t.Errorf("stderr %q", errOut)
	}
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	info, err := st.AuthenticateToken(t.Context(), token)
	if err != nil || info.Kind != store.TokenCoWorker || info.Subject != "test-brugfiguur" || len(info.Programmes) != 1 || info.Programmes[0] != "test-seconds" {
		t.Fatalf("authenticate the co-worker's token: %+v, %v", info, err)
	}
	if info.Actor() != "co_worker:test-brugfiguur" {
		t.Errorf("actor %q", info.Actor())
	}
	out, _, err = runTokenCmd(t, "list")
	if err != nil || !strings.Contains(out, "co_worker") || !strings.Contains(out, "test-brugfiguur") {
		t.Errorf("list: %v\n%s", err, out)
	}
}

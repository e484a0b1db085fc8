package session

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5"

	"elkgezin/internal/storetest"
	"elkgezin/store"
)

// TestSessionsEnd: a session works until it expires, idles too long, is
// signed out, or its token is revoked; then the same cookie is refused.
// The session's clock is moved in the database rather than waited for.
func TestSessionsEnd(t *testing.T) {
	ctx := t.Context()
	url := storetest.NewDatabase(t)
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	db, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	m := &Manager{Store: st, Insecure: true}

	for _, c := range []struct {
		name string
		end  func(tokenID string, cookie *http.Cookie)
	}{
		{"expired", func(string, *http.Cookie) {
			exec(t, db, `UPDATE sessions SET expires_at = now() - interval '1 second'`)
		}},
		{"idle too long", func(string, *http.Cookie) {
			exec(t, db, `UPDATE sessions SET last_seen_at = now() - $1::interval`, DefaultIdle+1)
		}},
		{"signed out", func(_ string, cookie *http.Cookie) {
			r := httptest.NewRequest(http.MethodPost, "/afmelden", nil)
			r.AddCookie(cookie)
			w := httptest.NewRecorder()
			if err := m.Close(w, r); err != nil {
				t.Fatal(err)
			}
			if got := w.Result().Cookies(); len(got) != 1 || got[0].MaxAge >= 0 {
				t.Errorf("sign-out does not drop the cookie: %v", got)
			}
		}},
		{"token revoked", func(tokenID string, _ *http.Cookie) {
			if err := st.RevokeToken(ctx, tokenID); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			exec(t, db, `DELETE FROM sessions`)
			tokenID, _, err := st.CreateToken(ctx, store.TokenSupervisor, "sup-"+c.name[:3], []string{"test-seconds"}, "session test")
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			if err := m.Open(ctx, w, tokenID); err != nil {
				t.Fatal(err)
			}
			cookies := w.Result().Cookies()
			if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode || cookies[0].Value == "" {
				t.Fatalf("cookie %+v", cookies)
			}
			lookup := func() error {
				r := httptest.NewRequest(http.MethodGet, "/gezinnen", nil)
				r.AddCookie(cookies[0])
				s, err := m.Lookup(r)
				if err == nil && s.Principal.CredentialID != tokenID {
					t.Errorf("session of %q, want %q", s.Principal.CredentialID, tokenID)
				}
				return err
			}
			if err := lookup(); err != nil {
				t.Fatalf("fresh session refused: %v", err)
			}
			c.end(tokenID, cookies[0])
			if err := lookup(); !errors.Is(err, ErrNoSession) {
				t.Errorf("after the session was %s: %v, want ErrNoSession", c.name, err)
			}
		})
	}
}

// TestSecureCookieOutsideDevelopment: the cookie is Secure unless the
// development flag says otherwise.
func TestSecureCookieOutsideDevelopment(t *testing.T) {
	w := httptest.NewRecorder()
	(&Manager{}).setCookie(w, "x", 60)
	if c := w.Result().Cookies(); len(c) != 1 || !c[0].Secure {
		t.Errorf("cookie %+v, want Secure", c)
	}
}

func exec(t *testing.T, db *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := db.Exec(t.Context(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

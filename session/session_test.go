package session

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/elkgezin/elkgezin/internal/storetest"
	"github.com/elkgezin/elkgezin/store"
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
		{"token expired", func(tokenID string, _ *http.Cookie) {
			exec(t, db, `UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, tokenID)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			exec(t, db, `DELETE FROM sessions`)
			tokenID, _, err := st.CreateToken(ctx, store.TokenSupervisor, "sup-"+c.name[:3], []string{"test-seconds"}, "session test")
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			if err := m.Open(w, httptest.NewRequest(http.MethodPost, "/aanmelden", nil), tokenID); err != nil {
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

// TestSessionEndsWithItsToken: a session opened an hour before its token
// expires ends with the token, not eight hours later.
func TestSessionEndsWithItsToken(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, storetest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	tokenID, _, err := st.CreateExpiringToken(ctx, store.TokenCoach, "coach-a", []string{"test-seconds"}, "expiring", time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	id, err := st.CreateSession(ctx, tokenID, DefaultMaxAge)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Session(ctx, id, DefaultIdle)
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(info.ExpiresAt); left > time.Hour+time.Minute {
		t.Errorf("the session lasts %s, past its token's expiry in an hour", left.Round(time.Minute))
	}
}

// TestSignInOpensANewSession: a sign-in never takes over the session the
// browser brings (one planted in it, or its own from before): it gets a new
// id, and the old one ends.
func TestSignInOpensANewSession(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, storetest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	tokenID, _, err := st.CreateToken(ctx, store.TokenCoach, "coach-a", []string{"test-seconds"}, "fixation")
	if err != nil {
		t.Fatal(err)
	}
	m := &Manager{Store: st}
	open := func(carried *http.Cookie) *http.Cookie {
		r := httptest.NewRequest(http.MethodPost, "/aanmelden", nil)
		if carried != nil {
			r.AddCookie(carried)
		}
		w := httptest.NewRecorder()
		if err := m.Open(w, r, tokenID); err != nil {
			t.Fatal(err)
		}
		return w.Result().Cookies()[0]
	}
	lookup := func(c *http.Cookie) error {
		r := httptest.NewRequest(http.MethodGet, "/gezinnen", nil)
		r.AddCookie(c)
		_, err := m.Lookup(r)
		return err
	}
	first := open(nil)
	second := open(first)
	if second.Value == first.Value {
		t.Fatal("a sign-in kept the session id the browser brought")
	}
	if err := lookup(first); !errors.Is(err, ErrNoSession) {
		t.Errorf("the session before the sign-in: %v, want ended", err)
	}
	if err := lookup(second); err != nil {
		t.Errorf("the new session: %v", err)
	}
}

// TestCookieNamedForTheHostOnly: outside development the cookie is Secure,
// for Path=/, without Domain, and named __Host-, so a browser takes it only
// from this host over HTTPS; a cookie of the old name or set by another
// host under the plain name is not a session. Over plain HTTP it cannot
// carry the prefix (browsers refuse it without Secure).
func TestCookieNamedForTheHostOnly(t *testing.T) {
	w := httptest.NewRecorder()
	(&Manager{}).setCookie(w, "x", 60)
	c := w.Result().Cookies()
	if len(c) != 1 || !c[0].Secure || c[0].Name != "__Host-elkgezin_session" || c[0].Path != "/" || c[0].Domain != "" {
		t.Errorf("cookie %+v, want Secure, __Host-, Path=/ and no Domain", c)
	}
	r := httptest.NewRequest(http.MethodGet, "/gezinnen", nil)
	r.AddCookie(&http.Cookie{Name: InsecureCookieName, Value: "x"})
	if _, err := (&Manager{}).Lookup(r); !errors.Is(err, ErrNoSession) {
		t.Errorf("a cookie without the prefix: %v, want no session", err)
	}
	w = httptest.NewRecorder()
	(&Manager{Insecure: true}).setCookie(w, "x", 60)
	if c := w.Result().Cookies(); len(c) != 1 || c[0].Secure || c[0].Name != InsecureCookieName {
		t.Errorf("development cookie %+v, want %s without Secure", c, InsecureCookieName)
	}
}

func exec(t *testing.T, db *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := db.Exec(t.Context(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

package pages

import (
	"bytes"
	"compress/gzip"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
)

// A refused form is answered with a redirect (POST-redirect-GET), so that
// reloading the page never sends the step again; what was typed, its
// idempotency key and why it was refused travel to the page in a
// short-lived cookie of this browser only. The cookie is sealed
// (AES-256-GCM) under a key derived from the session's CSRF secret, which
// every replica reads from PostgreSQL: it cannot be forged, a cookie left
// on disk does not show the typed text, and another session (another
// coach at this browser after signing out) cannot read it back.

const (
	flashCookie = "elkgezin_formulier"
	// flashMaxAge: long enough to reload the page and read it again.
	flashMaxAge = 600
	// flashMaxBytes keeps the cookie under a browser's limit per cookie;
	// a form too large for it is answered in place, as before.
	flashMaxBytes = 3800
)

// flash is a refused form on its way to the page that shows it.
type flash struct {
	Trajectory string     `json:"t"`
	Step       string     `json:"s"`
	Key        string     `json:"k"`
	Values     url.Values `json:"v"`
	Error      string     `json:"e"`
	// Lines say, for a step on several trajectories, what became of each.
	Lines []string `json:"l,omitempty"`
}

// flashAEAD is the cipher of a session's flash cookie.
func flashAEAD(secret string) cipher.AEAD {
	key := sha256.Sum256([]byte("elkgezin form flash\x00" + secret))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// setFlash keeps the refused form for the next page; false when it does
// not fit in a cookie.
func (h *handler) setFlash(w http.ResponseWriter, r *http.Request, f flash) bool {
	vals := url.Values{}
	for k, v := range f.Values {
		if k != "csrf" && k != "key" {
			vals[k] = v
		}
	}
	f.Values = vals
	raw, err := json.Marshal(f)
	if err != nil {
		return false
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	aead := flashAEAD(current(r).CSRF)
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	value := base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, buf.Bytes(), []byte(flashCookie)))
	if len(value) > flashMaxBytes {
		return false
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: value, Path: "/", MaxAge: flashMaxAge,
		HttpOnly: true, Secure: !h.Sessions.Insecure, SameSite: http.SameSiteStrictMode})
	return true
}

// clearFlash forgets a refused form once its step went through.
func (h *handler) clearFlash(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(flashCookie); err != nil {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: !h.Sessions.Insecure, SameSite: http.SameSiteStrictMode})
}

// takeFlash is the refused form of this step of this trajectory (or, on
// a page of its own, of the consultation it was about, "" for the page's
// own form), when this session's browser brought it; nil otherwise.
func takeFlash(r *http.Request, trajectoryID, step string) *form {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	sealed, err := base64.RawURLEncoding.DecodeString(c.Value)
	aead := flashAEAD(current(r).CSRF)
	if err != nil || len(sealed) < aead.NonceSize() {
		return nil
	}
	payload, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(flashCookie))
	if err != nil {
		return nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(payload))
	if err != nil {
		return nil
	}
	raw, err := io.ReadAll(io.LimitReader(zr, 64<<10))
	if err != nil {
		return nil
	}
	var f flash
	if json.Unmarshal(raw, &f) != nil || f.Trajectory != trajectoryID || f.Step != step {
		return nil
	}
	if f.Values == nil {
		f.Values = url.Values{}
	}
	return &form{Key: f.Key, Values: f.Values, Error: f.Error, Lines: f.Lines}
}

package api

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"

	"github.com/elkgezin/elkgezin/trajectory"
)

// A list cursor, as a client sees it, is the store's position sealed with
// the list it belongs to: base64url of the position, a digest of the
// caller, filters and order, and an HMAC of both under the server's id key.
// So a client cannot read or forge a position, and a cursor given with
// other filters or another order is refused rather than answered with a
// page of another list.

// cursorPurpose keeps the cursors' sums apart from every other use of the key.
const cursorPurpose = "list cursor v1"

// Why a cursor is refused.
var (
	errCursorForged  = errors.New("not a cursor this API handed out")
	errCursorForList = errors.New("a cursor of a list with other filters or another order")
)

// cursorFilterParams are the query parameters a cursor is bound to: all
// but the cursor itself and the page size, which may change from page to page.
var cursorFilterParams = []string{"programme", "coach", "phase", "overdue", "email_failed", "escalated", "referrer", "updated_since", "sort"}

// listBinding is what a cursor is bound to: the caller and the list's
// filters and order, as given.
func listBinding(actor string, q url.Values) []byte {
	var b strings.Builder
	b.WriteString(actor)
	for _, name := range cursorFilterParams {
		b.WriteString("\x00" + name + "=" + q.Get(name))
	}
	d := sha256.Sum256([]byte(b.String()))
	return d[:12]
}

func sealCursor(key trajectory.IDKey, binding []byte, position string) string {
	payload := append(append([]byte{}, binding...), position...)
	mac := key.Sum(cursorPurpose, payload)[:16]
	return base64.RawURLEncoding.EncodeToString(append(payload, mac...))
}

// openCursor returns the store's position of a sealed cursor, or
// errCursorForged or errCursorForList.
func openCursor(key trajectory.IDKey, binding []byte, cursor string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(raw) < len(binding)+16+1 {
		return "", errCursorForged
	}
	payload, mac := raw[:len(raw)-16], raw[len(raw)-16:]
	if !hmac.Equal(mac, key.Sum(cursorPurpose, payload)[:16]) {
		return "", errCursorForged
	}
	if !bytes.Equal(payload[:len(binding)], binding) {
		return "", errCursorForList
	}
	return string(payload[len(binding):]), nil
}

// nextLink is the path and query of the list's next page: the query as
// the client gave it, with the next cursor.
func nextLink(q url.Values, cursor string) string {
	next := url.Values{}
	for k, v := range q {
		next[k] = v
	}
	next.Set("cursor", cursor)
	return pathTrajectories + "?" + next.Encode()
}

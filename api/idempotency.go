package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/elkgezin/elkgezin/trajectory"
)

// IdempotencyKeyHeader names the header that makes a step safe to retry.
const IdempotencyKeyHeader = "Idempotency-Key"

// idempotencyKey reads the request's Idempotency-Key. A step that is not
// idempotent by nature (required) must have one: only the client can tell
// a retry of a visit from a second visit. Without one, other steps get
// derivedKey. It answers itself and returns false when the key is wrong.
func idempotencyKey(w http.ResponseWriter, r *http.Request, required bool) (string, bool) {
	values := r.Header.Values(IdempotencyKeyHeader)
	switch {
	case len(values) > 1:
		writeError(w, r, CodeIdempotencyKeyInvalid, IdempotencyKeyHeader+" is given more than once; send it once")
		return "", false
	case len(values) == 1 && !trajectory.ValidIdempotencyKey(values[0]):
		writeError(w, r, CodeIdempotencyKeyInvalid,
			IdempotencyKeyHeader+" must be 1-128 visible ASCII characters without spaces, such as a UUID")
		return "", false
	case len(values) == 1:
		return values[0], true
	case required:
		writeError(w, r, CodeIdempotencyKeyRequired,
			"this step is not the same when done twice, so it needs an "+IdempotencyKeyHeader+" header: "+
				"a new value (such as a UUID) for each new step, and the same value when you retry one")
		return "", false
	}
	return "", true
}

// derivedKey is the idempotency key of a step sent without one: a hash of
// the Update's name, who acts and the request as JSON (encoding/json
// writes a struct's fields in order, so the same request gives the same
// text). A client that repeats the same request gets the same Update id,
// which the workflow applies once; to do the same step again on purpose
// (assign the first coach again after a reassignment), the client sends
// its own key.
func derivedKey(update, actor string, req any) (string, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("encode %s request: %w", update, err)
	}
	h := sha256.New()
	for _, part := range [][]byte{[]byte(update), []byte(actor), body} {
		h.Write(part)
		h.Write([]byte{0})
	}
	return "derived-" + hex.EncodeToString(h.Sum(nil)), nil
}

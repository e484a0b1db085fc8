// Package webhook signs and verifies the events elkgezin posts to a
// partner organisation about its own referrals (coach assigned, in
// support, closed), and reads where each partner wants them. An event
// holds ids, a status and an instant: never a family's data nor who
// coaches it. docs/api.md, "Feedback on a referral", describes the scheme
// for partners.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header fields of a posted event.
const (
	// SignatureHeader holds "t=<unix seconds>,v1=<hex HMAC-SHA256>", the
	// MAC over "<t>.<body>" under the partner's secret.
	SignatureHeader = "Elkgezin-Signature"
	// EventIDHeader repeats the event's id, for de-duplication.
	EventIDHeader = "Elkgezin-Event-Id"
)

// Statuses of a referral as its partner sees it.
const (
	StatusReceived      = "received"
	StatusCoachAssigned = "coach_assigned"
	StatusInSupport     = "in_support"
	StatusClosed        = "closed"
)

// Statuses are every status, in the order a referral reaches them.
var Statuses = []string{StatusReceived, StatusCoachAssigned, StatusInSupport, StatusClosed}

// Event is the body of a posted event.
type Event struct {
	// ID is the same for every delivery of one status of one referral, so
	// a partner that gets it twice keeps it once.
	ID         string `json:"id"`
	Type       string `json:"type"` // "referral.<status>"
	ReferralID string `json:"referral_id"`
	Status     string `json:"status"`
	// StatusChangedAt is in UTC.
	StatusChangedAt time.Time `json:"status_changed_at"`
}

// NewEvent is the event of a referral's status, reached at.
func NewEvent(referralID, status string, at time.Time) Event {
	return Event{ID: EventID(referralID, status), Type: "referral." + status, ReferralID: referralID,
		Status: status, StatusChangedAt: at.UTC().Truncate(time.Second)}
}

// EventID is the id of a referral's status event: a hash of the two, so
// every attempt, and every worker, names it alike.
func EventID(referralID, status string) string {
	sum := sha256.Sum256([]byte(referralID + "/" + status))
	return "evt_" + hex.EncodeToString(sum[:16])
}

// Sign is the signature header of body sent at t under secret.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// ErrBadSignature: the header is missing, malformed, too old or does not match.
var ErrBadSignature = errors.New("webhook: bad signature")

// Verify checks a signature header over body, as a partner does: the MAC
// must match (in constant time) and its timestamp be within tolerance of
// now, so a captured event cannot be replayed later.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("%w: no t= or v1=", ErrBadSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp %s from now", ErrBadSignature, d)
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("%w: no v1 matches", ErrBadSignature)
}

package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/trajectory"
)

// causeOf is e's cause as the log keeps it (stored), and as the log kept
// it before (plain). A cause names an email by its key, which holds the
// instant its step is due (for a pregnancy: the due date or the birth plus
// a known delay), or an Update by an id a client chose, so the log keeps a
// tag of it under the trajectory's data key (keys.DataKey.Tag): unique
// while the key lives, unreadable once it is erased. An event from a
// workflow older than causes (an activity scheduled before them and
// retried now), and a late event of an erased trajectory (k nil: no tag
// can be made), is named by its number (legacy).
func causeOf(k *keys.DataKey, e trajectory.Event) (stored, plain string, legacy bool) {
	switch {
	case e.Cause == "" || k == nil:
		byNumber := "seq/" + strconv.FormatInt(e.Seq, 10)
		return byNumber, byNumber, true
	case e.Cause == trajectory.CauseReferred:
		return e.Cause, e.Cause, false
	}
	return "k/" + k.Tag("cause/"+e.Cause), e.Cause, false
}

// StoredCause is cause as the log of the trajectory keeps it (see
// causeOf), for a check that compares the log with the history.
func (s *Store) StoredCause(ctx context.Context, trajectoryID, cause string) (string, error) {
	if cause == trajectory.CauseReferred || strings.HasPrefix(cause, "seq/") {
		return cause, nil
	}
	k, err := s.openKey(ctx, trajectoryID)
	if err != nil {
		return "", err
	}
	stored, _, _ := causeOf(k, trajectory.Event{Cause: cause})
	return stored, nil
}

package logcheck

import (
	"strings"
	"testing"
	"time"
)

func TestCompare(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 123456789, time.UTC)
	e := func(seq int64, cause, kind string) Entry {
		return Entry{Seq: seq, Cause: cause, Kind: kind, At: at.Add(time.Duration(seq) * time.Minute)}
	}
	history := []Entry{e(1, "referred", "referred"), e(2, "coach_assigned/update/a", "coach_assigned"), e(3, "intake_done/update/b", "intake_done")}
	moved := history[2]
	moved.At = moved.At.Add(time.Second)
	for _, tc := range []struct {
		name string
		log  []Entry
		want string // a problem that must be found; "" for none
	}{
		{"equal", history, ""},
		{"equal to the microsecond", []Entry{history[0], history[1], {Seq: 3, Cause: history[2].Cause, Kind: "intake_done", At: history[2].At.Truncate(time.Microsecond)}}, ""},
		{"an event missing", history[:2], "missing from the log: 3 intake_done"},
		{"an event twice", append(append([]Entry{}, history...), history[2]), "in the log twice"},
		{"a phantom", append(append([]Entry{}, history...), e(4, "home_visit_done/update/x", "home_visit_done")), "not in the history: 4 home_visit_done"},
		{"another order", []Entry{history[0], history[2], history[1]}, "event 2"},
		{"rewritten in place", []Entry{history[0], history[1], moved}, "event 3"},
		{"another kind under a number", []Entry{history[0], history[1], e(3, "intake_done/update/b", "home_visit_done")}, "event 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			problems := Compare(history, tc.log)
			switch {
			case tc.want == "" && len(problems) > 0:
				t.Errorf("problems %q, want none", problems)
			case tc.want != "" && !strings.Contains(strings.Join(problems, "\n"), tc.want):
				t.Errorf("problems %q, want one with %q", problems, tc.want)
			}
		})
	}
}

package retention

import (
	"strings"
	"testing"
)

func TestCheckReason(t *testing.T) {
	for _, ok := range []string{"request of the family", "verzoek van het gezin (art. 17 AVG)", strings.Repeat("é", MaxReasonLength)} {
		if err := CheckReason(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "   ", "\t\n", strings.Repeat("x", MaxReasonLength+1), "two\nlines", "bell\a", "hidden\u200bspace", "turned\u202eround", "bad \xff byte"} {
		if err := CheckReason(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

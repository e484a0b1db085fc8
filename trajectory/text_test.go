package trajectory

import (
	"strings"
	"testing"
)

func TestCleanText(t *testing.T) {
	for _, tc := range []struct {
		name, in    string
		required    bool
		max         int
		multiline   bool
		want        string
		wantProblem TextProblem
	}{
		{"plain", "Gezin Peeters", false, 20, false, "Gezin Peeters", ""},
		{"NFC", "Jose\u0301", false, 20, false, "José", ""},
		{"blank optional", "  ", false, 20, false, "  ", ""},
		{"blank required", " \t", true, 20, false, " \t", TextRequired},
		{"right-to-left override", "abc\u202Edef", false, 20, false, "abc\u202Edef", TextFormatChar},
		{"zero width space", "An\u200Bna", false, 20, false, "An\u200Bna", TextFormatChar},
		{"line break in one line", "a\nb", false, 20, false, "a\nb", TextControl},
		{"line break in a note", "a\nb", false, 20, true, "a\nb", ""},
		{"bell in a note", "a\ab", false, 20, true, "a\ab", TextControl},
		{"at the limit", strings.Repeat("é", 5), false, 5, false, strings.Repeat("é", 5), ""},
		{"over the limit", strings.Repeat("é", 6), false, 5, false, strings.Repeat("é", 6), TextTooLong},
		{"at the limit once composed", strings.Repeat("e\u0301", 5), false, 5, false, strings.Repeat("é", 5), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, problem := CleanText(tc.in, tc.required, tc.max, tc.multiline)
			if problem != tc.wantProblem || (problem == "" && got != tc.want) {
				t.Errorf("CleanText(%q) = %q, %q; want %q, %q", tc.in, got, problem, tc.want, tc.wantProblem)
			}
		})
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/config"
	"github.com/elkgezin/elkgezin/internal/storetest"
	"github.com/elkgezin/elkgezin/keys"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// TestReportRefusesPeriodsThatAreNotAQuarterOrAYear: the fund's export
// takes one calendar quarter or one calendar year that has ended, by the
// API's rule, and says which flag is wrong before it opens the database.
func TestReportRefusesPeriodsThatAreNotAQuarterOrAYear(t *testing.T) {
	now := time.Now().UTC()
	thisQuarter := time.Date(now.Year(), now.Month()-(now.Month()-1)%3, 1, 0, 0, 0, 0, time.UTC)
	thisYear := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", "2025-01-01", "--to", "2025-03-30"}, "report: --to must be 2025-03-31 (the first quarter) or 2025-12-31 (the year)"},
		{[]string{"--from", "2025-01-01", "--to", "2025-06-30"}, "report: --to must be 2025-03-31 (the first quarter) or 2025-12-31 (the year)"},
		{[]string{"--from", "2025-04-01", "--to", "2025-09-30"}, "report: --to must be 2025-06-30, the last day of the quarter that from begins"},
		{[]string{"--from", "2025-03-01", "--to", "2025-03-31"}, "report: --from must be the first day of a quarter (1 January, 1 April, 1 July or 1 October), such as 2025-01-01"},
		{[]string{"--from", "2025-01-02", "--to", "2025-03-31"}, "report: --from must be the first day of a quarter"},
		{[]string{"--from", thisQuarter.Format(time.DateOnly), "--to", thisQuarter.AddDate(0, 3, -1).Format(time.DateOnly)},
			"report: --to must be the last day of a quarter that has ended"},
		{[]string{"--from", thisYear.Format(time.DateOnly), "--to", thisYear.AddDate(1, 0, -1).Format(time.DateOnly)},
			"report: --to must be the last day of a year that has ended"},
		{[]string{"--to", "2025-03-31"}, "report: --from is required"},
		{[]string{"--from", "2025-01-01", "--to", "2025-03-31", "--format", "xml"}, "report: --format must be csv or json"},
	} {
		// No database: a period let through would fail on opening it.
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		err := runReport(ctx, config.Config{}, c.args, io.Discard, slog.New(slog.DiscardHandler))
		cancel()
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
}

// TestReportExportsAYearAndItsQuarters runs the export of 2025 and of each
// of its quarters, for two programmes: in the first, two families referred
// by org-b in the second quarter are suppressed there, and in none of the
// five exports is an organisation's count hidden alone (the other four
// would give it back by subtraction); the second has nothing to hide.
func TestReportExportsAYearAndItsQuarters(t *testing.T) {
	url := storetest.NewDatabase(t)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("PROGRAMMES_DIR", "../../deploy/programmes")
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st = st.WithKeys(keys.MustGenerate("test", "p1", "p2"))
	quarters := [][2]string{{"2025-01-01", "2025-03-31"}, {"2025-04-01", "2025-06-30"}, {"2025-07-01", "2025-09-30"}, {"2025-10-01", "2025-12-31"}}
	for _, programme := range []string{"p1", "p2"} {
		for q, period := range quarters {
			from, _ := time.Parse(time.DateOnly, period[0])
			for org, n := range map[string]int{"org-a": 10, "org-b": 10} {
				if programme == "p1" && q == 1 && org == "org-b" {
					n = 2
				}
				for i := range n {
					at := from.AddDate(0, 0, 4).Add(time.Duration(i) * time.Hour)
					if err := st.RecordEvent(t.Context(), trajectory.Event{TrajectoryID: fmt.Sprintf("%s-%d-%s-%02d", programme, q, org, i), Seq: 1,
						Kind: trajectory.EventReferred, Actor: "partner", At: at,
						Summary: trajectory.Summary{ProgrammeID: programme, ReferrerOrg: org, Phase: trajectory.PhaseReferred, ReferredAt: at}}); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	hidden := map[string]int{}
	for _, period := range append(quarters, [2]string{"2025-01-01", "2025-12-31"}) {
		var out bytes.Buffer
		if err := runReport(t.Context(), testConfig(t, "report"), []string{"--from", period[0], "--to", period[1]}, &out, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&out).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows[1:] {
			if row[3] == "referred_by" && row[5] == store.Suppressed {
				hidden[row[0]+" "+row[4]]++
			}
			if row[1] != period[0] {
				t.Errorf("%s to %s: a row of %s", period[0], period[1], row[1])
			}
		}
	}
	if hidden["p1 org-b"] == 0 || hidden["p2 org-a"]+hidden["p2 org-b"] > 0 {
		t.Errorf("suppressed: %v, want p1's org-b in the second quarter and nothing of p2", hidden)
	}
	for cell, n := range hidden {
		if n == 1 {
			t.Errorf("%s is suppressed in one export of five: the other four give it back", cell)
		}
	}
}

package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"elkgezin/config"
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

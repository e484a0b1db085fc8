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

// TestReportRefusesPeriodsOfDays: the fund's export takes whole months
// that have ended, by the API's rule, and says which flag is wrong before
// it opens the database.
func TestReportRefusesPeriodsOfDays(t *testing.T) {
	y, m, _ := time.Now().UTC().Date()
	thisMonth := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", "2025-01-01", "--to", "2025-03-30"}, "report: --to must be the last day of a month, such as 2025-03-31"},
		{[]string{"--from", "2025-01-01", "--to", "2025-04-01"}, "report: --to must be the last day of a month, such as 2025-03-31"},
		{[]string{"--from", "2025-01-02", "--to", "2025-03-31"}, "report: --from must be the first day of a month, such as 2025-01-01"},
		{[]string{"--from", thisMonth.Format(time.DateOnly), "--to", thisMonth.AddDate(0, 1, -1).Format(time.DateOnly)},
			"report: --to must be the last day of a month that has ended"},
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

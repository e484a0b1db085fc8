package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"elkgezin/api"
	"elkgezin/config"
	"elkgezin/store"
	"elkgezin/trajectory"
)

// runReport writes the fund's anonymised export: the report of every
// programme over a period (both dates included), as CSV or JSON, with
// counts below store.SuppressBelow suppressed. It reads PostgreSQL only.
func runReport(ctx context.Context, cfg config.Config, args []string, stdout io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	from := fs.String("from", "", "first day of the period, YYYY-MM-DD")
	to := fs.String("to", "", "last day of the period, YYYY-MM-DD")
	format := fs.String("format", "csv", "csv or json")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	f, errFrom := trajectory.ParseDate(*from)
	t, errTo := trajectory.ParseDate(*to)
	if err := errors.Join(errFrom, errTo); err != nil {
		return fmt.Errorf("report: --from and --to: %w", err)
	}
	if t.Before(f.Time) || (*format != "csv" && *format != "json") {
		return fmt.Errorf("report: --to must not lie before --from, and --format is csv or json")
	}
	st, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	reports, err := st.Report(ctx, nil, f.Time, t.AddDate(0, 0, 1))
	if err != nil {
		return err
	}
	if *format == "json" {
		if reports == nil {
			reports = []store.ProgrammeReport{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(reports)
	}
	return api.WriteReportCSV(stdout, reports)
}

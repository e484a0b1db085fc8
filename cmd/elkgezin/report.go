package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/api"
	"github.com/elkgezin/elkgezin/config"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
)

// runReport writes the fund's anonymised export: the report of every
// programme over one calendar quarter or one calendar year that has ended
// (both dates included), as CSV or JSON, suppressed as the API's, a year
// together with its quarters (store.Report). It reads PostgreSQL only.
func runReport(ctx context.Context, cfg config.Config, args []string, stdout io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	from := fs.String("from", "", "first day of the period, YYYY-MM-DD: the first day of a quarter (YYYY-01-01 for a year)")
	to := fs.String("to", "", "last day of the period, YYYY-MM-DD: the quarter's last day, or YYYY-12-31 for the year; the period must have ended")
	format := fs.String("format", "csv", "csv or json")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	period, err := store.ReportPeriod(*from, *to, time.Now())
	var pe store.PeriodError
	if errors.As(err, &pe) {
		problems := make([]string, len(pe))
		for i, p := range pe {
			problems[i] = "--" + p.Field + " " + p.Message
		}
		return fmt.Errorf("report: %s", strings.Join(problems, "; "))
	}
	if *format != "csv" && *format != "json" {
		return fmt.Errorf("report: --format must be csv or json")
	}
	// Each programme's children are counted at its own follow-up age.
	catalogue, err := programme.LoadDir(cfg.ProgrammesDir)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	reports, err := st.Report(ctx, nil, period, catalogue.FollowUpAges())
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

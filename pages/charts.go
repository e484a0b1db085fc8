package pages

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/store"
)

// FigureStore reads the figures the team page charts (package store).
type FigureStore interface {
	TeamFigures(ctx context.Context, programmeIDs []string, from, to time.Time) ([]store.MonthFigures, error)
}

// A chart is a horizontal bar chart drawn on the server as SVG, phone
// width first (its viewBox scales to the page): a row per month or per
// coach, a bar per series. Counts follow the reports' small-count rule
// (store.NewCount): a suppressed count has no bar and says "minder dan 5";
// a median of too few says "te weinig". Each chart has its numbers as a
// table too, for a screen reader and for print.
type chart struct {
	ID, Title, Desc string
	RowHeader       string // the table's first column: Maand, Coach
	Series          []series
	Rows            []chartRow
	Height          int
}

type series struct{ Name, Class string }

type chartRow struct {
	Label string // cut to fit its column
	Full  string
	Y     int // top of the row
	Bars  []chartBar
}

type chartBar struct {
	Class string
	Text  string // the value as shown, also in the table
	Y, H  int
	W     float64 // bar length; 0 for none
	TextX float64
}

const (
	chartWidth  = 320
	chartLabelW = 96  // label column
	chartBarMax = 160 // longest bar; the value follows it
	chartBarH   = 14
	chartRowGap = 10
)

// value is one bar's figure before it is drawn: shown false when it is
// suppressed or missing.
type value struct {
	N     float64
	Shown bool
	Text  string
}

func countValue(n int) value {
	c := store.NewCount(n)
	if c.Suppressed {
		return value{Text: "minder dan " + strconv.Itoa(store.SuppressBelow)}
	}
	return value{N: float64(n), Shown: true, Text: strconv.Itoa(n)}
}

func daysValue(d *float64) value {
	if d == nil {
		return value{Text: "te weinig gezinnen"}
	}
	return value{N: *d, Shown: true, Text: strings.Replace(strconv.FormatFloat(*d, 'f', 1, 64), ".", ",", 1) + " d"}
}

// newChart lays the rows out: label, then for each series a bar scaled to
// the largest value of the chart.
func newChart(id, title, desc, rowHeader string, ss []series, labels []string, values [][]value) chart {
	c := chart{ID: id, Title: title, Desc: desc, RowHeader: rowHeader, Series: ss}
	maxV := 0.0
	for _, row := range values {
		for _, v := range row {
			if v.Shown && v.N > maxV {
				maxV = v.N
			}
		}
	}
	y := 4
	for i, label := range labels {
		r := chartRow{Label: short(label, 14), Full: label, Y: y}
		for j, v := range values[i] {
			b := chartBar{Class: ss[j].Class, Text: v.Text, Y: y + j*(chartBarH+2), H: chartBarH}
			if v.Shown && maxV > 0 {
				b.W = float64(chartBarMax) * v.N / maxV
			}
			b.TextX = float64(chartLabelW) + b.W + 4
			r.Bars = append(r.Bars, b)
		}
		c.Rows = append(c.Rows, r)
		y += len(ss)*(chartBarH+2) + chartRowGap
	}
	c.Height = y
	return c
}

// short cuts a label to n runes, so that it stays within its column.
func short(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

var monthsNL = []string{"jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"}

// monthCharts are the referrals per month and the median days to a coach
// and to the intake, over the last twelve Belgian months.
func monthCharts(figs []store.MonthFigures, now time.Time) []chart {
	n := now.In(zone)
	first := time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, zone).AddDate(0, -11, 0)
	byMonth := map[string]store.MonthFigures{}
	for _, f := range figs {
		byMonth[fmt.Sprintf("%d-%02d", f.Year, f.Month)] = f
	}
	var labels []string
	var referred, days [][]value
	for m := first; !m.After(n); m = m.AddDate(0, 1, 0) {
		f, ok := byMonth[fmt.Sprintf("%d-%02d", m.Year(), m.Month())]
		labels = append(labels, monthsNL[m.Month()-1]+" "+strconv.Itoa(m.Year()))
		if !ok {
			referred = append(referred, []value{countValue(0)})
			days = append(days, []value{daysValue(nil), daysValue(nil)})
			continue
		}
		referred = append(referred, []value{countValue(f.Referred.N)})
		days = append(days, []value{daysValue(f.MedianToCoach), daysValue(f.MedianToIntake)})
	}
	return []chart{
		newChart("chart-doorverwijzingen", "Doorverwijzingen per maand",
			"Aantal gezinnen doorverwezen per maand, de laatste twaalf maanden. Minder dan 5 wordt niet getoond.", "Maand",
			[]series{{"Doorverwezen", "bar-a"}}, labels, referred),
		newChart("chart-dagen", "Dagen tot coach en tot intake",
			"Mediaan van het aantal dagen van de doorverwijzing tot de eerste coach en tot de intake, per maand van doorverwijzing; alleen bij 5 gezinnen of meer.", "Maand",
			[]series{{"Tot coach", "bar-a"}, {"Tot intake", "bar-b"}}, labels, days),
	}
}

// coachChart is the open and late families per coach.
func coachChart(lines []coachLine) chart {
	var labels []string
	var values [][]value
	for _, l := range lines {
		labels = append(labels, l.Name)
		values = append(values, []value{countValue(l.Open), countValue(l.Late)})
	}
	return newChart("chart-coaches", "Open en te laat per coach",
		"Aantal open gezinnen en gezinnen met een stap te laat, per coach. Minder dan 5 wordt niet getoond.", "Coach",
		[]series{{"Open", "bar-a"}, {"Te laat", "bar-late"}}, labels, values)
}

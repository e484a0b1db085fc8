// Command mutate applies a fixed list of named source mutations, one at a
// time, to a copy of the tree, runs the tests of the mutated package and
// reports each mutant as killed (a test failed) or survived. It complements
// gremlins (deploy/mutation), whose operators swap operators but never
// delete a check: the mutants here are ones a review once found alive,
// and each must stay killed.
//
//	usage: go run ./deploy/mutate [-only regexp] [-report file.md]
//	       go run ./deploy/mutate -gremlins results.json -report file.md
//
// The second form writes gremlins' JSON results (its -o flag) as Markdown:
// counts, then every mutant by status with its source line.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// A mutant replaces Old, which must occur exactly once in File, by New.
type mutant struct {
	Name, File, Old, New string
}

func closedAllowed(update string) mutant {
	call := "update(trajectory." + update + ", "
	return mutant{
		Name: "closed trajectory accepts " + update,
		File: "workflows/updates.go",
		Old:  regexp.MustCompile(regexp.QuoteMeta(call) + `[^\n]*closedRefused\)`).FindString(mustRead("workflows/updates.go")),
		New:  "",
	}
}

var mutants = []mutant{
	{"closed-trajectory refusal switched off for every update", "workflows/updates.go",
		"if u.closed == closedRefused && w.c.State.Phase == trajectory.PhaseClosed {",
		"if false && u.closed == closedRefused && w.c.State.Phase == trajectory.PhaseClosed {"},
	{"no reminder reset on reassignment (owedToNewCoach not called)", "workflows/steps.go",
		"\t\tif notify {\n\t\t\tw.owedToNewCoach()\n\t\t}",
		"\t\tif notify {\n\t\t}"},
	{"no reminder reset for birth and end of follow-up on reassignment", "workflows/steps.go",
		"\t\tif s != nil {\n\t\t\ts.Reminded = false\n\t\t}",
		"\t\tif s != nil {\n\t\t}"},
	{"no handover alert reset on reassignment", "workflows/steps.go",
		"ack.Alerted = false // the coach",
		"_ = ack // the coach"},
	{"open step not reminded again on reassignment", "workflows/steps.go",
		"\t\tw.c.State.Next.Reminded = false\n",
		"\n"},
	{"always re-planning at birth", "workflows/perinatal.go",
		"if !next.Planned || first.Before(next.DueAt) {",
		"if true {"},
	{"a late-assigned coach reminded after the alert", "workflows/deadlines.go",
		"if hasReminder && !step.Reminded && now.Before(alertAt) {",
		"if hasReminder && !step.Reminded {"},
	{"the workflow's own consent check removed", "workflows/handovers.go",
		"if err := rejectProblems(trajectory.ConsentProblems(req.Consent)); err != nil {",
		"if err := rejectProblems(nil); err != nil {"},
	{"a second birth accepted", "workflows/perinatal.go",
		"if !w.c.State.BornOn.IsZero() {\n\t\t// The birth date stays out of the args",
		"if false {\n\t\t// The birth date stays out of the args"},
	{"an extension that is not later accepted", "workflows/perinatal.go",
		"if end := trajectory.DateOf(w.c.State.FollowUpEnd.DueAt); !req.Until.After(end.Time) {",
		"if end := trajectory.DateOf(w.c.State.FollowUpEnd.DueAt); req.Until.Before(end.Time) {"},
	{"a second acknowledgement accepted", "workflows/handovers.go",
		"case !h.AcknowledgedAt.IsZero():\n\t\treturn reject(",
		"case false:\n\t\treturn reject("},
	{"a reminder or alert waits in the main loop again", "workflows/deadlines.go",
		"\tif w.takes(ctx, changeEmailsBeside) {\n\t\treturn w.notifyBeside(ctx, o)\n\t}\n",
		""},
	{"an email retried without the delivery limit", "workflows/sending.go",
		"opts := w.withEmailOptions(ctx, w.c.Timings.DeliveryLimit())",
		"opts := w.withEmailOptions(ctx, 0)"},
	{"a roll-over ignored", "workflows/updates.go",
		"w.rollOver = true",
		"w.rollOver = false"},
	{"events written within the workflow task again", "workflows/trajectory.go",
		"if !w.takes(ctx, changeEventsFromHistory) {",
		"if true {"},
	{"runs of every revision write their events on demand", "workflows/trajectory.go",
		"if !w.takes(ctx, changeEventsWrittenOnDemand) {",
		"if false {"},
	{"a second write of a cause rewrites the row", "store/events.go",
		"ON CONFLICT (trajectory_id, cause) DO NOTHING",
		"ON CONFLICT (trajectory_id, cause) DO UPDATE SET at = excluded.at, detail = excluded.detail"},
	{"an event of another run accepted", "store/events.go",
		"WHERE NOT EXISTS (SELECT 1 FROM foreign_run)",
		"WHERE true"},
	{"a referral elkgezin recorded started again", "api/referrals.go",
		"if known, ok := s.recordedReferral(w, r, id); !ok || known {\n\t\t\treturn\n\t\t}",
		""},
}

func init() {
	for _, u := range []string{"UpdateAssignCoach", "UpdateRecordIntake", "UpdateRecordVisit", "UpdateClose",
		"UpdateRecordBirth", "UpdateExtendFollowUp", "UpdateHandOver", "UpdateAdoptTimings"} {
		m := closedAllowed(u)
		m.New = strings.Replace(m.Old, "closedRefused)", "closedAllowed)", 1)
		mutants = append(mutants, m)
	}
}

func mustRead(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(2)
	}
	return string(b)
}

type result struct {
	m       mutant
	status  string // KILLED, SURVIVED, NOT VIABLE
	elapsed time.Duration
	by      string // the first failing test
}

func main() {
	only := flag.String("only", "", "run only the mutants whose name matches this regexp")
	report := flag.String("report", "", "append a Markdown table of the results to this file")
	timeout := flag.Duration("timeout", 5*time.Minute, "go test -timeout for each mutant")
	run := flag.String("run", "", "go test -run for each mutant (default: every test of the package)")
	pkg := flag.String("pkg", ".", "with -gremlins: the package directory its file names may be relative to")
	gremlinsJSON := flag.String("gremlins", "", "write these gremlins results (its -o file) to -report instead of running mutants")
	flag.Parse()
	sel := regexp.MustCompile(*only)
	if *gremlinsJSON != "" {
		if err := gremlinsReport(*gremlinsJSON, *report, *pkg); err != nil {
			fmt.Fprintln(os.Stderr, "mutate:", err)
			os.Exit(2)
		}
		return
	}

	dir, err := copyTree()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(2)
	}
	defer os.RemoveAll(dir)

	var results []result
	failed := false
	for _, m := range mutants {
		if !sel.MatchString(m.Name) {
			continue
		}
		r, err := try(dir, m, *timeout, *run)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mutate:", err)
			os.Exit(2)
		}
		fmt.Printf("%-10s %6.0fs  %s  %s\n", r.status, r.elapsed.Seconds(), m.Name, r.by)
		results = append(results, r)
		failed = failed || r.status != "KILLED"
	}
	if *report != "" {
		if err := writeReport(*report, results); err != nil {
			fmt.Fprintln(os.Stderr, "mutate:", err)
			os.Exit(2)
		}
	}
	if failed {
		os.Exit(1)
	}
}

// try applies m in dir, runs the package's tests and puts the file back.
func try(dir string, m mutant, timeout time.Duration, run string) (result, error) {
	path := filepath.Join(dir, m.File)
	orig, err := os.ReadFile(path)
	if err != nil {
		return result{}, err
	}
	if m.Old == "" || strings.Count(string(orig), m.Old) != 1 {
		return result{}, fmt.Errorf("mutant %q: its source no longer occurs exactly once in %s; update deploy/mutate", m.Name, m.File)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(orig), m.Old, m.New, 1)), 0o644); err != nil {
		return result{}, err
	}
	defer os.WriteFile(path, orig, 0o644)

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), timeout+time.Minute)
	defer cancel()
	args := []string{"test", "-count=1", "-failfast", "-timeout", timeout.String()}
	if run != "" {
		args = append(args, "-run", run)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "./"+filepath.Dir(m.File)+"/")...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	r := result{m: m, elapsed: time.Since(start).Round(time.Second)}
	switch {
	case err == nil:
		r.status = "SURVIVED"
	case strings.Contains(out.String(), "[build failed]") || strings.Contains(out.String(), "[setup failed]"):
		r.status = "NOT VIABLE"
	default:
		r.status = "KILLED"
		if f := regexp.MustCompile(`--- FAIL: (\S+)`).FindStringSubmatch(out.String()); f != nil {
			r.by = f[1]
		}
	}
	return r, nil
}

// copyTree copies the files git knows of (tracked or not ignored) to a
// temporary directory, so the mutants never touch the working tree.
func copyTree() (string, error) {
	out, err := exec.Command("git", "ls-files", "-co", "--exclude-standard").Output()
	if err != nil {
		return "", fmt.Errorf("git ls-files: %w", err)
	}
	dir, err := os.MkdirTemp("", "elkgezin-mutate-")
	if err != nil {
		return "", err
	}
	for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f == "bin" || strings.HasPrefix(f, "bin/") {
			continue
		}
		info, err := os.Lstat(f)
		if err != nil || !info.Mode().IsRegular() {
			continue // deleted in the work tree, or a symlink
		}
		if err := copyFile(f, filepath.Join(dir, f)); err != nil {
			return "", err
		}
	}
	return dir, nil
}

func copyFile(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

func writeReport(path string, results []result) error {
	var b strings.Builder
	b.WriteString("| Mutant | File | Result | First failing test | Time |\n|---|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s |\n", r.m.Name, r.m.File, r.status, r.by, r.elapsed)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// gremlinsResults is the part of gremlins' -o output the report shows.
type gremlinsResults struct {
	Files []struct {
		Name      string `json:"file_name"`
		Mutations []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
			Line   int    `json:"line"`
			Column int    `json:"column"`
		} `json:"mutations"`
	} `json:"files"`
	Efficacy  float64 `json:"test_efficacy"`
	Coverage  float64 `json:"mutations_coverage"`
	Total     int     `json:"mutants_total"`
	Killed    int     `json:"mutants_killed"`
	Lived     int     `json:"mutants_lived"`
	NotViable int     `json:"mutants_not_viable"`
	NotCover  int     `json:"mutants_not_covered"`
	Elapsed   float64 `json:"elapsed_time"`
}

func gremlinsReport(in, out, pkg string) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var g gremlinsResults
	if err := json.Unmarshal(b, &g); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	var w strings.Builder
	fmt.Fprintf(&w, "%d mutants: %d killed, %d lived, %d not covered, %d not viable; efficacy %.1f%%, mutant coverage %.1f%%, %.0f s.\n\n",
		g.Total, g.Killed, g.Lived, g.NotCover, g.NotViable, g.Efficacy, g.Coverage, g.Elapsed)
	for _, status := range []string{"LIVED", "NOT COVERED", "TIMED OUT", "NOT VIABLE", "KILLED"} {
		var lines []string
		for _, f := range g.Files {
			text, err := os.ReadFile(f.Name)
			if err != nil {
				text, _ = os.ReadFile(filepath.Join(pkg, filepath.Base(f.Name)))
			}
			src := strings.Split(string(text), "\n")
			for _, m := range f.Mutations {
				if m.Status != status {
					continue
				}
				code := ""
				if m.Line >= 1 && m.Line <= len(src) {
					code = strings.TrimSpace(src[m.Line-1])
				}
				lines = append(lines, fmt.Sprintf("- `%s:%d:%d` %s: `%s`", f.Name, m.Line, m.Column, m.Type, strings.ReplaceAll(code, "`", "'")))
			}
		}
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(&w, "### %s (%d)\n\n%s\n\n", status, len(lines), strings.Join(lines, "\n"))
	}
	return os.WriteFile(out, []byte(w.String()), 0o644)
}

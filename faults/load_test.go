// Package faults breaks a running elkgezin system under steady load of
// referrals and steps (a worker killed, the API restarted, the Temporal
// server killed, the mail server down, PostgreSQL down) and then proves
// that nothing was lost and nothing happened twice: every step a caller
// was told succeeded is in PostgreSQL's event log exactly once, and every
// email reached the mail server exactly once.
package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// visitsPerFamily is how many home visits each family of the load gets.
const visitsPerFamily = 3

// families is the load: callers referring families and doing their steps,
// each call retried with the same Idempotency-Key until it succeeds, as a
// careful client does through an outage.
type families struct {
	t *testing.T
	// bases are the API replicas, as behind a load balancer: each call
	// goes to the next, and to another when one does not answer.
	bases   []string
	partner string
	super   string
	coaches []string // tokens of fault-coach-1..n
	http    *http.Client

	mu        sync.Mutex
	done      map[string]int // trajectory id -> visits acknowledged (-1: referred only, 0: intake done)
	assigned  map[string]bool
	unavail   int // 503 answers seen
	noRetry   int // 503 answers without Retry-After
	refusals  []string
	transport int   // calls that failed to connect (the API down)
	calls     int   // calls begun, to spread them over bases
	served    []int // 2xx answers per replica
}

// writeProgramme writes a programme whose limits are far away: the only email
// of a family under load is its coach's assignment notice.
func writeProgramme(t *testing.T, coaches int) string {
	dir := t.TempDir()
	var cs strings.Builder
	for i := 1; i <= coaches; i++ {
		fmt.Fprintf(&cs, "  - id: fault-coach-%d\n    name: Coach %d\n    email: coach-%d@faults.example\n", i, i, i)
	}
	yaml := `id: faults
name: Faults
referrers:
  - id: fault-partner
    name: Partner
assignment_limit: 14d
intake_deadline: 30d
home_visit_cadence: 30d
reminder_lead: 1d
alert_grace: 1d
handover:
  acknowledgement_limit: 5d
  link_valid_for: 30d
supervisor_email: supervisor@faults.example
coaches:
` + cs.String()
	if err := os.WriteFile(filepath.Join(dir, "faults.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// run has each caller refer families and take them through assignment,
// intake and visits until ctx ends; it returns when every caller has
// finished the call it was in.
func (f *families) run(ctx context.Context, callers int) *sync.WaitGroup {
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil && !f.refused(); i++ {
				f.family(ctx, c, i)
			}
		})
	}
	return &wg
}

func (f *families) family(ctx context.Context, caller, i int) {
	ref := fmt.Sprintf("F-%d-%d", caller, i)
	body := fmt.Sprintf(`{"programme":"faults","referrer":{"organisation":"fault-partner","reference":%q},"family":{"contact_name":"Gezin","phone":"+32 470 00 00 00"},"reason":"load"}`, ref)
	var res struct{ ID string }
	// Once begun, a family is taken through its steps even after ctx ends,
	// so that each is either done or never begun.
	bg := context.WithoutCancel(ctx)
	if !f.call(bg, f.partner, "/v1/referrals", body, ref, &res) {
		return
	}
	f.record(res.ID, -1, false)
	coach := caller % len(f.coaches)
	id := "/v1/trajectories/" + res.ID
	if !f.call(bg, f.super, id+"/assignment", fmt.Sprintf(`{"coach":"fault-coach-%d"}`, coach+1), ref+"-a", nil) {
		return
	}
	f.record(res.ID, -1, true)
	if !f.call(bg, f.coaches[coach], id+"/intake", `{}`, ref+"-i", nil) {
		return
	}
	f.record(res.ID, 0, true)
	for v := 1; v <= visitsPerFamily; v++ {
		if !f.call(bg, f.coaches[coach], id+"/visits", `{"note":"load"}`, fmt.Sprintf("%s-v%d", ref, v), nil) {
			return
		}
		f.record(res.ID, v, true)
	}
}

func (f *families) record(id string, visits int, assigned bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.done[id] = visits
	if assigned {
		f.assigned[id] = true
	}
}

// call POSTs until a 2xx, with the same Idempotency-Key each time; an
// answer of 503 must say Retry-After. Any other refusal is noted (and fails
// the test later). It gives up only when ctx ends or after five minutes.
func (f *families) call(ctx context.Context, token, path, body, key string, out any) bool {
	deadline := time.Now().Add(5 * time.Minute)
	f.mu.Lock()
	replica := f.calls % len(f.bases)
	f.calls++
	f.mu.Unlock()
	failed := 0 // replicas in a row that could not be reached
	for ctx.Err() == nil && time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.bases[replica]+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Idempotency-Key", key)
		resp, err := f.http.Do(req)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				f.mu.Lock()
				f.transport++
				f.mu.Unlock()
			}
			// As a load balancer does: the same request, to the next
			// replica at once; a pause only when none answered.
			replica = (replica + 1) % len(f.bases)
			if failed++; failed%len(f.bases) == 0 {
				time.Sleep(500 * time.Millisecond)
			}
			continue
		}
		failed = 0
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode < 300:
			f.mu.Lock()
			f.served[replica]++
			f.mu.Unlock()
			if out != nil {
				if err := jsonUnmarshal(b, out); err != nil {
					f.refuse("%s: %v", path, err)
					return false
				}
			}
			return true
		case resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusGatewayTimeout:
			f.mu.Lock()
			f.unavail++
			if resp.Header.Get("Retry-After") == "" && resp.StatusCode == http.StatusServiceUnavailable {
				f.noRetry++
			}
			f.mu.Unlock()
			time.Sleep(time.Second)
		default:
			f.refuse("POST %s: %d %s", path, resp.StatusCode, b)
			return false
		}
	}
	if ctx.Err() == nil {
		f.refuse("POST %s: no success within five minutes", path)
	}
	return false
}

func (f *families) refuse(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refusals = append(f.refusals, fmt.Sprintf(format, args...))
}

func (f *families) refused() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.refusals) > 0
}

// snapshot is what callers were told, once the load has stopped.
func (f *families) snapshot() (done map[string]int, assigned map[string]bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	done, assigned = map[string]int{}, map[string]bool{}
	for k, v := range f.done {
		done[k] = v
	}
	for k := range f.assigned {
		assigned[k] = true
	}
	return done, assigned
}

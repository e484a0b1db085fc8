package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/elkgezin/elkgezin/apiclient"
	"github.com/elkgezin/elkgezin/internal/erasurecheck"
)

// perinatalProgramme follows a pregnancy on seconds, for erasure tests.
const perinatalProgramme = `id: test-perinatal
name: Testprogramma perinataal (seconden)
referrers:
  - id: test-partner
    name: Testpartner
assignment_limit: 60s
intake_deadline: 90s
home_visit_cadence: 60s
reminder_lead: 6s
alert_grace: 6s
handover:
  acknowledgement_limit: 30s
  link_valid_for: 1h
perinatal:
  prenatal_visit_cadence: 60s
  birth_record_margin: 1s
  postnatal_visits: [1w, 2w]
  postnatal_cadence: 4w
  follow_up_months: 6
  closing_handover_lead: 3w
supervisor_email: supervisor@perinatal.example
coaches:
  - id: peri-coach
    name: Perinatale coach
    email: peri-coach@perinatal.example
`

// erasureServices is the directory of the test: the service whose
// address the mail server refuses, so the handover fails.
const erasureServices = `services:
  - id: gezinsbond-wissen
    name: Gezinsbond, wisdienst
    kind: test
    email: wissen@gezinsbond.example
`

// TestErasureLeavesNothingInPostgreSQLOrTemporal: a family referred after
// a consultation, whose handover email the mail server refused and whose
// child was born, is erased while its trajectory runs. Then every column
// of every table of the database holds none of its values (dates in every
// way they are written), Temporal holds no run of its workflow (each
// history NotFound, visibility lists none) and nothing in the namespace
// (any execution's visibility record or history) holds one of its values,
// and the processes logged none.
func TestErasureLeavesNothingInPostgreSQLOrTemporal(t *testing.T) {
	dir := t.TempDir()
	programmes, services := filepath.Join(dir, "programmes"), filepath.Join(dir, "services.yaml")
	if err := os.Mkdir(programmes, 0o755); err != nil {
		t.Fatal(err)
	}
	for path, content := range map[string]string{filepath.Join(programmes, "test-perinatal.yaml"): perinatalProgramme, services: erasureServices} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := startStackWith(t, programmes, "SERVICES_FILE="+services)
	s.smtp.RejectRecipient("wissen@gezinsbond.example", 550)
	partner, coach, supervisor := "partner:test-partner", "coach:peri-coach", "supervisor:peri"
	s.tokenIn(coach, "test-perinatal")
	s.tokenIn(supervisor, "test-perinatal")
	today := time.Now().UTC().Truncate(24 * time.Hour)
	due, born, sibling := today.AddDate(0, 0, 10), today.AddDate(0, 0, -2), time.Date(2022, 5, 17, 0, 0, 0, 0, time.UTC)
	family := erasurecheck.Values{
		Texts: []string{"PV/2026/081523", "Noor Wisgezin", "Veldstraat 12, 2800 Mechelen", "+32 485 11 22 33",
			"geen inkomen sinds de zomer", "sliep slecht, koelkast leeg", "Yara Wisgezin", "Mila Wisgezin",
			"gezinsbond-wissen", "wissen@gezinsbond.example", "hulp bij de huur van een grotere woning",
			"alleenstaande moeder, zwanger, schulden bij de energieleverancier", "aanmelden bij het perinataal team",
			// The family plan: a goal, an action, a strength, a network contact.
			"een wieg en babykleertjes voor Mila", "langsgaan bij de Kringwinkel Wisdorp", "oma Wisgezin helpt elke woensdag",
			"Meneer Wismans van het Wisdorpse OCMW"},
		Dates: []time.Time{due, born, sibling},
	}

	api := s.partnerAPI(partner)
	consultation, err := api.RecordConsultationWithResponse(t.Context(), nil, apiclient.RecordConsultationJSONRequestBody{
		Programme: "test-perinatal", Situation: family.Texts[11], Advice: family.Texts[12]})
	if err != nil {
		t.Fatal(err)
	}
	if consultation.JSON201 == nil {
		t.Fatalf("consultation: %d %s", consultation.StatusCode(), consultation.Body)
	}
	referral := apiclient.ReferConsultationJSONRequestBody{
		Programme:       ptr("test-perinatal"),
		Referrer:        apiclient.Referrer{Organisation: "test-partner", Reference: family.Texts[0]},
		Family:          apiclient.Family{ContactName: family.Texts[1], Address: ptr(family.Texts[2]), Phone: ptr(family.Texts[3])},
		Reason:          family.Texts[4],
		ExpectedDueDate: &openapi_types.Date{Time: due},
		Children:        &[]apiclient.Child{{Name: ptr(family.Texts[6]), BirthDate: openapi_types.Date{Time: sibling}}},
	}
	referral.Consent.Given, referral.Consent.RecordedOn = true, openapi_types.Date{Time: today}
	created, err := api.ReferConsultationWithResponse(t.Context(), consultation.JSON201.Id, nil, referral)
	if err != nil {
		t.Fatal(err)
	}
	if created.JSON201 == nil {
		t.Fatalf("referral after the consultation: %d %s", created.StatusCode(), created.Body)
	}
	id := created.JSON201.Id
	s.mustStep(supervisor, id, "assignment", map[string]any{"coach": "peri-coach"})
	s.mustStep(coach, id, "intake", map[string]any{"note": family.Texts[5]})
	if status, st := s.call(coach, "PUT", "/v1/trajectories/"+id+"/plan", map[string]any{
		"agreed_on": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "strengths": []string{family.Texts[15]},
		"goals": []any{map[string]any{"domain": "material_needs", "text": family.Texts[13], "actions": []any{
			map[string]any{"what": family.Texts[14], "owner": map[string]any{"role": "family"}}}}},
		"network": []any{map[string]any{"service": "OCMW", "contact": family.Texts[16]}},
	}, nil); status != http.StatusOK {
		t.Fatalf("plan: %d %v", status, st)
	}
	s.mustStep(coach, id, "handovers", map[string]any{"service": family.Texts[8], "reason": family.Texts[10],
		"consent": map[string]any{"given": true, "recorded_on": today.Format(time.DateOnly), "shares": []string{"contact", "children", "pregnancy"}}})
	s.waitFor(coach, id, func(v map[string]any) bool { return countEvents(v, "email_failed") == 1 })
	s.mustStep(coach, id, "birth", map[string]any{"birth_date": born.Format(time.DateOnly), "name": family.Texts[7]})
	view := s.waitFor(coach, id, func(v map[string]any) bool {
		return v["birth_date"] == born.Format(time.DateOnly) && v["phase"] == "postnatal"
	})
	if view["expected_due_date"] != due.Format(time.DateOnly) {
		t.Errorf("before the erasure the coach reads the due date %v", view["expected_due_date"])
	}

	conn := s.db()
	defer conn.Close(context.Background())
	ctx := context.Background()
	cols, err := erasurecheck.List(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range erasurecheck.Unclassified(cols) {
		t.Error(p)
	}
	// Before: the search finds what a running trajectory keeps in clear,
	// and Temporal holds the trajectory.
	before, err := erasurecheck.Find(ctx, conn, cols, family)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(before, `outbound_emails.recipient (cleared) holds "wissen@gezinsbond.example"`) {
		t.Errorf("before the erasure the search finds %v; want the refused handover's recipient", before)
	}
	for _, f := range before {
		if !strings.Contains(f, "(cleared)") {
			t.Errorf("before the erasure, outside a column the erasure clears: %s", f)
		}
	}
	runs := s.runsOf(id)
	if len(runs) == 0 || !strings.Contains(s.namespaceText(), id) {
		t.Fatalf("before the erasure Temporal lists runs %v of %s", runs, id)
	}

	status, erased := s.call(supervisor, "POST", "/v1/trajectories/"+id+"/erasure", nil, nil)
	if status != http.StatusOK || erased["key_destroyed"] != true {
		t.Fatalf("erasure: %d %v", status, erased)
	}

	// Temporal deletes a run once it knows its closure was processed.
	waitUntil(t, 3*time.Minute, "Temporal to delete every run of "+id, func() bool {
		for _, run := range runs {
			_, err := s.client.GetWorkflowHistory(ctx, id, run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT).Next()
			var notFound *serviceerror.NotFound
			if !errors.As(err, &notFound) {
				return false
			}
		}
		return len(s.runsOf(id)) == 0
	})
	namespace := strings.ToLower(s.namespaceText())
	for _, v := range append(slices.Clone(family.Texts), id) {
		if strings.Contains(namespace, strings.ToLower(v)) {
			t.Errorf("Temporal's namespace holds %q after the erasure", v)
		}
	}
	for _, d := range family.Dates {
		for _, f := range []string{time.DateOnly, "20060102"} {
			if strings.Contains(namespace, d.Format(f)) {
				t.Errorf("Temporal's namespace holds the date %s after the erasure", d.Format(f))
			}
		}
	}
	after, err := erasurecheck.Find(ctx, conn, cols, family)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range after {
		t.Errorf("after the erasure: %s", f)
	}
	logs := strings.ToLower(s.Logs())
	for _, v := range family.Texts {
		if strings.Contains(logs, strings.ToLower(v)) {
			t.Errorf("the worker or the API logged %q", v)
		}
	}
	status, view = s.call(supervisor, "GET", "/v1/trajectories/"+id, nil, nil)
	if status != http.StatusOK || view["erased"] != true || view["family"] != nil || view["birth_date"] != nil || view["expected_due_date"] != nil ||
		view["phase"] != "postnatal" || countEvents(view, "birth_recorded") != 1 {
		t.Errorf("after the erasure: %d %v; want it erased, its phase and events counted", status, view)
	}
}

// runsOf lists the runs visibility lists under the workflow id.
func (s *stack) runsOf(id string) []string {
	s.t.Helper()
	resp, err := s.client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: s.namespace, Query: fmt.Sprintf("WorkflowId = %q", id)})
	if err != nil {
		s.t.Fatal(err)
	}
	var runs []string
	for _, x := range resp.GetExecutions() {
		runs = append(runs, x.GetExecution().GetRunId())
	}
	return runs
}

// namespaceText is everything Temporal holds in the stack's namespace, as
// text: every execution's visibility record (search attributes, memo)
// and every event of its history, as JSON and with every payload's data
// and metadata written out.
func (s *stack) namespaceText() string {
	s.t.Helper()
	ctx := context.Background()
	var b strings.Builder
	write := func(m proto.Message) {
		j, err := protojson.Marshal(m)
		if err != nil {
			s.t.Fatal(err)
		}
		b.Write(j)
		for _, p := range collectPayloads(m) {
			b.Write(p.GetData())
			for k, v := range p.GetMetadata() {
				b.WriteString(k + "=" + string(v) + "\n")
			}
		}
	}
	req := &workflowservice.ListWorkflowExecutionsRequest{Namespace: s.namespace}
	for {
		resp, err := s.client.ListWorkflow(ctx, req)
		if err != nil {
			s.t.Fatal(err)
		}
		for _, x := range resp.GetExecutions() {
			write(x)
			history := s.client.GetWorkflowHistory(ctx, x.GetExecution().GetWorkflowId(), x.GetExecution().GetRunId(), false,
				enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			for history.HasNext() {
				e, err := history.Next()
				var notFound *serviceerror.NotFound
				if errors.As(err, &notFound) {
					break
				}
				if err != nil {
					s.t.Fatal(err)
				}
				write(e)
			}
		}
		if req.NextPageToken = resp.GetNextPageToken(); len(req.NextPageToken) == 0 {
			return b.String()
		}
	}
}

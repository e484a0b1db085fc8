package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"

	"github.com/elkgezin/elkgezin/payloadcodec"
)

// TestTemporalUIDecodesForSupervisor is the supervisor's deep view, as
// docs/supervisors.md tells it: sign in at the API's /aanmelden, open the
// trajectory in the Temporal UI, read the family's name, with no settings
// to change. A coach signed in, and a browser not signed in, see the
// trajectory's summary (in clear, no personal data) and never the name.
func TestTemporalUIDecodesForSupervisor(t *testing.T) {
	uiPort := freePort(t)
	uiOrigin := "http://127.0.0.1:" + uiPort
	programmes, _ := filepath.Abs("../deploy/programmes")
	s := startStackWith(t, programmes, "CODEC_CORS_ORIGIN="+uiOrigin)
	s.startTemporalUI(uiPort)

	const name = "Zeynep Uitgezin"
	id := s.referPlain("UI-DECODE", name)
	s.rawHistoryKeepsInputEncrypted(id, name)

	page := uiOrigin + "/namespaces/" + s.namespace + "/workflows/" + id
	const summary = "Testprogramma (seconden), verwezen door test-partner"

	sup := browser(t)
	s.signIn(t, sup, s.token("supervisor:test"))
	if text := uiText(t, sup, page, name, 2*time.Minute); !strings.Contains(text, name) {
		t.Errorf("the supervisor does not see the family's name decoded in the Temporal UI; the page says:\n%s", text)
	}
	screenshots(t, sup, "temporal-ui-supervisor")

	coach := browser(t)
	s.signIn(t, coach, s.token("coach:test-coach"))
	anonymous := browser(t)
	for who, ctx := range map[string]context.Context{"coach": coach, "not-signed-in": anonymous} {
		// The summary shows without decoding: the page has rendered, and the
		// codec has been asked (and refused) by the time the name would show.
		text := uiText(t, ctx, page, summary, 2*time.Minute)
		if !strings.Contains(text, summary) {
			t.Errorf("%s does not see the trajectory's summary in clear; the page says:\n%s", who, text)
		}
		time.Sleep(5 * time.Second)
		screenshots(t, ctx, "temporal-ui-"+who)
		var html string
		mustRun(t, ctx, chromedp.OuterHTML(`html`, &html, chromedp.ByQuery))
		if strings.Contains(html, name) {
			t.Errorf("%s sees the family's name in the Temporal UI", who)
		}
	}
}

// startTemporalUI runs the Temporal Web UI server with deploy/dev's config
// (deploy/dev.d/ui), against the stack's Temporal and codec endpoint.
func (s *stack) startTemporalUI(port string) {
	s.t.Helper()
	root, _ := filepath.Abs("..")
	bin := filepath.Join(root, "bin", "temporal-ui-server")
	var temporalAddr string
	for _, kv := range s.env {
		if v, ok := strings.CutPrefix(kv, "TEMPORAL_ADDRESS="); ok {
			temporalAddr = v
		}
	}
	out := &syncBuffer{}
	cmd := exec.Command(bin, "--root", root, "--config", "deploy/dev.d/ui", "--env", "dev", "start")
	cmd.Env = append(s.env, "DEV_TEMPORAL_ADDRESS="+temporalAddr, "DEV_UI_PORT="+port,
		"DEV_NAMESPACE="+s.namespace, "DEV_CODEC_ENDPOINT="+s.apiURL+"/codec")
	cmd.Stdout, cmd.Stderr = out, out
	ui := s.launch(cmd)
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-ui.exited:
			s.t.Fatalf("the Temporal UI server exited (deploy/install-tools temporal-ui-server builds it): %v\n%s", ui.err, out.String())
		default:
		}
		if resp, err := http.Get("http://127.0.0.1:" + port + "/api/v1/settings"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.t.Fatalf("the Temporal UI server did not answer within a minute:\n%s", out.String())
}

// uiText opens page and waits until its text contains want (the UI is a
// single-page app that renders and decodes after loading), expanding the
// "Input and Results" section; it returns the page's text at the end.
func uiText(t *testing.T, ctx context.Context, page, want string, wait time.Duration) string {
	t.Helper()
	mustRun(t, ctx, chromedp.Navigate(page))
	const expand = `(() => {
		for (const b of document.querySelectorAll('button, summary, [role=button]')) {
			if (/input and results/i.test(b.textContent) && b.getAttribute('aria-expanded') === 'false') b.click();
		}
		return document.body ? document.body.innerText : '';
	})()`
	var text string
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		mustRun(t, ctx, chromedp.Evaluate(expand, &text))
		if strings.Contains(text, want) {
			break
		}
		time.Sleep(time.Second)
	}
	return text
}

// rawHistoryKeepsInputEncrypted: what Temporal stores of the trajectory
// has its summary and details in clear and its input encrypted, and the
// family's name nowhere.
func (s *stack) rawHistoryKeepsInputEncrypted(id, name string) {
	s.t.Helper()
	ctx := context.Background()
	desc, err := s.client.WorkflowService().DescribeWorkflowExecution(ctx, &workflowservice.DescribeWorkflowExecutionRequest{
		Namespace: s.namespace, Execution: &commonpb.WorkflowExecution{WorkflowId: id}})
	if err != nil {
		s.t.Fatal(err)
	}
	meta := desc.GetExecutionConfig().GetUserMetadata()
	for field, p := range map[string]*commonpb.Payload{"summary": meta.GetSummary(), "details": meta.GetDetails()} {
		if enc := string(p.GetMetadata()["encoding"]); enc != "json/plain" {
			s.t.Errorf("the describe response has the %s as %q, want json/plain", field, enc)
		}
	}
	hist, err := s.client.WorkflowService().GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
		Namespace: s.namespace, Execution: &commonpb.WorkflowExecution{WorkflowId: id}})
	if err != nil {
		s.t.Fatal(err)
	}
	for _, e := range hist.GetHistory().GetEvents() {
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED {
			in := e.GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()
			if len(in) == 0 || string(in[0].GetMetadata()["encoding"]) != payloadcodec.EncodingEncrypted {
				s.t.Errorf("the workflow input is not encrypted in the raw history: %v", in)
			}
		}
		if p := e.GetUserMetadata().GetSummary(); p != nil && string(p.GetMetadata()["encoding"]) == payloadcodec.EncodingEncrypted {
			s.t.Errorf("event %d (%s) has an encrypted summary", e.GetEventId(), e.GetEventType())
		}
	}
	raw, _ := proto.Marshal(hist)
	if bytes.Contains(raw, []byte(name)) || strings.Contains(desc.String(), name) {
		s.t.Error("the family's name is in clear in Temporal")
	}
}

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/elkgezin/elkgezin/apiclient"
	"github.com/elkgezin/elkgezin/internal/smtpsink"
	"github.com/elkgezin/elkgezin/trajectory"
)

// personalData is everything about the family the privacy test looks for.
var personalData = []string{
	"Noor Privacygezin", "Noor", "Privacygezin", "Veldstraat 12", "2800 Mechelen", "+32 485 11 22 33", "485 11 22 33",
	"Lina", "2023-06-15", "2027-02-01", "no income since the summer", "slept badly, fridge empty",
}

// privReference is a police reference of the shape a partner uses: public
// ids and a guessable pattern, so an unkeyed hash of it would give it away.
const privReference = "PV/2025/004217"

// TestPersonalDataStaysEncryptedAndOutOfLogs runs a trajectory full of
// personal data, then reads the raw workflow history without the codec
// (as anyone with access to the Temporal server or its database would) and
// finds none of it; through the codec endpoint, as a supervisor, it reads
// it back. No log line of the worker or the API holds any of it.
func TestPersonalDataStaysEncryptedAndOutOfLogs(t *testing.T) {
	s := startStack(t)
	coach := "coach:test-coach"
	id := s.referFullOfPersonalData(privReference, coach)

	// The raw history, as stored by the Temporal server.
	var raw bytes.Buffer
	var payloads []*commonpb.Payload
	iter := s.client.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		b, err := proto.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		raw.Write(b)
		j, _ := protojson.Marshal(e)
		raw.Write(j)
		payloads = append(payloads, collectPayloads(e)...)
	}
	for _, secret := range personalData {
		if containsWord(raw.Bytes(), secret) {
			t.Errorf("the raw workflow history holds %q", secret)
		}
	}
	if len(payloads) < 5 {
		t.Fatalf("found only %d payloads in the history", len(payloads))
	}

	// Through the codec endpoint, a supervisor reads the family's data.
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: payloads})
	if err != nil {
		t.Fatal(err)
	}
	decode := func(actor string) (int, string) {
		req, _ := http.NewRequest("POST", s.apiURL+"/codec/decode", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Namespace", "default")
		if actor != "" {
			req.Header.Set("Authorization", "Bearer "+s.token(actor))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, decodedText(t, out)
	}
	status, plain := decode("supervisor:test")
	if status != http.StatusOK {
		t.Fatalf("codec as supervisor: %d %s", status, plain)
	}
	for _, secret := range []string{"Noor Privacygezin", "Veldstraat 12", "+32 485 11 22 33", "2023-06-15", "slept badly, fridge empty"} {
		if !strings.Contains(plain, secret) {
			t.Errorf("decoded history lacks %q", secret)
		}
	}
	// A supervisor's browser signs in with the sign-in page's form, and the
	// UI's requests then carry the session cookie instead of a token.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	signIn, err := noRedirect.PostForm(s.apiURL+"/aanmelden", url.Values{"token": {s.token("supervisor:test")}})
	if err != nil {
		t.Fatal(err)
	}
	signIn.Body.Close()
	var session *http.Cookie
	for _, c := range signIn.Cookies() {
		if c.Name == "elkgezin_session" {
			session = c
		}
	}
	if signIn.StatusCode != http.StatusSeeOther || session == nil || !session.HttpOnly || strings.Contains(session.Value, s.token("supervisor:test")) {
		t.Fatalf("sign-in form: %d, cookie %v", signIn.StatusCode, session)
	}
	req, _ := http.NewRequest("POST", s.apiURL+"/codec/decode", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://127.0.0.1:8233")
	req.AddCookie(session)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(decodedText(t, out), "Noor Privacygezin") {
		t.Errorf("codec with the session cookie: %d", resp.StatusCode)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:8233" {
		t.Errorf("codec answer lacks CORS for the UI's origin: %v", resp.Header)
	}

	if status, _ := decode(coach); status != http.StatusForbidden {
		t.Errorf("codec as a coach: %d, want 403", status)
	}
	if status, _ := decode(""); status != http.StatusUnauthorized {
		t.Errorf("codec without a token: %d, want 401", status)
	}

	// Not one log line of the run holds personal data.
	logs := s.Logs()
	checkReferenceHidden(t, id, logs, s.smtp.Messages())
	if !strings.Contains(logs, id) {
		t.Fatal("the captured logs do not even name the trajectory: nothing was captured")
	}
	for _, secret := range personalData {
		if strings.Contains(logs, secret) {
			for _, line := range strings.Split(logs, "\n") {
				if strings.Contains(line, secret) {
					t.Errorf("a log line holds %q: %s", secret, line)
					break
				}
			}
		}
	}
}

// unkeyedID is the id the trajectory would have had before ids were keyed:
// a SHA-256 anyone can compute from public ids and a guessed reference.
func unkeyedID(programmeID, org, reference string) string {
	sum := sha256.Sum256([]byte(programmeID + "\x00" + org + "\x00" + reference))
	return "tr-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])[:26])
}

// checkReferenceHidden fails when the trajectory id, a log line, an email
// header or a link of the run holds the referrer's reference, or the
// unkeyed hash from which a guess would confirm it.
func checkReferenceHidden(t *testing.T, id, logs string, mails []smtpsink.Received) {
	t.Helper()
	unkeyed := unkeyedID("test-seconds", "test-partner", privReference)
	forbidden := []string{privReference, "004217", unkeyed, strings.TrimPrefix(unkeyed, "tr-")[:12]}
	if id == unkeyed || id != trajectory.ID(testIDKey, "test-seconds", "test-partner", privReference) {
		t.Errorf("trajectory id %s is not the keyed id of the referral", id)
	}
	var places []string
	for _, line := range strings.Split(logs, "\n") {
		places = append(places, "log line: "+line)
	}
	links := regexp.MustCompile(`https?://[^\s"<>]+`)
	if len(mails) == 0 {
		t.Fatal("no email was sent: nothing to search")
	}
	for _, m := range mails {
		for f := m.Header.Fields(); f.Next(); {
			v, err := f.Text()
			if err != nil {
				v = f.Value()
			}
			places = append(places, "email header "+f.Key()+": "+v)
		}
		for _, link := range links.FindAllString(string(m.Raw), -1) {
			places = append(places, "link: "+link)
		}
	}
	for _, place := range places {
		for _, f := range forbidden {
			if strings.Contains(place, f) {
				t.Errorf("%q found in %s", f, place)
			}
		}
	}
}

// collectPayloads finds every payload anywhere in a history event.
func collectPayloads(m proto.Message) []*commonpb.Payload {
	var out []*commonpb.Payload
	var walk func(protoreflect.Message)
	walk = func(msg protoreflect.Message) {
		if p, ok := msg.Interface().(*commonpb.Payload); ok {
			out = append(out, p)
			return
		}
		msg.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.IsList() && fd.Message() != nil:
				for i := 0; i < v.List().Len(); i++ {
					walk(v.List().Get(i).Message())
				}
			case fd.IsMap() && fd.MapValue().Message() != nil:
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					walk(mv.Message())
					return true
				})
			case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
				walk(v.Message())
			}
			return true
		})
	}
	walk(m.ProtoReflect())
	return out
}

// decodedText joins the data of the decoded payloads the codec returned.
func decodedText(t *testing.T, body []byte) string {
	var ps commonpb.Payloads
	if err := protojson.Unmarshal(body, &ps); err != nil {
		return string(body)
	}
	var b strings.Builder
	for _, p := range ps.Payloads {
		var v any
		if json.Unmarshal(p.Data, &v) == nil {
			out, _ := json.Marshal(v)
			b.Write(out)
		} else {
			b.Write(p.Data)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// referFullOfPersonalData refers a family with every kind of personal data
// (names, address, phone, birth dates, a note), has coach do the intake and
// hand over to a service, and waits until the handover went out.
func (s *stack) referFullOfPersonalData(reference, coach string) string {
	s.t.Helper()
	id := s.refer("partner:test-partner", apiclient.Referral{
		Programme: "test-seconds",
		Referrer:  apiclient.Referrer{Organisation: "test-partner", Reference: reference},
		Family: apiclient.Family{ContactName: "Noor Privacygezin", Address: ptr("Veldstraat 12, 2800 Mechelen"),
			Phone: ptr("+32 485 11 22 33")},
		Reason:          "no income since the summer",
		ExpectedDueDate: s.day("2027-02-01"),
		Children:        &[]apiclient.Child{{Name: ptr("Lina"), BirthDate: *s.day("2023-06-15")}},
	})
	s.mustStep("supervisor:test", id, "assignment", map[string]any{"coach": "test-coach"})
	s.mustStep(coach, id, "intake", map[string]any{"note": "slept badly, fridge empty", "next_visit_due_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	s.mustStep(coach, id, "handovers", handover("contact", "children"))
	s.smtp.WaitFor(s.t, func(m smtpsink.Received) bool { return strings.HasPrefix(m.Subject, "Overdracht 1") }, 30*time.Second)
	s.waitFor(coach, id, func(v map[string]any) bool { return countEvents(v, "handover_sent") == 1 })
	return id
}

// containsWord says whether b holds secret as written, not inside a run
// of base64: ciphertext in the history is base64 in its JSON form, where
// a four-letter name like "Noor" turns up by chance about once in two
// hundred runs. Personal data in clear stands between quotes, spaces or a
// proto length byte.
func containsWord(b []byte, secret string) bool {
	base64ish := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_'
	}
	for rest, at := b, 0; ; {
		i := bytes.Index(rest, []byte(secret))
		if i < 0 {
			return false
		}
		start, end := at+i, at+i+len(secret)
		if (start == 0 || !base64ish(b[start-1])) && (end == len(b) || !base64ish(b[end])) {
			return true
		}
		at = start + 1
		rest = b[at:]
	}
}

func TestContainsWordSkipsBase64(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want bool
	}{
		{`{"contact_name":"Noor Privacygezin"}`, true},
		{"\x04Noor\x12", true},
		{`"data":"q8ZNoorx+1/A"`, false},
		{`"data":"q8ZNoorx+1/A", "name":"Noor"`, true},
		{`+32 485 11 22 33`, true},
	} {
		secret := "Noor"
		if strings.Contains(c.raw, "485") {
			secret = "485 11 22 33"
		}
		if got := containsWord([]byte(c.raw), secret); got != c.want {
			t.Errorf("containsWord(%q, %q) = %v", c.raw, secret, got)
		}
	}
}

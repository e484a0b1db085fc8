package api

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"gopkg.in/yaml.v3"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
	"github.com/elkgezin/elkgezin/webhook"
)

// TestOpenAPIMatchesRoutes checks that openapi.yaml describes exactly the
// routes the handler serves, with the same methods, and that every $ref
// in it points at something.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	raw, spec := loadOpenAPI(t)
	if v, _ := spec["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
		t.Errorf("openapi version %q, want 3.0.x", v)
	}

	documented := map[string]bool{}
	for path, item := range spec["paths"].(map[string]any) {
		for key := range item.(map[string]any) {
			if key != "parameters" {
				documented[strings.ToUpper(key)+" "+path] = true
			}
		}
	}

	s := newServer(Config{Programmes: testCatalogue(), Services: testServices(), Links: testSigner(), IDKey: testIDKey,
		Temporal: &fakeTemporal{}, Store: newFakeStore(), Auth: TokenAuthenticator{Store: newFakeTokens()}, Audit: &fakeAuditor{},
		Sessions: newFakeSessions(newFakeTokens()).manager()})
	served := map[string]bool{}
	err := s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tmpl, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, err := route.GetMethods()
		if err != nil {
			return err
		}
		for _, m := range methods {
			served[m+" "+tmpl] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if missing, extra := diff(served, documented), diff(documented, served); len(missing) > 0 || len(extra) > 0 {
		t.Errorf("openapi.yaml lacks %v and documents %v that is not served", missing, extra)
	}

	// Every $ref resolves.
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, child := range x {
				if k == "$ref" {
					if !resolves(spec, child.(string)) {
						t.Errorf("$ref %s does not resolve", child)
					}
					continue
				}
				walk(child)
			}
		case []any:
			for _, child := range x {
				walk(child)
			}
		}
	}
	walk(spec)

	// The headers a client must know are described.
	for _, name := range []string{IdempotencyKeyHeader} {
		if !strings.Contains(string(raw), "name: "+name) {
			t.Errorf("openapi.yaml does not describe the %s header", name)
		}
	}
	if strings.Contains(string(raw), "X-Elkgezin-Actor") {
		t.Error("openapi.yaml still describes the X-Elkgezin-Actor header")
	}
}

// TestOpenAPISecurity checks that openapi.yaml says which operations need
// a bearer token, exactly as routeRules does, and that those document 401
// and 403 and name who may call them.
func TestOpenAPISecurity(t *testing.T) {
	_, spec := loadOpenAPI(t)
	scheme, _ := dig(spec, "components", "securitySchemes", "bearerAuth").(map[string]any)
	if scheme["type"] != "http" || scheme["scheme"] != "bearer" {
		t.Errorf("bearerAuth scheme %v", scheme)
	}
	global, _ := spec["security"].([]any)
	if len(global) != 1 || dig(global[0].(map[string]any), "bearerAuth") == nil {
		t.Errorf("the default security is %v, want bearerAuth", spec["security"])
	}
	for path, item := range spec["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			if method == "parameters" {
				continue
			}
			key := strings.ToUpper(method) + " " + path
			o := op.(map[string]any)
			sec, overridden := o["security"].([]any)
			public := overridden && len(sec) == 0
			_, ruled := routeRules[key]
			if public == ruled {
				t.Errorf("%s: public in openapi.yaml %v, but in routeRules %v", key, public, ruled)
			}
			responses := o["responses"].(map[string]any)
			if public {
				if _, ok := responses["401"]; ok {
					t.Errorf("%s needs no token but documents 401", key)
				}
				continue
			}
			for _, code := range []string{"401", "403"} {
				if _, ok := responses[code]; !ok {
					t.Errorf("%s does not document %s", key, code)
				}
			}
			if desc, _ := o["description"].(string); !strings.Contains(desc, "**Who:**") {
				t.Errorf("%s does not say who may call it", key)
			}
		}
	}
}

// loadOpenAPI reads openapi.yaml, as text and parsed.
func loadOpenAPI(t *testing.T) ([]byte, map[string]any) {
	t.Helper()
	raw, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return raw, spec
}

func dig(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

func diff(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func resolves(spec map[string]any, ref string) bool {
	parts, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	var cur any = spec
	for _, p := range strings.Split(parts, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[p]; !ok {
			return false
		}
	}
	return cur != nil
}

// TestOpenAPIListsRefusalCodes: the RefusalCode schema lists exactly the
// codes a 409 can carry, in their order, and its description says each.
func TestOpenAPIListsRefusalCodes(t *testing.T) {
	_, spec := loadOpenAPI(t)
	schema, _ := dig(spec, "components", "schemas", "RefusalCode").(map[string]any)
	enum, _ := schema["enum"].([]any)
	var documented []string
	for _, c := range enum {
		documented = append(documented, fmt.Sprint(c))
	}
	var codes []string
	for _, c := range trajectory.RefusalCodes {
		codes = append(codes, string(c))
		if desc, _ := schema["description"].(string); !strings.Contains(desc, "`"+string(c)+"`") {
			t.Errorf("the RefusalCode description does not say what %s means", c)
		}
	}
	if !slices.Equal(documented, codes) {
		t.Errorf("openapi.yaml lists the refusal codes\n%v\nthe trajectory has\n%v", documented, codes)
	}
}

// TestOpenAPIListsEveryValue: each enum of openapi.yaml lists exactly the
// values the code's own lists hold, so a value the API can send (a new
// event kind, step kind, phase, close reason, share category, co-worker
// role, email status) fails here until it is documented.
func TestOpenAPIListsEveryValue(t *testing.T) {
	_, spec := loadOpenAPI(t)
	coWorkers := []string{"paths", "/v1/trajectories/{id}/co-workers", "post", "requestBody", "content", "application/json", "schema", "properties", "role"}
	exportEmails := []string{"paths", "/v1/trajectories/{id}/export", "get", "responses", "200", "content", "application/json", "schema",
		"properties", "emails", "items", "properties", "status"}
	for _, c := range []struct {
		at   []string
		want []string
	}{
		{[]string{"components", "schemas", "EventRow", "properties", "kind"}, trajectory.EventKinds},
		{[]string{"components", "schemas", "StepKind"}, strs(trajectory.StepKinds)},
		{[]string{"components", "schemas", "Phase"}, strs(trajectory.Phases)},
		{[]string{"components", "schemas", "CloseReason"}, strs(trajectory.CloseReasons)},
		{[]string{"components", "schemas", "GoalStatus"}, strs(trajectory.GoalStatuses)},
		{[]string{"components", "schemas", "ActionOwner", "properties", "role"}, strs(trajectory.OwnerRoles)},
		{[]string{"components", "schemas", "ShareCategory"}, trajectory.ShareCategories},
		{[]string{"components", "schemas", "RefusalCode"}, strs(trajectory.RefusalCodes)},
		{[]string{"components", "schemas", "ProblemCode"}, strs(ProblemCodes)},
		{[]string{"components", "schemas", "FieldCode"}, strs(FieldCodes)},
		{coWorkers, programme.CoWorkerRoles},
		{exportEmails, strs(store.EmailStatuses)},
		{[]string{"components", "schemas", "ReferralStatus", "properties", "status"}, webhook.Statuses},
	} {
		schema, _ := dig(spec, c.at...).(map[string]any)
		enum, _ := schema["enum"].([]any)
		documented := map[string]bool{}
		for _, v := range enum {
			documented[fmt.Sprint(v)] = true
		}
		sent := map[string]bool{}
		for _, v := range c.want {
			sent[v] = true
		}
		if missing, extra := diff(sent, documented), diff(documented, sent); len(missing) > 0 || len(extra) > 0 {
			t.Errorf("%s: openapi.yaml lacks %v and lists %v that the code does not have", strings.Join(c.at, "."), missing, extra)
		}
	}
}

// TestOpenAPIDescribesEveryField: each schema of a response the API sends
// names exactly the JSON fields of the Go type it is written from.
func TestOpenAPIDescribesEveryField(t *testing.T) {
	_, spec := loadOpenAPI(t)
	for schema, v := range map[string]any{
		"Step":               Step{},
		"Handover":           Handover{},
		"ReachedMilestone":   ReachedMilestone{},
		"CoWorker":           CoWorker{},
		"Plan":               trajectory.Plan{},
		"Goal":               trajectory.Goal{},
		"Action":             trajectory.Action{},
		"ActionOwner":        trajectory.ActionOwner{},
		"NetworkMember":      trajectory.NetworkMember{},
		"DateRequest":        DateRequest{},
		"EmailFailure":       EmailFailure{},
		"Child":              trajectory.Child{},
		"Family":             trajectory.Family{},
		"TrajectorySummary":  TrajectorySummary{},
		"Trajectory":         Trajectory{},
		"EventRow":           store.EventRow{},
		"Event":              Event{},
		"TrajectoryList":     ListResponse{},
		"ReferralResponse":   ReferralResponse{},
		"Acknowledgement":    AckResponse{},
		"ReferralStatus":     ReferralStatusResponse{},
		"ReferralList":       ReferralList{},
		"Problem":            Problem{},
		"FieldProblem":       FieldProblem{},
		"Consultation":       store.Consultation{},
		"CollectiveActivity": store.CollectiveActivity{},
		"Health":             Health{},
		// The request bodies, read strictly: the document lists every field.
		"Referral":             referralBody{},
		"ConsultationReferral": consultationReferralBody{},
	} {
		documented := schemaProperties(t, spec, "#/components/schemas/"+schema)
		sent := map[string]bool{}
		for f := range jsonFields(reflect.TypeOf(v)) {
			sent[f] = true
		}
		if missing, extra := diff(sent, documented), diff(documented, sent); len(missing) > 0 || len(extra) > 0 {
			t.Errorf("schema %s lacks the fields %v and has %v that the API does not send", schema, missing, extra)
		}
	}
}

func strs[S ~string](xs []S) []string {
	var out []string
	for _, x := range xs {
		out = append(out, string(x))
	}
	return out
}

// schemaProperties is the set of property names of a schema, through
// $ref and allOf.
func schemaProperties(t *testing.T, spec map[string]any, ref string) map[string]bool {
	t.Helper()
	if !resolves(spec, ref) {
		t.Errorf("openapi.yaml has no %s", ref)
		return nil
	}
	var schema any = spec
	for _, p := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		schema = schema.(map[string]any)[p]
	}
	out := map[string]bool{}
	var collect func(s map[string]any)
	collect = func(s map[string]any) {
		if r, ok := s["$ref"].(string); ok {
			for k := range schemaProperties(t, spec, r) {
				out[k] = true
			}
		}
		for _, part := range asSlice(s["allOf"]) {
			collect(part.(map[string]any))
		}
		props, _ := s["properties"].(map[string]any)
		for k := range props {
			out[k] = true
		}
	}
	collect(schema.(map[string]any))
	return out
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// TestOpenAPITags: every operation has one tag, declared in the document's
// tags, and every declared tag is used.
func TestOpenAPITags(t *testing.T) {
	_, spec := loadOpenAPI(t)
	declared := map[string]bool{}
	for _, tag := range asSlice(spec["tags"]) {
		declared[fmt.Sprint(tag.(map[string]any)["name"])] = true
	}
	used := map[string]bool{}
	for path, item := range spec["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			if method == "parameters" {
				continue
			}
			tags := asSlice(op.(map[string]any)["tags"])
			if len(tags) != 1 {
				t.Errorf("%s %s has the tags %v, want one", method, path, tags)
			}
			for _, tag := range tags {
				used[fmt.Sprint(tag)] = true
			}
		}
	}
	if missing, extra := diff(used, declared), diff(declared, used); len(missing) > 0 || len(extra) > 0 {
		t.Errorf("openapi.yaml uses the tags %v without declaring them, and declares %v that no operation uses", missing, extra)
	}
}

// TestOpenAPIListsEveryTokenKind: the document's table of callers has a
// row for each kind of token, and none for a kind there is not.
func TestOpenAPIListsEveryTokenKind(t *testing.T) {
	_, spec := loadOpenAPI(t)
	desc, _ := dig(spec, "info", "description").(string)
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\| ([a-z_]+)\b[^|]*\| `).FindAllStringSubmatch(desc, -1) {
		if m[1] != "role" {
			documented[m[1]] = true
		}
	}
	kinds := map[string]bool{}
	for _, k := range store.TokenKinds {
		kinds[k] = true
	}
	if missing, extra := diff(kinds, documented), diff(documented, kinds); len(missing) > 0 || len(extra) > 0 {
		t.Errorf("the table of callers in openapi.yaml lacks %v and has %v that is no kind of token", missing, extra)
	}
}

// TestOpenAPIRoleTableIsTheDocs: the document's table of who may do what
// is docs/api.md's, row for row, so a partner reading either reads the same.
func TestOpenAPIRoleTableIsTheDocs(t *testing.T) {
	_, spec := loadOpenAPI(t)
	desc, _ := dig(spec, "info", "description").(string)
	docs, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	table := func(text string) string {
		_, rest, found := strings.Cut(text, "| role | may |\n")
		if !found {
			t.Fatalf("no table headed | role | may | in %.60q...", text)
		}
		rows, _, _ := strings.Cut(rest, "\n\n")
		return rows
	}
	if a, b := table(desc), table(string(docs)); a != b {
		t.Errorf("the role tables differ:\nopenapi.yaml:\n%s\ndocs/api.md:\n%s", a, b)
	}
}

// TestOpenAPIDocumentsEveryStep: each step of the step table has its route
// in openapi.yaml, and each route's "Who" names every kind of caller the
// authorization table (the step table for steps) lets call it.
func TestOpenAPIDocumentsEveryStep(t *testing.T) {
	_, spec := loadOpenAPI(t)
	for _, s := range usecase.Steps {
		method, path, _ := strings.Cut(s.Route, " ")
		if dig(spec, "paths", path, strings.ToLower(method)) == nil {
			t.Errorf("step %s: openapi.yaml does not document %s", s.Name, s.Route)
		}
	}
	who := map[string]string{usecase.KindPartner: "partner", usecase.KindCoach: "coach", usecase.KindSupervisor: "supervisor",
		usecase.KindCoWorker: "co-worker", usecase.KindAdmin: "administrator"}
	for route, rule := range routeRules {
		method, path, _ := strings.Cut(route, " ")
		op, _ := dig(spec, "paths", path, strings.ToLower(method)).(map[string]any)
		desc, _ := op["description"].(string)
		_, line, _ := strings.Cut(desc, "**Who:**")
		line, _, _ = strings.Cut(line, "\n\n")
		for _, k := range rule.kinds {
			if !strings.Contains(line, who[k]) {
				t.Errorf("%s: openapi.yaml's Who does not name the %s:%s", route, who[k], line)
			}
		}
	}
}

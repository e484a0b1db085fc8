package api

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPIExamples: every operation shows an example of its request
// body and of each success answer with a body, and every example of a
// body or an answer in the document is valid against its schema, so a
// client written from the examples works.
func TestOpenAPIExamples(t *testing.T) {
	for _, p := range exampleProblems(loadOpenAPIDocument(t)) {
		t.Error(p)
	}
}

// TestOpenAPIExamplesCheck: the check above notices a success answer
// without an example, a request body without one, and an example its
// schema refuses.
func TestOpenAPIExamplesCheck(t *testing.T) {
	for name, breakIt := range map[string]func(*openapi3.T){
		"answer without example": func(doc *openapi3.T) {
			mt := doc.Paths.Find("/v1/referrals").Post.Responses.Status(201).Value.Content.Get("application/json")
			mt.Example, mt.Examples = nil, nil
		},
		"request body without example": func(doc *openapi3.T) {
			mt := doc.Paths.Find("/v1/referrals").Post.RequestBody.Value.Content.Get("application/json")
			mt.Example, mt.Examples = nil, nil
		},
		"invalid example": func(doc *openapi3.T) {
			mt := doc.Paths.Find("/healthz").Get.Responses.Status(200).Value.Content.Get("application/json")
			mt.Example, mt.Examples = map[string]any{"status": "fine"}, nil
		},
	} {
		doc := loadOpenAPIDocument(t)
		breakIt(doc)
		if got := exampleProblems(doc); len(got) != 1 {
			t.Errorf("%s: the check found %q, want one problem", name, got)
		}
	}
}

// loadOpenAPIDocument loads openapi.yaml with kin-openapi, checked.
func loadOpenAPIDocument(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return doc
}

// exampleProblems lists the operations whose request body or success
// answer shows no example, and the examples of bodies and answers their
// schema refuses, sorted.
func exampleProblems(doc *openapi3.T) []string {
	var problems []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.RequestBody != nil {
				problems = append(problems, contentProblems(where+" request body", op.RequestBody.Value.Content, true, openapi3.VisitAsRequest())...)
			}
			for status, ref := range op.Responses.Map() {
				success := strings.HasPrefix(status, "2")
				problems = append(problems, contentProblems(where+" "+status, ref.Value.Content, success, openapi3.VisitAsResponse())...)
			}
		}
	}
	slices.Sort(problems)
	return problems
}

// contentProblems checks the examples of each media type of a body.
func contentProblems(where string, content openapi3.Content, needExample bool, as openapi3.SchemaValidationOption) []string {
	var problems []string
	for mediaType, mt := range content {
		examples := map[string]any{}
		if mt.Example != nil {
			examples["example"] = mt.Example
		}
		for name, ex := range mt.Examples {
			examples["examples/"+name] = ex.Value.Value
		}
		if len(examples) == 0 && needExample {
			problems = append(problems, fmt.Sprintf("%s %s: no example", where, mediaType))
		}
		if mt.Schema == nil {
			continue
		}
		for name, v := range examples {
			if err := mt.Schema.Value.VisitJSON(v, as, openapi3.EnableFormatValidation(), openapi3.MultiErrors()); err != nil {
				problems = append(problems, fmt.Sprintf("%s %s %s: %v", where, mediaType, name, err))
			}
		}
	}
	return problems
}

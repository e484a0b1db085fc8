package api

import (
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"gopkg.in/yaml.v3"
)

// TestOpenAPIMatchesRoutes checks that openapi.yaml describes exactly the
// routes the handler serves, with the same methods, and that every $ref
// in it points at something.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	raw, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := yaml.Unmarshal(raw, &spec); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
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

	s := newServer(Config{Programmes: testCatalogue(), Services: testServices(), Links: testSigner(),
		Temporal: &fakeTemporal{}, Store: newFakeStore(), Auth: DevHeaderAuthenticator{}})
	served := map[string]bool{}
	err = s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
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
	for _, name := range []string{ActorHeader, IdempotencyKeyHeader} {
		if !strings.Contains(string(raw), "name: "+name) {
			t.Errorf("openapi.yaml does not describe the %s header", name)
		}
	}
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

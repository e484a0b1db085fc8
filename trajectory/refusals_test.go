package trajectory

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"
)

// TestRefusalCodesListsEveryCode: RefusalCodes, which the pages' Dutch
// sentences and the API's documentation are checked against, holds every
// RefusalCode constant of the package exactly once, and each is a
// distinct snake_case word.
func TestRefusalCodesListsEveryCode(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "RefusalCode" {
					for _, n := range vs.Names {
						declared = append(declared, n.Name)
					}
				}
			}
		}
	}
	if len(declared) != len(RefusalCodes) {
		t.Errorf("%d RefusalCode constants declared, RefusalCodes lists %d", len(declared), len(RefusalCodes))
	}
	word := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	seen := map[RefusalCode]bool{}
	for _, c := range RefusalCodes {
		if seen[c] {
			t.Errorf("code %q listed twice (or two constants share it)", c)
		}
		seen[c] = true
		if !word.MatchString(string(c)) {
			t.Errorf("code %q is not snake_case", c)
		}
	}
}

// TestProblemsHaveCodes: every problem the shared rules find has a code
// from RefusalCodes, so an adapter can say it in its own words.
func TestProblemsHaveCodes(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var ps []Problem
	ps = append(ps, VisitTimeProblems(now, now.AddDate(0, 0, 1), now.AddDate(0, 0, -1))...)
	ps = append(ps, VisitTimeProblems(now, now, now.AddDate(2, 0, 0))...)
	ps = append(ps, CloseProblems("", "")...)
	ps = append(ps, CloseProblems("bored", "")...)
	ps = append(ps, CloseProblems(CloseOther, " ")...)
	ps = append(ps, ConsentProblems(Consent{Shares: []string{"diary"}})...)
	ps = append(ps, MilestoneTimeProblems(now, now.AddDate(0, 0, 1))...)
	ps = append(ps, Timings{Milestones: []MilestoneTiming{{ID: "a", After: "nowhere"}}}.MilestoneProblems()...)
	if len(ps) < 9 {
		t.Fatalf("only %d problems found: %+v", len(ps), ps)
	}
	for _, p := range ps {
		if !slices.Contains(RefusalCodes, p.Code) {
			t.Errorf("problem %+v has no code of RefusalCodes", p)
		}
	}
}

// TestResendConsentProblems: a handover resent to another service needs
// the family's consent for it; to the same service, none.
func TestResendConsentProblems(t *testing.T) {
	caw, ocmw := Service{ID: "caw"}, Service{ID: "ocmw"}
	given := &Consent{Given: true, RecordedOn: DateOf(time.Now())}
	for _, tc := range []struct {
		name     string
		handedTo string
		req      ResendHandover
		want     []RefusalCode
	}{
		{"the same service", "caw", ResendHandover{Service: caw}, nil},
		{"another service", "caw", ResendHandover{Service: ocmw}, []RefusalCode{CodeConsentMissing}},
		{"another service with its consent", "caw", ResendHandover{Service: ocmw, Consent: given}, nil},
		{"a consent not given", "caw", ResendHandover{Service: caw, Consent: &Consent{RecordedOn: DateOf(time.Now())}}, []RefusalCode{CodeConsentMissing}},
		{"a service unknown", "", ResendHandover{Service: caw}, []RefusalCode{CodeConsentMissing}},
	} {
		var got []RefusalCode
		for _, p := range ResendConsentProblems(tc.handedTo, tc.req) {
			got = append(got, p.Code)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

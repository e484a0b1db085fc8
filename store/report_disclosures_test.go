package store

import (
	"fmt"
	"reflect"
	"time"
)

// disclosures are the counts of 1 to 4 a reader can compute from what the
// reports publish, set side by side (a year's and its quarters'): through
// any sum of their relations taken together (each published cell a known
// value, each suppressed cell and each rest an unknown), a year's counts
// being its quarters' added up (periodRelations), or because the hidden
// cells of a sum can only all be 1 (report_audit.go, which protection
// runs too); and through a share or median printed beside a hidden count.
// Empty when the reports give no small count back.
func disclosures(reports ...*ProgrammeReport) []string {
	var found []string
	var rels []relation
	for _, r := range reports {
		name, prefix := "report", ""
		if len(reports) > 1 {
			name = r.From.Format(time.DateOnly) + " to " + r.period().last()
			prefix = name + ": "
		}
		walkReport(r, name, nil, func(path string, s *Share) {
			if s.Value != nil && (s.Part.Suppressed || s.Whole.Suppressed) {
				found = append(found, fmt.Sprintf("%s: share %v printed beside a hidden part or whole", path, *s.Value))
			}
		}, func(path string, d *Durations) {
			if (d.MedianDay != nil || d.P90Day != nil) && d.Count.N < SuppressBelow {
				found = append(found, fmt.Sprintf("%s: median of %d", path, d.Count.N))
			}
		})
		for _, rel := range r.relations() {
			rel.name = prefix + rel.name
			rels = append(rels, rel)
		}
		if r.period().isYear() {
			for _, rel := range periodRelations(r, reports) {
				rel.name = prefix + rel.name
				rels = append(rels, rel)
			}
		}
	}
	return append(found, relationDisclosures(rels)...)
}

// relationDisclosures are the small counts a reader computes from the
// published cells of the relations taken together (report_audit.go).
func relationDisclosures(rels []relation) []string {
	r := newReader(rels)
	if r.overflow {
		return []string{"the relations are too large to solve"}
	}
	var found []string
	for _, d := range r.disclosures(0) {
		found = append(found, d.what)
	}
	return found
}

// walkReport calls count for every Count in the report, share for every
// Share and durations for every Durations, each with its path from name.
func walkReport(r *ProgrammeReport, name string, count func(string, *Count), share func(string, *Share), durations func(string, *Durations)) {
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch x := v.Addr().Interface().(type) {
		case *Count:
			if count != nil {
				count(path, x)
			}
			return
		case *Share:
			if share != nil {
				share(path, x)
			}
		case *Durations:
			if durations != nil {
				durations(path, x)
			}
		}
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				if f := v.Type().Field(i); f.IsExported() {
					walk(path+"."+f.Name, v.Field(i))
				}
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(fmt.Sprintf("%s[%d]", path, i), v.Index(i))
			}
		case reflect.Pointer:
			if !v.IsNil() {
				walk(path, v.Elem())
			}
		}
	}
	walk(name, reflect.ValueOf(r).Elem())
}

package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// encoding/json matches keys case-insensitively and keeps the last of two
// equal keys, so {"Coach":"a","coach":"b"} means something different to
// a proxy, a log or an audit tool than to us. strictKeys refuses both
// before decoding, by walking the tokens beside the target's type.

// keyError is a key the strict pre-pass refuses.
type keyError struct {
	field   string // dotted path of the key
	code    FieldCode
	problem string
}

func (e *keyError) Error() string { return e.field + ": " + e.problem }

// strictKeys checks every object in data for repeated keys and, where the
// target is a struct, for keys that match a field only when case is
// ignored. A syntax error is left to the decoder, which reports it better.
func strictKeys(data []byte, t reflect.Type) *keyError {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var ke *keyError
	_ = walkValue(dec, t, "", &ke)
	return ke
}

// walkValue reads one value; it stops (returning false) at the first
// problem, which it stores in ke, or at a syntax error.
func walkValue(dec *json.Decoder, t reflect.Type, path string, ke **keyError) bool {
	tok, err := dec.Token()
	if err != nil {
		return false
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType)) {
		t = nil // decodes itself: only its repeated keys are checked
	}
	switch tok {
	case json.Delim('{'):
		return walkObject(dec, t, path, ke)
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if !walkValue(dec, elem, path+"["+strconv.Itoa(i)+"]", ke) {
				return false
			}
		}
		_, err := dec.Token()
		return err == nil
	}
	return true
}

func walkObject(dec *json.Decoder, t reflect.Type, path string, ke **keyError) bool {
	var fields map[string]reflect.Type
	var elem reflect.Type
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			fields = jsonFields(t)
		case reflect.Map:
			elem = t.Elem()
		}
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok {
			return false
		}
		field := key
		if path != "" {
			field = path + "." + key
		}
		if seen[key] {
			*ke = &keyError{field: field, code: FieldDuplicate,
				problem: "is given more than once; send each field once"}
			return false
		}
		seen[key] = true
		next := elem
		if fields != nil {
			ft, exact := fields[key]
			if !exact {
				if name, ok := formerNames(t)[key]; ok {
					*ke = &keyError{field: field, code: FieldUnknown,
						problem: fmt.Sprintf("is now named %s; send it under that name", name)}
					return false
				}
				for name := range fields {
					if strings.EqualFold(name, key) {
						*ke = &keyError{field: field, code: FieldUnknown,
							problem: fmt.Sprintf("is not a field of this body: field names are case-sensitive, did you mean %q?", name)}
						return false
					}
				}
			}
			next = ft // nil for an unknown key: the decoder refuses it
		}
		if !walkValue(dec, next, field, ke) {
			return false
		}
	}
	_, err := dec.Token()
	return err == nil
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	fieldCache      sync.Map // reflect.Type -> map[string]reflect.Type
	formerCache     sync.Map // reflect.Type -> map[string]string
)

// jsonFields maps the JSON names of a struct's fields (embedded structs'
// fields promoted, as encoding/json does) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		ft := f.Type
		if f.Anonymous && tag == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for name, typ := range jsonFields(ft) {
					if _, ok := m[name]; !ok {
						m[name] = typ
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		m[tag] = ft
	}
	fieldCache.Store(t, m)
	return m
}

// formerNames maps the names a body's fields had before they were renamed
// (the tag was:"old") to their names now, so that a client sending the old
// name is told the new one rather than only that the field is unknown.
func formerNames(t reflect.Type) map[string]string {
	if m, ok := formerCache.Load(t); ok {
		return m.(map[string]string)
	}
	m := map[string]string{}
	for i := range t.NumField() {
		f := t.Field(i)
		if old := f.Tag.Get("was"); old != "" {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			m[old] = name
		}
	}
	formerCache.Store(t, m)
	return m
}

// cleanText walks a decoded body: it refuses Unicode format characters
// (category Cf: U+202E turns text around, U+200B hides inside a name) in
// every text field, and normalises every text to NFC, so that one name
// has one spelling in lists, searches and emails.
func cleanText(v reflect.Value, path string, fe *fieldErrors) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			cleanText(v.Elem(), path, fe)
		}
	case reflect.String:
		s := v.String()
		if i := strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Cf, r) }); i >= 0 {
			r := []rune(s[i:])[0]
			fe.addCode(fieldName(path), FieldInvisibleChars, fmt.Sprintf("holds an invisible formatting character (U+%04X); remove it and type the text again", r))
			return
		}
		if !norm.NFC.IsNormalString(s) && v.CanSet() {
			v.SetString(norm.NFC.String(s))
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case name == "-":
				continue
			case f.Anonymous && name == "":
				cleanText(v.Field(i), path, fe)
				continue
			case name == "":
				name = f.Name
			}
			if !f.IsExported() {
				name = path // a wrapper's own text (dateInput): the field's name
			} else if path != "" {
				name = path + "." + name
			}
			cleanText(v.Field(i), name, fe)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			cleanText(v.Index(i), path+"["+strconv.Itoa(i)+"]", fe)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := fmt.Sprint(iter.Key().Interface())
			sub := k
			if path != "" {
				sub = path + "." + k
			}
			if strings.ContainsFunc(k, func(r rune) bool { return unicode.Is(unicode.Cf, r) }) {
				fe.add(fieldName(sub), "the key holds an invisible formatting character; remove it")
			}
			val := reflect.New(v.Type().Elem()).Elem()
			val.Set(iter.Value())
			cleanText(val, sub, fe)
			v.SetMapIndex(iter.Key(), val)
		}
	}
}

func fieldName(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

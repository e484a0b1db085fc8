package programme

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoadFile: no programme file, however broken, panics the loader or
// loads without passing Validate; a refused file's error names the file.
func FuzzLoadFile(f *testing.F) {
	shipped, _ := filepath.Glob("../deploy/programmes/*.yaml")
	for _, p := range shipped {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(validProgramme))
	f.Add([]byte("id: x\nassignment_limit: 99999999999999d\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		path := filepath.Join(t.TempDir(), "p.yaml")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := LoadFile(path)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) && !strings.Contains(err.Error(), path) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if err := p.Validate(path); err != nil {
			t.Fatalf("loaded a programme that does not validate: %v", err)
		}
	})
}

package programme

import (
	"errors"
	"fmt"
	"net/mail"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/elkgezin/elkgezin/trajectory"
)

// Services is the directory of regular services, by id.
type Services map[string]trajectory.Service

// LoadServices reads and validates the directory file; errors name the
// file and the field.
func LoadServices(path string) (Services, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open services directory: %w", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var file struct {
		Services []trajectory.Service `yaml:"services"`
	}
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	dir := Services{}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{File: path, Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	if len(file.Services) == 0 {
		bad("services", "at least one service is required")
	}
	for i, s := range file.Services {
		field := fmt.Sprintf("services[%d]", i)
		if !slug.MatchString(s.ID) {
			bad(field+".id", "%q must be 2-63 lowercase letters, digits or dashes", s.ID)
		}
		if _, dup := dir[s.ID]; dup {
			bad(field+".id", "%q is listed twice", s.ID)
		}
		if strings.TrimSpace(s.Name) == "" {
			bad(field+".name", "is required")
		}
		if strings.TrimSpace(s.Kind) == "" {
			bad(field+".kind", "is required")
		}
		if _, err := mail.ParseAddress(s.Email); err != nil {
			bad(field+".email", "%q is not an email address", s.Email)
		}
		dir[s.ID] = s
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return dir, nil
}

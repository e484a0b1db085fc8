package programme

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration that programme files write the way a team
// speaks about it: "14d", "2w", "36h" or "30s". Days and weeks are not in
// time.ParseDuration, and nobody plans home visits in hours.
type Duration time.Duration

// ParseDuration reads "<n>y" (365 days: retention periods), "<n>w",
// "<n>d" or any time.ParseDuration string.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"y": 365 * 24 * time.Hour, "w": 7 * 24 * time.Hour, "d": 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.Atoi(n)
			if err != nil || v < 0 {
				return 0, fmt.Errorf("%q is not a duration: want a whole number of %s, like 14%s", s, map[string]string{"y": "years", "w": "weeks", "d": "days"}[suffix], suffix)
			}
			return Duration(time.Duration(v) * unit), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration: use for example 14d, 2w, 36h or 30s", s)
	}
	return Duration(d), nil
}

// UnmarshalText lets YAML and JSON decode "14d".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// durationError remembers where in a file a bad duration stands, so the
// loader can name its field.
type durationError struct {
	line int
	err  error
}

func (e *durationError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }
func (e *durationError) Unwrap() error { return e.err }

// UnmarshalYAML reads "14d" and keeps the line of a bad value.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return &durationError{line: n.Line, err: err}
	}
	*d = v
	return nil
}

// MarshalText writes the duration so ParseDuration reads it back.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Std is the duration as the standard library type.
func (d Duration) Std() time.Duration { return time.Duration(d) }

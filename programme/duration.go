package programme

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/elkgezin/elkgezin/trajectory"
)

// Duration is a trajectory.Duration as a programme file writes it ("14d",
// "2w"): decoding keeps the line of a bad value, so the loader can name
// its field.
type Duration trajectory.Duration

// UnmarshalText lets JSON decode "14d".
func (d *Duration) UnmarshalText(b []byte) error {
	return (*trajectory.Duration)(d).UnmarshalText(b)
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
	v, err := trajectory.ParseDuration(n.Value)
	if err != nil {
		return &durationError{line: n.Line, err: err}
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration so trajectory.ParseDuration reads it back.
func (d Duration) MarshalText() ([]byte, error) { return trajectory.Duration(d).MarshalText() }

// Std is the duration as the standard library type.
func (d Duration) Std() time.Duration { return time.Duration(d) }

package trajectory

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written the way a team speaks about it:
// "14d", "2w", "36h" or "30s". Days and weeks are not in
// time.ParseDuration, and nobody plans home visits in hours. The
// trajectory's timings hold durations; programme files are written in them.
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

// UnmarshalText lets JSON decode "14d".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText writes the duration so ParseDuration reads it back.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Std is the duration as the standard library type.
func (d Duration) Std() time.Duration { return time.Duration(d) }

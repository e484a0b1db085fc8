package trajectory

// Precondition is the version of the trajectory a step was decided on:
// the number of the last event of its log (State.EventSeq), as the API's
// ETag shows it and a client's If-Match sends it back. The workflow's
// validator refuses the step when the trajectory has moved on since
// (CodeVersionChanged), in the same workflow task that would take it, so
// no step of someone else can slip in between the check and the act.
// Zero asks nothing. Every step's request embeds it.
type Precondition struct {
	IfVersion int64 `json:"if_version,omitempty"`
}

// ExpectedVersion is the version the step requires, 0 for none.
func (p Precondition) ExpectedVersion() int64 { return p.IfVersion }

// SetIfVersion makes the step require the trajectory at version v.
func (p *Precondition) SetIfVersion(v int64) { p.IfVersion = v }

// Versioned is a step's request that may require a version.
type Versioned interface{ ExpectedVersion() int64 }

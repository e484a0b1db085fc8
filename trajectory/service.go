package trajectory

// Service is a regular service families are handed over to (Kind en Gezin,
// OCMW, CAW, CLB, childcare, housing, ...), with the address that receives
// handovers. A handover carries it as it was when the coach chose it; the
// services directory file lists them.
type Service struct {
	ID    string `yaml:"id" json:"id"`
	Name  string `yaml:"name" json:"name"`
	Kind  string `yaml:"kind" json:"kind"`
	Email string `yaml:"email" json:"email"`
}

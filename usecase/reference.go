package usecase

// ValidReference says whether s could be a referral's referrer.reference
// (CheckReferral's rule), so a lookup by reference checks it alike.
func ValidReference(s string) bool { return referencePattern.MatchString(s) }

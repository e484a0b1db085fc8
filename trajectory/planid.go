package trajectory

// IsPlanID says whether s is a goal's, an action's or a network member's
// id as the plan writes them ("g1", "a2", "n1"), so that a path naming
// one is checked by the plan's own rule.
func IsPlanID(s string) bool { return planID.MatchString(s) }

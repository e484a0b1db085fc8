package pages

// allowVisitSteps adds the forms to move a planned home visit and to
// record one that did not take place.
func (h *handler) allowVisitSteps(m *moreData, p any, allow func(step string, when bool)) {}

package trajectory

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// Search attributes supervisors filter on in the Temporal UI, for example
// `Programme = "go-team-mechelen" AND Overdue = true`. They are indexed in
// clear (the payload codec does not cover them), so they hold ids, phases
// and dates of steps only: never personal data.
var (
	SearchProgramme            = temporal.NewSearchAttributeKeyKeyword("Programme")
	SearchCoach                = temporal.NewSearchAttributeKeyKeyword("Coach")
	SearchPhase                = temporal.NewSearchAttributeKeyKeyword("Phase")
	SearchNextStep             = temporal.NewSearchAttributeKeyKeyword("NextStep")
	SearchNextDueAt            = temporal.NewSearchAttributeKeyTime("NextDueAt")
	SearchOverdue              = temporal.NewSearchAttributeKeyBool("Overdue")
	SearchEscalated            = temporal.NewSearchAttributeKeyBool("Escalated")
	SearchReferrerOrganisation = temporal.NewSearchAttributeKeyKeyword("ReferrerOrganisation")
	// SearchEmailFailed marks a trajectory one of whose emails failed for good.
	SearchEmailFailed = temporal.NewSearchAttributeKeyBool("EmailFailed")
)

// StartSearchAttributes are the search attributes of a trajectory as its
// referred event leaves it, sent with the workflow's start: the workflow's
// first task then upserts only what differs.
func StartSearchAttributes(s Summary) temporal.SearchAttributes {
	updates := []temporal.SearchAttributeUpdate{
		SearchProgramme.ValueSet(s.ProgrammeID),
		SearchReferrerOrganisation.ValueSet(s.ReferrerOrg),
		SearchPhase.ValueSet(string(s.Phase)),
		SearchOverdue.ValueSet(false),
		SearchEscalated.ValueSet(s.Escalated),
	}
	if s.NextStep != "" && s.NextDueAt != nil {
		updates = append(updates, SearchNextStep.ValueSet(s.NextStep), SearchNextDueAt.ValueSet(*s.NextDueAt))
	}
	return temporal.NewSearchAttributes(updates...)
}

// SearchAttributeTypes is every search attribute with its type, for
// registering them on a Temporal namespace.
func SearchAttributeTypes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		SearchProgramme.GetName():            enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SearchCoach.GetName():                enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SearchPhase.GetName():                enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SearchNextStep.GetName():             enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SearchNextDueAt.GetName():            enumspb.INDEXED_VALUE_TYPE_DATETIME,
		SearchOverdue.GetName():              enumspb.INDEXED_VALUE_TYPE_BOOL,
		SearchEscalated.GetName():            enumspb.INDEXED_VALUE_TYPE_BOOL,
		SearchReferrerOrganisation.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SearchEmailFailed.GetName():          enumspb.INDEXED_VALUE_TYPE_BOOL,
	}
}

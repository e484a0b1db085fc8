package trajectory

import (
	"fmt"
	"time"

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

// StartAttribute is one search attribute a referral starts with, by name,
// with its value as the workflow compares it.
type StartAttribute struct {
	Name, Value string
	Update      temporal.SearchAttributeUpdate
}

// StartSearchAttributeValues are the search attributes of a trajectory as
// its referral leaves it: its programme and referrer, referred, neither
// overdue nor escalated, and its first step (next, nil for none).
func StartSearchAttributeValues(programmeID, referrerOrg string, next *Step) []StartAttribute {
	attrs := []StartAttribute{
		{SearchProgramme.GetName(), programmeID, SearchProgramme.ValueSet(programmeID)},
		{SearchReferrerOrganisation.GetName(), referrerOrg, SearchReferrerOrganisation.ValueSet(referrerOrg)},
		{SearchPhase.GetName(), string(PhaseReferred), SearchPhase.ValueSet(string(PhaseReferred))},
		{SearchOverdue.GetName(), "false", SearchOverdue.ValueSet(false)},
		{SearchEscalated.GetName(), "false", SearchEscalated.ValueSet(false)},
	}
	if next != nil {
		attrs = append(attrs,
			StartAttribute{SearchNextStep.GetName(), next.Key(), SearchNextStep.ValueSet(next.Key())},
			StartAttribute{SearchNextDueAt.GetName(), next.DueAt.UTC().Format(time.RFC3339), SearchNextDueAt.ValueSet(next.DueAt)})
	}
	return attrs
}

// StartSearchAttributes are StartSearchAttributeValues, to send with the
// workflow's start, and the code revision the run begins under
// (CodeRevision, as the SDK's GetVersion would write it in
// TemporalChangeVersion), so `elkgezin versions` knows the run's revision
// though its first task records no marker (Start.CodeRevision).
func StartSearchAttributes(programmeID, referrerOrg string, next *Step) temporal.SearchAttributes {
	updates := []temporal.SearchAttributeUpdate{
		searchChangeVersion.ValueSet([]string{fmt.Sprintf("code-revision-%d", CodeRevision)}),
	}
	for _, a := range StartSearchAttributeValues(programmeID, referrerOrg, next) {
		updates = append(updates, a.Update)
	}
	return temporal.NewSearchAttributes(updates...)
}

// CodeRevision numbers the workflow's code (workflows.Revision): it goes up
// by one in a release that retires change ids (docs/design/versioning.md).
const CodeRevision = 3

// searchChangeVersion is the SDK's search attribute of the change ids a
// run recorded (GetVersion upserts it); a start may set it.
var searchChangeVersion = temporal.NewSearchAttributeKeyKeywordList("TemporalChangeVersion")

// SearchAttributeNames names every search attribute, in a fixed order: an
// array, so a workflow keeps what it published in one of its length.
var SearchAttributeNames = [...]string{
	SearchProgramme.GetName(), SearchCoach.GetName(), SearchPhase.GetName(), SearchNextStep.GetName(),
	SearchNextDueAt.GetName(), SearchOverdue.GetName(), SearchEscalated.GetName(),
	SearchReferrerOrganisation.GetName(), SearchEmailFailed.GetName(),
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

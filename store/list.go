package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/elkgezin/elkgezin/trajectory"
)

// Page sizes of ListTrajectories.
const (
	DefaultListLimit = 50
	MaxListLimit     = 200
)

// ErrBadCursor is returned by ListTrajectories for a cursor it did not
// hand out; test for it with errors.Is (an API answers 400).
var ErrBadCursor = errors.New("malformed cursor")

// Filter selects trajectories for ListTrajectories. Zero fields do not filter.
type Filter struct {
	ProgrammeID string
	// ProgrammeIDs, when not nil, keeps only trajectories of these
	// programmes: the programmes the caller may see. An empty, non-nil list
	// keeps nothing.
	ProgrammeIDs []string
	CoachID      string
	// CoWorkerID keeps only the trajectories the co-worker is assigned to.
	CoWorkerID string
	Phase      trajectory.Phase
	// Overdue, when set, keeps only overdue (true) or only not overdue
	// (false) trajectories; see TrajectorySummary.Overdue.
	Overdue *bool
	// EmailFailed, when set, keeps only trajectories one of whose emails
	// failed for good (true), or only the others (false).
	EmailFailed *bool
	// Escalated, when set, keeps only trajectories whose supervisor was
	// alerted about the open step (true), or only the others (false).
	Escalated *bool
	// ReferrerOrg keeps only the trajectories the organisation referred.
	ReferrerOrg string
	// UpdatedSince keeps only trajectories an event changed at or after it:
	// a mirror asks for what changed since its last pass.
	UpdatedSince *time.Time
	// Sort orders the list: SortReferredAt (the default) or SortUpdatedAt.
	Sort ListSort
	// Descending orders newest first.
	Descending bool
	// Limit is the page size: DefaultListLimit when 0 or less, at most MaxListLimit.
	Limit int
	// Cursor is the NextCursor of the previous page; "" for the first page.
	Cursor string
}

// ListSort is the column a list is ordered by (ties by id).
type ListSort string

// The orders of a list.
const (
	SortReferredAt ListSort = "referred_at"
	SortUpdatedAt  ListSort = "updated_at"
)

// ListSorts are the orders ListTrajectories knows.
var ListSorts = []ListSort{SortReferredAt, SortUpdatedAt}

// Page is one page of a list. NextCursor is "" on the last page.
type Page struct {
	Items      []TrajectorySummary `json:"items"`
	NextCursor string              `json:"next_cursor,omitempty"`
}

// ListTrajectories lists trajectories in the filter's order (referral
// order, oldest first, by default). It pages by keyset on (the sort
// column, id), so a page costs the same however deep it is, and no row
// repeats or is skipped when others are added. In updated_at order a
// trajectory that changes while a client pages moves behind the pages it
// read, so a mirror that pages to the end misses no change. Times are UTC.
func (s *Store) ListTrajectories(ctx context.Context, f Filter) (Page, error) {
	query, args, limit, err := listQuery(f)
	if err != nil {
		return Page{}, err
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return Page{}, fmt.Errorf("list trajectories: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (TrajectorySummary, error) {
		var t TrajectorySummary
		err := row.Scan(t.summaryTargets()...)
		return t, err
	})
	if err != nil {
		return Page{}, fmt.Errorf("list trajectories: %w", err)
	}
	page := Page{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		last := page.Items[limit-1]
		at := last.ReferredAt
		if f.Sort == SortUpdatedAt {
			at = last.UpdatedAt
		}
		page.NextCursor = encodeCursor(at, last.ID)
	}
	return page, nil
}

// A cursor is the base64 of the last row's sort column and id; the API
// seals it with the filters it belongs to before a client sees it.
func encodeCursor(referredAt time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(referredAt.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeCursor(cursor string) (time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("%w: not base64", ErrBadCursor)
	}
	at, id, ok := strings.Cut(string(raw), "|")
	if !ok || id == "" {
		return time.Time{}, "", fmt.Errorf("%w: no position in it", ErrBadCursor)
	}
	referredAt, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("%w: no time in it", ErrBadCursor)
	}
	return referredAt, id, nil
}

// listQuery is ListTrajectories' query for f, its arguments and the page size.
func listQuery(f Filter) (query string, args []any, limit int, err error) {
	limit = f.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)

	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := filterConditions(f, arg)
	overdueOnly := f.Overdue != nil && *f.Overdue
	column, dir, after := "referred_at", "", ">"
	if f.Sort == SortUpdatedAt {
		column = "updated_at"
	}
	if f.Descending {
		dir, after = " DESC", "<"
	}
	if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return "", nil, 0, err
		}
		where = append(where, fmt.Sprintf("(%s, id) %s (%s, %s)", column, after, arg(at), arg(id)))
	}
	query = `SELECT ` + summaryColumns + ` FROM trajectories`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	if overdueOnly {
		// Few trajectories are overdue: take them all by their due instants
		// (trajectories_due_idx) and sort those. Left to itself the planner
		// reads the trajectories in referral order until a page is full,
		// expecting an early page when other programmes have overdue ones,
		// and reads them all when none of the caller's is (0.2 to 0.4 s at
		// 200,000 rows; BENCHMARKS.md).
		query = `WITH overdue AS MATERIALIZED (` + query + `) SELECT * FROM overdue`
	}
	// One row more than the page tells whether there is a next page.
	query += ` ORDER BY ` + column + dir + `, id` + dir + ` LIMIT ` + arg(limit+1)

	return query, args, limit, nil
}

// filterConditions are the WHERE conditions of f's filters; arg adds an
// argument and returns its placeholder.
func filterConditions(f Filter, arg func(any) string) []string {
	var where []string
	if f.ProgrammeID != "" {
		where = append(where, "programme_id = "+arg(f.ProgrammeID))
	}
	if f.ProgrammeIDs != nil {
		where = append(where, "programme_id = ANY("+arg(f.ProgrammeIDs)+"::text[])")
	}
	if f.CoachID != "" {
		where = append(where, "coach_id = "+arg(f.CoachID))
	}
	if f.CoWorkerID != "" {
		where = append(where, arg(f.CoWorkerID)+" = ANY(co_workers)")
	}
	if f.Phase != "" {
		where = append(where, "phase = "+arg(string(f.Phase)))
	}
	if f.Overdue != nil {
		if *f.Overdue {
			// overdueSQL in a form an index on next_due_at serves (the
			// same rows: a NULL comparison keeps none either way).
			where = append(where, "next_due_at < now() AND phase <> 'closed'")
		} else {
			where = append(where, "NOT "+overdueSQL)
		}
	}
	if f.EmailFailed != nil {
		where = append(where, "email_failed = "+arg(*f.EmailFailed))
	}
	if f.Escalated != nil {
		where = append(where, "escalated = "+arg(*f.Escalated))
	}
	if f.ReferrerOrg != "" {
		where = append(where, "referrer_org = "+arg(f.ReferrerOrg))
	}
	if f.UpdatedSince != nil {
		where = append(where, "updated_at >= "+arg(*f.UpdatedSince))
	}
	return where
}

// Package erasurecheck says what each column of elkgezin's database may
// hold of a family, and searches the whole database for a family's values
// (names, numbers, texts, dates in every way they are written) after its
// erasure. A column that is not classified here fails the tests that use
// it: whoever adds one says what it holds, and how an erasure deals with it.
package erasurecheck

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Class is what a column may hold of a family.
type Class int

const (
	// Code: ids, codes, flags, counters, staff ids and the instants of
	// elkgezin's own work (a referral, an event written, a token used):
	// never a value of the family.
	Code Class = iota + 1
	// Sealed: ciphertext under the trajectory's data key, or the wrapped
	// key itself, which an erasure deletes: unreadable once erased.
	Sealed
	// Cleared: personal data in clear while the trajectory runs (or in
	// rows written before data keys), cleared by the erasure.
	Cleared
	// Coarse: a month, or a code kept where a report needs it.
	Coarse
	// Aggregate: a count per programme and month under the programme's
	// vocabulary (a service id); it names no trajectory, so a family's
	// service found there is the directory's, not the family's. Tables of
	// such columns must have no trajectory column (Unclassified says so).
	Aggregate
)

func (c Class) String() string {
	return [...]string{"?", "code", "sealed", "cleared", "coarse", "aggregate"}[c]
}

// Columns classifies every column of every table in schema public
// ("table.column"); a partition is its parent table.
var Columns = map[string]Class{
	"api_tokens.id": Code, "api_tokens.secret_hash": Code, "api_tokens.kind": Code, "api_tokens.subject": Code,
	"api_tokens.programmes": Code, "api_tokens.label": Code, "api_tokens.created_at": Code, "api_tokens.revoked_at": Code,
	"api_tokens.last_used_at": Code, "api_tokens.expires_at": Code,

	// The audit log is append-only: its detail holds ids, field names and
	// counts, never a value of personal data.
	"audit_log.id": Code, "audit_log.at": Code, "audit_log.actor": Code, "audit_log.action": Code,
	"audit_log.trajectory_id": Code, "audit_log.outcome": Code, "audit_log.detail": Code,

	"collective_activities.id": Code, "collective_activities.programme_id": Code, "collective_activities.kind": Code,
	"collective_activities.held_on": Code, "collective_activities.recorded_by": Code, "collective_activities.recorded_at": Code,
	// An erased trajectory leaves the activities it took part in.
	"collective_activities.trajectories": Cleared,

	"consultations.id": Code, "consultations.programme_id": Code, "consultations.recorded_by": Code,
	"consultations.organisation": Code, "consultations.recorded_at": Code, "consultations.trajectory_id": Code,
	"consultations.referred_at": Code,
	// Anonymous until it becomes a referral; then sealed under the
	// trajectory's key, and cleared with it.
	"consultations.situation": Cleared, "consultations.advice": Cleared, "consultations.sealed_text": Sealed,

	"erased_trajectories.trajectory_id": Code, "erased_trajectories.programme_id": Code, "erased_trajectories.erased_at": Code,

	"handover_counts.programme_id": Aggregate, "handover_counts.month": Aggregate, "handover_counts.service": Aggregate,
	"handover_counts.made": Aggregate, "handover_counts.acknowledged": Aggregate,

	"outbound_emails.status": Code, "outbound_emails.attempts": Code, "outbound_emails.first_attempt_at": Code,
	"outbound_emails.sent_at": Code, "outbound_emails.committing_at": Code, "outbound_emails.updated_at": Code,
	// The key names a step as due at an instant, the Message-ID is a
	// digest of it: both are rewritten by the erasure, with the address
	// and the subject.
	"outbound_emails.key": Cleared, "outbound_emails.message_id": Cleared,
	"outbound_emails.recipient": Cleared, "outbound_emails.subject": Cleared,
	// Email or SMS: a code. An SMS's message_id is its delivery reports'
	// token, random; its reports hold the token, Kannel's status code and
	// the instant the gateway reported it.
	"outbound_emails.channel": Code,
	"sms_delivery_reports.id": Code, "sms_delivery_reports.token": Code, "sms_delivery_reports.status": Code,
	"sms_delivery_reports.reported_at": Code,

	// Answers kept for a day for requests with an Idempotency-Key: scope
	// and fingerprint are digests, the body of a trajectory's answer is
	// sealed under its key, and an erasure deletes the rows of the
	// trajectories an answer is about.
	"idempotency_keys.scope": Code, "idempotency_keys.fingerprint": Code, "idempotency_keys.trajectories": Code,
	"idempotency_keys.status": Code, "idempotency_keys.location": Code, "idempotency_keys.content_type": Code, "idempotency_keys.etag": Code, "idempotency_keys.body_sealed": Code,
	"idempotency_keys.created_at": Code, "idempotency_keys.locked_until": Code, "idempotency_keys.expires_at": Code,
	"idempotency_keys.body": Cleared,
	// A tag under the trajectory's data key, deleted by the erasure.
	"referral_fingerprints.trajectory_id": Code, "referral_fingerprints.tag": Sealed,

	// A family's links to its own page: ids, staff, instants, how the
	// family agreed; its language is the family's, cleared by the erasure
	// (which revokes the links too).
	"family_links.id": Code, "family_links.trajectory_id": Code, "family_links.consent_on": Code,
	"family_links.consent_channel": Code, "family_links.issued_by": Code, "family_links.issued_at": Code,
	"family_links.expires_at": Code, "family_links.emailed": Code, "family_links.revoked_at": Code,
	"family_links.revoked_by": Code, "family_links.language": Cleared,

	// The schema's version (a database migrated before tern keeps its
	// schema_migrations too, of the same kind: versions and file names).
	"schema_version.version":               Code,
	"referral_webhook_deliveries.event_id": Code, "referral_webhook_deliveries.trajectory_id": Code,
	"referral_webhook_deliveries.organisation": Code, "referral_webhook_deliveries.status": Code,
	"referral_webhook_deliveries.attempts": Code, "referral_webhook_deliveries.last_status_code": Code,
	"referral_webhook_deliveries.last_attempt_at": Code, "referral_webhook_deliveries.delivered_at": Code,

	"sessions.id_hash": Code, "sessions.token_id": Code, "sessions.csrf_token": Code, "sessions.created_at": Code,
	"sessions.last_seen_at": Code, "sessions.expires_at": Code, "sessions.revoked_at": Code,

	"trajectories.id": Code, "trajectories.programme_id": Code, "trajectories.referrer_org": Code, "trajectories.phase": Code,
	"trajectories.coach_id": Code, "trajectories.escalated": Code, "trajectories.close_reason": Code,
	"trajectories.referred_at": Code, "trajectories.updated_at": Code, "trajectories.version": Code,
	"trajectories.email_failed": Code, "trajectories.co_workers": Code, "trajectories.consultation_id": Code,
	"trajectories.first_run_id": Code, "trajectories.previous_trajectory_id": Code, "trajectories.erased": Code,
	"trajectories.personal":   Sealed,
	"trajectories.born_month": Coarse,
	// Clear only in rows an earlier release wrote, until the worker seals
	// them (store.SealClearFields); the next step, for lists, while it runs.
	"trajectories.referrer_reference": Cleared, "trajectories.family": Cleared, "trajectories.reason": Cleared,
	"trajectories.children": Cleared, "trajectories.expected_due_date": Cleared, "trajectories.born_on": Cleared,
	"trajectories.next_step": Cleared, "trajectories.next_due_at": Cleared,

	// The log is append-only: causes are tags under the data key, the
	// clear detail codes and months.
	"trajectory_events.trajectory_id": Code, "trajectory_events.seq": Code, "trajectory_events.kind": Code,
	"trajectory_events.actor": Code, "trajectory_events.at": Code, "trajectory_events.recorded_at": Code,
	"trajectory_events.cause": Code, "trajectory_events.pos": Code,
	"trajectory_events.detail": Coarse, "trajectory_events.sealed_detail": Sealed,

	"trajectory_keys.trajectory_id": Code, "trajectory_keys.programme_id": Code, "trajectory_keys.key_id": Code,
	"trajectory_keys.created_at": Code, "trajectory_keys.wrapped": Sealed,
}

// Querier runs the queries; *pgxpool.Pool and *pgx.Conn are one.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Column is one column of a table of schema public.
type Column struct {
	Table, Name, Type string
}

func (c Column) key() string { return c.Table + "." + c.Name }

// List lists every column of every table in schema public (partitions
// under their parent) with its type.
func List(ctx context.Context, db Querier) ([]Column, error) {
	rows, err := db.Query(ctx, `SELECT c.relname, a.attname, format_type(a.atttypid, NULL)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY c.relname, a.attnum`)
	if err != nil {
		return nil, fmt.Errorf("list columns: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Column, error) {
		var c Column
		return c, row.Scan(&c.Table, &c.Name, &c.Type)
	})
}

// Unclassified lists what is wrong with the classification of cols: a
// column it lacks, one it names that the database lacks, and a table of
// aggregates with a trajectory column.
func Unclassified(cols []Column) []string {
	var problems []string
	seen := map[string]bool{}
	for _, c := range cols {
		seen[c.key()] = true
		if _, ok := Columns[c.key()]; !ok {
			problems = append(problems, fmt.Sprintf("column %s (%s) is not classified in erasurecheck.Columns: say what it holds of a family, and how an erasure deals with it", c.key(), c.Type))
		}
	}
	for k, class := range Columns {
		if !seen[k] {
			problems = append(problems, fmt.Sprintf("erasurecheck.Columns classifies %s, which the database does not have", k))
		}
		table, _, _ := strings.Cut(k, ".")
		if class == Aggregate && (seen[table+".trajectory_id"] || seen[table+".trajectories"]) {
			problems = append(problems, fmt.Sprintf("%s is an aggregate beside a trajectory column", k))
		}
	}
	slices.Sort(problems)
	return problems
}

// Values are what is searched for: texts (case-insensitive) in every
// text, json, array and bytea column, and dates in date and timestamp
// columns and, in every way they are written, as texts.
type Values struct {
	Texts []string
	Dates []time.Time
}

// dateFormats are the ways a date may be written: ISO (alone or in an
// RFC 3339 instant), compact (email keys, ids), Belgian, and in Dutch.
var dateFormats = []string{"2006-01-02", "20060102", "02/01/2006", "02-01-2006", "02.01.2006", "2/1/2006"}

var dutchMonths = []string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"}

// Strings is every text searched for, the dates written out in every way
// they are written included: what to look for in a dump of the database.
func (v Values) Strings() []string { return v.texts() }

// texts is every text searched for, the dates written out included.
func (v Values) texts() []string {
	out := slices.Clone(v.Texts)
	for _, d := range v.Dates {
		for _, f := range dateFormats {
			out = append(out, d.Format(f))
		}
		out = append(out, fmt.Sprintf("%d %s %d", d.Day(), dutchMonths[d.Month()-1], d.Year()))
	}
	return out
}

// Find searches every column of cols but the aggregates for each of
// values and says where each value it found is.
func Find(ctx context.Context, db Querier, cols []Column, values Values) ([]string, error) {
	texts := values.texts()
	dates := make([]string, len(values.Dates))
	for i, d := range values.Dates {
		dates[i] = d.Format(time.DateOnly)
	}
	var found []string
	for _, c := range cols {
		if Columns[c.key()] == Aggregate {
			continue
		}
		col, table := pgx.Identifier{c.Name}.Sanitize(), pgx.Identifier{c.Table}.Sanitize()
		var sql string
		var args []any
		switch {
		case c.Type == "bytea":
			sql = `SELECT v FROM unnest($1::text[]) v WHERE EXISTS (SELECT 1 FROM ` + table + ` WHERE position(convert_to(v, 'UTF8') IN ` + col + `) > 0)`
			args = []any{texts}
		case c.Type == "date":
			sql = `SELECT v::text FROM unnest($1::date[]) v WHERE EXISTS (SELECT 1 FROM ` + table + ` WHERE ` + col + ` = v)`
			args = []any{dates}
		case strings.HasPrefix(c.Type, "timestamp"):
			// An instant on the day, in Belgium or in UTC.
			sql = `SELECT v::text FROM unnest($1::date[]) v WHERE EXISTS (SELECT 1 FROM ` + table + ` WHERE (` + col + `::timestamptz AT TIME ZONE 'UTC')::date = v
				OR (` + col + `::timestamptz AT TIME ZONE 'Europe/Brussels')::date = v)`
			args = []any{dates}
		case c.Type == "text" || c.Type == "jsonb" || c.Type == "json" || strings.HasSuffix(c.Type, "[]") || strings.HasPrefix(c.Type, "character"):
			sql = `SELECT v FROM unnest($1::text[]) v WHERE EXISTS (SELECT 1 FROM ` + table + ` WHERE strpos(lower(` + col + `::text), lower(v)) > 0)`
			args = []any{texts}
		default:
			continue // numbers and flags
		}
		rows, err := db.Query(ctx, sql, args...)
		if err != nil {
			return nil, fmt.Errorf("search %s: %w", c.key(), err)
		}
		hits, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("search %s: %w", c.key(), err)
		}
		for _, h := range hits {
			found = append(found, fmt.Sprintf("%s (%s) holds %q", c.key(), Columns[c.key()], h))
		}
	}
	return found, nil
}

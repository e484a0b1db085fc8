package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/elkgezin/elkgezin/apitoken"
)

// Kinds of API token: who the bearer is.
const (
	TokenPartner    = "partner"    // a partner organisation that refers families
	TokenCoach      = "coach"      // a family coach
	TokenSupervisor = "supervisor" // a supervisor of one or more programmes
	TokenAdmin      = "admin"      // an administrator
	// TokenCoWorker is a co-worker of one or more programmes (a bridge
	// figure, an expert by experience): the programme file gives the role.
	TokenCoWorker = "co_worker"
)

// TokenKinds lists every kind of token.
var TokenKinds = []string{TokenPartner, TokenCoach, TokenSupervisor, TokenAdmin, TokenCoWorker}

// ErrTokenInvalid is returned by AuthenticateToken for a token that is
// malformed, unknown or revoked, without saying which: the caller answers
// 401 alike.
var ErrTokenInvalid = errors.New("invalid token")

// ErrTokenExpired is returned by AuthenticateToken for a genuine token past
// its expiry; it wraps ErrTokenInvalid, so it is refused like any invalid
// token, but the caller may say why: only the holder can present it.
var ErrTokenExpired = fmt.Errorf("%w: expired", ErrTokenInvalid)

// ErrTokenRequest is returned by CreateToken for a kind, subject,
// programme list or label it cannot accept; the message says what is wrong.
var ErrTokenRequest = errors.New("invalid token request")

const (
	maxTokenLabel = 200
	// lastUsedEvery bounds how often a token's last_used_at is written.
	lastUsedEvery = time.Minute
)

var (
	subjectPattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)
	errTokenIDTaken = errors.New("token id taken")
)

// TokenInfo is what the store keeps about a token: everything but the
// secret, which it never has.
type TokenInfo struct {
	ID      string // the public id, tok_xxxxxxxx: safe to log and to show
	Kind    string // one of TokenKinds
	Subject string // organisation id, coach id, supervisor id or administrator name
	// Programmes are the programmes a coach or supervisor works in; empty
	// for partners and administrators.
	Programmes []string
	Label      string
	CreatedAt  time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
	ExpiresAt  *time.Time // nil: never
}

// Actor is how the bearer appears in logs and in the audit log, e.g. "coach:test-coach".
func (t TokenInfo) Actor() string { return t.Kind + ":" + t.Subject }

// CreateToken makes a new token of kind for subject and returns its id and
// the token itself. The token is shown this once: only its SHA-256 is
// stored. Coaches and supervisors need at least one programme, partners and
// administrators none; a wrong request is an error wrapping ErrTokenRequest.
// Whether the subject and programmes exist in the programme files is the
// caller's to check.
func (s *Store) CreateToken(ctx context.Context, kind, subject string, programmes []string, label string) (id, token string, err error) {
	return s.CreateExpiringToken(ctx, kind, subject, programmes, label, time.Time{})
}

// CreateExpiringToken is CreateToken for a token that is refused from
// expiresAt on; the zero time never expires.
func (s *Store) CreateExpiringToken(ctx context.Context, kind, subject string, programmes []string, label string, expiresAt time.Time) (id, token string, err error) {
	programmes, err = checkTokenRequest(kind, subject, programmes, label)
	if err != nil {
		return "", "", err
	}
	var expires *time.Time
	if !expiresAt.IsZero() {
		expires = &expiresAt
	}
	for range 5 {
		id, token, err = apitoken.New()
		if err != nil {
			return "", "", err
		}
		hash := sha256.Sum256([]byte(token))
		tag, err := s.pool.Exec(ctx, `
			INSERT INTO api_tokens (id, secret_hash, kind, subject, programmes, label, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (id) DO NOTHING`,
			id, hash[:], kind, subject, programmes, label, expires)
		if err != nil {
			return "", "", fmt.Errorf("create token: %w", err)
		}
		if tag.RowsAffected() == 1 {
			return id, token, nil
		}
		// 40 random bits collide rarely; draw again.
	}
	return "", "", fmt.Errorf("create token: %w", errTokenIDTaken)
}

func checkTokenRequest(kind, subject string, programmes []string, label string) ([]string, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrTokenRequest, fmt.Sprintf(format, args...))
	}
	if !slices.Contains(TokenKinds, kind) {
		return nil, bad("kind %q must be one of %s", kind, strings.Join(TokenKinds, ", "))
	}
	if !subjectPattern.MatchString(subject) {
		return nil, bad("subject %q must be 2-63 lowercase letters, digits or dashes", subject)
	}
	needsProgrammes := kind == TokenCoach || kind == TokenSupervisor || kind == TokenCoWorker
	switch {
	case needsProgrammes && len(programmes) == 0:
		return nil, bad("a %s token needs at least one programme", kind)
	case !needsProgrammes && len(programmes) > 0:
		return nil, bad("a %s token takes no programmes", kind)
	}
	clean := []string{}
	for _, p := range programmes {
		if !subjectPattern.MatchString(p) {
			return nil, bad("programme %q must be 2-63 lowercase letters, digits or dashes", p)
		}
		if !slices.Contains(clean, p) {
			clean = append(clean, p)
		}
	}
	slices.Sort(clean)
	if n := utf8.RuneCountInString(label); n > maxTokenLabel {
		return nil, bad("label is %d characters long; at most %d are allowed", n, maxTokenLabel)
	}
	if strings.ContainsFunc(label, unicode.IsControl) || !utf8.ValidString(label) {
		return nil, bad("label must be one line of text")
	}
	return clean, nil
}

const tokenColumns = `id, kind, subject, programmes, label, created_at, revoked_at, last_used_at, expires_at`

func (t *TokenInfo) targets() []any {
	return []any{&t.ID, &t.Kind, &t.Subject, &t.Programmes, &t.Label, &t.CreatedAt, &t.RevokedAt, &t.LastUsedAt, &t.ExpiresAt}
}

// AuthenticateToken returns what the store knows about token, or an error
// wrapping ErrTokenInvalid when the token is malformed, unknown or revoked
// (any other error means the database did not answer). It looks the token
// up by its public id and compares the SHA-256 of the whole token in
// constant time. It notes the use in last_used_at, at most once a minute.
// With WithTokenCache, a token verified within the cache's TTL is believed
// without asking the database (see there).
func (s *Store) AuthenticateToken(ctx context.Context, token string) (TokenInfo, error) {
	id := apitoken.ID(token)
	if id == "" {
		return TokenInfo{}, fmt.Errorf("%w: malformed", ErrTokenInvalid)
	}
	sum := sha256.Sum256([]byte(token))
	if info, ok := s.tokens.get(sum); ok {
		return info, nil
	}
	var (
		info    TokenInfo
		hash    []byte
		expired bool
		// left is how long the token has until expiry, by the database's
		// clock; nil when it never expires.
		left *float64
	)
	asked := time.Now()
	// The database's clock decides expiry, as it does revocation.
	err := s.pool.QueryRow(ctx, `SELECT secret_hash, coalesce(expires_at <= now(), false),
		extract(epoch FROM expires_at - now())::float8, `+tokenColumns+` FROM api_tokens WHERE id = $1`, id).
		Scan(append([]any{&hash, &expired, &left}, info.targets()...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return TokenInfo{}, fmt.Errorf("%w: unknown", ErrTokenInvalid)
	}
	if err != nil {
		return TokenInfo{}, fmt.Errorf("authenticate token %s: %w", id, err)
	}
	if subtle.ConstantTimeCompare(hash, sum[:]) != 1 {
		return TokenInfo{}, fmt.Errorf("%w: unknown", ErrTokenInvalid)
	}
	if info.RevokedAt != nil {
		return TokenInfo{}, fmt.Errorf("%w: revoked", ErrTokenInvalid)
	}
	if expired {
		return info, fmt.Errorf("token %s: %w", id, ErrTokenExpired)
	}
	if info.LastUsedAt == nil || time.Since(*info.LastUsedAt) >= lastUsedEvery {
		var at time.Time
		err := s.pool.QueryRow(ctx, `
			UPDATE api_tokens SET last_used_at = now()
			WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - $2::interval)
			RETURNING last_used_at`, id, lastUsedEvery).Scan(&at)
		switch {
		case err == nil:
			info.LastUsedAt = &at
		case errors.Is(err, pgx.ErrNoRows):
			// Another request noted it within the minute.
		default:
			return TokenInfo{}, fmt.Errorf("authenticate token %s: note its use: %w", id, err)
		}
	}
	var untilExpiry *time.Duration
	if left != nil {
		d := time.Duration(*left * float64(time.Second))
		untilExpiry = &d
	}
	s.tokens.put(sum, info, asked, untilExpiry)
	return info, nil
}

// RevokeToken revokes the token with this id at once; every request with
// it is refused from then on (by this Store at once, by another process's
// token cache within its TTL). Revoking a revoked token changes nothing. An
// unknown id is an error wrapping ErrNotFound.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	// Forgotten before and after the update; only a lookup that read the
	// row before the update and is kept after it is believed longer, and
	// then for at most the TTL, as in another process.
	s.tokens.forget(id)
	defer s.tokens.forget(id)
	var revoked bool
	err := s.pool.QueryRow(ctx, `
		WITH changed AS (
			UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id
		)
		SELECT EXISTS (SELECT 1 FROM changed) OR EXISTS (SELECT 1 FROM api_tokens WHERE id = $1)`, id).Scan(&revoked)
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	if !revoked {
		return fmt.Errorf("token %s: %w", id, ErrNotFound)
	}
	return nil
}

// ListTokens lists every token, oldest first, without secrets (the store
// has none).
func (s *Store) ListTokens(ctx context.Context) ([]TokenInfo, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	tokens, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (TokenInfo, error) {
		var t TokenInfo
		err := row.Scan(t.targets()...)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return tokens, nil
}

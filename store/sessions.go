package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrSessionInvalid is wrapped by the errors of Session for a session id
// that is unknown, expired, idle too long, signed out, or whose token was
// revoked or expired.
var ErrSessionInvalid = errors.New("session not valid")

// SessionInfo is a live session: who holds it, and the secret its forms carry.
type SessionInfo struct {
	Token     TokenInfo
	CSRFToken string
	ExpiresAt time.Time
}

func randomSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func sessionHash(id string) []byte {
	sum := sha256.Sum256([]byte(id))
	return sum[:]
}

// CreateSession opens a session for the holder of token (already
// authenticated by AuthenticateToken) and returns its id, the cookie's
// value. It lasts maxAge, or until the token expires if that is sooner.
func (s *Store) CreateSession(ctx context.Context, tokenID string, maxAge time.Duration) (id string, err error) {
	if id, err = randomSecret(); err != nil {
		return "", err
	}
	csrf, err := randomSecret()
	if err != nil {
		return "", err
	}
	_, err = s.pool.Exec(ctx, `
		INSERT INTO sessions (id_hash, token_id, csrf_token, expires_at)
		VALUES ($1, $2, $3, least(now() + $4::interval, (SELECT expires_at FROM api_tokens WHERE id = $2)))`,
		sessionHash(id), tokenID, csrf, maxAge)
	if err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return id, nil
}

// Session returns the live session with this id and notes the request
// (last_seen_at), or an error wrapping ErrSessionInvalid.
func (s *Store) Session(ctx context.Context, id string, idle time.Duration) (SessionInfo, error) {
	var info SessionInfo
	err := s.pool.QueryRow(ctx, `
		UPDATE sessions s SET last_seen_at = now()
		FROM api_tokens t
		WHERE s.id_hash = $1 AND t.id = s.token_id
		  AND s.revoked_at IS NULL AND t.revoked_at IS NULL
		  AND s.expires_at > now() AND s.last_seen_at > now() - $2::interval
		  AND (t.expires_at IS NULL OR t.expires_at > now())
		RETURNING s.csrf_token, s.expires_at, `+prefixed("t.", tokenColumns),
		sessionHash(id), idle).Scan(append([]any{&info.CSRFToken, &info.ExpiresAt}, info.Token.targets()...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return SessionInfo{}, ErrSessionInvalid
	}
	if err != nil {
		return SessionInfo{}, fmt.Errorf("read session: %w", err)
	}
	return info, nil
}

// RevokeSession ends the session with this id (sign-out); an unknown or
// ended one is left as it is.
func (s *Store) RevokeSession(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `UPDATE sessions SET revoked_at = now() WHERE id_hash = $1 AND revoked_at IS NULL`, sessionHash(id))
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return nil
}

func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

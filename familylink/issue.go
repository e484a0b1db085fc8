package familylink

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/store"
)

// Store keeps the links (*store.Store).
type Store interface {
	IssueFamilyLink(ctx context.Context, l store.FamilyLink) error
	FamilyLink(ctx context.Context, id string) (store.FamilyLink, error)
	MarkFamilyLinkEmailed(ctx context.Context, id string) error
	RevokeFamilyLinks(ctx context.Context, trajectoryID, by string) (bool, error)
}

var _ Store = (*store.Store)(nil)

// Issuer issues and revokes families' links, for the API and the pages alike.
type Issuer struct {
	Links  Store
	Signer *Signer
	// Mail, when set, emails a link to the family; nil: links are handed over another way.
	Mail Notifier
	// SMS, when set, texts a link to a family that agreed to SMS.
	SMS *Texter
	// BaseURL starts the links (PUBLIC_BASE_URL).
	BaseURL string
	Log     *slog.Logger
}

// Path is where a family's page is, under BaseURL.
const Path = "/v1/family/"

// Request is a coach's issue of a link.
type Request struct {
	TrajectoryID string
	// Key names the request: the same key, the same link (an Idempotency-Key).
	Key      string
	Language Language
	// ConsentOn and Channel record the family's agreement.
	ConsentOn time.Time
	Channel   string
	By        string
	ValidFor  time.Duration
	// Email, when set, is where the link is sent; ReplyTo the team's address.
	Email, ReplyTo string
	// SMS: the link is texted to the family's number (Texter).
	SMS bool
}

// Issued is a link issued: to hand over, and whether it went by email.
type Issued struct {
	URL       string
	Language  string
	ExpiresAt time.Time
	Emailed   bool
	// EmailProblem says in English why an email asked for did not go out.
	EmailProblem string
	// Texted: the SMS asked for went (now or before); SMSProblem says why not.
	Texted     bool
	SMSProblem string
}

// ErrRevoked: the link of this request's key was revoked since; a new key makes a new link.
var ErrRevoked = errors.New("the link of this request was revoked")

// Channels are how a family can agree to its link (store.FamilyLinkChannels).
var Channels = store.FamilyLinkChannels

// ConsentProblem checks the family's recorded agreement: field and what
// is wrong, or "" when it is right.
func ConsentProblem(on time.Time, channel string, now time.Time) (field, problem string) {
	switch {
	case on.IsZero():
		return "consent.recorded_on", "is required: the date on which the family agreed"
	case on.After(now):
		return "consent.recorded_on", "lies in the future: give the date on which the family agreed"
	case !slices.Contains(Channels, channel):
		return "consent.channel", "must be one of " + strings.Join(Channels, ", ") + ": how the family agreed"
	}
	return "", ""
}

// EmailProblem checks the address a link is sent to.
func EmailProblem(address string) string {
	if a, err := mail.ParseAddress(address); err != nil || a.Address != address || len(address) > 254 {
		return "is not an email address such as naam@voorbeeld.be"
	}
	return ""
}

// Issue records the link (revoking the family's link before it) and
// emails it when asked. The link's id comes from the trajectory and the
// key, so the same request gives the same link, and its email goes once.
func (i Issuer) Issue(ctx context.Context, req Request, now time.Time) (Issued, error) {
	link := store.FamilyLink{ID: linkIDOf(req.TrajectoryID, req.Key), TrajectoryID: req.TrajectoryID, Language: req.Language.Code,
		ConsentOn: req.ConsentOn, ConsentChannel: req.Channel, IssuedBy: req.By,
		ExpiresAt: now.Add(req.ValidFor).Truncate(time.Second)}
	existing, err := i.Links.FamilyLink(ctx, link.ID)
	switch {
	case err == nil && existing.TrajectoryID == req.TrajectoryID:
		if existing.RevokedAt != nil {
			return Issued{}, ErrRevoked
		}
		link = existing
	case err == nil || !errors.Is(err, store.ErrNotFound):
		return Issued{}, fmt.Errorf("read family link: %w", err)
	default:
		if err := i.Links.IssueFamilyLink(ctx, link); err != nil {
			return Issued{}, err
		}
	}
	token := i.Signer.Token(Claims{TrajectoryID: link.TrajectoryID, LinkID: link.ID, ExpiresAt: link.ExpiresAt})
	out := Issued{URL: strings.TrimSuffix(i.BaseURL, "/") + Path + token, Language: link.Language,
		ExpiresAt: link.ExpiresAt.UTC(), Emailed: link.Emailed}
	if req.Email != "" && !link.Emailed {
		out.Emailed, out.EmailProblem = i.email(ctx, link, req, out.URL)
	}
	if req.SMS {
		lang, _ := LanguageOf(link.Language)
		out.Texted, out.SMSProblem = i.text(ctx, LinkMessage{TrajectoryID: link.TrajectoryID, LinkID: link.ID, Language: lang, URL: out.URL})
	}
	return out, nil
}

func (i Issuer) email(ctx context.Context, link store.FamilyLink, req Request, url string) (bool, string) {
	if i.Mail == nil {
		return false, "this server sends no email to families; hand the family the link another way"
	}
	lang, _ := LanguageOf(link.Language)
	err := i.Mail.SendLink(ctx, LinkMessage{TrajectoryID: link.TrajectoryID, LinkID: link.ID, To: req.Email,
		Language: lang, URL: url, ExpiresAt: link.ExpiresAt, ReplyTo: req.ReplyTo})
	switch {
	case err == nil:
		if err := i.Links.MarkFamilyLinkEmailed(ctx, link.ID); err != nil {
			i.logger().Warn("family link: mark emailed", "trajectory_id", link.TrajectoryID, "error", err)
		}
		return true, ""
	case errors.Is(err, ErrInDoubt):
		return false, "the email may or may not have reached the mail server, so it is not sent again; ask the family whether it arrived"
	}
	i.logger().Warn("family link: email failed", "trajectory_id", link.TrajectoryID, "error", err)
	return false, "the email could not be sent now; send the same request again to retry, or hand the family the link"
}

func (i Issuer) logger() *slog.Logger {
	if i.Log == nil {
		return slog.Default()
	}
	return i.Log
}

// Revoke revokes the family's working link, and says whether there was one.
func (i Issuer) Revoke(ctx context.Context, trajectoryID, by string) (bool, error) {
	return i.Links.RevokeFamilyLinks(ctx, trajectoryID, by)
}

// linkIDOf derives a link's id from the trajectory and the request's key.
func linkIDOf(trajectoryID, key string) string {
	sum := sha256.Sum256([]byte("family-link\x00" + trajectoryID + "\x00" + key))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
}

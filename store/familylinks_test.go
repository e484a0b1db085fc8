package store

import (
	"errors"
	"testing"
	"time"
)

// A family has one working link: a second revokes the first; a coach
// revokes it; erasure revokes it too.
func TestFamilyLinks(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	at := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	ref := referredEvent("p1", "org", "FAMILY-LINK", at)
	record(t, s, ref)
	id := ref.TrajectoryID
	link := func(linkID string) FamilyLink {
		return FamilyLink{ID: linkID, TrajectoryID: id, Language: "ar", ConsentOn: time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC),
			ConsentChannel: "in_person", IssuedBy: "coach:an", ExpiresAt: at.Add(90 * 24 * time.Hour)}
	}
	if err := s.IssueFamilyLink(ctx, link("aaaaaaaaaaaaaaaaaaaaaaaa")); err != nil {
		t.Fatal(err)
	}
	if err := s.IssueFamilyLink(ctx, link("bbbbbbbbbbbbbbbbbbbbbbbb")); err != nil {
		t.Fatal(err)
	}
	first, err := s.FamilyLink(ctx, "aaaaaaaaaaaaaaaaaaaaaaaa")
	if err != nil || first.RevokedAt == nil || first.RevokedBy != "coach:an" || first.Language != "ar" || first.ConsentChannel != "in_person" {
		t.Errorf("the first link after a second: %+v (%v); want it revoked by the coach", first, err)
	}
	if second, err := s.FamilyLink(ctx, "bbbbbbbbbbbbbbbbbbbbbbbb"); err != nil || second.RevokedAt != nil {
		t.Errorf("the second link: %+v (%v); want it working", second, err)
	}
	if _, err := s.FamilyLink(ctx, "cccccccccccccccccccccccc"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown link: %v", err)
	}
	if revoked, err := s.RevokeFamilyLinks(ctx, id, "supervisor:els"); err != nil || !revoked {
		t.Errorf("revoke: %v, %v", revoked, err)
	}
	if revoked, err := s.RevokeFamilyLinks(ctx, id, "supervisor:els"); err != nil || revoked {
		t.Errorf("revoke again: %v, %v; want nothing to revoke", revoked, err)
	}
	if err := s.IssueFamilyLink(ctx, link("dddddddddddddddddddddddd")); err != nil {
		t.Fatal(err)
	}
	if erased, err := s.Erase(ctx, id); err != nil || !erased {
		t.Fatalf("erase: %v, %v", erased, err)
	}
	if l, err := s.FamilyLink(ctx, "dddddddddddddddddddddddd"); err != nil || l.RevokedAt == nil || l.RevokedBy != RevokedByErasure || l.Language != "" {
		t.Errorf("after erasure: %+v (%v); want the link revoked by the erasure, without the family's language", l, err)
	}
	if l, err := s.FamilyLink(ctx, "aaaaaaaaaaaaaaaaaaaaaaaa"); err != nil || l.RevokedBy != "coach:an" || l.Language != "" {
		t.Errorf("an earlier link after erasure: %+v (%v); want its revocation kept, its language gone", l, err)
	}
}

package apitoken

import "testing"

func TestNewTokenHasItsID(t *testing.T) {
	id, token, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if !ValidID(id) || ID(token) != id {
		t.Errorf("ID(%q) = %q, want %q", token, ID(token), id)
	}
	for _, bad := range []string{"", id, token + "x", "tok_ABCDEFGH." + token[len(id)+1:]} {
		if got := ID(bad); got != "" {
			t.Errorf("ID(%q) = %q, want none", bad, got)
		}
	}
}

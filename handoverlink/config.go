package handoverlink

import (
	"fmt"
	"strings"

	"github.com/elkgezin/elkgezin/internal/secret"
)

// LegacyKeyID names the key of HANDOVER_LINK_SECRET in sealed tokens.
const LegacyKeyID = "0"

// ParseKeys reads the configuration: keys, "id:base64,id:base64" (the
// first seals, all open: rotate by putting a new key first and dropping
// the old one once its links expired), and legacy, the single secret of
// HANDOVER_LINK_SECRET. Either may be empty, not both. legacy must be
// base64 of at least 32 random bytes; its text, as given, stays the key,
// so that links signed with it before keep opening. Without keys it
// seals too (as key id "0"); with keys it only opens.
func ParseKeys(keys, legacy string) ([]Key, error) {
	var out []Key
	for item := range strings.SplitSeq(keys, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		id, value, ok := strings.Cut(item, ":")
		if !ok {
			return nil, fmt.Errorf("HANDOVER_LINK_SECRETS: %q is not id:base64key; %s", redactKey(item), secret.Generate)
		}
		b, err := secret.Decode(value)
		if err != nil {
			return nil, fmt.Errorf("HANDOVER_LINK_SECRETS: key %s %w", id, err)
		}
		out = append(out, Key{ID: id, Secret: b})
	}
	if legacy = strings.TrimSpace(legacy); legacy != "" {
		if _, err := secret.Decode(legacy); err != nil {
			return nil, fmt.Errorf("HANDOVER_LINK_SECRET %w", err)
		}
		out = append(out, Key{ID: LegacyKeyID, Secret: []byte(legacy)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("set HANDOVER_LINK_SECRETS (id:base64key,...) or HANDOVER_LINK_SECRET; %s", secret.Generate)
	}
	return out, nil
}

// redactKey keeps a key's id and hides the rest, for an error message.
func redactKey(item string) string {
	if len(item) <= 4 {
		return "…"
	}
	return item[:4] + "…"
}

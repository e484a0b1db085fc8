package telemetry

import (
	"maps"
	"slices"
	"strings"
	"sync"

	"go.temporal.io/sdk/client"
)

// sharedTags hands out one metrics handler per set of tags. The SDK asks
// for a handler with the workflow type's tag for every workflow it
// caches, and each would otherwise hold its own copy of the same
// attributes (about 0.4 KB a cached trajectory).
type sharedTags struct {
	client.MetricsHandler
	mu       sync.Mutex
	children map[string]*sharedTags
}

// maxSharedTags bounds the handlers one handler keeps: the SDK's tags are
// few (namespace, task queue, workflow and activity types, operations);
// past the bound a handler is made for each call, as without sharing.
const maxSharedTags = 1000

func shareTags(h client.MetricsHandler) *sharedTags {
	return &sharedTags{MetricsHandler: h, children: map[string]*sharedTags{}}
}

// WithTags returns the handler made before for the same tags, or makes it.
func (h *sharedTags) WithTags(tags map[string]string) client.MetricsHandler {
	key := tagsKey(tags)
	h.mu.Lock()
	defer h.mu.Unlock()
	if c, ok := h.children[key]; ok {
		return c
	}
	c := shareTags(h.MetricsHandler.WithTags(tags))
	if len(h.children) < maxSharedTags {
		h.children[key] = c
	}
	return c
}

// tagsKey names a set of tags: its pairs in the order of their names.
func tagsKey(tags map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(tags[k])
		b.WriteByte(0)
	}
	return b.String()
}

package worker

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/internal/pgtest"
	"github.com/elkgezin/elkgezin/store"
)

// lockedBuffer is a log sink the loop's goroutine writes while the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The running worker analyzes a read model that grew while autovacuum was
// off, and says so in its log.
func TestWorkerRefreshesTheStatisticsOfAGrownReadModel(t *testing.T) {
	t.Parallel()
	st, err := store.Open(t.Context(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	db := st.Pool()
	if _, err := db.Exec(t.Context(), `ALTER TABLE trajectories SET (autovacuum_enabled = false)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(t.Context(), `
		INSERT INTO trajectories (id, programme_id, referrer_org, phase, referred_at, updated_at, version)
		SELECT 'grown-' || i, 'p1', 'cpas', 'referred', now(), now(), 1 FROM generate_series(1, 1000) AS i`); err != nil {
		t.Fatal(err)
	}

	var logs lockedBuffer
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		keepStatisticsFresh(ctx, st, 50*time.Millisecond, slog.New(slog.NewTextHandler(&logs, nil)))
	}()
	// Counts of changed rows reach the statistics views within seconds.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var analyzed bool
		if err := db.QueryRow(t.Context(), `SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables
			WHERE relname = 'trajectories' AND schemaname = current_schema()`).Scan(&analyzed); err != nil {
			t.Fatal(err)
		}
		if analyzed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("trajectories not analyzed within 30 s; log: %s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	<-done
	if !strings.Contains(logs.String(), "statistics refreshed") || !strings.Contains(logs.String(), "trajectories") {
		t.Errorf("log does not say what was analyzed: %s", logs.String())
	}
}

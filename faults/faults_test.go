package faults

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"elkgezin/internal/pgtest"
)

func filepathAbs(p string) (string, error) { return filepath.Abs(p) }

// testLog keeps the processes' output in a file of the test's, printed
// when the test fails.
func testLog(t *testing.T) io.Writer {
	f, err := os.Create(filepath.Join(t.TempDir(), "stack.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(f.Name())
			if len(b) > 8000 {
				b = b[len(b)-8000:]
			}
			t.Logf("end of the processes' log:\n%s", b)
		}
		f.Close()
	})
	return f
}

func sharedServer() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return pgtest.DefaultURL
}

// A worker killed with SIGKILL under load and started again loses no step
// and sends no email twice.
func TestWorkerKilledUnderLoad(t *testing.T) {
	s := startSystem(t, sharedServer())
	s.underLoad(15*time.Second, 20*time.Second, func() {
		s.st.KillWorker()
		time.Sleep(5 * time.Second)
		if err := s.st.StartWorker(); err != nil {
			t.Fatal(err)
		}
	})
}

// The API stopped and started again under load: callers retry through
// the gap, and every step they were told succeeded is there once.
func TestAPIRestartedUnderLoad(t *testing.T) {
	s := startSystem(t, sharedServer())
	s.underLoad(15*time.Second, 20*time.Second, func() {
		s.st.StopAPI()
		time.Sleep(3 * time.Second)
		if err := s.st.StartAPI(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

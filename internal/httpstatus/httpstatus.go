// Package httpstatus records the status an HTTP handler answered, for the
// middlewares that log, audit and measure requests.
package httpstatus

import "net/http"

// Recorder remembers the status a handler answered: the first one written,
// or 200 when the handler wrote a body without one.
type Recorder struct {
	http.ResponseWriter
	Status int
}

func (s *Recorder) WriteHeader(code int) {
	if s.Status == 0 {
		s.Status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *Recorder) Write(p []byte) (int, error) {
	if s.Status == 0 {
		s.Status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection (Flush, deadlines).
func (s *Recorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

package api

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/elkgezin/elkgezin/store"
)

// SMSReportStore records the SMS gateway's delivery reports; *store.Store is one.
type SMSReportStore interface {
	RecordSMSReport(ctx context.Context, token string, status int) error
}

var _ SMSReportStore = (*store.Store)(nil)

// pathSMSReport is where the SMS gateway reports an SMS's delivery
// (Kannel's dlr-url): the token names the SMS (sms.ReportToken).
const pathSMSReport = "/v1/sms-reports/{token}"

// smsTokenPattern is the shape of a token (sms.ReportToken).
var smsTokenPattern = regexp.MustCompile(`^[a-z2-7]{32}$`)

// smsReportStatuses are Kannel's report types: delivered, not delivered,
// queued, accepted and refused by the SMSC.
var smsReportStatuses = []int{1, 2, 4, 8, 16}

// getSMSReport records one delivery report. The gateway has no login:
// the unguessable token is the credential, and it names no one. A token
// no SMS has (a guess, or an erased trajectory's) is 404.
func (s *server) getSMSReport(w http.ResponseWriter, r *http.Request) {
	token := mux.Vars(r)["token"]
	status, err := strconv.Atoi(r.URL.Query().Get("status"))
	if !smsTokenPattern.MatchString(token) || err != nil || !slices.Contains(smsReportStatuses, status) {
		writeError(w, r, CodeInvalidRequest, "want /v1/sms-reports/{token}?status=N with N one of 1, 2, 4, 8, 16")
		return
	}
	if s.smsReports == nil {
		writeError(w, r, CodeNotConfigured, "this server records no SMS delivery reports")
		return
	}
	err = s.smsReports.RecordSMSReport(r.Context(), token, status)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, r, CodeSMSNotFound, "no SMS has this token")
		return
	case err != nil:
		s.log.Error("record sms report", "error", err)
		writeError(w, r, CodeDatabaseUnavailable, "the report could not be recorded now; send it again")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "recorded"})
}

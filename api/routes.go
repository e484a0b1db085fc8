package api

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/elkgezin/elkgezin/usecase"
)

// routes is the API's router: the health checks, the routes that need
// authentication (guard), and those whose credential is in the path.
func (s *server) routes(cfg Config) *mux.Router {
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(s.notFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(s.methodNotAllowed)
	r.Use(s.recordRoute)
	if cfg.RouteMiddleware != nil {
		r.Use(cfg.RouteMiddleware)
	}

	r.HandleFunc(pathHealthz, s.healthz).Methods(http.MethodGet)
	r.HandleFunc(pathReadyz, s.readyz).Methods(http.MethodGet)
	// Health checks answer without authentication.
	s.authenticatedRoutes(r)
	s.credentialInPathRoutes(r)
	if cfg.Codec != nil {
		r.PathPrefix(codecPath).Handler(s.codec(cfg.Codec))
	}
	return r
}

// authenticatedRoutes are the routes that need authentication, each with
// the rule routeRules gives it.
func (s *server) authenticatedRoutes(r *mux.Router) {
	v1 := func(method, path string, h http.HandlerFunc) {
		r.Handle(path, s.guard(method, path, h)).Methods(method)
	}
	v1(http.MethodPost, pathReferrals, s.postReferral)
	v1(http.MethodGet, pathReferrals, s.findReferrals)
	v1(http.MethodGet, pathReferral, s.getReferral)
	v1(http.MethodGet, pathTrajectories, s.listTrajectories)
	v1(http.MethodGet, pathTrajectory, s.getTrajectory)
	v1(http.MethodPost, pathAssignment, s.postAssignment)
	v1(http.MethodPost, pathIntake, s.postIntake)
	v1(http.MethodPost, pathVisits, s.postVisit)
	v1(http.MethodPost, pathVisitMove, s.postVisitMove)
	v1(http.MethodPost, pathVisitMissed, s.postVisitMissed)
	v1(http.MethodPost, pathClosure, s.postClosure)
	v1(http.MethodPost, pathBirth, s.postBirth)
	v1(http.MethodPost, pathExtension, s.postFollowUpExtension)
	v1(http.MethodPost, pathHandovers, s.postHandover)
	v1(http.MethodPost, pathResend, s.postResendHandover)
	v1(http.MethodPost, pathTimings, s.postProgrammeTimings)
	v1(http.MethodPost, pathMilestone, s.postMilestone)
	v1(http.MethodPost, pathCoWorkers, s.postCoWorker)
	v1(http.MethodPut, pathPlan, s.putPlan)
	v1(http.MethodPost, pathGoalStatus, s.postGoalStatus)
	v1(http.MethodPost, pathActionDone, s.postActionDone)
	v1(http.MethodPost, pathReviewGoals, s.postReviewGoals)
	v1(http.MethodPost, pathConsultations, s.postConsultation)
	v1(http.MethodGet, pathConsultation, s.getConsultation)
	v1(http.MethodPost, pathConsultationRefer, s.postConsultationReferral)
	v1(http.MethodPost, pathConsultationOrg, s.postConsultationOrganisation)
	v1(http.MethodPost, pathCollectiveActivity, s.postCollectiveActivity)
	v1(http.MethodGet, pathActivity, s.getCollectiveActivity)
	v1(http.MethodGet, pathProgrammeReport, s.getProgrammeReport)
	v1(http.MethodPost, pathErasure, s.postErasure)
	v1(http.MethodGet, pathExport, s.getExport)
	v1(http.MethodPost, pathSession, s.postSession)
	v1(http.MethodPost, pathFamilyLink, s.postFamilyLink)
	v1(http.MethodDelete, pathFamilyLink, s.deleteFamilyLink)
}

// credentialInPathRoutes are the routes of people without a login: the
// sealed token in the path is their credential.
func (s *server) credentialInPathRoutes(r *mux.Router) {
	// Ending a session needs no credentials (see deleteSession); people
	// sign in and out on the pages (package pages).
	r.HandleFunc(pathSession, s.deleteSession).Methods(http.MethodDelete)
	// A regular service has no login: the signed token in the path is its
	// credential. Acknowledgements are audited, as the service's.
	r.Handle(pathHandoverLink, linkHeaders(http.HandlerFunc(s.getHandoverLink))).Methods(http.MethodGet)
	r.Handle(pathHandoverAck, s.audited(actionAcknowledgeHandover, ActorService,
		linkHeaders(http.HandlerFunc(s.postHandoverAck)))).Methods(http.MethodPost)
	// A family has no login either: its own link is its credential. Each
	// open and each request is audited as the family's.
	r.Handle(pathFamilyPage, s.audited(usecase.ActionOpenFamilyPage, ActorFamily,
		http.HandlerFunc(s.getFamilyPage))).Methods(http.MethodGet)
	r.Handle(pathFamilyAsk, s.audited(usecase.ActionRequestNewDate, ActorFamily,
		http.HandlerFunc(s.postFamilyDateRequest))).Methods(http.MethodPost)
	// The SMS gateway has no login either: the token in the path is the
	// credential, and names no one.
	r.HandleFunc(pathSMSReport, s.getSMSReport).Methods(http.MethodGet)
}

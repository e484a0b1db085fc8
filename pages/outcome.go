package pages

import (
	"net/http"
	"net/url"
)

// afterStep is where a form's answer goes: the trajectory, or the team
// page the supervisor assigned from (the form's terug=team), with the
// outcome in the query (param gedaan or geweigerd).
func afterStep(r *http.Request, id, param, step string) string {
	if r.PostForm.Get("terug") == "team" {
		return "/team?" + url.Values{param: {step}, "traject": {id}}.Encode() + "#uitkomst"
	}
	return "/trajecten/" + url.PathEscape(id) + "?" + url.Values{param: {step}}.Encode()
}

// refused answers a refused form with a redirect to the page that shows
// it (POST-redirect-GET: a reload never sends it again); a form too large
// for the flash cookie is shown in place.
func (h *handler) refused(w http.ResponseWriter, r *http.Request, id, step string, f *form, status int) {
	if h.setFlash(w, r, flash{Trajectory: id, Step: step, Key: f.Key, Values: f.Values, Error: f.Error}) {
		http.Redirect(w, r, afterStep(r, id, "geweigerd", step), http.StatusSeeOther)
		return
	}
	d, ok := h.load(w, r)
	if !ok {
		return
	}
	d.Forms[step] = f
	h.show(w, r, status, d, &outcome{Refused: true, Text: f.Error, Form: "f-" + step})
}

// closeUnconfirmed: closing cannot be undone, so the form asks to confirm it.
const closeUnconfirmed = "Vink aan dat u dit traject afsluit: afsluiten kan niet ongedaan worden gemaakt."

// pageRefused answers a refused form of a page of its own (pageOfStep) as
// refused does a trajectory's: a redirect back to the page with query q,
// the form in the flash cookie under about (the consultation the form was
// about; "" for the page's own form). False when the form does not fit in
// a cookie: the caller shows it in place.
func (h *handler) pageRefused(w http.ResponseWriter, r *http.Request, step, about string, q url.Values, f *form) bool {
	if !h.setFlash(w, r, flash{Trajectory: about, Step: step, Key: f.Key, Values: f.Values, Error: f.Error, Lines: f.Lines}) {
		return false
	}
	q.Set("geweigerd", step)
	if about != "" {
		q.Set("consultatie", about)
	}
	http.Redirect(w, r, pageOfStep[step]+"?"+q.Encode(), http.StatusSeeOther)
	return true
}

// pageOutcome is what a page of its own says first: that the step of
// ?gedaan=<step> was taken, or that the step of ?geweigerd=<step> was
// refused, with the form this browser brought back (flash.go) and what
// it was about (?consultatie=). No outcome without either.
func pageOutcome(r *http.Request) (o *outcome, step, about string, f *form) {
	q := r.URL.Query()
	if done := q.Get("gedaan"); stepTitle(done) != "" {
		return &outcome{Text: stepTitle(done)}, done, "", nil
	}
	step, about = q.Get("geweigerd"), q.Get("consultatie")
	if step == "" {
		return nil, "", "", nil
	}
	if f = takeFlash(r, about, step); f == nil {
		return nil, "", "", nil
	}
	id := "f-" + step
	if about != "" {
		id += "-" + about
	}
	return &outcome{Refused: true, Text: f.Error, Form: id}, step, about, f
}

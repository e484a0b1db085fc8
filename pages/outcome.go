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

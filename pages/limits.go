package pages

import (
	"fmt"
	"net/http"

	"github.com/elkgezin/elkgezin/ratelimit"
)

// limit answers 429 with a page in Dutch to a request over the limits of
// its client address or session, before the session is looked up.
func (h *handler) limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, why := h.Limiter.Allow(r); !ok {
			why.SetRetryAfter(w)
			h.message(w, r, http.StatusTooManyRequests, "Even wachten",
				fmt.Sprintf("Er kwamen te veel verzoeken na elkaar %s. Wacht %s en probeer het dan opnieuw.", limitWhere[why.Limit], seconds(why)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

var limitWhere = map[string]string{
	"address": "van uw adres",
	"token":   "met uw token",
	"session": "in deze sessie",
}

func seconds(why ratelimit.Refusal) string {
	if n := why.RetryAfter(); n != 1 {
		return fmt.Sprintf("%d seconden", n)
	}
	return "1 seconde"
}

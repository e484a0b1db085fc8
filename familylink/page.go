package familylink

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// View is everything the family page shows: the family's own plan, its
// coach and how to reach the team, and the next appointment. It holds
// nothing else of the trajectory (no notes, no other family's data, no
// ids but the link's own token), so the page cannot show more.
type View struct {
	Language Language
	// Token is the link's token, for the form and the language switch.
	Token string
	// FormKey names the form as shown, so a double press is one request.
	FormKey string
	// AgreedOn is the date the family agreed the plan ("" when it did not yet).
	AgreedOn  string
	Strengths []string
	Goals     []GoalView
	// CoachName, TeamPhone and TeamEmail come from the programme file.
	CoachName, TeamPhone, TeamEmail string
	// Next is the next appointment; nil when none is planned.
	Next *time.Time
	// Asked: the family's request for another date was just sent.
	Asked bool
	// Problem is a sentence of the catalogue (a message key) to show above the form.
	Problem string
	// ProblemArg fills a %d in Problem.
	ProblemArg int
}

// GoalView is one goal as the family reads it.
type GoalView struct {
	Domain  string // the life domain, as the programme names it
	Text    string // the family's own words
	Status  string // "open", "reached" or "let_go"
	Actions []ActionView
}

// ActionView is one agreed action.
type ActionView struct {
	What string
	// Who is "family", "coach", "co_worker" or "service".
	Who  string
	Due  *time.Time
	Done bool
}

// Zone is where the family's dates are read: the programmes are Flemish.
var Zone = func() *time.Location {
	if z, err := time.LoadLocation("Europe/Brussels"); err == nil {
		return z
	}
	return time.UTC
}()

//go:embed templates/*.html
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"t":     func(lang, key string) string { return text(lang, key) },
	"tf":    func(lang, key string, args ...any) string { return fmt.Sprintf(text(lang, key), args...) },
	"date":  func(t time.Time) string { return t.In(Zone).Format("02-01-2006") },
	"clock": func(t time.Time) string { return t.In(Zone).Format("15:04") },
	"status": func(s string) string {
		switch s {
		case "reached":
			return msgReached
		case "let_go":
			return msgLetGo
		}
		return msgOpen
	},
	"who": func(role string) string {
		switch role {
		case "family":
			return msgWhoFamily
		case "coach":
			return msgWhoCoach
		case "co_worker":
			return msgWhoCoWorker
		}
		return msgWhoService
	},
	"languages":  func() []Language { return Languages },
	"maxMessage": func() int { return trajectory.MaxDateRequestLength },
	// dial is a phone number as a tel: link wants it, without spaces.
	"dial": func(phone string) string { return strings.Join(strings.Fields(phone), "") },
}).ParseFS(templateFS, "templates/*.html"))

// CSS is the page's only style; the CSP allows it by its hash.
const CSS = `*{box-sizing:border-box}body{font-family:system-ui,sans-serif;margin:0;padding:1rem;line-height:1.5;color:#1a1a1a;background:#fff;max-width:40rem;margin-inline:auto;font-size:1.0625rem}` +
	`h1{font-size:1.5rem;margin:.5rem 0}h2{font-size:1.25rem;margin:1.5rem 0 .5rem}` +
	`section{border-top:1px solid #ccc}ul{padding-inline-start:1.25rem}li{margin:.25rem 0}` +
	`.goal{margin:.75rem 0}.domain{display:block;font-size:.9375rem;color:#4a4a4a}.status{font-weight:bold}` +
	`.done{color:#1d6b2f}.note{background:#eef5fb;border-inline-start:4px solid #0b4f8a;padding:.5rem .75rem}` +
	`.problem{background:#fdf0ef;border-inline-start:4px solid #a3261b;padding:.5rem .75rem}` +
	`a{color:#0b4f8a}nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5rem 1rem}` +
	`.contact a{display:inline-block;padding:.5rem 0;min-height:44px}` +
	`label{display:block;margin:.5rem 0 .25rem}textarea{width:100%;font:inherit;padding:.5rem;border:1px solid #555;border-radius:.25rem}` +
	`button{font:inherit;font-size:1.125rem;padding:.75rem 1.25rem;margin-top:.75rem;border:2px solid #0b4f8a;border-radius:.375rem;background:#0b4f8a;color:#fff;cursor:pointer;width:100%}` +
	`:focus-visible{outline:3px solid #b35c00;outline-offset:2px}`

// CSP allows nothing but the page's own style and its form.
var CSP = "default-src 'none'; style-src 'sha256-" + cssHash() + "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func cssHash() string {
	sum := sha256.Sum256([]byte(CSS))
	return base64.StdEncoding.EncodeToString(sum[:])
}

type pageData struct {
	View
	Lang, Dir string
	CSS       template.CSS
}

func data(v View) pageData {
	d := pageData{View: v, Lang: v.Language.Code, Dir: "ltr", CSS: template.CSS(CSS)}
	if v.Language.RTL {
		d.Dir = "rtl"
	}
	return d
}

// Render writes the family page.
func Render(v View) ([]byte, error) {
	if v.FormKey == "" {
		v.FormKey = NewLinkID()
	}
	var buf bytes.Buffer
	err := templates.ExecuteTemplate(&buf, "page.html", data(v))
	return buf.Bytes(), err
}

// RenderMessage writes the page that says a link does not work (key
// msgLinkInvalid or msgLinkEnded), in the language.
func RenderMessage(lang Language, ended bool) ([]byte, error) {
	key, title := msgLinkInvalid, msgLinkBadTitle
	if ended {
		key, title = msgLinkEnded, msgLinkEndedTitle
	}
	var buf bytes.Buffer
	d := data(View{Language: lang})
	err := templates.ExecuteTemplate(&buf, "message.html", struct {
		pageData
		TitleKey, TextKey string
	}{d, title, key})
	return buf.Bytes(), err
}

// ValidFormKey says whether a posted form key is one Render made.
func ValidFormKey(k string) bool { return linkIDPattern.MatchString(k) }

// Problems a request can have, as message keys for View.Problem.
const (
	ProblemTooMany  = msgTooMany
	ProblemTryLater = msgTryLater
	ProblemTooLong  = msgMessageTooLong
)

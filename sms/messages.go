package sms

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/elkgezin/elkgezin/trajectory"
)

// The texts, one file per language, each defining every SMSKind.
//
//go:embed templates/*.tmpl
var templateFiles embed.FS

// Languages are the languages of the texts; the first is the fallback.
var Languages = []string{"nl", "fr", "en", "ar", "tr"}

var templates = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for _, lang := range Languages {
		m[lang] = template.Must(template.ParseFS(templateFiles, "templates/"+lang+".tmpl"))
	}
	return m
}()

// Text is what a message says: the family's first name, the visit's
// instant and, for the family's page, its link. Nothing else of the
// family goes into an SMS.
type Text struct {
	Kind      trajectory.SMSKind
	FirstName string
	At        time.Time
	URL       string
}

// data is what a template sees.
type data struct {
	FirstName, Day, Time, URL string
}

// Render writes t in lang (a code of Languages; any other is Dutch), with
// the instant in Belgian time.
func Render(lang string, t Text) (string, error) {
	tmpl, ok := templates[lang]
	if !ok {
		lang, tmpl = Languages[0], templates[Languages[0]]
	}
	at := t.At.In(trajectory.Belgium())
	d := data{FirstName: t.FirstName, Day: dayName(lang, at), Time: at.Format("15:04"), URL: t.URL}
	var b bytes.Buffer
	if err := tmpl.ExecuteTemplate(&b, string(t.Kind), d); err != nil {
		return "", fmt.Errorf("sms text %s in %s: %w", t.Kind, lang, err)
	}
	return strings.TrimSpace(b.String()), nil
}

// FirstName is the first word of a contact's name: all of the name an
// SMS may hold.
func FirstName(contactName string) string {
	if f := strings.Fields(contactName); len(f) > 0 {
		return f[0]
	}
	return ""
}

var (
	weekdays = map[string][7]string{
		"nl": {"zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"},
		"fr": {"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"},
		"en": {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		"ar": {"الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت"},
		"tr": {"Pazar", "Pazartesi", "Salı", "Çarşamba", "Perşembe", "Cuma", "Cumartesi"},
	}
	months = map[string][12]string{
		"nl": {"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
		"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
		"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		"ar": {"يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"},
		"tr": {"Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül", "Ekim", "Kasım", "Aralık"},
	}
)

// dayName is the weekday and date as lang says them.
func dayName(lang string, at time.Time) string {
	wd, mo := weekdays[lang][at.Weekday()], months[lang][at.Month()-1]
	if lang == "tr" {
		return fmt.Sprintf("%d %s %s", at.Day(), mo, wd)
	}
	return fmt.Sprintf("%s %d %s", wd, at.Day(), mo)
}

package pages

import (
	"strings"

	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

// names says the ids of the event log and the read model as a person
// reads them, from the programme files and the services directory: a
// programme's name, a coach's, a partner's, a service's; never an id.
type names struct {
	progs    programme.Catalogue
	services programme.Services
}

func (h *handler) names() names { return names{progs: h.Cases.Programmes, services: h.Services} }

// Programme is the programme's name; one no longer in the files is said as such.
func (n names) Programme(id string) string {
	if p, ok := n.progs.Get(id); ok && p.Name != "" {
		return p.Name
	}
	return "een programma dat niet meer bestaat"
}

// Coach is the name of a coach or co-worker of the programme.
func (n names) Coach(progID, id string) string {
	if id == "" {
		return "nog geen"
	}
	if p, ok := n.progs.Get(progID); ok {
		if c, ok := p.Coach(id); ok {
			return c.Name
		}
		for _, c := range p.CoWorkers {
			if c.ID == id {
				return c.Name
			}
		}
	}
	return "een coach die niet meer in het programma staat"
}

// Partner is the name of a referring organisation of the programme.
func (n names) Partner(progID, id string) string {
	if p, ok := n.progs.Get(progID); ok {
		for _, o := range p.Referrers {
			if o.ID == id {
				return o.Name
			}
		}
	}
	return "een doorverwijzer"
}

// Service is the name of a regular service from the directory.
func (n names) Service(id string) string {
	if s, ok := n.services[id]; ok {
		return s.Name
	}
	return "een dienst"
}

func (n names) coWorker(progID, id string) string {
	if p, ok := n.progs.Get(progID); ok {
		for _, c := range p.CoWorkers {
			if c.ID == id {
				return c.Name + " (" + c.Role + ")"
			}
		}
	}
	return "een medewerker"
}

// Actor is who took a step, as the event log's actor names them
// ("coach:<id>", "partner:<org>", "elkgezin", ...).
func (n names) Actor(progID, actor string) string {
	kind, id, _ := strings.Cut(actor, ":")
	switch kind {
	case "elkgezin":
		return "automatisch"
	case "coach":
		return n.Coach(progID, id)
	case string(trajectory.RoleCoWorker):
		return n.coWorker(progID, id)
	case "supervisor":
		return "de teamverantwoordelijke"
	case "partner":
		return n.Partner(progID, id)
	case "service":
		return n.Service(id)
	case "admin":
		return "de beheerder"
	}
	return "onbekend"
}

// Recipient is to whom an email went, from an event's "to" detail
// (trajectory.Recipient.ID).
func (n names) Recipient(progID, to string) string {
	role, id, _ := strings.Cut(to, ":")
	switch trajectory.RecipientRole(role) {
	case trajectory.RoleCoach:
		return "de coach, " + n.Coach(progID, id)
	case trajectory.RoleSupervisor:
		return "de teamverantwoordelijke"
	case trajectory.RoleService:
		return "de dienst " + n.Service(id)
	case trajectory.RoleCoWorker:
		return n.coWorker(progID, id)
	}
	return ""
}

// Milestone is a milestone's name from the programme file.
func (n names) Milestone(progID, id string) string {
	if p, ok := n.progs.Get(progID); ok {
		for _, m := range p.Milestones {
			if m.ID == id {
				return m.Name
			}
		}
	}
	return "een mijlpaal"
}

// Step says a step key of an event's detail or the read model
// (trajectory.Step.Key: "home_visit-2", "milestone-<id>", "intake") in
// the words the emails use (trajectory.StepKeyLabel): "huisbezoek 2".
func (n names) Step(progID, key string) string {
	if key == "" {
		return ""
	}
	p, _ := n.progs.Get(progID)
	return trajectory.StepKeyLabel(key, p.MilestoneName)
}

// Event is a timeline entry's words: what happened, and for a reminder
// or an alert to whom and about which step.
func (n names) Event(progID string, e store.EventRow) string {
	d := e.Detail
	about := func(s string) string {
		if step := n.Step(progID, d["step"]); step != "" {
			return s + ": " + step
		}
		return s
	}
	to := n.Recipient(progID, d["to"])
	switch e.Kind {
	case trajectory.EventReminderSent:
		s := "Herinnering"
		if to != "" {
			s += " aan " + to
		}
		if d["copy"] == "true" {
			s += " (kopie)"
		}
		return about(s)
	case trajectory.EventAlertSent:
		s := "Verwittiging"
		if to != "" {
			s += " aan " + to
		}
		if d["notice"] == string(trajectory.EmailFailedNotice) {
			s += " over een e-mail die niet aankwam"
		}
		return about(s)
	case trajectory.EventAssignmentNoticeSent:
		if to != "" {
			return about("Toewijzing gemeld aan " + to)
		}
	case trajectory.EventCoachAssigned:
		if c := d["coach"]; c != "" {
			return "Coach toegewezen: " + n.Coach(progID, c)
		}
	case trajectory.EventHandoverRequested, trajectory.EventHandoverSent, trajectory.EventHandoverResent, trajectory.EventHandoverAcknowledged:
		if s := d["service"]; s != "" {
			return eventLabel(e.Kind, d) + " (" + n.Service(s) + ")"
		}
	case trajectory.EventMilestoneReached:
		if m := d["milestone"]; m != "" {
			return "Mijlpaal bereikt: " + n.Milestone(progID, m)
		}
	case trajectory.EventCoWorkerAssigned:
		if c := d["co_worker"]; c != "" {
			if d["removed"] == "true" {
				return "Medewerker weggehaald: " + n.coWorker(progID, c)
			}
			return "Medewerker toegewezen: " + n.coWorker(progID, c)
		}
	case trajectory.EventActivityAttended:
		if k := d["kind"]; k != "" {
			return "Aanwezig op een activiteit: " + k
		}
	case trajectory.EventEmailFailed:
		if to != "" {
			return about(eventLabel(e.Kind, d) + " (aan " + to + ")")
		}
	}
	if l := eventLabel(e.Kind, d); l != e.Kind {
		return l
	}
	return "Andere gebeurtenis"
}

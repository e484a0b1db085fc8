package telemetry

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elkgezin/elkgezin/store"
)

// CountSource gives the business numbers; *store.Store is one.
type CountSource interface {
	Counts(ctx context.Context) (store.Counts, error)
}

// emailStatuses are exported even at zero, so an alert on unconfirmed
// emails has a series to watch from the start.
var emailStatuses = []string{"pending", "committing", "sent", "unconfirmed"}

var (
	openDesc = prometheus.NewDesc("elkgezin_trajectories_open",
		"Open trajectories by programme and phase (read model).", []string{"programme", "phase"}, nil)
	overdueDesc = prometheus.NewDesc("elkgezin_trajectories_overdue",
		"Open trajectories with a step past due, by programme.", []string{"programme"}, nil)
	escalatedDesc = prometheus.NewDesc("elkgezin_trajectories_escalated",
		"Open trajectories escalated to a supervisor, by programme.", []string{"programme"}, nil)
	emailFailedDesc = prometheus.NewDesc("elkgezin_trajectories_email_failed",
		"Trajectories with an email that failed for good, by programme.", []string{"programme"}, nil)
	emailsDesc = prometheus.NewDesc("elkgezin_emails",
		"Emails in the ledger by status (pending, committing, sent, unconfirmed).", []string{"status"}, nil)
	upDesc = prometheus.NewDesc("elkgezin_business_metrics_up",
		"1 when the business numbers could be read from PostgreSQL at this scrape.", nil, nil)
)

// business reads the numbers from PostgreSQL at each scrape, so they are
// the same whichever process is scraped and survive restarts.
type business struct{ src CountSource }

// RegisterBusiness adds the business gauges, read from src at each scrape.
func (t *Telemetry) RegisterBusiness(src CountSource) {
	t.Registry.MustRegister(business{src})
}

func (business) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{openDesc, overdueDesc, escalatedDesc, emailFailedDesc, emailsDesc, upDesc} {
		ch <- d
	}
}

func (b business) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := b.src.Counts(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 1)
	for _, p := range c.Phases {
		ch <- prometheus.MustNewConstMetric(openDesc, prometheus.GaugeValue, float64(p.Open), p.Programme, p.Phase)
	}
	for _, p := range c.Programmes {
		ch <- prometheus.MustNewConstMetric(overdueDesc, prometheus.GaugeValue, float64(p.Overdue), p.Programme)
		ch <- prometheus.MustNewConstMetric(escalatedDesc, prometheus.GaugeValue, float64(p.Escalated), p.Programme)
		ch <- prometheus.MustNewConstMetric(emailFailedDesc, prometheus.GaugeValue, float64(p.EmailsFailed), p.Programme)
	}
	for _, s := range emailStatuses {
		ch <- prometheus.MustNewConstMetric(emailsDesc, prometheus.GaugeValue, float64(c.Emails[s]), s)
	}
}

package main

import (
	"crypto/sha256"
	"fmt"

	"github.com/elkgezin/elkgezin/activities"
	"github.com/elkgezin/elkgezin/config"
	"github.com/elkgezin/elkgezin/handoverlink"
	"github.com/elkgezin/elkgezin/sms"
	"github.com/elkgezin/elkgezin/store"
)

// smsActivities are the worker's SMS to families: through the gateway
// the configuration names, or none (they then send nothing). The
// delivery reports' tokens are keyed by a secret derived from the first
// handover link key, which every worker has: a token follows from the
// SMS's key, and nobody can guess one.
func smsActivities(cfg config.Config, st *store.Store) (*activities.SMSActivities, error) {
	linkKeys, err := handoverlink.ParseKeys(cfg.HandoverLinkSecrets, cfg.HandoverLinkSecret)
	if err != nil || len(linkKeys) == 0 {
		return nil, fmt.Errorf("HANDOVER_LINK_SECRETS: no key for the SMS delivery reports' tokens: %v", err)
	}
	secret := sha256.Sum256(append([]byte("elkgezin sms delivery reports\x00"), linkKeys[0].Secret...))
	gateway := sms.New(sms.Config{URL: cfg.SMSGateway(), Username: cfg.SMSUsername, Password: cfg.SMSPassword,
		Sender: cfg.SMSSender, ReportBase: cfg.SMSReportBase()})
	return &activities.SMSActivities{Gateway: gateway, Families: st, Ledger: store.SMSLedger{Store: st}, ReportSecret: secret[:]}, nil
}

package main

import (
	"crypto/sha256"
	"fmt"

	"github.com/elkgezin/elkgezin/activities"
	"github.com/elkgezin/elkgezin/config"
	"github.com/elkgezin/elkgezin/familylink"
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
	gateway, secret, err := smsGateway(cfg)
	if err != nil {
		return nil, err
	}
	return &activities.SMSActivities{Gateway: gateway, Families: st, Ledger: store.SMSLedger{Store: st}, ReportSecret: secret}, nil
}

// familyTexter texts families their links, from the api and the pages,
// through the same gateway and ledger.
func familyTexter(cfg config.Config, st *store.Store) (*familylink.Texter, error) {
	gateway, secret, err := smsGateway(cfg)
	if err != nil {
		return nil, err
	}
	return &familylink.Texter{Families: st, Ledger: store.SMSLedger{Store: st}, Gateway: gateway, ReportSecret: secret}, nil
}

// smsGateway is the configured gateway (nil: none) and the secret of the
// delivery reports' tokens.
func smsGateway(cfg config.Config) (*sms.Client, []byte, error) {
	linkKeys, err := handoverlink.ParseKeys(cfg.HandoverLinkSecrets, cfg.HandoverLinkSecret)
	if err != nil || len(linkKeys) == 0 {
		return nil, nil, fmt.Errorf("HANDOVER_LINK_SECRETS: no key for the SMS delivery reports' tokens: %v", err)
	}
	secret := sha256.Sum256(append([]byte("elkgezin sms delivery reports\x00"), linkKeys[0].Secret...))
	gateway := sms.New(sms.Config{URL: cfg.SMSGateway(), Username: cfg.SMSUsername, Password: cfg.SMSPassword,
		Sender: cfg.SMSSender, ReportBase: cfg.SMSReportBase()})
	return gateway, secret[:], nil
}

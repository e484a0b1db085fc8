package config

import (
	"fmt"
	"net/url"
	"strings"
)

// SMSGateway is the sendsms URL SMS to families go to: SMS_GATEWAY_URL,
// else KANNEL_URL; empty when no SMS is sent.
func (c Config) SMSGateway() string {
	if c.SMSGatewayURL != "" {
		return c.SMSGatewayURL
	}
	return c.KannelURL
}

// SMSReportBase is where the gateway posts delivery reports back.
func (c Config) SMSReportBase() string {
	if c.SMSReportBaseURL != "" {
		return strings.TrimSuffix(c.SMSReportBaseURL, "/")
	}
	return strings.TrimSuffix(c.PublicBaseURL, "/")
}

func (c Config) smsProblems() []error {
	var errs []error
	for name, raw := range map[string]string{"SMS_GATEWAY_URL": c.SMSGatewayURL, "KANNEL_URL": c.KannelURL, "SMS_REPORT_BASE_URL": c.SMSReportBaseURL} {
		if raw == "" {
			continue
		}
		if u, err := url.Parse(raw); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, fmt.Errorf("%s: %q is not an http:// or https:// URL", name, raw))
		}
	}
	return errs
}

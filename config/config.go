// Package config holds every setting of elkgezin in one struct: loaded from
// the environment and validated in one place, with each default written
// once, in the struct's tags, from which `elkgezin` without arguments
// prints them. The Temporal connection is configured the Temporal way
// (go.temporal.io/sdk/contrib/envconfig): TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, and a TOML profile
// from TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE, so one binary reaches the
// dev server, a cluster with mTLS or Temporal Cloud.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SMTPTimeout bounds one SMTP transaction; the worker's stop timeout is
// derived from it (worker.StopTimeout), so a deploy lets an email finish,
// and an orchestrator's grace period must exceed that (deploy/k8s).
const SMTPTimeout = 15 * time.Second

// Config is every setting of elkgezin. A field's tags name its variable
// (env), its default (default), which commands need it set (required: a
// comma-separated list; alt: another variable that may stand in for it),
// whether its value is secret (secret) and what it is for (help).
type Config struct {
	DatabaseURL         string  `env:"DATABASE_URL" default:"postgres://postgres@127.0.0.1:5432/elkgezin?sslmode=disable" secret:"true" help:"elkgezin's PostgreSQL database; sslmode=verify-full when it is on another machine"`
	ProgrammesDir       string  `env:"PROGRAMMES_DIR" default:"deploy/programmes" help:"one YAML file per programme"`
	ServicesFile        string  `env:"SERVICES_FILE" default:"deploy/services.yaml" help:"directory of regular services for handovers"`
	PayloadKeys         string  `env:"PAYLOAD_KEYS" required:"worker,api,adopt-timings,erase,rewrap" secret:"true" help:"\"id:base64key,...\" AES-256 keys that encrypt the payloads of no trajectory, and decrypt older ones; the first encrypts"`
	ProgrammeKeys       string  `env:"PROGRAMME_KEYS" required:"worker,api,adopt-timings,erase,rewrap" secret:"true" help:"\"programme:name:base64key,...\" AES-256 keys that wrap each trajectory's data key; per programme the first wraps, all unwrap"`
	TrajectoryIDSecret  string  `env:"TRAJECTORY_ID_SECRET" required:"api" secret:"true" help:"base64 of 32 random bytes or more; keys trajectory ids so they reveal nothing of the referrer's reference"`
	HandoverLinkSecrets string  `env:"HANDOVER_LINK_SECRETS" required:"worker,api" alt:"HANDOVER_LINK_SECRET" secret:"true" help:"\"id:base64key,...\" keys of 32 random bytes or more, shared by worker and api, that seal the acknowledgement links of handover emails; the first seals, all open"`
	HandoverLinkSecret  string  `env:"HANDOVER_LINK_SECRET" secret:"true" help:"a single such key, base64 (links it signed before keep working)"`
	RetentionInterval   string  `env:"RETENTION_INTERVAL" default:"1h" help:"how often the worker's schedule erases trajectories past their programme's retention_after_closure; off: no schedule"`
	CodecCORSOrigin     string  `env:"CODEC_CORS_ORIGIN" default:"http://127.0.0.1:8233" help:"the Temporal UI's origin, allowed to call the API's codec endpoint (/codec) for supervisors"`
	TemporalUIURL       string  `env:"TEMPORAL_UI_URL" default:"http://127.0.0.1:8233" help:"the Temporal UI, for supervisors' links to a workflow"`
	SMTPAddr            string  `env:"SMTP_ADDR" default:"127.0.0.1:1025" help:"SMTP server (host:port)"`
	SMTPTLS             string  `env:"SMTP_TLS" default:"starttls" help:"starttls, or implicit (SMTPS, port 465); plain text only to loopback"`
	SMTPUsername        string  `env:"SMTP_USERNAME" help:"SMTP login (optional)"`
	SMTPPassword        string  `env:"SMTP_PASSWORD" secret:"true" help:"SMTP password (optional)"`
	SMSGatewayURL       string  `env:"SMS_GATEWAY_URL" help:"the sendsms URL of Kannel's smsbox (http://host:13013/cgi-bin/sendsms) or of any provider with Kannel's HTTP interface; empty: no SMS to families"`
	KannelURL           string  `env:"KANNEL_URL" help:"the same as SMS_GATEWAY_URL, which wins when both are set"`
	SMSUsername         string  `env:"SMS_USERNAME" help:"the gateway's sendsms user"`
	SMSPassword         string  `env:"SMS_PASSWORD" secret:"true" help:"the gateway's sendsms password"`
	SMSSender           string  `env:"SMS_SENDER" help:"the sender the family's phone shows (Kannel's from); empty: the gateway's default"`
	SMSReportBaseURL    string  `env:"SMS_REPORT_BASE_URL" help:"where the gateway reaches the api for delivery reports (its /v1/sms-reports/); empty: PUBLIC_BASE_URL"`
	MailFrom            string  `env:"MAIL_FROM" default:"elkgezin@localhost" help:"sender of every email"`
	EmailSendRate       float64 `env:"EMAIL_SEND_RATE" default:"50" help:"emails per second at most, over all workers (the email task queue's rate limit): protects the mail server"`
	EmailSessions       int     `env:"EMAIL_SESSIONS" default:"16" help:"SMTP sessions a worker holds open at once at most (emails it sends side by side); one address that answers slowly holds up no more than this"`
	WorkflowCacheSize   int     `env:"WORKFLOW_CACHE_SIZE" default:"2000" help:"trajectories a worker keeps in memory between their workflow tasks (the SDK's sticky cache): those that wake within a few hours, about a tenth of the open trajectories it serves (docs/configuration.md: Sizing the workflow cache); each costs about 80 KB of memory (size GOMEMLIMIT to it), each not cached a replay at its next task"`
	DataKeyMaxStale     string  `env:"DATA_KEY_MAX_STALE" default:"1h" help:"how long a worker goes on using the data keys it keeps (wrapped) of the trajectories it serves while PostgreSQL does not answer, counted from PostgreSQL's last confirmation (every quarter of this); as many as WORKFLOW_CACHE_SIZE and at least 10,000; 1m to 24h; off: a workflow task waits for PostgreSQL"`
	PublicBaseURL       string  `env:"PUBLIC_BASE_URL" default:"http://127.0.0.1:8080" help:"the pages' address, in email links; must be https:// for the api and the worker unless DEV_INSECURE_COOKIES is on"`
	DevInsecureCookies  bool    `env:"DEV_INSECURE_COOKIES" default:"false" help:"development over plain HTTP only: session cookie without Secure (and without its __Host- prefix), no HSTS, http:// PUBLIC_BASE_URL allowed"`
	RateLimitAddress    string  `env:"RATE_LIMIT_ADDRESS" default:"600/1m" help:"requests per client address to the API and the pages (429 beyond); an IPv6 client is counted by its /64; off: no limit"`
	RateLimitToken      string  `env:"RATE_LIMIT_TOKEN" default:"300/1m" help:"requests per token; off: no limit"`
	RateLimitSession    string  `env:"RATE_LIMIT_SESSION" default:"300/1m" help:"requests per browser session (its cookie); off: no limit"`
	RateLimitSignIn     string  `env:"RATE_LIMIT_SIGN_IN" default:"10/1m" help:"failed sign-ins on the pages per client address, each an audit entry (one that succeeds does not count); off: no limit"`
	TrustedProxies      string  `env:"TRUSTED_PROXIES" help:"comma-separated CIDRs of the reverse proxies in front of the api (an ingress): from a peer in them only, the client address of the limits and the audit log is read from X-Forwarded-For, from the right, past every trusted address; empty: the peer's address"`
	TokenCacheTTL       string  `env:"TOKEN_CACHE_TTL" default:"5s" help:"how long the api believes a token it verified without asking PostgreSQL (a revocation by elkgezin token revoke bites within it), up to 1m; off: ask every time"`
	APIAddr             string  `env:"API_ADDR" default:"127.0.0.1:8080" help:"where the API listens; port 0: a free port, named in the log"`
	MetricsAddr         string  `env:"METRICS_ADDR" help:"where worker and api serve /metrics (and the worker /healthz, /readyz); empty: not served"`
	OTLPEndpoint        string  `env:"OTEL_EXPORTER_OTLP_ENDPOINT" help:"OpenTelemetry collector (OTLP/gRPC) that receives traces; empty: tracing off (the other OTEL_* variables apply)"`
	PprofAddr           string  `env:"PPROF_ADDR" help:"host:port for the Go profiler of worker or api (optional; never the API's port)"`
	Versioning          bool    `env:"WORKER_VERSIONING" default:"false" help:"worker deployment versioning: the worker polls as version DEPLOYMENT_NAME.BUILD_ID and its workflows auto-upgrade"`
	DeploymentName      string  `env:"DEPLOYMENT_NAME" default:"elkgezin" help:"the worker deployment's name"`
	BuildID             string  `env:"BUILD_ID" help:"this binary's version in the deployment; empty: the version it was built with (see elkgezin version)"`
	ControllerName      string  `env:"TEMPORAL_DEPLOYMENT_NAME" help:"set by the Temporal Worker Controller in the pods it makes (deploy/k8s): the deployment's name, in place of DEPLOYMENT_NAME"`
	ControllerBuildID   string  `env:"TEMPORAL_WORKER_BUILD_ID" help:"set by the Temporal Worker Controller: the version it derived from the image, in place of BUILD_ID"`
	LogLevel            string  `env:"LOG_LEVEL" default:"info" help:"debug, info, warn or error"`

	// Where partners receive feedback on their referrals, and its secrets.
	PartnerWebhooksFile   string `env:"PARTNER_WEBHOOKS_FILE" help:"YAML mapping each partner organisation id to the https URL that receives signed events about its referrals (docs/api.md: Feedback on a referral); empty: partners are emailed at their referral's contact_email"`
	PartnerWebhookSecrets string `env:"PARTNER_WEBHOOK_SECRETS" secret:"true" help:"\"organisation:base64,...\" the secret (32 bytes or more) that signs each partner's events, one for each organisation of PARTNER_WEBHOOKS_FILE"`

	// Temporal is the connection profile, loaded by envconfig (see
	// TemporalVariables); Address and Namespace default to
	// DefaultTemporalAddress and DefaultTemporalNamespace.
	Temporal TemporalProfile `env:"-"`
	// Parsed holds the values Load parsed from the variables above: the
	// keys, the rates, the interval. A key that is not set is nil (zero).
	Parsed Parsed `env:"-"`
}

// Lookup reads one variable; os.LookupEnv in production, a map in tests.
type Lookup func(name string) (string, bool)

// Load reads every setting through lookup, applies the defaults and
// validates what command needs. It names every problem at once.
func Load(command string, lookup Lookup) (Config, error) {
	var c Config
	var errs []error
	v := reflect.ValueOf(&c).Elem()
	for i, f := range reflect.VisibleFields(v.Type()) {
		name := f.Tag.Get("env")
		if name == "" || name == "-" {
			continue
		}
		raw, ok := lookup(name)
		if !ok || raw == "" {
			raw = f.Tag.Get("default")
			if raw == "" && slices.Contains(strings.Split(f.Tag.Get("required"), ","), command) {
				if a := alt(f); a == "" || !isSet(lookup, a) {
					errs = append(errs, fmt.Errorf("%s is required for elkgezin %s: %s", orAlt(name, a), command, f.Tag.Get("help")))
				}
				continue
			}
		}
		field := v.Field(i)
		switch field.Kind() {
		case reflect.Bool:
			b, err := strconv.ParseBool(raw)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not true or false", name, raw))
			}
			field.SetBool(b)
		case reflect.Float64:
			x, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a number", name, raw))
			}
			field.SetFloat(x)
		case reflect.Int:
			n, err := strconv.Atoi(raw)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a whole number", name, raw))
			}
			field.SetInt(int64(n))
		default:
			field.SetString(raw)
		}
	}
	temporal, err := loadTemporal(lookup)
	if err != nil {
		errs = append(errs, err)
	}
	c.Temporal = temporal
	errs = append(errs, c.versionFromController(command, lookup)...)
	errs = append(errs, c.validate(command)...)
	errs = append(errs, c.parse()...)
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

// FromEnv loads the configuration of command from the process environment.
func FromEnv(command string) (Config, error) { return Load(command, os.LookupEnv) }

func isSet(lookup Lookup, name string) bool {
	v, ok := lookup(name)
	return ok && v != ""
}

func alt(f reflect.StructField) string { return f.Tag.Get("alt") }

func orAlt(name, alt string) string {
	if alt == "" {
		return name
	}
	return name + " (or " + alt + ")"
}

func (c Config) validate(command string) []error {
	var errs []error
	if _, err := c.Level(); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %w", err))
	}
	for name, addr := range map[string]string{"API_ADDR": c.APIAddr, "METRICS_ADDR": c.MetricsAddr, "SMTP_ADDR": c.SMTPAddr, "PPROF_ADDR": c.PprofAddr} {
		if addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not host:port: %w", name, addr, err))
		}
	}
	if c.SMTPTLS != "starttls" && c.SMTPTLS != "implicit" {
		errs = append(errs, fmt.Errorf("SMTP_TLS: %q: use starttls or implicit", c.SMTPTLS))
	}
	errs = append(errs, c.smsProblems()...)
	if c.WorkflowCacheSize < 1 {
		errs = append(errs, fmt.Errorf("WORKFLOW_CACHE_SIZE: must be a whole number of trajectories, 1 or more, got %d", c.WorkflowCacheSize))
	}
	if c.EmailSessions < 1 {
		errs = append(errs, fmt.Errorf("EMAIL_SESSIONS: must be a whole number of sessions, 1 or more, got %d", c.EmailSessions))
	}
	if !(c.EmailSendRate > 0) || math.IsInf(c.EmailSendRate, 1) { // NaN and Inf parse too
		errs = append(errs, fmt.Errorf("EMAIL_SEND_RATE: must be a positive number of emails per second, got %v", c.EmailSendRate))
	}
	if command == "api" || command == "worker" {
		// The api's sessions and the worker's handover links, which carry
		// their credential, need HTTPS; plain HTTP only when a developer says so.
		if u, err := url.Parse(c.PublicBaseURL); err != nil || u.Host == "" || (u.Scheme != "https" && !(c.DevInsecureCookies && u.Scheme == "http")) {
			errs = append(errs, fmt.Errorf("PUBLIC_BASE_URL %q: must be an https:// URL: the api's sessions and the links in the worker's emails, "+
				"whose token is a credential, need HTTPS; set DEV_INSECURE_COOKIES=1 only for development over plain HTTP", c.PublicBaseURL))
		}
	}
	if c.Versioning && c.DeploymentName == "" {
		errs = append(errs, errors.New("DEPLOYMENT_NAME: empty, but WORKER_VERSIONING is on"))
	}
	// Temporal separates a deployment's name from a build id with '.' or
	// ':' in its version strings; a build id may hold them (a controller's
	// id starts with the image tag, such as 2026.11.1).
	if strings.ContainsAny(c.DeploymentName, ".: ") {
		errs = append(errs, fmt.Errorf("DEPLOYMENT_NAME %q may not contain '.', ':' or spaces: Temporal separates the build id with them", c.DeploymentName))
	}
	if strings.ContainsAny(c.BuildID, " \t") {
		errs = append(errs, fmt.Errorf("BUILD_ID %q may not contain spaces", c.BuildID))
	}
	return errs
}

// versionFromController takes the version the Temporal Worker Controller
// gives the pods it makes (TEMPORAL_DEPLOYMENT_NAME, TEMPORAL_WORKER_BUILD_ID):
// it makes that version current once its pods poll, so a worker that
// polled as another would never be given work.
func (c *Config) versionFromController(command string, lookup Lookup) []error {
	var errs []error
	for _, v := range []struct {
		own, controller string
		field           *string
		value           string
	}{
		{"DEPLOYMENT_NAME", "TEMPORAL_DEPLOYMENT_NAME", &c.DeploymentName, c.ControllerName},
		{"BUILD_ID", "TEMPORAL_WORKER_BUILD_ID", &c.BuildID, c.ControllerBuildID},
	} {
		if v.value == "" {
			continue
		}
		if isSet(lookup, v.own) && *v.field != v.value {
			errs = append(errs, fmt.Errorf("%s %q differs from %s %q, which the Temporal Worker Controller set: leave %s out of its pods",
				v.own, *v.field, v.controller, v.value, v.own))
		}
		*v.field = v.value
	}
	if command == "worker" && c.ControllerBuildID != "" && !c.Versioning {
		errs = append(errs, errors.New("TEMPORAL_WORKER_BUILD_ID is set (a pod of the Temporal Worker Controller) but WORKER_VERSIONING is off: "+
			"the controller would wait for this version's pollers forever; set WORKER_VERSIONING=true"))
	}
	return errs
}

// Level is LOG_LEVEL as a slog level.
func (c Config) Level() (slog.Level, error) {
	var level slog.Level
	err := level.UnmarshalText([]byte(c.LogLevel))
	return level, err
}

// Usage is the text `elkgezin` prints without arguments: the commands and
// every variable with its default, from the struct's tags.
func Usage() string {
	var b strings.Builder
	b.WriteString(commands)
	b.WriteString("\nenvironment (defaults in brackets):\n")
	for _, f := range reflect.VisibleFields(reflect.TypeOf(Config{})) {
		name := f.Tag.Get("env")
		if name == "" || name == "-" {
			continue
		}
		required := f.Tag.Get("required")
		if required != "" {
			required = "required for " + strings.ReplaceAll(required, ",", ", ")
			if a := alt(f); a != "" {
				required = "this or " + a + " " + required
			}
		}
		writeVariable(&b, name, f.Tag.Get("default"), required, f.Tag.Get("help"))
	}
	b.WriteString("\nTemporal connection (go.temporal.io/sdk/contrib/envconfig; a TOML profile, then these):\n")
	for _, v := range TemporalVariables {
		writeVariable(&b, v.Name, v.Default, "", v.Help)
	}
	return b.String()
}

func writeVariable(b *strings.Builder, name, def, required, help string) {
	switch {
	case def != "":
		fmt.Fprintf(b, "  %-28s [%s]\n", name, def)
	case required != "":
		fmt.Fprintf(b, "  %-28s (%s)\n", name, required)
	default:
		fmt.Fprintf(b, "  %s\n", name)
	}
	fmt.Fprintf(b, "  %-28s %s\n", "", help)
}

const commands = `usage: elkgezin <command>

commands:
  setup          register the search attributes in the Temporal namespace, once per
                 namespace, with operator rights (the worker only checks them)
  worker         run the Temporal worker (trajectory workflow, activities)
  api            serve the HTTP API and the pages
  check          validate the programme files and the services directory, and exit
  token          manage API tokens: token create|revoke|list (elkgezin token -h)
  report         the fund's anonymised export of every programme over a calendar quarter
                 or year that has ended: report --from 2025-04-01 --to 2025-06-30, or
                 --from 2025-01-01 --to 2025-12-31 [--format csv|json]
  unconfirmed    the emails no mail server confirmed (a worker died as the server was
                 accepting): their Message-IDs, to look up in the mail server's log:
                 unconfirmed [--stuck-for 10m] [--limit 100]
  erase          erase a trajectory by destroying its data key, saying why for the
                 audit log: erase --trajectory ID --reason TEXT
  rewrap         wrap every data key anew under its programme's newest key
  adopt-timings  move a programme's running trajectories to its current timings:
                 adopt-timings --programme ID --reason TEXT
  rollout        make this build the current version of the worker deployment, in the
                 order that leaves no task without a poller (docs/operations.md: Safe deploys):
                 rollout [--start CMD] [--retire CMD] [--poll-timeout 2m] [--drain-timeout 10m]
  versions       the code revisions the running trajectories began on; roll the older
                 ones over onto this build, and check that none is left (docs/design/versioning.md):
                 versions [list | roll-over | check] [--below N] [--per-second 10]
  version        print the build id the worker deploys as
`

// Commands are the commands of elkgezin, as the usage text lists them.
var Commands = []string{"setup", "worker", "api", "check", "token", "report", "unconfirmed", "erase", "rewrap", "adopt-timings", "rollout", "versions", "version"}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/elkgezin/elkgezin/apitoken"
	"github.com/elkgezin/elkgezin/config"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
)

const tokenUsage = `usage: elkgezin token <command>

Makes, lists and revokes the API's bearer tokens, in the database at
DATABASE_URL (programmes and coaches are checked against PROGRAMMES_DIR).

commands:
  create --kind <kind> --subject <id> [--programme <id>]... [--label <text>] [--expires <duration>]
            make a token and print it, and only it, on stdout, once: the
            database keeps only its hash. Its id (tok_...) and what it is
            for go to stderr. Kinds:
              partner     --subject an organisation that at least one
                          programme accepts referrals from; no --programme
              coach       --subject a coach of every --programme (one or more)
              co_worker   --subject a co-worker (co_workers: a bridge figure, an
                          expert by experience) of every --programme; they
                          act on the trajectories they are assigned to, with
                          the steps the programme gives their role
              supervisor  --subject the supervisor's id; one or more --programme
              admin       --subject the administrator's name; no --programme
            --expires 90d: refused (401, "expired") from then on; 14d, 2w, 36h;
            without it the token lasts until it is revoked
  revoke <id>
            revoke the token with this id (tok_...) at once
  list      list every token: id, kind, subject, programmes, label, created,
            revoked, last used, expires (never the tokens themselves)

example:
  TOKEN=$(elkgezin token create --kind coach --subject test-coach --programme test-seconds)
`

// tokenStderr receives what elkgezin token says besides its result.
var tokenStderr io.Writer = os.Stderr

// runToken runs `elkgezin token`; args are the arguments after "token".
// stdout receives only the result: the token of create, the table of list,
// the confirmation of revoke.
func runToken(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(tokenStderr, tokenUsage)
		return errors.New("token: name a command: create, revoke or list")
	}
	switch args[0] {
	case "create":
		return tokenCreate(ctx, cfg, args[1:], stdout)
	case "revoke":
		return tokenRevoke(ctx, cfg, args[1:], stdout)
	case "list":
		return tokenList(ctx, cfg, args[1:], stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, tokenUsage)
		return nil
	}
	fmt.Fprint(tokenStderr, tokenUsage)
	return fmt.Errorf("token: unknown command %q: use create, revoke or list", args[0])
}

// parseFlags parses a subcommand's flags; a request for help is not an error.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	fs.SetOutput(tokenStderr)
	err = fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", fs.Name(), err)
	}
	return false, nil
}

func tokenCreate(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	kind := fs.String("kind", "", "partner, coach, co_worker, supervisor or admin")
	subject := fs.String("subject", "", "the organisation id, coach id, co-worker id, supervisor id or administrator name")
	label := fs.String("label", "", "what the token is for, e.g. whose laptop (shown by list)")
	expires := fs.String("expires", "", "how long the token is valid, e.g. 90d (default: until revoked)")
	var programmes []string
	fs.Func("programme", "a programme id the coach or supervisor works in (repeat for several)", func(v string) error {
		programmes = append(programmes, v)
		return nil
	})
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("token create: unexpected argument %q; every value is a flag (--kind, --subject, --programme, --label)", fs.Arg(0))
	}
	if err := checkTokenSubject(cfg, *kind, *subject, programmes); err != nil {
		return fmt.Errorf("token create: %w", err)
	}
	var expiresAt time.Time
	if *expires != "" {
		d, err := trajectory.ParseDuration(*expires)
		if err != nil || d.Std() <= 0 {
			return fmt.Errorf("token create: --expires %q: want a positive duration such as 90d, 2w or 36h", *expires)
		}
		expiresAt = time.Now().Add(d.Std())
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("token create: %w", err)
	}
	defer st.Close()
	id, token, err := st.CreateExpiringToken(ctx, *kind, *subject, programmes, *label, expiresAt)
	if err != nil {
		return fmt.Errorf("token create: %w", err)
	}
	if _, err := fmt.Fprintln(stdout, token); err != nil {
		return fmt.Errorf("token create: print the token (id %s; revoke it, it was not shown): %w", id, err)
	}
	scope := ""
	if len(programmes) > 0 {
		scope = " in " + strings.Join(programmes, ", ")
	}
	if !expiresAt.IsZero() {
		scope += ", valid until " + expiresAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	fmt.Fprintf(tokenStderr, "created token %s for %s:%s%s. It is shown only this once; the database keeps only its hash.\n",
		id, *kind, *subject, scope)
	return nil
}

// checkTokenSubject checks a token's kind, subject and programmes against
// the programme files, so that a token is never made for a coach or a
// programme that does not exist.
func checkTokenSubject(cfg config.Config, kind, subject string, programmes []string) error {
	if !slices.Contains(store.TokenKinds, kind) {
		return fmt.Errorf("--kind must be one of %s", strings.Join(store.TokenKinds, ", "))
	}
	if subject == "" {
		return errors.New("--subject is required: the organisation id, coach id, supervisor id or administrator name")
	}
	needsProgrammes := kind == store.TokenCoach || kind == store.TokenSupervisor || kind == store.TokenCoWorker
	switch {
	case needsProgrammes && len(programmes) == 0:
		return fmt.Errorf("a %s token needs at least one --programme", kind)
	case !needsProgrammes && len(programmes) > 0:
		return fmt.Errorf("a %s token takes no --programme", kind)
	case kind == store.TokenAdmin:
		return nil
	}
	catalogue, err := programme.LoadDir(cfg.ProgrammesDir)
	if err != nil {
		return fmt.Errorf("load programmes (PROGRAMMES_DIR): %w", err)
	}
	for _, id := range programmes {
		p, ok := catalogue.Get(id)
		if !ok {
			return fmt.Errorf("--programme %q is not a programme in %s; the programmes are %s", id, cfg.ProgrammesDir, strings.Join(catalogue.IDs(), ", "))
		}
		if _, isCoach := p.Coach(subject); kind == store.TokenCoach && !isCoach {
			hint := ""
			if _, isCoWorker := p.CoWorker(subject); isCoWorker {
				hint = "; it is a co-worker: use --kind co_worker"
			}
			return fmt.Errorf("%q is not a coach of programme %s (see its coaches in %s)%s", subject, id, cfg.ProgrammesDir, hint)
		}
		if _, isCoWorker := p.CoWorker(subject); kind == store.TokenCoWorker && !isCoWorker {
			return fmt.Errorf("%q is not a co-worker of programme %s (see its co_workers in %s)", subject, id, cfg.ProgrammesDir)
		}
	}
	if kind == store.TokenPartner {
		for _, id := range catalogue.IDs() {
			if p, _ := catalogue.Get(id); p.AllowsReferrer(subject) {
				return nil
			}
		}
		return fmt.Errorf("no programme in %s accepts referrals from %q: a partner token would be of no use", cfg.ProgrammesDir, subject)
	}
	return nil
}

func tokenRevoke(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("token revoke", flag.ContinueOnError)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("token revoke: give the id of one token (tok_...; see elkgezin token list)")
	}
	id := fs.Arg(0)
	if !apitoken.ValidID(id) {
		if tid := apitoken.ID(id); tid != "" {
			return fmt.Errorf("token revoke: give the token's id (%s), not the token itself", tid)
		}
		return fmt.Errorf("token revoke: %q is not a token id (tok_ and 8 characters; see elkgezin token list)", id)
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("token revoke: %w", err)
	}
	defer st.Close()
	if err := st.RevokeToken(ctx, id); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("token revoke: there is no token %s (see elkgezin token list)", id)
	} else if err != nil {
		return fmt.Errorf("token revoke: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "revoked %s\n", id)
	return err
}

func tokenList(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("token list", flag.ContinueOnError)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("token list: unexpected argument %q", fs.Arg(0))
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("token list: %w", err)
	}
	defer st.Close()
	tokens, err := st.ListTokens(ctx)
	if err != nil {
		return fmt.Errorf("token list: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tSUBJECT\tPROGRAMMES\tLABEL\tCREATED\tREVOKED\tLAST USED\tEXPIRES")
	for _, t := range tokens {
		programmes := strings.Join(t.Programmes, ",")
		if programmes == "" {
			programmes = "-"
		}
		label := t.Label
		if label == "" {
			label = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Kind, t.Subject, programmes, label,
			listTime(&t.CreatedAt), listTime(t.RevokedAt), listTime(t.LastUsedAt), listTime(t.ExpiresAt))
	}
	return tw.Flush()
}

// listTime shows a time in UTC to the minute, "-" for none.
func listTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

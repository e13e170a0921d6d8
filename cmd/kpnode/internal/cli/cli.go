package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Exit codes; scripts may rely on them.
const (
	ExitOK          = 0 // success
	ExitFailure     = 1 // the command failed (bad input, refused operation)
	ExitUsage       = 2 // wrong flags or arguments
	ExitUnreachable = 3 // the node's API could not be reached: is kpnode run running?
	ExitProblems    = 4 // verify, audit verify or evidence verify found integrity problems
)

// Stdio is the command's standard streams.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
}

// env is what every command runs with.
type env struct {
	ctx context.Context
	Stdio
	getenv func(string) string
}

// command is one kpnode subcommand.
type command struct {
	name    string
	args    string // synopsis after the name
	summary string
	run     func(e *env, args []string) error
}

func commands() []command {
	return []command{
		{"init", "--participant CODE --name NAME [--home DIR] [--passphrase-file FILE] [--encrypt-store] [--from-key KEYFILE]", "create a node home: keys, configuration, API token", runInit},
		{"run", "[--home DIR] [--listen MULTIADDR]... [--api HOST:PORT]", "run the node (the daemon) until SIGINT or SIGTERM", runDaemon},
		{"status", "[--json] [--wait DURATION]", "identity, partners' link and delivery, feed heads, counters", runStatus},
		{"card", "[--passphrase-file FILE] [verify FILE|-]", "print this node's signed card (also with the daemon stopped, before the first run), or verify a card", runCard},
		{"partners", partnersSynopsis, "pin, list and remove partners; override their addresses", runPartners},
		{"publish", "--type TYPE --to CODES|all [--attach FILE]... FILE|-", "validate, encrypt and append a record to this node's feed", runPublish},
		{"attachments", attachmentsSynopsis, "files of records: seal files to attach, list a record's files, get one (fetched from partners if needed)", runAttachments},
		{"feed", "[--author CODE] [--from SEQ] [--limit N] [--json]", "list the entries of a feed", runFeed},
		{"import", "KIND FILE|- [--to CODES|all] [--dry-run]", "validate a CSV or JSON file of records and publish it in batches", runImport},
		{"export", "KIND [--format csv|json] [--from DATE --to DATE] [--partner CODE]", "export held records, or kp-statistics --period 2011-Q3", runExport},
		{"findings", "[--json] [--open] [--rule ID] [--partner CODE] [--period P] [--limit N] [--cursor C | --all] | summary | explain ID | ack ID | ask ID", "reconciliation findings: certificates vs confirmations, statistics, outliers", runFindings},
		{"calendar", calendarSynopsis, "the submission calendar: who owes which statistics and annual reports, received on time, late, missing", runCalendar},
		{"questionnaires", questionnairesSynopsis, "the anomaly queries this node sent: each partner's replies (sent, acknowledged, overdue, answered, closed) and response rate; accept ANSWER closes one", runQuestionnaires},
		{"valuation", valuationSynopsis, "the unit-value table of the outlier check (R8): show it, load the WGDE's valuation table, go back to the built-in one", runValuation},
		{"dashboard", dashboardSynopsis, "print a one-time sign-in link to the node's web dashboard; list and revoke sessions", runDashboard},
		{"keys", keysSynopsis, "rotate this node's keys: the old key hands over to a new one, partners follow", runKeys},
		{"recover", recoverSynopsis, "show what a node with restored keys still waits for; --force ends the wait", runRecover},
		{"verify", "[--home DIR] [--json]", "re-check every stored entry against its author's signature, and every chain (works with the daemon stopped)", runVerify},
		{"evidence", evidenceSynopsis, "export a record as an evidence bundle, or verify a bundle offline", runEvidence},
		{"backup", backupSynopsis, "write a verified backup of the store (the node may be running)", runBackup},
		{"restore", restoreSynopsis, "restore a backup into a new home, verify it, mark it recovering", runRestore},
		{"audit", auditSynopsis, "the audit log of administrative actions, newest first; verify its chain", runAudit},
		{"users", usersSynopsis, "staff accounts with roles (viewer, clerk, administrator)", runUsers},
		{"tokens", tokensSynopsis, "API tokens of staff and services: create, list, revoke", runTokens},
		{"token", tokenSynopsis, "replace the node's own API token (api.token)", runToken},
		{"testnet", testnetSynopsis, "run many participants on this machine: up, load, chaos, check, down", runTestnet},
		{"participants", participantsSynopsis, "the participant list as of a date and where each entry came from; apply an update file; trust a partner for the list", runParticipants},
		{"version", "", "print the version (the commit it was built from), Go version and platform; also kpnode --version", runVersion},
	}
}

// Run runs the kpnode command line with args (without the program name) and
// returns the process exit code.
func Run(ctx context.Context, args []string, stdio Stdio) int {
	e := &env{ctx: ctx, Stdio: stdio, getenv: os.Getenv}
	if len(args) == 0 || isHelp(args[0]) {
		usage(e.Out)
		return ExitOK
	}
	if args[0] == "--version" || args[0] == "-version" {
		return e.report(runVersion(e, args[1:]))
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return e.report(c.run(e, args[1:]))
		}
	}
	return e.report(usageErrorf("unknown command %q (see kpnode help)", args[0]))
}

func isHelp(s string) bool { return s == "help" || s == "-h" || s == "--help" || s == "-help" }

func usage(w io.Writer) {
	fmt.Fprint(w, "kpnode: a Kimberley Process data-sharing node\n\nUsage:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  kpnode %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Every command takes --home DIR (else $KPNODE_HOME, else ~/.kpnode).
Commands that talk to the running node use its api.token, or a staff
token (kpnode tokens create) in $KPNODE_TOKEN or the file $KPNODE_TOKEN_FILE.
Run "kpnode COMMAND --help" for a command's flags.

Exit codes:
  0  success
  1  the command failed (bad input, refused operation)
  2  wrong flags or arguments
  3  the node's API could not be reached (is "kpnode run" running?)
  4  verify, audit verify or evidence verify found integrity problems
`)
}

// cliError carries an exit code and an optional hint.
type cliError struct {
	code int
	err  error
	hint string
}

func (c *cliError) Error() string { return c.err.Error() }
func (c *cliError) Unwrap() error { return c.err }

func usageErrorf(format string, a ...any) error {
	return &cliError{code: ExitUsage, err: fmt.Errorf(format, a...)}
}

func withHint(err error, hint string) error {
	var ce *cliError
	if errors.As(err, &ce) {
		ce.hint = hint
		return ce
	}
	return &cliError{code: ExitFailure, err: err, hint: hint}
}

func (e *env) report(err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	code := ExitFailure
	var ce *cliError
	if errors.As(err, &ce) {
		code = ce.code
	}
	fmt.Fprintf(e.Err, "kpnode: error: %v\n", err)
	if ce != nil && ce.hint != "" {
		fmt.Fprintf(e.Err, "kpnode: hint: %s\n", ce.hint)
	}
	return code
}

// newFlags returns a flag set for a command with the common --home flag.
func (e *env) newFlags(name, synopsis string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("kpnode "+name, flag.ContinueOnError)
	fs.SetOutput(e.Err)
	home := fs.String("home", "", "node home directory (default $KPNODE_HOME, else ~/.kpnode)")
	fs.Usage = func() {
		fmt.Fprintf(e.Err, "Usage: kpnode %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs, home
}

// flagSet reports whether the command line gave flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// parse parses flags that may come before or after positional arguments
// and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &cliError{code: ExitUsage, err: err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

// homeDir resolves the home: --home, else $KPNODE_HOME, else ~/.kpnode.
func (e *env) homeDir(flagValue string) (string, error) {
	if flagValue != "" {
		return filepath.Abs(flagValue)
	}
	if v := e.getenv("KPNODE_HOME"); v != "" {
		return filepath.Abs(v)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find home directory: %w (set --home or KPNODE_HOME)", err)
	}
	return filepath.Join(home, ".kpnode"), nil
}

// readInput reads a named file, or standard input for "-".
func (e *env) readInput(name string, limit int64) ([]byte, error) {
	var r io.Reader = e.In
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("read %s: larger than %d bytes", name, limit)
	}
	return b, nil
}

func splitCodes(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, strings.ToUpper(c))
		}
	}
	return out
}

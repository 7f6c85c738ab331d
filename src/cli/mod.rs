//! The command line: arguments in, exit code out. All printing and file access for
//! commands lives here; the library modules stay pure.

mod audit;
mod check;
mod conventions;
mod demo;
mod drill;
mod gate;
mod init;
mod input;
mod instance;
mod lint;
mod load;
mod output;
mod pack;
mod people;
mod recurring;
mod status;
mod store;
mod suggest;
mod tick;
mod view;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use output::{print_json, say, stdout_is_terminal};

/// What a command concluded. Errors (exit 2) travel as `anyhow::Error` instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Ok,
    /// Exit 1: the command ran and found something (lint findings, a NO-GO, failed checks).
    Findings,
}

#[derive(Debug, Parser)]
#[command(
    name = "golive",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("GOLIVE_COMMIT"), ")"),
    about = "Turn go-live checklists into executable, evidence-backed gates",
    long_about = "golive reads the Markdown go-live checklists your team already keeps \
(task lists, status tables, sign-off tables; English or French; UTF-8, Windows-1252 or \
mis-encoded text) and shows where they stand, ticks items in place without touching \
anything else, and checks the file for problems.",
    after_help = "Examples:\n  golive status examples/launch.md\n  golive check examples/launch.md\n  golive status examples/launch.md --format json | jq .summary\n  golive tick examples/launch.md \"health checks\"\n  golive lint examples/launch.md\n\nExit codes: 0 ok, 1 findings (lint problems, failed checks), 2 usage, input or configuration error."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// See what golive is for in ten seconds: a sample service, its checklist, a NO-GO that shrinks
    #[command(
        long_about = "Start a small sample service inside this process (HTTP and HTTPS on loopback \
ports the system picks, with a certificate made on the spot: one endpoint healthy, one not, a \
secrets file anyone can read), write a checklist and its golive.toml into a new folder, run the \
checks, show the gate's NO-GO with its reasons, fix one thing and show the reasons shrink. The \
service stops when the demo ends (or is interrupted); the folder is kept so you can explore it. \
Needs nothing but the binary and takes about a second.",
        after_help = "Examples:\n  golive demo\n  golive demo --dir /tmp/try-golive      # a new or empty folder\n\nSee the README, section \"Try it\"."
    )]
    Demo(demo::Args),
    /// Start a checklist and a working golive.toml from a template (saas, ml, dr, iso27001, maturity)
    #[command(
        long_about = "Write a checklist and a golive.toml whose checks verify its items, from a \
template: a SaaS / web service go-live, an AI/ML pre-production review, a PostgreSQL DR plan, \
ISO 27001 operations controls, or a maturity-level production readiness review, in English or \
French. The checks point at placeholders (example.test hosts, /srv paths) for you to replace; \
`golive check FILE --dry-run` validates them as written. An existing file is never overwritten.",
        after_help = "Examples:\n  golive init --list\n  golive init --template saas\n  golive init --template dr --lang fr --dir ops/dr\n  golive check go-live.md --dry-run\n\nSee the README, section \"Start from a template\"."
    )]
    Init(init::Args),
    /// Propose golive.toml checks for the items a machine can verify (EN, FR, DE)
    #[command(
        long_about = "Read the checklist's items and propose a [[check]] stanza for each one \
whose words name something a machine can verify: TLS certificates, health endpoints, security \
headers, ports that must be open or closed, file modes (`.env` → 600), backup age, RPO/RTO \
drills, p95 / error-rate / throughput targets, Prometheus metrics and alerts, test suites, \
vulnerability scans, data drift, model quality and bias, LLM leaks, secrets and personal data \
in logs. Thresholds come from the text; what it does not say (hosts, URLs, paths) is a \
placeholder marked as such. Each stanza is commented with the item it came from. --write \
appends to golive.toml, skipping items that already have a check and keeping its bytes.",
        after_help = "Examples:\n  golive suggest launch.md\n  golive suggest launch.md --write && golive check launch.md --dry-run\n  golive suggest launch.md --format json | jq -r '.suggestions[] | [.item, .probe] | @tsv'\n\nSee the README, section \"Suggested checks\"."
    )]
    Suggest(suggest::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell)
    #[command(
        after_help = "Examples:\n  golive completions bash > ~/.local/share/bash-completion/completions/golive\n  golive completions zsh > \"${fpath[1]}/_golive\"\n  golive completions fish > ~/.config/fish/completions/golive.fish\n  golive completions powershell >> $PROFILE\n\nSee the README, section \"Shell completions and man page\"."
    )]
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
    /// Print golive's man page (roff), or write one page per command into a folder
    #[command(
        after_help = "Examples:\n  golive man | man -l -\n  golive man --out-dir /usr/local/share/man/man1   # golive.1, golive-check.1, …\n\nSee the README, section \"Shell completions and man page\"."
    )]
    Man {
        /// Write golive.1 and one golive-COMMAND.1 per command into this folder
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
    /// Show per-section progress, open blocking items, approvals and warnings
    #[command(
        long_about = "Show where the checklist stands: per-section progress, totals, open \
blocking items, approvals and warnings. Statuses and approvals are the gate's: the file \
combined with the store's history (ticks, check results, waivers, n/a, approvals), whose hash \
chain is verified first. Reading never creates a store.",
        after_help = "The JSON output's schema is documented in the README and kept stable."
    )]
    Status {
        /// The checklist's Markdown file
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Only the level-table rows that apply at this maturity level (`A`, `Level B`, `GA`)
        #[arg(long, value_name = "NAME")]
        level: Option<String>,
        /// Show one runbook instance (see `golive instances`) instead
        #[arg(long, value_name = "NAME")]
        instance: Option<String>,
        #[command(flatten)]
        store: store::StoreArgs,
        #[command(flatten)]
        config: view::ConfigArgs,
    },
    /// Tick an item's box in the file (only that byte changes)
    #[command(
        long_about = "Tick an item's box in the file. Only the character between the brackets \
changes ([ ] ↔ [x]); every other byte, line endings, BOM and encoding included, stays the same, \
and the file is replaced atomically.",
        after_help = "ITEM is an item id (see `golive status FILE --format json`) or a unique, \
case-insensitive fragment of its title.\n\nExamples:\n  golive tick launch.md health-checks\n  golive tick launch.md \"rollback plan\" --undo"
    )]
    Tick {
        /// The checklist's Markdown file
        file: PathBuf,
        /// Item id or a unique fragment of its title
        item: String,
        /// Clear the box instead ([x] → [ ])
        #[arg(long)]
        undo: bool,
        /// Who is ticking (default: git's user.name, else $USER)
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
        /// Tick a step of this runbook instance (see `golive start`), not the file
        #[arg(long, value_name = "NAME")]
        instance: Option<String>,
        /// When it was done, for recurring items and steps (default: now)
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        #[command(flatten)]
        store: store::StoreArgs,
        #[command(flatten)]
        config: view::ConfigArgs,
    },
    /// Verify items by running the checks in golive.toml beside the checklist
    #[command(
        long_about = "Run the checks that golive.toml (beside the checklist) attaches to its items: \
HTTP endpoints, TLS certificates, ports, DNS names, commands and files. Every check runs \
concurrently up to --jobs; each attempt is bounded by its timeout and retried as configured. \
An item whose checks all pass is done, one with a failing check is failed, and items without \
checks keep their status (manual).",
        after_help = "Examples:\n  golive check launch.md\n  golive check launch.md --dry-run      # validate golive.toml, show what would run\n  golive check launch.md --format json | jq '.results[] | select(.passed | not)'\n\nExit codes: 0 every check passed, 1 some check failed, 2 configuration or input error."
    )]
    Check {
        /// The checklist's Markdown file
        file: PathBuf,
        /// The check configuration (default: golive.toml beside FILE)
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
        /// How many probes run at once
        #[arg(long, short = 'j', default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..))]
        jobs: u16,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Validate the configuration and print what would run, without running it
        #[arg(long)]
        dry_run: bool,
        /// No progress output on stderr
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Who is running the checks (default: git's user.name, else $USER)
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
        #[command(flatten)]
        store: store::StoreArgs,
    },
    /// Accept an item's risk: it counts as settled for the gate, with a reason and a role
    #[command(
        after_help = "Example:\n  golive waive launch.md pen-test --reason \"vendor slot in January; compensating WAF rules\" --role CISO --until 2027-01-31\n\nA waiver past its --until date no longer counts, and the gate says so."
    )]
    Waive {
        /// The checklist's Markdown file
        file: PathBuf,
        /// Item id or a unique fragment of its title
        item: String,
        /// Why the risk is accepted
        #[arg(long)]
        reason: String,
        /// The approver role accepting the risk
        #[arg(long)]
        role: String,
        /// Last day the waiver counts (YYYY-MM-DD)
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        /// Who is waiving (default: git's user.name, else $USER)
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
        #[command(flatten)]
        store: store::StoreArgs,
    },
    /// Mark a conditional item (\"if applicable\", \"optionnel\"…) as not applicable
    Na {
        /// The checklist's Markdown file
        file: PathBuf,
        /// Item id or a unique fragment of its title
        item: String,
        /// Why it does not apply
        #[arg(long)]
        reason: String,
        /// Who decides (default: git's user.name, else $USER)
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
        #[command(flatten)]
        store: store::StoreArgs,
    },
    /// Record a role's GO or NO-GO, optionally signed with an ed25519 key
    #[command(
        long_about = "Record a role's GO or NO-GO in the store, optionally signed with an ed25519 \
key. The role is matched against the checklist's sign-offs without case, accents or extra \
spaces (`securite` is `Sécurité`) and recorded as the checklist spells it; a role it does not \
list is an error with a suggestion, unless --extra-role. When golive.toml pins the role's keys \
([roles.\"NAME\"] keys = [...]), a GO must be signed with one of them, or it would not count.",
        after_help = "Examples:\n  golive approve launch.md --role \"Security Lead\" --by ana --go --comment \"pen test clean\"\n  golive keys new --out ~/.golive/ana.key\n  golive approve launch.md --role CTO --by ana --go --sign ~/.golive/ana.key"
    )]
    Approve {
        /// The checklist's Markdown file
        file: PathBuf,
        /// The approving role (as the checklist's sign-off table names it)
        #[arg(long)]
        role: String,
        /// Who approves (default: git's user.name, else $USER)
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
        /// Approve going live
        #[arg(long, conflicts_with = "no_go", required_unless_present = "no_go")]
        go: bool,
        /// Refuse going live
        #[arg(long)]
        no_go: bool,
        #[arg(long)]
        comment: Option<String>,
        /// Sign the approval with this secret key (from `golive keys new`; not its .pub)
        #[arg(long, value_name = "KEYFILE")]
        sign: Option<PathBuf>,
        /// Record a role the checklist's sign-offs do not list (shown, never counted by the gate)
        #[arg(long)]
        extra_role: bool,
        /// Approve one runbook instance (a change) rather than the go-live
        #[arg(long, value_name = "NAME", conflicts_with = "extra_role")]
        instance: Option<String>,
        /// When the approval was given (with --instance; default: now)
        #[arg(long, value_name = "TIME", requires = "instance")]
        at: Option<String>,
        #[command(flatten)]
        store: store::StoreArgs,
        #[command(flatten)]
        config: view::ConfigArgs,
    },
    /// Decide GO or NO-GO, with every reason (exit 0 GO, 1 NO-GO)
    #[command(
        long_about = "Decide GO or NO-GO from the checklist and its history. The store's hash \
chain is verified first (and every --anchor must still be in it): a broken chain is NO-GO, \
naming the first bad event. GO only when every pre-go-live blocking and required item is done, \
n/a (conditional items) or waived (an active waiver naming a role and a reason); no check on \
such an item failed in the latest run; and every required approval's latest word is GO (a \
signed approval must verify, and a role whose keys golive.toml pins counts only a GO signed by \
one of them). Post-go-live and advisory items never block. A file with no items is not a \
checklist (exit 2). When GITHUB_STEP_SUMMARY is set, a Markdown summary is appended to it.",
        after_help = "Examples:\n  golive gate launch.md\n  golive gate launch.md --format json | jq -r '.reasons[].message'\n  golive gate launch.md --anchor 42:9f86d081…   # a head kept from an earlier run\n\nExit codes: 0 GO, 1 NO-GO, 2 usage, input, configuration or store error."
    )]
    Gate {
        /// The checklist's Markdown file
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Decide on one runbook instance: every step done, every approval its section names GO
        #[arg(long, value_name = "NAME")]
        instance: Option<String>,
        /// An earlier audit head (SEQ:HASH) that must still be in the chain; repeatable
        #[arg(long, value_name = "SEQ:HASH")]
        anchor: Vec<crate::store::event::Anchor>,
        /// Only the level-table rows that apply at this maturity level (`A`, `Level B`, `GA`)
        #[arg(long, value_name = "NAME")]
        level: Option<String>,
        #[command(flatten)]
        store: store::StoreArgs,
        #[command(flatten)]
        config: view::ConfigArgs,
    },
    /// Write the checklist's state and decision as Markdown, HTML, JSON or JUnit XML
    #[command(
        after_help = "Examples:\n  golive report launch.md --format html -o launch.html\n  golive report launch.md --format junit -o golive-junit.xml\n  golive report launch.md --format md -o -      # to stdout"
    )]
    Report {
        /// The checklist's Markdown file
        file: PathBuf,
        #[arg(long, value_enum)]
        format: gate::ReportFormat,
        /// Where to write it (`-` for stdout); never one of the report's inputs
        #[arg(long, short = 'o', value_name = "FILE")]
        out: PathBuf,
        /// The evidence pack from this date: every recurring item's periods and the runbook instances
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// The evidence pack up to this date (inclusive; default: now)
        #[arg(long, value_name = "DATE", requires = "since")]
        until: Option<String>,
        /// The evidence pack of one runbook instance: its timeline and approvals
        #[arg(long, value_name = "NAME")]
        instance: Option<String>,
        /// Sign the evidence pack with this secret key (`golive keys new`)
        #[arg(long, value_name = "KEYFILE")]
        sign: Option<PathBuf>,
        /// Count periods as of this time (default: now)
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// An earlier audit head (SEQ:HASH) that must still be in the chain; repeatable
        #[arg(long, value_name = "SEQ:HASH")]
        anchor: Vec<crate::store::event::Anchor>,
        /// Only the level-table rows that apply at this maturity level (`A`, `Level B`, `GA`)
        #[arg(long, value_name = "NAME")]
        level: Option<String>,
        #[command(flatten)]
        store: store::StoreArgs,
        #[command(flatten)]
        config: view::ConfigArgs,
    },
    /// Manage approval signing keys
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Inspect the audit trail: every tick, result, waiver and approval, hash-chained
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Manage the store: say whose a history kept by an earlier golive is
    Store {
        #[command(subcommand)]
        command: StoreCommand,
    },
    /// Print the JSON Schema of golive.toml (for editor completion and validation)
    Schema,
    /// Load-test a URL: latency percentiles, throughput and errors by kind
    #[command(
        long_about = "Load-test one URL for a bounded --duration, number of --requests or ramp of \
--stage steps. Closed model by default (--users, each with its own connection, sending its next \
request when the last is answered, after --think if given); with --rate, an open model where \
requests fall due on a fixed schedule and latency counts from when each was due, so a stalled \
server shows in the percentiles. Stages ramp users (30s:100) or a rate (30s:100/s) linearly from \
the previous target. Errors are counted by kind (status >= 400, connect, timeout, io); requests \
unanswered at the end are reported as in flight, not as errors. Journeys of several requests \
with captures, and the target's memory over a soak, are set in golive.toml (probe = \"load\").",
        after_help = "Examples:\n  golive load http://127.0.0.1:8080/ --duration 10s --users 50\n  golive load https://api.example.test/health -n 10000 --rate 500 --expect 'p99 < 300ms'\n  golive load https://api.example.test/ --stage 30s:100 --stage 2m:100 --stage 10s:1000\n  golive load http://127.0.0.1:8080/ -z 5s --format json | jq .latency_ms\n\nExit codes: 0 every condition held, 1 one failed, 2 usage or setup error. Without --expect the\nconditions are the load probe's defaults, requests > 0 and error_rate == 0%, so a test whose\nevery request failed exits 1. A closed pipe (| head) never changes the exit code."
    )]
    Load(load::Args),
    /// Run the monitors of golive.toml after go-live: levels, alerts, a status server
    #[command(
        long_about = "Run every monitor of golive.toml (checks with `every`, `cron`, `warn`, `crit` or \
`row`, and checks on post-go-live items) on its schedule. Each result is OK, WARN, CRIT or UNKNOWN \
from the check's `expect` and `crit` (CRIT) and `warn` (WARN) conditions, windowed ones included \
(`p95(latency, 10m) < 300ms`, `availability(1h) >= 99.9%`); a level changes after \
`failures_before_alert` / `successes_before_resolve` results in a row. Changes raise alerts to the \
`[[notifier]]`s (webhook, slack, email, pagerduty, alertmanager), repeated every `repeat` while \
open, with a resolution notice; `[[trigger]]`s (rollback criteria) raise a CRIT alert and may run \
a bounded `action`. Levels, incidents, silences and deliveries are in the store, so a restart \
neither repeats an alert nor forgets a resolution. Editing the checklist or golive.toml reloads \
them. One watch per checklist: a second one refuses to start.",
        after_help = "Examples:\n  golive watch launch.md\n  golive watch launch.md --listen 127.0.0.1:9109   # /, /api/status, /metrics\n  golive silence launch.md api --for 2h --reason \"planned maintenance CHG-7\"\n\nStops on Ctrl-C or SIGTERM (exit 0). Exit 2 for configuration errors or when another watch runs."
    )]
    Watch {
        /// The checklist's Markdown file
        file: PathBuf,
        /// The configuration (default: golive.toml beside FILE)
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
        /// Serve the status page, /api/status and /metrics on this address (port 0: any free port)
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<std::net::SocketAddr>,
        /// How many probes run at once
        #[arg(long, short = 'j', default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..))]
        jobs: u16,
        /// Stop after this long (e.g. 10m); default: until Ctrl-C or SIGTERM
        #[arg(long = "for", value_name = "DURATION", value_parser = watch::parse_for)]
        run_for: Option<std::time::Duration>,
        #[command(flatten)]
        store: store::StoreArgs,
    },
    /// Silence a monitor's alerts for a while (a maintenance window), recorded in the audit log
    #[command(
        after_help = "Example:\n  golive silence launch.md api --for 2h --reason \"database upgrade CHG-7\"\n\nMONITOR is a monitor's name, `trigger:NAME` for a trigger, or `*` for all. Changes are still \
recorded while silenced; an incident still open when the silence ends is sent then."
    )]
    Silence {
        /// The checklist's Markdown file
        file: PathBuf,
        /// The monitor's name (`*` for all)
        monitor: String,
        /// How long (e.g. 30m, 2h, 1d)
        #[arg(long = "for", value_name = "DURATION", value_parser = watch::parse_for)]
        duration: std::time::Duration,
        /// Why (goes in the audit log)
        #[arg(long)]
        reason: String,
        /// Who is silencing (default: git's user.name, else $USER)
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
        /// The configuration (default: golive.toml beside FILE)
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
        #[command(flatten)]
        store: store::StoreArgs,
    },
    /// What recurring items are due and overdue, per owner (exit 1 when one is overdue)
    #[command(
        long_about = "List every recurring item (under daily, weekly, monthly or quarterly \
headings, in English, French or German, or set in golive.toml's [recurring.sections]) with its \
current period, when it is due by, whether it is done, and when it was last done. An item is \
overdue once its time in the period has passed, or when the previous period ended without it. \
Done periods are recorded by `golive tick` and by passing checks, in the store, never in the file.",
        after_help = "Examples:\n  golive due ops.md\n  golive due ops.md --owner DevOps --format json\n  golive due ops.md --at 2026-12-01T09:30   # as of a given time\n\nExit codes: 0 nothing overdue, 1 something overdue (for cron and CI), 2 input or configuration error."
    )]
    Due {
        /// The checklist's Markdown file
        file: PathBuf,
        /// As of this time (default: now)
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Only items owned by this role
        #[arg(long, value_name = "ROLE")]
        owner: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: store::StoreArgs,
        #[command(flatten)]
        config: view::ConfigArgs,
    },
    /// Open an instance of a runbook section (an incident, a change) with its own state
    #[command(
        after_help = "Example:\n  golive start ops.md --section \"Checklist Incident\" --name INC-42\n  golive tick ops.md \"équipe mobilisée\" --instance INC-42\n  golive gate ops.md --instance INC-42"
    )]
    Start {
        /// The checklist's Markdown file
        file: PathBuf,
        /// The runbook section's heading
        #[arg(long)]
        section: String,
        /// The instance's name (a ticket id; any text)
        #[arg(long)]
        name: String,
        /// When it started (default: now)
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Who opens it (default: git's user.name, else $USER)
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
        #[command(flatten)]
        store: store::StoreArgs,
        #[command(flatten)]
        config: view::ConfigArgs,
    },
    /// List the runbook instances, open and closed
    Instances {
        /// The checklist's Markdown file
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: store::StoreArgs,
        #[command(flatten)]
        config: view::ConfigArgs,
    },
    /// Report problems in the checklist: duplicate titles, missing owners, empty sections, unreadable lines
    #[command(after_help = "Exits 1 when there is any finding, so it can gate a pull request.")]
    Lint {
        /// The checklist's Markdown file
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Disaster-recovery drills: backups and restores run alone, drills people time
    Drill(drill::Args),
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Write a new ed25519 key pair: PATH (secret, mode 0600) and PATH.pub
    #[command(
        long_about = "Write a new ed25519 key pair for signing approvals: PATH holds the secret \
key (mode 0600; missing folders are created, mode 0700) and PATH.pub the public key, to pin to \
a role in golive.toml. An existing key is never overwritten.",
        after_help = "Example:\n  golive keys new --out ~/.golive/ana.key\n  golive approve launch.md --role CTO --go --sign ~/.golive/ana.key"
    )]
    New {
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check that no event was edited, deleted, inserted or reordered (exit 1 if one was)
    ///
    /// Prints the head of the chain as SEQ:HASH. A chain alone cannot show that events were
    /// cut off its end; keep the head somewhere else (CI output, a commit, a ticket) and pass
    /// it back with --anchor: then removing or rewriting any event up to it is caught too.
    Verify {
        /// The checklist's Markdown file (its store is checked)
        file: PathBuf,
        /// An earlier head (SEQ:HASH) that must still be in the chain; repeatable
        #[arg(long, value_name = "SEQ:HASH")]
        anchor: Vec<crate::store::event::Anchor>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: store::StoreArgs,
    },
    /// Check the signature of an evidence pack written with `report --sign` (exit 1 if it fails)
    VerifyReport {
        /// The pack (Markdown, HTML, CSV or JSON)
        file: PathBuf,
        /// The public key it must be signed by (a .pub file)
        #[arg(long, value_name = "KEYFILE")]
        key: Option<PathBuf>,
    },
    /// List the checklist's events
    Log {
        /// The checklist's Markdown file
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Every checklist's events, not only this one's
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        store: store::StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
enum StoreCommand {
    /// Make the history an earlier golive kept under this file's name this checklist's
    ///
    /// golive keys a checklist by its path from the repository root (outside a repository,
    /// from the store's folder); earlier versions keyed it by file name alone, so two
    /// checklists of that name sharing a store shared one history. The default store beside
    /// the checklist adopts that history by itself; a shared store (`--store`, `GOLIVE_STORE`)
    /// cannot tell whose it was, and says so: adopt it, or --decline it, here. Recorded as an
    /// `adopt` event in the audit trail; a name is adopted once.
    Adopt {
        /// The checklist's Markdown file
        file: PathBuf,
        /// Say the history is not this checklist's (it is no longer mentioned)
        #[arg(long)]
        decline: bool,
        #[command(flatten)]
        store: store::StoreArgs,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// For people: aligned text, with progress bars on a terminal
    Table,
    /// For programs: one JSON document
    Json,
}

/// Runs golive with the process's arguments.
pub fn run() -> ExitCode {
    let parsed = conventions::command()
        .try_get_matches()
        .and_then(|matches| <Cli as clap::FromArgMatches>::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match dispatch(cli.command) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Err(error) => {
            eprintln!("golive: error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(command: Command) -> anyhow::Result<Outcome> {
    match command {
        Command::Demo(args) => demo::run(args),
        Command::Init(args) => init::run(args),
        Command::Suggest(args) => suggest::run(args),
        Command::Completions { shell } => conventions::completions(shell),
        Command::Man { out_dir } => conventions::man(out_dir.as_deref()),
        Command::Status {
            file,
            format,
            level: _,
            instance: Some(name),
            store,
            config,
        } => instance::show(
            &file,
            &name,
            format,
            &store,
            config.config.as_deref(),
            false,
        ),
        Command::Gate {
            file,
            format,
            instance: Some(name),
            store,
            config,
            ..
        } => instance::show(&file, &name, format, &store, config.config.as_deref(), true),
        Command::Report {
            file,
            format,
            out,
            since,
            until,
            instance,
            sign,
            at,
            store,
            config,
            ..
        } if since.is_some() || instance.is_some() || sign.is_some() => {
            let format = match format {
                gate::ReportFormat::Md => pack::PackFormat::Md,
                gate::ReportFormat::Html => pack::PackFormat::Html,
                gate::ReportFormat::Json => pack::PackFormat::Json,
                gate::ReportFormat::Csv => pack::PackFormat::Csv,
                gate::ReportFormat::Junit => {
                    anyhow::bail!(
                        "the evidence pack is written as md, html, json or csv, not junit"
                    )
                }
            };
            pack::report(pack::PackArgs {
                file: &file,
                since: since.as_deref().unwrap_or("1970-01-01"),
                until: until.as_deref(),
                at: at.as_deref(),
                instance: instance.as_deref(),
                format,
                out: &out,
                sign: sign.as_deref(),
                store: &store,
                config: config.config.as_deref(),
            })
        }
        Command::Due {
            file,
            at,
            owner,
            format,
            store,
            config,
        } => recurring::due(recurring::DueArgs {
            file: &file,
            at: at.as_deref(),
            owner: owner.as_deref(),
            format,
            store: &store,
            config: config.config.as_deref(),
        }),
        Command::Start {
            file,
            section,
            name,
            at,
            by,
            store,
            config,
        } => instance::start(instance::StartArgs {
            file: &file,
            section: &section,
            name: &name,
            at: at.as_deref(),
            by: by.as_deref(),
            store: &store,
            config: config.config.as_deref(),
        }),
        Command::Instances {
            file,
            format,
            store,
            config,
        } => instance::list(&file, format, &store, config.config.as_deref()),
        Command::Audit {
            command: AuditCommand::VerifyReport { file, key },
        } => pack::verify_report(&file, key.as_deref()),
        Command::Status {
            file,
            format,
            level,
            instance: None,
            store,
            config,
        } => {
            let sources = gate::Sources {
                store: &store,
                config: &config,
                anchors: &[],
                level: level.as_deref(),
            };
            status::run(&file, sources, format)
        }
        Command::Tick {
            file,
            item,
            undo,
            by,
            instance,
            at,
            store,
            config,
        } => tick::run(
            &file,
            &item,
            undo,
            by.as_deref(),
            &store,
            tick::Recurring {
                instance: instance.as_deref(),
                at: at.as_deref(),
                config: config.config.as_deref(),
            },
        ),
        Command::Waive {
            file,
            item,
            reason,
            by,
            role,
            until,
            store,
        } => people::waive(people::Waive {
            file,
            item,
            reason,
            by,
            role,
            until,
            store,
        }),
        Command::Na {
            file,
            item,
            reason,
            by,
            store,
        } => people::not_applicable(&file, &item, &reason, by.as_deref(), &store),
        Command::Approve {
            file,
            role,
            by,
            go,
            no_go: _,
            comment,
            sign,
            instance: Some(name),
            at,
            store,
            config,
            ..
        } => instance::approve(instance::ApproveArgs {
            file: &file,
            name: &name,
            role: &role,
            go,
            comment: comment.as_deref(),
            by: by.as_deref(),
            at: at.as_deref(),
            sign: sign.as_deref(),
            store: &store,
            config: config.config.as_deref(),
        }),
        Command::Approve {
            file,
            role,
            by,
            go,
            no_go: _,
            comment,
            sign,
            extra_role,
            instance: None,
            at: _,
            store,
            config,
        } => people::approve(people::Approve {
            file,
            role,
            by,
            go,
            comment,
            sign,
            extra_role,
            store,
            config,
        }),
        Command::Keys {
            command: KeysCommand::New { out },
        } => people::new_keys(&out),
        Command::Gate {
            file,
            format,
            anchor,
            level,
            store,
            config,
            instance: None,
        } => {
            let sources = gate::Sources {
                store: &store,
                config: &config,
                anchors: &anchor,
                level: level.as_deref(),
            };
            gate::gate(&file, sources, format)
        }
        Command::Report {
            file,
            format,
            out,
            anchor,
            level,
            store,
            config,
            ..
        } => {
            let sources = gate::Sources {
                store: &store,
                config: &config,
                anchors: &anchor,
                level: level.as_deref(),
            };
            gate::report(&file, sources, format, &out)
        }
        Command::Audit {
            command:
                AuditCommand::Verify {
                    file,
                    anchor,
                    format,
                    store,
                },
        } => audit::verify(&file, &anchor, &store, format),
        Command::Audit {
            command:
                AuditCommand::Log {
                    file,
                    format,
                    all,
                    store,
                },
        } => audit::log(&file, &store, format, all),
        Command::Store {
            command:
                StoreCommand::Adopt {
                    file,
                    decline,
                    store,
                },
        } => store::adopt(&file, decline, &store),
        Command::Lint { file, format } => lint::run(&file, format),
        Command::Drill(args) => drill::run(args),
        Command::Watch {
            file,
            config,
            listen,
            jobs,
            run_for,
            store,
        } => watch::run(watch::Options {
            file,
            config,
            listen,
            jobs: usize::from(jobs),
            duration: run_for,
            store,
        }),
        Command::Silence {
            file,
            monitor,
            duration,
            reason,
            by,
            config,
            store,
        } => watch::silence(watch::Silence {
            file,
            monitor,
            duration,
            reason,
            by,
            config,
            store,
        }),
        Command::Load(args) => load::run(args),
        Command::Check {
            file,
            config,
            jobs,
            format,
            dry_run,
            quiet,
            by,
            store,
        } => check::run(check::Options {
            file,
            config,
            jobs: usize::from(jobs),
            format,
            dry_run,
            quiet,
            by,
            store,
        }),
        Command::Schema => {
            print_json(&crate::engine::schema::schema())?;
            Ok(Outcome::Ok)
        }
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

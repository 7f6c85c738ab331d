//! The command line: arguments in, exit code out. All printing and file access for
//! commands lives here; the library modules stay pure.

mod check;
mod input;
mod lint;
mod status;
mod tick;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

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
    version,
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
    /// Show per-section progress, open blocking items, approvals and warnings
    #[command(after_help = "The JSON output's schema is documented in the README and kept stable.")]
    Status {
        /// The checklist's Markdown file
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
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
    },
    /// Print the JSON Schema of golive.toml (for editor completion and validation)
    Schema,
    /// Report problems in the checklist: duplicate titles, missing owners, empty sections, unreadable lines
    #[command(after_help = "Exits 1 when there is any finding, so it can gate a pull request.")]
    Lint {
        /// The checklist's Markdown file
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
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
    let cli = match Cli::try_parse() {
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
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("golive: error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(command: Command) -> anyhow::Result<Outcome> {
    match command {
        Command::Status { file, format } => status::run(&file, format),
        Command::Tick { file, item, undo } => tick::run(&file, &item, undo),
        Command::Lint { file, format } => lint::run(&file, format),
        Command::Check {
            file,
            config,
            jobs,
            format,
            dry_run,
            quiet,
        } => check::run(check::Options {
            file,
            config,
            jobs: usize::from(jobs),
            format,
            dry_run,
            quiet,
        }),
        Command::Schema => {
            print_json(&crate::engine::schema::schema())?;
            Ok(Outcome::Ok)
        }
    }
}

/// `golive status … | head` must end quietly, as other Unix tools do.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Writes one JSON document to stdout. Serialising first keeps write errors (a closed pipe)
/// plain `io::Error`s, and never leaves half a document behind on other errors.
fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut text = serde_json::to_vec_pretty(value)?;
    text.push(b'\n');
    let mut out = io::stdout().lock();
    out.write_all(&text)?;
    out.flush()?;
    Ok(())
}

fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

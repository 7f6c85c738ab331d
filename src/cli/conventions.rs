//! What a command-line tool is expected to ship: shell completions and man pages, both
//! generated from the same clap definitions as `--help`, so they never drift from it.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use clap::CommandFactory as _;

use super::{Cli, Outcome};

pub(super) fn completions(shell: clap_complete::Shell) -> anyhow::Result<Outcome> {
    let mut command = command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "golive", &mut script);
    let mut out = super::output::raw_stdout();
    out.write_all(&script)?;
    out.flush()?;
    Ok(Outcome::Ok)
}

pub(super) fn man(out_dir: Option<&Path>) -> anyhow::Result<Outcome> {
    let command = command();
    match out_dir {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command).render(&mut page)?;
            let mut out = super::output::raw_stdout();
            out.write_all(&page)?;
            out.flush()?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?;
            clap_mangen::generate_to(command, dir)
                .with_context(|| format!("cannot write man pages into `{}`", dir.display()))?;
            super::output::say!("man pages written to {}", dir.display())?;
        }
    }
    Ok(Outcome::Ok)
}

/// Examples for the commands whose definitions carry none, by command path.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "status",
        "golive status launch.md\n  golive status launch.md --format json | jq .summary",
    ),
    (
        "na",
        "golive na launch.md cdn --reason \"no CDN in front of this service\"",
    ),
    ("keys", "golive keys new --out ~/.golive/ana.key"),
    (
        "audit",
        "golive audit verify launch.md\n  golive audit log launch.md --format json",
    ),
    (
        "audit verify",
        "golive audit verify launch.md\n  golive audit verify launch.md --anchor 42:9f86d081…   # a head kept from an earlier run",
    ),
    (
        "audit log",
        "golive audit log launch.md\n  golive audit log launch.md --all --format json",
    ),
    (
        "schema",
        "golive schema > golive.schema.json   # point your editor's TOML schema setting at it",
    ),
    (
        "lint",
        "golive lint launch.md\n  golive lint launch.md --format json | jq '.findings | length'",
    ),
    (
        "due",
        "golive due ops.md\n  golive due ops.md --owner DBA --at 2026-11-30T09:00 --format json",
    ),
    (
        "instances",
        "golive instances ops.md\n  golive instances ops.md --format json",
    ),
    (
        "audit verify-report",
        "golive report ops.md --since 2026-11-01 --until 2026-12-01 --sign ana.key -o pack.html\n  golive audit verify-report pack.html --key ana.key.pub",
    ),
    (
        "store",
        "golive store adopt ops/launch.md --store /srv/golive/state.db",
    ),
    (
        "store adopt",
        "golive store adopt ops/launch.md --store /srv/golive/state.db\n  golive store adopt web/launch.md --decline",
    ),
    (
        "drill",
        "golive drill backup pra.md\n  golive drill restore pra.md --format json\n  golive drill start pra.md \"Team mobilisée\"",
    ),
    (
        "drill backup",
        "golive drill backup pra.md\n  golive drill backup pra.md nightly   # only the drill check named nightly",
    ),
    (
        "drill restore",
        "golive drill restore pra.md\n  golive drill restore pra.md --backup backups/test-20261202T101500Z.dump --format json",
    ),
    (
        "drill start",
        "golive drill start pra.md \"Team mobilisée\" --by ana\n  golive drill stop pra.md \"Team mobilisée\" --by ana",
    ),
    (
        "drill stop",
        "golive drill stop pra.md \"Team mobilisée\"\n  golive drill stop pra.md p1 --at 2026-12-02T10:07:00Z",
    ),
];

/// The README section that explains each command (a command not listed points at the table
/// of commands).
const SECTIONS: &[(&str, &str)] = &[
    ("demo", "Try it"),
    ("init", "Start from a template"),
    ("suggest", "Suggested checks"),
    ("completions", "Shell completions and man page"),
    ("man", "Shell completions and man page"),
    ("status", "`golive status --format json`"),
    ("check", "Checks: `golive.toml`"),
    ("load", "Load tests as checklists write them"),
    ("gate", "The gate: history, approvals and GO / NO-GO"),
    ("report", "The gate: history, approvals and GO / NO-GO"),
    ("waive", "The gate: history, approvals and GO / NO-GO"),
    ("na", "The gate: history, approvals and GO / NO-GO"),
    ("approve", "Signing keys, and keys pinned to roles"),
    ("keys", "Signing keys, and keys pinned to roles"),
    ("watch", "After go-live: `golive watch`"),
    ("silence", "After go-live: `golive watch`"),
    ("tick", "How a checklist is read"),
    ("store", "One checklist, one history"),
    ("lint", "How a checklist is read"),
    ("schema", "Checks: `golive.toml`"),
    (
        "due",
        "Recurring procedures, runbooks and the evidence pack",
    ),
    (
        "start",
        "Recurring procedures, runbooks and the evidence pack",
    ),
    (
        "instances",
        "Recurring procedures, runbooks and the evidence pack",
    ),
    ("drill", "Drills: backups and restores on PostgreSQL"),
];

/// golive's command definition as `--help`, completions and man pages show it: every
/// command ends with examples and the README section that explains it.
pub(super) fn command() -> clap::Command {
    decorate(Cli::command(), "")
}

fn decorate(mut command: clap::Command, path: &str) -> clap::Command {
    let names: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    for name in names {
        let sub_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path} {name}")
        };
        command = command.mut_subcommand(&name, |sub| {
            let sub = decorate(sub, &sub_path);
            let mut help = sub
                .get_after_help()
                .map(ToString::to_string)
                .unwrap_or_default();
            if let Some((_, examples)) = EXAMPLES.iter().find(|(p, _)| *p == sub_path) {
                let examples = format!("Examples:\n  {examples}");
                help = if help.is_empty() {
                    examples
                } else {
                    format!("{examples}\n\n{help}")
                };
            }
            if !help.contains("See the README, section") {
                let top = sub_path.split(' ').next().unwrap_or_default();
                let section = SECTIONS
                    .iter()
                    .find(|(name, _)| *name == top)
                    .map_or("Commands", |(_, section)| section);
                if !help.is_empty() {
                    help.push_str("\n\n");
                }
                help.push_str(&format!("See the README, section \"{section}\"."));
            }
            sub.after_help(help)
        });
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every(command: &clap::Command, path: String, out: &mut Vec<(String, clap::Command)>) {
        for sub in command.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let sub_path = format!("{path} {}", sub.get_name()).trim().to_owned();
            out.push((sub_path.clone(), sub.clone()));
            every(sub, sub_path, out);
        }
    }

    /// A `--help` that points at a README section the README does not have sends people
    /// nowhere: every section named here is a heading of the README.
    #[test]
    fn every_section_named_is_a_readme_heading() {
        let readme = include_str!("../../README.md");
        let headings: Vec<&str> = readme
            .lines()
            .filter(|line| line.starts_with('#'))
            .map(|line| line.trim_start_matches('#').trim())
            .collect();
        // Commands not listed point at the table of commands.
        let named = SECTIONS.iter().map(|(_, section)| *section);
        for section in named.chain(["Commands"]) {
            assert!(
                headings.contains(&section),
                "a `--help` points at README section \"{section}\", which the README lacks"
            );
        }
    }

    #[test]
    fn every_command_has_an_example_and_a_readme_section() {
        let mut commands = Vec::new();
        every(&command(), String::new(), &mut commands);
        assert!(commands.len() > 15);
        for (path, mut sub) in commands {
            let help = sub.render_long_help().to_string();
            assert!(
                help.contains("Example"),
                "`golive {path} --help` shows no example"
            );
            assert!(
                help.contains("See the README, section"),
                "`golive {path} --help` points at no README section"
            );
        }
    }
}

//! `command`: runs a shell command and observes its exit code, output and duration.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt};

use super::Outcome;
use super::keys::{KeyDoc, KeyKind, ProbeDoc};
use crate::checklist::toml::Fields;
use crate::diagnostic::Diagnostic;
use crate::expr::Value;

/// Output kept per stream; the rest is read and dropped so the command never blocks on a
/// full pipe.
pub const OUTPUT_CAP: usize = 64 * 1024;

/// Standard output read with `format = "json"`: a whole document must be parsed, and audit
/// reports of large dependency trees (`npm audit --json`) run to megabytes.
pub const JSON_CAP: usize = 16 * 1024 * 1024;

const FORMATS: &[&str] = &["text", "json"];

pub const DOC: ProbeDoc = ProbeDoc {
    name: "command",
    summary: "runs a command with `sh -c`; on timeout its whole process group is killed",
    keys: &[
        KeyDoc {
            name: "run",
            kind: KeyKind::String,
            required: true,
            doc: "the command line, run with `sh -c`",
        },
        KeyDoc {
            name: "cwd",
            kind: KeyKind::String,
            required: false,
            doc: "working directory (default: the checklist's directory)",
        },
        KeyDoc {
            name: "env",
            kind: KeyKind::StringTable,
            required: false,
            doc: "extra environment variables",
        },
        KeyDoc {
            name: "format",
            kind: KeyKind::Choice(FORMATS),
            required: false,
            doc: "\"text\" (default) or \"json\": standard output (up to 16 MiB) parsed as JSON into `json.PATH` metrics",
        },
    ],
    metrics: &[
        ("exit_code", "exit status; 128 + N when killed by signal N"),
        (
            "stdout",
            "standard output (first 64 KiB, trailing whitespace trimmed)",
        ),
        (
            "stderr",
            "standard error (first 64 KiB, trailing whitespace trimmed)",
        ),
        ("duration", "wall time from start to exit"),
        (
            "json.PATH",
            "with `format = \"json\"`: a value in the output, e.g. `json.metadata.vulnerabilities.critical`, `json.list[0].id`, `json.list.count`, `json.deps[*].vulns.count`",
        ),
    ],
    default_expect: &["exit_code == 0"],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    pub run: String,
    pub cwd: Option<String>,
    pub env: Vec<(String, String)>,
    /// Parse standard output as JSON (`format = "json"`).
    pub json: bool,
}

impl CommandSpec {
    pub fn from_fields(fields: &mut Fields) -> Result<Self, Vec<Diagnostic>> {
        // Take every key first, so one bad key does not make the others look unknown.
        let run = fields.required_string("run", "\"./status.sh\"");
        let cwd = fields.string("cwd");
        let env = fields.string_table("env");
        let format = fields.string("format");
        let mut errors = Vec::new();
        let json = match format {
            Ok(Some(format)) if format.value == "json" => true,
            Ok(Some(format)) if format.value != "text" => {
                errors.push(
                    Diagnostic::new(format.span, format!("unknown format `{}`", format.value))
                        .with_hint("use \"text\" or \"json\""),
                );
                false
            }
            Ok(_) => false,
            Err(diagnostic) => {
                errors.push(diagnostic);
                false
            }
        };
        let run = run.map_err(|d| errors.push(d)).ok();
        let cwd = cwd
            .map_err(|d| errors.push(d))
            .ok()
            .flatten()
            .map(|cwd| cwd.value);
        let env: Vec<(String, String)> = env
            .map_err(|d| errors.push(d))
            .ok()
            .unwrap_or_default()
            .into_iter()
            .map(|(name, value)| (name.value, value.value))
            .collect();
        if let Some(run) = &run
            && run.value.trim().is_empty()
        {
            errors.push(
                Diagnostic::new(run.span.clone(), "`run` is empty")
                    .with_hint("give the command line to run"),
            );
        }
        match run {
            Some(run) if errors.is_empty() => Ok(CommandSpec {
                run: run.value,
                cwd,
                env,
                json,
            }),
            _ => Err(errors),
        }
    }

    pub(super) fn anchor(&mut self, base: &std::path::Path) {
        self.cwd = Some(match self.cwd.take() {
            Some(cwd) => base.join(cwd).display().to_string(),
            None => base.display().to_string(),
        });
    }

    pub fn target(&self) -> String {
        self.run.clone()
    }

    pub async fn run(&self, timeout: Duration) -> Outcome {
        let mut command = tokio::process::Command::new("sh");
        command
            .arg("-c")
            .arg(&self.run)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so a timeout can kill everything it started.
            .process_group(0)
            .kill_on_drop(true);
        if let Some(cwd) = &self.cwd {
            command.current_dir(cwd);
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        let started = Instant::now();
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(error) => return Outcome::with_problem(format!("cannot start `sh -c`: {error}")),
        };
        let group = child
            .id()
            .and_then(|pid| i32::try_from(pid).ok())
            .map(Pid::from_raw);
        let stdout_cap = if self.json { JSON_CAP } else { OUTPUT_CAP };
        let mut stdout = Capture::start(child.stdout.take(), stdout_cap);
        let mut stderr = Capture::start(child.stderr.take(), OUTPUT_CAP);
        let deadline = started + timeout;
        let mut outcome = Outcome::default();
        match tokio::time::timeout_at(deadline.into(), child.wait()).await {
            Ok(Ok(status)) => {
                let code = status.code().or_else(|| {
                    use std::os::unix::process::ExitStatusExt;
                    status.signal().map(|signal| 128 + signal)
                });
                if let Some(code) = code {
                    outcome.observe("exit_code", Value::Number(f64::from(code)));
                }
                outcome.observe("duration", Value::Duration(started.elapsed()));
            }
            Ok(Err(error)) => {
                outcome.problem = Some(format!("cannot wait for the command: {error}"))
            }
            Err(_) => {
                kill_group(group);
                let _ = child.wait().await;
                outcome.observe("duration", Value::Duration(started.elapsed()));
                outcome.problem = Some(format!(
                    "timed out after {}; its process group was killed",
                    Value::Duration(timeout)
                ));
            }
        }
        // Background processes it left behind may hold the pipes open: give them until the
        // deadline, then kill the group and keep what was read.
        let grace = deadline.max(Instant::now() + Duration::from_millis(100));
        let (stdout_closed, stderr_closed) =
            tokio::join!(stdout.finish(grace), stderr.finish(grace));
        if !(stdout_closed && stderr_closed) {
            kill_group(group);
        }
        let out = stdout.bytes();
        if self.json {
            parse_json(&out, stdout_closed, &mut outcome);
        }
        let shown = &out[..out.len().min(OUTPUT_CAP)];
        outcome.observe("stdout", Value::Text(text(shown)));
        outcome.observe("stderr", Value::Text(text(&stderr.bytes())));
        outcome
    }
}

/// Stores standard output as the `json` document, or says why it is not one. A broken document
/// is a problem, not an error: the conditions on `json.…` then fail with that reason.
fn parse_json(out: &[u8], complete: bool, outcome: &mut Outcome) {
    if out.len() >= JSON_CAP {
        outcome.problem.get_or_insert_with(|| {
            format!(
                "standard output exceeds {} MiB, too large to parse as JSON",
                JSON_CAP >> 20
            )
        });
        return;
    }
    match serde_json::from_slice::<serde_json::Value>(out) {
        Ok(json) => outcome.observe("json", Value::Json(json)),
        Err(error) => {
            let cut = if complete {
                ""
            } else {
                " (cut short when the command was killed)"
            };
            outcome.problem.get_or_insert_with(|| {
                if out.iter().all(u8::is_ascii_whitespace) {
                    format!("`format = \"json\"`, but standard output is empty{cut}")
                } else {
                    format!("standard output is not JSON{cut}: {error}")
                }
            });
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim_end().to_string()
}

fn kill_group(group: Option<Pid>) {
    if let Some(group) = group {
        // The group may already be gone; nothing to do then.
        let _ = killpg(group, Signal::SIGKILL);
    }
}

/// One output stream, read in the background into a capped buffer.
struct Capture {
    buffer: Arc<Mutex<Vec<u8>>>,
    reader: Option<tokio::task::JoinHandle<()>>,
}

impl Capture {
    fn start(stream: Option<impl AsyncRead + Unpin + Send + 'static>, cap: usize) -> Capture {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let reader = stream.map(|mut stream| {
            let buffer = Arc::clone(&buffer);
            tokio::spawn(async move {
                let mut chunk = [0u8; 8192];
                while let Ok(read) = stream.read(&mut chunk).await {
                    if read == 0 {
                        break;
                    }
                    if let Ok(mut kept) = buffer.lock() {
                        let room = cap.saturating_sub(kept.len());
                        kept.extend_from_slice(&chunk[..read.min(room)]);
                    }
                }
            })
        });
        Capture { buffer, reader }
    }

    /// Waits for the stream to close until `deadline`; false if it had to be abandoned.
    async fn finish(&mut self, deadline: Instant) -> bool {
        let Some(reader) = &mut self.reader else {
            return true;
        };
        if tokio::time::timeout_at(deadline.into(), &mut *reader)
            .await
            .is_ok()
        {
            return true;
        }
        reader.abort();
        false
    }

    fn bytes(&self) -> Vec<u8> {
        self.buffer
            .lock()
            .map(|kept| kept.clone())
            .unwrap_or_default()
    }
}

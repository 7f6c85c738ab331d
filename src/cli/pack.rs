//! `golive report FILE --since … --until …`: the auditor's evidence pack, optionally signed
//! (`--sign KEY`), and `golive audit verify-report`, which checks a signed copy.
//!
//! Markdown, HTML and CSV carry their signature on a last line of their own (a comment in
//! each format) covering every byte before it; JSON carries it as a top-level `signature`
//! over the canonical JSON of the rest.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use super::recurring::{configure, history, instant};
use super::store::StoreArgs;
use super::{Outcome, input, say};
use crate::checklist::recurrence::parse_instant;
use crate::report::recurring::{PackRequest, pack};
use crate::store::event::canonical_json;
use crate::store::recurring::Recurring;
use crate::store::sign;

const MARK: &str = "golive-signature v1 ed25519 ";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum PackFormat {
    Md,
    Html,
    Json,
    Csv,
}

pub(super) struct PackArgs<'a> {
    pub(super) file: &'a Path,
    pub(super) since: &'a str,
    pub(super) until: Option<&'a str>,
    pub(super) at: Option<&'a str>,
    pub(super) instance: Option<&'a str>,
    pub(super) format: PackFormat,
    pub(super) out: &'a Path,
    pub(super) sign: Option<&'a Path>,
    pub(super) store: &'a StoreArgs,
    pub(super) config: Option<&'a Path>,
}

pub(super) fn report(args: PackArgs<'_>) -> anyhow::Result<Outcome> {
    let mut loaded = input::load(args.file)?;
    let settings = configure(args.file, args.config, &mut loaded.checklist)?;
    let now = instant(args.at, settings.tz)?;
    let date = |text: &str, end: bool| -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
        let at = parse_instant(text, settings.tz)
            .with_context(|| format!("`{text}` is not a date: write 2026-11-01 or RFC 3339"))?;
        // A bare date as --until means through the end of that day.
        let bare = text.trim().len() == 10;
        Ok(if end && bare {
            at + chrono::Duration::days(1)
        } else {
            at
        })
    };
    let since = date(args.since, false)?;
    let until = match args.until {
        Some(text) => date(text, true)?,
        None => now,
    };
    if until <= since {
        bail!("--until ({}) must come after --since ({})", until, since);
    }
    let key = args.sign.map(sign::read_key).transpose()?;
    let to_stdout = args.out == Path::new("-");
    if !to_stdout {
        let config = super::view::config_path(args.file, args.config);
        let mut inputs: Vec<(PathBuf, &'static str)> = vec![
            (args.file.to_path_buf(), "the checklist"),
            (config, "its configuration"),
        ];
        if let Some(key) = args.sign {
            inputs.push((key.to_path_buf(), "the signing key"));
        }
        if args.store.store.is_none()
            && let crate::store::Location::Sqlite(path) = crate::store::Location::beside(args.file)
        {
            inputs.push((path, "the store's database"));
        }
        super::view::refuse_inputs(args.out, &inputs)?;
    }
    let pins = super::view::pins(
        &super::view::config_path(args.file, args.config),
        &loaded.checklist,
    )?;
    let (checklist_key, events, audit) = history(args.file, args.store)?;
    let recurring = Recurring::from_events(&checklist_key, &events);
    let request = PackRequest {
        pins: &pins,
        key: &checklist_key.key,
        since,
        until,
        now,
        tz: settings.tz,
        instance: args.instance,
    };
    if let Some(name) = args.instance
        && !recurring.instances.contains_key(name)
    {
        bail!("`{}`: no instance `{name}`", args.file.display());
    }
    let pack = pack(&loaded.checklist, &recurring, &audit, &request);
    let mut text = match args.format {
        PackFormat::Md => crate::report::pack::markdown(&pack),
        PackFormat::Html => crate::report::pack::html(&pack),
        PackFormat::Csv => crate::report::pack::csv(&pack),
        PackFormat::Json => {
            // The pack is written straight from its types; only a signed pack is also turned
            // into a JSON value, for the canonical form its signature covers (a year of
            // periods as a value tree costs more than writing them).
            let signature = match &key {
                Some(key) => Some(sign::sign(
                    key,
                    &canonical_json(&serde_json::to_value(&pack)?),
                )),
                None => None,
            };
            #[derive(serde::Serialize)]
            struct Signed<'a, P, S> {
                #[serde(flatten)]
                pack: &'a P,
                #[serde(skip_serializing_if = "Option::is_none")]
                signature: Option<S>,
            }
            let mut json = serde_json::to_string_pretty(&Signed {
                pack: &pack,
                signature,
            })?;
            json.push('\n');
            json
        }
    };
    if let Some(key) = &key
        && args.format != PackFormat::Json
    {
        let signature = sign::sign(key, &text);
        let line = format!("{MARK}{} {}", signature.public_key, signature.signature);
        text.push_str(&match args.format {
            PackFormat::Csv => format!("# {line}\n"),
            _ => format!("<!-- {line} -->\n"),
        });
    }
    if to_stdout {
        super::output::raw_stdout().write_all(text.as_bytes())?;
    } else {
        if args.out.exists() {
            input::write_atomically(args.out, text.as_bytes())?;
        } else {
            std::fs::write(args.out, text.as_bytes())
                .with_context(|| format!("cannot write `{}`", args.out.display()))?;
        }
        eprintln!(
            "wrote {} ({} periods: {} missed, {} late)",
            args.out.display(),
            pack.totals.periods,
            pack.totals.missed,
            pack.totals.late
        );
    }
    Ok(Outcome::Ok)
}

/// What a signed pack says about itself: the key that signed it, if the signature holds.
fn check(bytes: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_string())?;
    if text.trim_start().starts_with('{') {
        let mut value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        let object = value.as_object_mut().ok_or("not a JSON object")?;
        let signature = object
            .remove("signature")
            .ok_or("it carries no signature (was it written with --sign?)")?;
        let public = signature
            .get("public_key")
            .and_then(|v| v.as_str())
            .ok_or("its signature has no public_key")?;
        let sig = signature
            .get("signature")
            .and_then(|v| v.as_str())
            .ok_or("its signature has no signature")?;
        let message = canonical_json(&serde_json::Value::Object(object.clone()));
        return if sign::verify_message(public, sig, message.as_bytes()) {
            Ok(public.to_string())
        } else {
            Err("the signature does not match the contents: the pack was changed after it was signed".to_string())
        };
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    let cut = body.rfind('\n').map_or(0, |i| i + 1);
    let (signed, last) = text.split_at(cut);
    let inner = last
        .trim()
        .trim_start_matches("<!--")
        .trim_start_matches('#')
        .trim_end_matches("-->")
        .trim();
    let rest = inner
        .strip_prefix(MARK.trim_end())
        .ok_or("its last line carries no golive signature (was it written with --sign?)")?;
    let mut parts = rest.split_whitespace();
    let (Some(public), Some(sig), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err("its signature line is malformed".to_string());
    };
    if sign::verify_message(public, sig, signed.as_bytes()) {
        Ok(public.to_string())
    } else {
        Err(
            "the signature does not match the contents: the pack was changed after it was signed"
                .to_string(),
        )
    }
}

pub(super) fn verify_report(file: &Path, key: Option<&Path>) -> anyhow::Result<Outcome> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read `{}`", file.display()))?;
    let expected = key.map(sign::read_public_key).transpose()?;
    match check(&bytes) {
        Ok(public) => {
            let signer =
                sign::PublicKey::from_hex(&public).map_or(public.clone(), |k| k.to_string());
            if let Some(expected) = expected
                && expected.to_string() != signer
            {
                say!(
                    "{}: signature valid, but by {signer}, not by the expected {expected}",
                    file.display()
                )?;
                return Ok(Outcome::Findings);
            }
            say!("{}: signature valid, signed by {signer}", file.display())?;
            Ok(Outcome::Ok)
        }
        Err(problem) => {
            say!("{}: NOT VERIFIED: {problem}", file.display())?;
            Ok(Outcome::Findings)
        }
    }
}

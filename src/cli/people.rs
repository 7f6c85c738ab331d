//! What people record: waivers, n/a marks, approvals, and the keys that sign approvals.

use std::path::{Path, PathBuf};

use anyhow::bail;

use super::store::{Opened, StoreArgs, actor, today};
use super::view::{self, ConfigArgs};
use super::{Outcome, input, say};
use crate::checklist::Checklist;
use crate::checklist::tick::find_item;
use crate::decision::{Pins, role_key, short_key, suggest_role};
use crate::store::event::{Kind, NewEvent, now};
use crate::store::sign::{self, SigningKey};
use crate::store::state::ApprovalRecord;

pub(super) struct Waive {
    pub(super) file: PathBuf,
    pub(super) item: String,
    pub(super) reason: String,
    pub(super) by: Option<String>,
    pub(super) role: String,
    pub(super) until: Option<String>,
    pub(super) store: StoreArgs,
}

pub(super) fn waive(args: Waive) -> anyhow::Result<Outcome> {
    let shown = args.file.display();
    let loaded = input::load(&args.file)?;
    let item = find_item(&loaded.checklist, &args.item)
        .map_err(|error| anyhow::anyhow!("`{shown}`: {error}"))?;
    let reason = required_text(&args.reason, "--reason", "why the risk is accepted")?;
    let role = required_text(
        &args.role,
        "--role",
        "the approver role accepting the risk, e.g. \"CTO\"",
    )?;
    if let Some(until) = &args.until {
        let Ok(date) = chrono::NaiveDate::parse_from_str(until, "%Y-%m-%d") else {
            bail!("`--until {until}` is not a date; write it as YYYY-MM-DD, e.g. 2026-12-31");
        };
        if date.format("%Y-%m-%d").to_string() < today() {
            bail!("`--until {until}` is in the past: the waiver would never count");
        }
    }
    record(
        &args.file,
        &args.store,
        args.by.as_deref(),
        &loaded,
        |key, who| NewEvent {
            checklist: key.to_string(),
            kind: Kind::Waive,
            item: Some(item.id.clone()),
            actor: who.to_string(),
            payload: serde_json::json!({ "reason": reason, "role": role, "until": args.until }),
        },
    )?;
    let until = args
        .until
        .as_deref()
        .map(|until| format!(" until {until}"))
        .unwrap_or_default();
    say!(
        "{shown}:{}: waived `{}` ({}) for {role}{until}: {reason}",
        item.line,
        item.title,
        item.id
    )?;
    Ok(Outcome::Ok)
}

pub(super) fn not_applicable(
    file: &Path,
    query: &str,
    reason: &str,
    by: Option<&str>,
    store: &StoreArgs,
) -> anyhow::Result<Outcome> {
    let shown = file.display();
    let loaded = input::load(file)?;
    let item = find_item(&loaded.checklist, query)
        .map_err(|error| anyhow::anyhow!("`{shown}`: {error}"))?;
    if !item.conditional {
        bail!(
            "`{shown}:{}`: `{}` is not conditional, so it cannot be n/a; mark it \"(if applicable)\" in the checklist, or waive it with `golive waive`",
            item.line,
            item.title
        );
    }
    let reason = required_text(reason, "--reason", "why the item does not apply")?;
    record(file, store, by, &loaded, |key, who| NewEvent {
        checklist: key.to_string(),
        kind: Kind::Na,
        item: Some(item.id.clone()),
        actor: who.to_string(),
        payload: serde_json::json!({ "reason": reason }),
    })?;
    say!(
        "{shown}:{}: `{}` ({}) marked n/a: {reason}",
        item.line,
        item.title,
        item.id
    )?;
    Ok(Outcome::Ok)
}

pub(super) struct Approve {
    pub(super) file: PathBuf,
    pub(super) role: String,
    pub(super) by: Option<String>,
    pub(super) go: bool,
    pub(super) comment: Option<String>,
    pub(super) sign: Option<PathBuf>,
    /// Record a role the checklist does not list.
    pub(super) extra_role: bool,
    pub(super) store: StoreArgs,
    pub(super) config: ConfigArgs,
}

pub(super) fn approve(args: Approve) -> anyhow::Result<Outcome> {
    let shown = args.file.display();
    let loaded = input::load(&args.file)?;
    let typed = required_text(
        &args.role,
        "--role",
        "the role approving, e.g. \"Security Lead\"",
    )?;
    // Recorded under the checklist's own spelling of the role, so reports line up.
    let listed = matching_role(&loaded.checklist, &typed);
    let role = match listed {
        Some(role) => role.to_string(),
        None if args.extra_role => typed,
        None => bail!(
            "{}",
            unknown_role(&shown.to_string(), &loaded.checklist, &typed)
        ),
    };
    let key = args.sign.as_deref().map(sign::read_key).transpose()?;
    let config = view::config_path(&args.file, args.config.config.as_deref());
    // Pins may name the roles runbook instances need, which `[recurring]` can add.
    let mut configured = loaded.checklist.clone();
    super::recurring::configure(&args.file, args.config.config.as_deref(), &mut configured)?;
    let pins = view::pins(&config, &configured)?;
    refuse_uncounted(
        &pins,
        &config,
        &role,
        args.go,
        key.as_ref(),
        args.sign.as_deref(),
    )?;
    let signed_at = now();
    let decision = if args.go { "GO" } else { "NO-GO" };
    let comment = args.comment.clone().filter(|c| !c.trim().is_empty());
    record(
        &args.file,
        &args.store,
        args.by.as_deref(),
        &loaded,
        |checklist, who| {
            let signature = key.as_ref().map(|key| {
                let message = ApprovalRecord::signed_message(
                    checklist,
                    &role,
                    who,
                    args.go,
                    comment.as_deref(),
                    &signed_at,
                );
                sign::sign(key, &message)
            });
            NewEvent {
                checklist: checklist.to_string(),
                kind: Kind::Approve,
                item: None,
                actor: who.to_string(),
                payload: serde_json::json!({
                    "role": role,
                    "decision": if args.go { "go" } else { "no-go" },
                    "comment": comment,
                    "signed_at": signed_at,
                    "signature": signature,
                }),
            }
        },
    )?;
    let signed = if key.is_some() { ", signed" } else { "" };
    say!("{shown}: {role}: {decision} recorded{signed}")?;
    if listed.is_none() {
        say!(
            "note: `{role}` is not one of this checklist's sign-offs ({}); it is recorded but does not count toward the gate",
            roles_listed(&loaded.checklist)
        )?;
    }
    Ok(Outcome::Ok)
}

/// Refuses an approval the gate would not count for a pinned role: an unsigned GO, or one
/// signed by a key not pinned for it. Shared by go-live and instance approvals.
pub(super) fn refuse_uncounted(
    pins: &Pins,
    config: &Path,
    role: &str,
    go: bool,
    key: Option<&SigningKey>,
    key_file: Option<&Path>,
) -> anyhow::Result<()> {
    let Some(pinned) = pins.keys_for(role) else {
        return Ok(());
    };
    let config = config.display();
    match key {
        None if go => bail!(
            "`{role}`'s keys are pinned in `{config}`: an unsigned GO would not count; sign it with `--sign KEYFILE` (the secret half of a pinned key)"
        ),
        Some(key) if !pinned.contains(&sign::public_key(key)) => bail!(
            "the key `{}` ({}) is not pinned for `{role}` in `{config}`, so the gate would not count this approval; sign with a pinned key, or pin its public half there",
            key_file.unwrap_or(Path::new("")).display(),
            short_key(&sign::public_key(key))
        ),
        _ => Ok(()),
    }
}

/// The checklist's role that `typed` names, compared as the gate compares roles.
fn matching_role<'a>(checklist: &'a Checklist, typed: &str) -> Option<&'a str> {
    let wanted = role_key(typed);
    checklist
        .approvals
        .iter()
        .find(|approval| role_key(&approval.role) == wanted)
        .map(|approval| approval.role.as_str())
}

fn roles_listed(checklist: &Checklist) -> String {
    let mut roles: Vec<&str> = Vec::new();
    for approval in &checklist.approvals {
        if !roles
            .iter()
            .any(|role| role_key(role) == role_key(&approval.role))
        {
            roles.push(&approval.role);
        }
    }
    if roles.is_empty() {
        "none".to_string()
    } else {
        roles.join(", ")
    }
}

fn unknown_role(file: &str, checklist: &Checklist, typed: &str) -> String {
    let roles: Vec<&str> = checklist
        .approvals
        .iter()
        .map(|a| a.role.as_str())
        .collect();
    let suggestion = suggest_role(typed, roles.iter().copied())
        .map(|role| format!("; did you mean `{role}`?"))
        .unwrap_or_default();
    format!(
        "`{typed}` is not a role of `{file}`'s sign-offs ({}){suggestion} (`--extra-role` records a role the file does not list; it never counts toward the gate)",
        roles_listed(checklist)
    )
}

pub(super) fn new_keys(out: &Path) -> anyhow::Result<Outcome> {
    let public = sign::new_key_pair(out)?;
    let out = out.display();
    say!(
        "wrote {out} (secret key, mode 0600: keep it private) and {out}.pub (public key {public})"
    )?;
    say!("  sign approvals with `golive approve FILE --role ROLE --go --sign {out}`")?;
    say!("  pin it to a role in golive.toml: [roles.\"ROLE\"] keys = [\"{out}.pub\"]")?;
    Ok(Outcome::Ok)
}

fn required_text(value: &str, flag: &str, what: &str) -> anyhow::Result<String> {
    let value = value.trim();
    if value.is_empty() {
        bail!("`{flag}` is empty; give {what}");
    }
    Ok(value.to_string())
}

/// Appends one event (after an import event when the file changed), built with the
/// checklist's key and the actor.
fn record(
    file: &Path,
    store: &StoreArgs,
    by: Option<&str>,
    loaded: &input::Loaded,
    event: impl FnOnce(&str, &str) -> NewEvent,
) -> anyhow::Result<()> {
    let opened = Opened::open(file, store)?;
    let who = actor(by, file);
    let mut events: Vec<NewEvent> = opened
        .import_if_changed(&loaded.bytes, loaded.checklist.items.len(), &who)?
        .into_iter()
        .collect();
    events.push(event(&opened.key, &who));
    opened.append(events)?;
    Ok(())
}

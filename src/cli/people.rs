//! What people record: waivers, n/a marks, approvals, and the keys that sign approvals.

use std::path::{Path, PathBuf};

use anyhow::bail;

use super::store::{Opened, StoreArgs, actor, today};
use super::{Outcome, input, say};
use crate::checklist::tick::find_item;
use crate::store::event::{Kind, NewEvent, now};
use crate::store::sign;
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
    pub(super) store: StoreArgs,
}

pub(super) fn approve(args: Approve) -> anyhow::Result<Outcome> {
    let shown = args.file.display();
    let loaded = input::load(&args.file)?;
    let role = required_text(
        &args.role,
        "--role",
        "the role approving, e.g. \"Security Lead\"",
    )?;
    let required = loaded
        .checklist
        .approvals
        .iter()
        .find(|a| a.role.eq_ignore_ascii_case(&role));
    // Record under the checklist's own spelling of the role, so reports line up.
    let role = required.map_or(role, |approval| approval.role.clone());
    let key = args.sign.as_deref().map(sign::read_key).transpose()?;
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
    if required.is_none() {
        let roles: Vec<&str> = loaded
            .checklist
            .approvals
            .iter()
            .map(|a| a.role.as_str())
            .collect();
        let known = if roles.is_empty() {
            "none".to_string()
        } else {
            roles.join(", ")
        };
        say!(
            "note: `{role}` is not one of this checklist's required approvals ({known}); it is recorded but does not count toward the gate"
        )?;
    }
    Ok(Outcome::Ok)
}

pub(super) fn new_keys(out: &Path) -> anyhow::Result<Outcome> {
    let public = sign::new_key_pair(out)?;
    say!(
        "wrote {} (secret, mode 0600) and {}.pub",
        out.display(),
        out.display()
    )?;
    say!("public key: {public}")?;
    say!(
        "sign approvals with: golive approve FILE --role ROLE --go --sign {}",
        out.display()
    )?;
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

//! Roles as people type them, and the keys `golive.toml` pins to them.

use crate::checklist::Checklist;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::store::sign::{PinnedRole, PublicKey};

/// How roles compare everywhere (approve, the gate, pins): accents folded, case ignored,
/// runs of spaces as one, so `  SECURITE ` is `Sécurité`.
pub fn role_key(role: &str) -> String {
    deunicode::deunicode(role)
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The role of `roles` someone who typed `wanted` most likely meant: one that contains what
/// they typed (`chef` → `Chef de projet`), else the closest spelling.
pub fn suggest_role<'a>(wanted: &str, roles: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = role_key(wanted);
    let roles: Vec<(String, &str)> = roles
        .into_iter()
        .map(|role| (role_key(role), role))
        .collect();
    if !wanted.is_empty()
        && let Some((_, role)) = roles.iter().find(|(key, _)| key.contains(&wanted))
    {
        return Some(role);
    }
    let best = did_you_mean(&wanted, roles.iter().map(|(key, _)| key.as_str()))?;
    roles
        .iter()
        .find(|(key, _)| key == best)
        .map(|(_, role)| *role)
}

/// The keys pinned to each role, checked against the checklist's roles.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pins {
    /// `(role_key, pinned)`: a handful of roles, so a list is the right map.
    roles: Vec<(String, PinnedRole)>,
}

impl Pins {
    /// No role pinned (no `golive.toml`, or no `[roles]` in it).
    pub const NONE: Pins = Pins { roles: Vec::new() };

    /// Pins for `checklist`: each pinned role must be one of its sign-offs or of the
    /// approvals its runbook instances need (a misspelt role would leave the real one
    /// unpinned), and each role pinned once.
    pub fn new(pinned: Vec<PinnedRole>, checklist: &Checklist) -> Result<Pins, Vec<Diagnostic>> {
        let mut roles: Vec<(String, PinnedRole)> = Vec::new();
        let mut errors = Vec::new();
        let mut listed: Vec<&str> = checklist
            .approvals
            .iter()
            .map(|a| a.role.as_str())
            .collect();
        for runbook in checklist.items.iter().filter_map(|i| i.runbook.as_ref()) {
            for role in &runbook.approvals {
                if !listed.iter().any(|known| role_key(known) == role_key(role)) {
                    listed.push(role);
                }
            }
        }
        for pin in pinned {
            let key = role_key(&pin.role.value);
            let written = &pin.role.value;
            if let Some((_, first)) = roles.iter().find(|(other, _)| *other == key) {
                errors.push(Diagnostic::new(
                    pin.role.span.clone(),
                    format!(
                        "`{written}` is pinned twice (also as `{}`): roles match without case, accents or extra spaces",
                        first.role.value
                    ),
                ).with_hint("merge the two tables' keys into one"));
                continue;
            }
            if !listed.iter().any(|role| role_key(role) == key) {
                let hint = match suggest_role(written, listed.iter().copied()) {
                    Some(role) => format!("did you mean `{role}`?"),
                    None if listed.is_empty() => {
                        "the checklist has no sign-offs; only its sign-off roles can be pinned"
                            .to_string()
                    }
                    None => format!("its roles: {}", listed.join(", ")),
                };
                errors.push(
                    Diagnostic::new(
                        pin.role.span.clone(),
                        format!("`{written}` is not a role of the checklist's sign-offs"),
                    )
                    .with_hint(hint),
                );
                continue;
            }
            roles.push((key, pin));
        }
        if errors.is_empty() {
            Ok(Pins { roles })
        } else {
            Err(errors)
        }
    }

    /// The keys pinned to `role`, if it is pinned.
    pub fn keys_for(&self, role: &str) -> Option<&[PublicKey]> {
        let key = role_key(role);
        self.roles
            .iter()
            .find(|(pinned, _)| *pinned == key)
            .map(|(_, pin)| pin.keys.as_slice())
    }

    /// Every key file the pins were read from.
    pub fn files(&self) -> impl Iterator<Item = &std::path::Path> {
        self.roles
            .iter()
            .flat_map(|(_, pin)| pin.files.iter().map(|path| path.as_path()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_match_as_people_type_them() {
        assert_eq!(role_key("  SÉCURITÉ  "), "securite");
        assert_eq!(role_key("Security\tLead"), role_key("security  lead"));
        assert_ne!(role_key("Security Lead"), role_key("Security"));
        let roles = ["Sécurité", "Chef de projet", "Security Lead"];
        assert_eq!(suggest_role("chef", roles), Some("Chef de projet"));
        assert_eq!(suggest_role("Securty Lead", roles), Some("Security Lead"));
        assert_eq!(suggest_role("Legal", roles), None);
    }
}

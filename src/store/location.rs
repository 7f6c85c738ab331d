//! Where a store lives, as a person writes it (`--store`, `GOLIVE_STORE`) and as messages
//! show it: never with a password in it.

use std::path::{Path, PathBuf};

/// Where the store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file (created, with its directory, on first use).
    Sqlite(PathBuf),
    /// A PostgreSQL URL, as given (`postgres://user:password@host:port/database?…`).
    Postgres(String),
}

impl Location {
    /// `postgres://…`/`postgresql://…` → Postgres; `sqlite://path` or a plain path → Sqlite.
    ///
    /// `sqlite:path` (sqlx's spelling) is accepted too. Anything after the scheme is taken as
    /// the path verbatim: a file name may contain `?`, so no query string is split off.
    pub fn parse(text: &str) -> Location {
        if has_scheme(text, "postgres://") || has_scheme(text, "postgresql://") {
            return Location::Postgres(text.to_string());
        }
        for scheme in ["sqlite://", "sqlite:"] {
            if has_scheme(text, scheme) {
                return Location::Sqlite(PathBuf::from(&text[scheme.len()..]));
            }
        }
        Location::Sqlite(PathBuf::from(text))
    }

    /// The default: `.golive/state.db` in the checklist's directory.
    pub fn beside(checklist: &Path) -> Location {
        let dir = checklist.parent().unwrap_or(Path::new(""));
        Location::Sqlite(dir.join(".golive").join("state.db"))
    }

    /// For messages: the path, or the URL with any password replaced by `****`.
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(url) => redact(url),
        }
    }
}

fn has_scheme(text: &str, scheme: &str) -> bool {
    text.get(..scheme.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
}

/// Replaces the password in a URL's user info and in `password=`/`sslpassword=` query
/// parameters with `****`.
///
/// The user info ends at the *last* `@`: passwords are often pasted unencoded, and a stray `@`,
/// `/` or `?` inside one must not make the rest of it show. Erring that way can hide more than
/// the password in odd URLs, never less.
fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|index| index + 3) else {
        return url.to_string();
    };
    let (head, rest) = url.split_at(scheme_end);
    let mut out = head.to_string();
    let after_user = match rest.rfind('@') {
        Some(at) => {
            let user_info = &rest[..at];
            match user_info.find(':') {
                Some(colon) => {
                    out.push_str(&user_info[..colon]);
                    out.push_str(":****");
                }
                None => out.push_str(user_info),
            }
            &rest[at..]
        }
        None => rest,
    };
    match after_user.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let params: Vec<String> = query.split('&').map(redact_param).collect();
            out.push_str(&params.join("&"));
        }
        None => out.push_str(after_user),
    }
    out
}

fn redact_param(param: &str) -> String {
    match param.split_once('=') {
        Some((key, _))
            if key.eq_ignore_ascii_case("password") || key.eq_ignore_ascii_case("sslpassword") =>
        {
            format!("{key}=****")
        }
        _ => param.to_string(),
    }
}

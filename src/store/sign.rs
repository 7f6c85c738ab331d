//! Signed approvals: an approver's ed25519 key signs the approval's canonical message, and
//! every report verifies it, so an approval edited after the fact (or signed by another
//! key than claimed) is flagged. Also the key files themselves, and the keys `golive.toml`
//! pins to roles.
//!
//! Key files say which half they hold: `ed25519-secret:HEX` (mode 0600) and `ed25519:HEX`
//! (the `.pub` beside it). Earlier versions wrote both halves as bare hex, which cannot be
//! told apart, so a public key passed as a signing key signed with a key nobody pinned and
//! the gate called it valid; a bare-hex secret is still read, but only when the `.pub`
//! beside it holds its public half, as `keys new` wrote them.

use std::io::Read as _;
use std::path::{Path, PathBuf};

pub use ed25519_dalek::SigningKey;
use ed25519_dalek::{Signature as DalekSignature, Signer, VerifyingKey};
use serde::Serialize;

use super::state::{ApprovalRecord, Signature};
use crate::checklist::toml::{Fields, RawValue, Spanned};
use crate::diagnostic::Diagnostic;

const PUBLIC_PREFIX: &str = "ed25519:";
const SECRET_PREFIX: &str = "ed25519-secret:";
/// Key files are one short line; anything bigger is not one, and is not read whole.
const MAX_KEY_FILE: u64 = 4096;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "cannot read the key file `{path}`: {cause}; give the secret key `golive keys new --out PATH` wrote at PATH"
    )]
    Read { path: String, cause: std::io::Error },
    #[error(
        "`{path}` is a public key, which cannot sign; sign with {}",
        secret_hint(secret.as_deref())
    )]
    Public {
        path: String,
        /// The secret key beside it, when there is one.
        secret: Option<String>,
    },
    #[error(
        "`{path}` holds a bare hex key, as golive before 0.2 wrote both halves, and no \
         `{path}.pub` beside it says it is the secret one, so it may be a public key; give the \
         secret key whose `.pub` sits beside it, or make a new pair with `golive keys new --out PATH`"
    )]
    Ambiguous { path: String },
    #[error(
        "`{path}` is not a golive secret key{why}; give the file `golive keys new --out PATH` \
         wrote at PATH (not PATH.pub)"
    )]
    NotAKey { path: String, why: &'static str },
    #[error("`{path}` is a directory; give a file path for the key, e.g. `{path}/approver.key`")]
    IsDirectory { path: String },
    #[error("cannot create the folder `{path}` for the key: {cause}")]
    CreateDir { path: String, cause: std::io::Error },
    #[error("cannot write `{path}`: {cause}")]
    Write { path: String, cause: std::io::Error },
    #[error(
        "`{path}` already exists; choose another path, or remove it first (a key is never overwritten)"
    )]
    Exists { path: String },
}

fn secret_hint(secret: Option<&str>) -> String {
    match secret {
        Some(secret) => format!("the secret key beside it, `{secret}`"),
        None => {
            "the secret key `golive keys new --out PATH` wrote at PATH (not PATH.pub)".to_string()
        }
    }
}

/// An ed25519 public key, written `ed25519:HEX` in key files, pins and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// The key of a stored signature (hex, as [`sign`] records it).
    pub fn from_hex(hex_text: &str) -> Option<PublicKey> {
        let bytes: [u8; 32] = hex::decode(hex_text.trim()).ok()?.try_into().ok()?;
        VerifyingKey::from_bytes(&bytes).ok()?;
        Some(PublicKey(bytes))
    }
}

impl std::fmt::Display for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{PUBLIC_PREFIX}{}", hex::encode(self.0))
    }
}

impl Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl std::str::FromStr for PublicKey {
    type Err = String;

    fn from_str(text: &str) -> Result<PublicKey, String> {
        text.trim()
            .strip_prefix(PUBLIC_PREFIX)
            .and_then(PublicKey::from_hex)
            .ok_or_else(|| {
                format!("`{text}` is not a public key: expected `ed25519:` and 64 hex digits, as in a `.pub` file from `golive keys new`")
            })
    }
}

/// What a key file holds.
enum KeyText {
    Secret([u8; 32]),
    Public([u8; 32]),
    /// 64 hex digits and nothing else: either half, as earlier versions wrote them.
    Bare([u8; 32]),
}

fn parse_key_text(text: &str) -> Option<KeyText> {
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'));
    let line = lines.next()?;
    if lines.next().is_some() {
        return None;
    }
    let bytes =
        |hex_text: &str| -> Option<[u8; 32]> { hex::decode(hex_text).ok()?.try_into().ok() };
    if let Some(rest) = line.strip_prefix(SECRET_PREFIX) {
        bytes(rest).map(KeyText::Secret)
    } else if let Some(rest) = line.strip_prefix(PUBLIC_PREFIX) {
        bytes(rest).map(KeyText::Public)
    } else {
        bytes(line).map(KeyText::Bare)
    }
}

/// A key file's text, read only as far as a key file can go.
fn read_key_file(path: &Path) -> Result<String, KeyError> {
    let shown = path.display().to_string();
    let read_error = |cause| KeyError::Read {
        path: shown.clone(),
        cause,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    if file.metadata().map_err(read_error)?.is_dir() {
        return Err(KeyError::NotAKey {
            path: shown,
            why: " (it is a directory)",
        });
    }
    let mut bytes = Vec::new();
    file.take(MAX_KEY_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_KEY_FILE {
        return Err(KeyError::NotAKey {
            path: shown,
            why: " (far too big for one)",
        });
    }
    String::from_utf8(bytes).map_err(|_| KeyError::NotAKey {
        path: shown,
        why: " (it is not text)",
    })
}

/// Writes a new key pair: the secret key at `path` (mode 0600) and the public key at
/// `path.pub`, creating missing folders (mode 0700). Never overwrites either half.
pub fn new_key_pair(path: &Path) -> Result<PublicKey, KeyError> {
    let shown = |path: &Path| path.display().to_string();
    if path.is_dir() {
        return Err(KeyError::IsDirectory { path: shown(path) });
    }
    let public_path = public_path(path);
    for existing in [path, public_path.as_path()] {
        if existing.symlink_metadata().is_ok() {
            return Err(KeyError::Exists {
                path: shown(existing),
            });
        }
    }
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    let key = SigningKey::generate(&mut rand_core::OsRng);
    let public = PublicKey(key.verifying_key().to_bytes());
    let secret = format!("{SECRET_PREFIX}{}\n", hex::encode(key.to_bytes()));
    write_new(path, &secret, 0o600)?;
    if let Err(error) = write_new(&public_path, &format!("{public}\n"), 0o644) {
        // Half a pair is no use, and would block the next attempt as "already exists".
        let _ = std::fs::remove_file(path);
        return Err(error);
    }
    Ok(public)
}

/// Creates `dir` and any missing parents, each mode 0700: a folder of secret keys is
/// nobody else's business. Existing folders are left as they are.
fn create_private_dir(dir: &Path) -> Result<(), KeyError> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    // The first ancestor that exists but is not a folder is what stands in the way.
    let blocker = dir
        .ancestors()
        .find(|ancestor| ancestor.symlink_metadata().is_ok())
        .filter(|ancestor| !ancestor.is_dir());
    if let Some(blocker) = blocker {
        return Err(KeyError::CreateDir {
            path: dir.display().to_string(),
            cause: std::io::Error::other(format!(
                "`{}` is a file, not a folder",
                blocker.display()
            )),
        });
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|cause| KeyError::CreateDir {
            path: dir.display().to_string(),
            cause,
        })
}

fn public_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".pub");
    name.into()
}

fn write_new(path: &Path, text: &str, mode: u32) -> Result<(), KeyError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(path)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()
    };
    write().map_err(|cause| match cause.kind() {
        std::io::ErrorKind::AlreadyExists => KeyError::Exists {
            path: path.display().to_string(),
        },
        _ => KeyError::Write {
            path: path.display().to_string(),
            cause,
        },
    })
}

/// Reads a secret key written by [`new_key_pair`], refusing public keys and anything else.
pub fn read_key(path: &Path) -> Result<SigningKey, KeyError> {
    let shown = path.display().to_string();
    let text = read_key_file(path)?;
    match parse_key_text(&text) {
        Some(KeyText::Secret(bytes)) => Ok(SigningKey::from_bytes(&bytes)),
        Some(KeyText::Public(_)) => Err(KeyError::Public {
            secret: secret_beside(path),
            path: shown,
        }),
        Some(KeyText::Bare(bytes)) => {
            let key = SigningKey::from_bytes(&bytes);
            let public = PublicKey(key.verifying_key().to_bytes());
            if read_public_key(&public_path(path)).is_ok_and(|beside| beside == public) {
                return Ok(key);
            }
            match secret_beside(path) {
                Some(secret) => Err(KeyError::Public {
                    path: shown,
                    secret: Some(secret),
                }),
                None => Err(KeyError::Ambiguous { path: shown }),
            }
        }
        None => Err(KeyError::NotAKey {
            path: shown,
            why: if text.trim().is_empty() {
                " (it is empty)"
            } else {
                ""
            },
        }),
    }
}

/// For `X.pub`, the secret key `X` beside it, when that file exists.
fn secret_beside(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".pub").filter(|stem| !stem.is_empty())?;
    let secret = path.with_file_name(stem);
    secret.is_file().then(|| secret.display().to_string())
}

/// Why a file cannot be pinned as a public key.
#[derive(Debug, thiserror::Error)]
pub enum PublicKeyError {
    #[error("{0}")]
    Read(KeyError),
    #[error("is a secret key: pin its public half{}, and keep this one private", beside(.0))]
    Secret(Option<String>),
    #[error(
        "is not a public key (expected `ed25519:` and 64 hex digits, as `golive keys new` writes PATH.pub)"
    )]
    NotAKey,
}

fn beside(public: &Option<String>) -> String {
    public
        .as_ref()
        .map(|public| format!(" `{public}`"))
        .unwrap_or_default()
}

/// Reads a public key file (`PATH.pub` from [`new_key_pair`], or bare hex from earlier
/// versions); a secret key is refused.
pub fn read_public_key(path: &Path) -> Result<PublicKey, PublicKeyError> {
    let text = read_key_file(path).map_err(PublicKeyError::Read)?;
    let secret = || {
        let public = public_path(path);
        PublicKeyError::Secret(public.is_file().then(|| public.display().to_string()))
    };
    match parse_key_text(&text) {
        Some(KeyText::Public(bytes)) => {
            VerifyingKey::from_bytes(&bytes).map_err(|_| PublicKeyError::NotAKey)?;
            Ok(PublicKey(bytes))
        }
        Some(KeyText::Secret(_)) => Err(secret()),
        Some(KeyText::Bare(bytes)) => {
            // A bare-hex secret is one whose `.pub` beside it holds its public half.
            let derived = PublicKey(SigningKey::from_bytes(&bytes).verifying_key().to_bytes());
            let pair = std::fs::read_to_string(public_path(path)).ok();
            if pair.is_some_and(|pair| {
                pair.trim().trim_start_matches(PUBLIC_PREFIX) == hex::encode(derived.0)
            }) {
                return Err(secret());
            }
            VerifyingKey::from_bytes(&bytes).map_err(|_| PublicKeyError::NotAKey)?;
            Ok(PublicKey(bytes))
        }
        None => Err(PublicKeyError::NotAKey),
    }
}

/// Whether `path` is a key file, either half, in any format golive wrote.
pub fn is_key_file(path: &Path) -> bool {
    path.is_file() && read_key_file(path).is_ok_and(|text| parse_key_text(&text).is_some())
}

/// Signs `message` (an approval's [`ApprovalRecord::signed_message`]).
pub fn sign(key: &SigningKey, message: &str) -> Signature {
    Signature {
        public_key: hex::encode(key.verifying_key().to_bytes()),
        signature: hex::encode(key.sign(message.as_bytes()).to_bytes()),
    }
}

/// The public key of `key`.
pub fn public_key(key: &SigningKey) -> PublicKey {
    PublicKey(key.verifying_key().to_bytes())
}

/// What a report says about an approval's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureStatus {
    Unsigned,
    Valid,
    /// The signature does not match the approval as stored: tampered, or not this key's.
    Invalid,
    /// A valid signature, by a key that is not pinned for the approval's role.
    UnknownKey,
}

/// Verifies `approval` as recorded for `checklist`.
pub fn verify(checklist: &str, approval: &ApprovalRecord) -> SignatureStatus {
    let message = ApprovalRecord::signed_message(
        checklist,
        &approval.role,
        &approval.stamp.by,
        approval.go,
        approval.comment.as_deref(),
        &approval.signed_at,
    );
    verify_signature(approval.signature.as_ref(), &message)
}

/// Whether `signature` (none: unsigned) is valid over `message`: an approval's signed message,
/// of the go-live or of a runbook instance.
pub fn verify_signature(signature: Option<&Signature>, message: &str) -> SignatureStatus {
    let Some(signature) = signature else {
        return SignatureStatus::Unsigned;
    };
    let key = hex::decode(&signature.public_key)
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok());
    let sig = hex::decode(&signature.signature)
        .ok()
        .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
        .map(|bytes| DalekSignature::from_bytes(&bytes));
    match (key, sig) {
        (Some(key), Some(sig)) if key.verify_strict(message.as_bytes(), &sig).is_ok() => {
            SignatureStatus::Valid
        }
        _ => SignatureStatus::Invalid,
    }
}

/// Whether `signature_hex` is `public_hex`'s ed25519 signature over `message` (a signed
/// evidence pack).
pub fn verify_message(public_hex: &str, signature_hex: &str, message: &[u8]) -> bool {
    let key = hex::decode(public_hex.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok());
    let sig = hex::decode(signature_hex.trim())
        .ok()
        .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
        .map(|bytes| DalekSignature::from_bytes(&bytes));
    matches!((key, sig), (Some(key), Some(sig)) if key.verify_strict(message, &sig).is_ok())
}

/// One `[roles."NAME"]` table of `golive.toml`: the public keys whose signatures alone count
/// for that role's approvals.
#[derive(Debug, Clone, PartialEq)]
pub struct PinnedRole {
    /// As written in `golive.toml`.
    pub role: Spanned<String>,
    pub keys: Vec<PublicKey>,
    /// The key files among them, as found from `golive.toml`'s folder.
    pub files: Vec<PathBuf>,
}

/// Reads `[roles]`: each role's `keys`, written inline (`"ed25519:…"`) or as paths to public
/// key files, relative to `base` (the directory of `golive.toml`). Every problem is reported
/// at once; a key that cannot be read is an error, never skipped, since the gate must not
/// count approvals it cannot verify.
pub fn read_pins(roles: Fields, base: &Path) -> Result<Vec<PinnedRole>, Vec<Diagnostic>> {
    let mut pinned = Vec::new();
    let mut errors = Vec::new();
    let mut roles = roles;
    for (role, value) in roles.drain() {
        let mut table = match value.value {
            RawValue::Table(table) => table,
            other => {
                errors.push(
                    Diagnostic::new(
                        value.span,
                        format!(
                            "`roles.{}` must be a table, not {}",
                            role.value,
                            other.kind()
                        ),
                    )
                    .with_hint(format!(
                        "write `[roles.\"{}\"]` and `keys = [\"PATH.pub\"]` under it",
                        role.value
                    )),
                );
                continue;
            }
        };
        let span = role.span.clone();
        let keys = match table.strings("keys") {
            Ok(keys) => Some(keys),
            Err(error) => {
                errors.push(error);
                None
            }
        };
        if keys.as_ref().is_some_and(|keys| keys.is_empty()) {
            errors.push(
                Diagnostic::new(span.clone(), format!("`{}` pins no key", role.value))
                    .with_hint("list its approvers' public keys: `keys = [\"keys/ana.key.pub\"]`, or remove the table"),
            );
        }
        errors.extend(table.unknown_keys(&format!("in `[roles.\"{}\"]`", role.value), &["keys"]));
        let mut read = Vec::new();
        let mut files = Vec::new();
        for key in keys.into_iter().flatten() {
            match pin(&key.value, base) {
                Ok((public, file)) => {
                    read.push(public);
                    files.extend(file);
                }
                Err(message) => errors.push(Diagnostic::new(key.span, message)),
            }
        }
        pinned.push(PinnedRole {
            role,
            keys: read,
            files,
        });
    }
    if errors.is_empty() {
        Ok(pinned)
    } else {
        Err(errors)
    }
}

/// One pinned key, and the file it was read from unless it was written inline.
fn pin(text: &str, base: &Path) -> Result<(PublicKey, Option<PathBuf>), String> {
    if text.trim().starts_with(PUBLIC_PREFIX) {
        return text.parse().map(|key| (key, None));
    }
    let path = base.join(text);
    read_public_key(&path)
        .map(|key| (key, Some(path.clone())))
        .map_err(|error| match error {
            PublicKeyError::Read(KeyError::Read { cause, .. }) => {
                format!(
                    "cannot read the public key `{text}` ({}): {cause}",
                    path.display()
                )
            }
            PublicKeyError::Read(error) => error.to_string(),
            other => format!("`{text}` {other}"),
        })
}

#[cfg(test)]
mod tests;

//! Signed approvals: an approver's ed25519 key signs the approval's canonical message, and
//! every report verifies it, so an approval edited after the fact (or signed by another
//! key than claimed) is flagged.

use std::path::Path;

use ed25519_dalek::{Signature as DalekSignature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::Serialize;

use super::state::{ApprovalRecord, Signature};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read key file `{path}`: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("`{path}` is not a golive signing key (expected 64 hex digits on one line)")]
    Malformed { path: String },
    #[error("cannot write `{path}`: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("`{path}` already exists; choose another path or remove it first")]
    Exists { path: String },
}

/// Writes a new key pair: the secret key at `path` (mode 0600) and the public key at
/// `path.pub`, both as hex on one line. Returns the public key's hex.
pub fn new_key_pair(path: &Path) -> Result<String, KeyError> {
    let public_path = public_path(path);
    for existing in [path, public_path.as_path()] {
        if existing.exists() {
            return Err(KeyError::Exists {
                path: existing.display().to_string(),
            });
        }
    }
    let key = SigningKey::generate(&mut rand_core::OsRng);
    let public = hex::encode(key.verifying_key().to_bytes());
    write_private(path, &format!("{}\n", hex::encode(key.to_bytes())))?;
    std::fs::write(&public_path, format!("{public}\n")).map_err(|source| KeyError::Write {
        path: public_path.display().to_string(),
        source,
    })?;
    Ok(public)
}

fn public_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".pub");
    name.into()
}

fn write_private(path: &Path, text: &str) -> Result<(), KeyError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()
    };
    write().map_err(|source| KeyError::Write {
        path: path.display().to_string(),
        source,
    })
}

/// Reads a secret key written by [`new_key_pair`].
pub fn read_key(path: &Path) -> Result<SigningKey, KeyError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
        path: shown.clone(),
        source,
    })?;
    let bytes: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(KeyError::Malformed { path: shown })?;
    Ok(SigningKey::from_bytes(&bytes))
}

/// Signs `message` (an approval's [`ApprovalRecord::signed_message`]).
pub fn sign(key: &SigningKey, message: &str) -> Signature {
    Signature {
        public_key: hex::encode(key.verifying_key().to_bytes()),
        signature: hex::encode(key.sign(message.as_bytes()).to_bytes()),
    }
}

/// What a report says about an approval's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureStatus {
    Unsigned,
    Valid,
    /// The signature does not match the approval as stored: tampered, or not this key's.
    Invalid,
}

/// Verifies `approval` as recorded for `checklist`.
pub fn verify(checklist: &str, approval: &ApprovalRecord) -> SignatureStatus {
    let Some(signature) = &approval.signature else {
        return SignatureStatus::Unsigned;
    };
    let message = ApprovalRecord::signed_message(
        checklist,
        &approval.role,
        &approval.stamp.by,
        approval.go,
        approval.comment.as_deref(),
        &approval.signed_at,
    );
    let key = hex::decode(&signature.public_key)
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok());
    let sig = hex::decode(&signature.signature)
        .ok()
        .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
        .map(|bytes| DalekSignature::from_bytes(&bytes));
    match (key, sig) {
        (Some(key), Some(sig)) if key.verify(message.as_bytes(), &sig).is_ok() => {
            SignatureStatus::Valid
        }
        _ => SignatureStatus::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::state::Stamp;

    #[test]
    fn signs_verifies_and_flags_tampering() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("approver.key");
        let public = new_key_pair(&path).unwrap();
        assert!(matches!(new_key_pair(&path), Err(KeyError::Exists { .. })));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let key = read_key(&path).unwrap();
        let message = ApprovalRecord::signed_message(
            "c.md",
            "CTO",
            "ana",
            true,
            Some("ok"),
            "2026-11-21T00:00:00.000Z",
        );
        let signature = sign(&key, &message);
        assert_eq!(signature.public_key, public);
        let mut approval = ApprovalRecord {
            role: "CTO".into(),
            go: true,
            comment: Some("ok".into()),
            signed_at: "2026-11-21T00:00:00.000Z".into(),
            signature: Some(signature),
            stamp: Stamp {
                by: "ana".into(),
                at: "2026-11-21T00:00:01.000Z".into(),
                seq: 1,
            },
        };
        assert_eq!(verify("c.md", &approval), SignatureStatus::Valid);
        approval.go = false;
        assert_eq!(verify("c.md", &approval), SignatureStatus::Invalid);
        approval.go = true;
        assert_eq!(verify("other.md", &approval), SignatureStatus::Invalid);
        approval.signature = None;
        assert_eq!(verify("c.md", &approval), SignatureStatus::Unsigned);
    }
}

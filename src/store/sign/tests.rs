use super::*;
use crate::store::state::Stamp;

fn approval(signature: Option<Signature>) -> ApprovalRecord {
    ApprovalRecord {
        role: "CTO".into(),
        go: true,
        comment: Some("ok".into()),
        signed_at: "2026-11-21T00:00:00.000Z".into(),
        signature,
        stamp: Stamp {
            by: "ana".into(),
            at: "2026-11-21T00:00:01.000Z".into(),
            seq: 1,
        },
        checklist: "c.md".into(),
    }
}

fn message() -> String {
    ApprovalRecord::signed_message(
        "c.md",
        "CTO",
        "ana",
        true,
        Some("ok"),
        "2026-11-21T00:00:00.000Z",
    )
}

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
    assert_eq!(public_key(&key), public);
    let signature = sign(&key, &message());
    assert_eq!(PublicKey::from_hex(&signature.public_key), Some(public));
    let mut approval = approval(Some(signature));
    assert_eq!(verify("c.md", &approval), SignatureStatus::Valid);
    approval.go = false;
    assert_eq!(verify("c.md", &approval), SignatureStatus::Invalid);
    approval.go = true;
    assert_eq!(verify("other.md", &approval), SignatureStatus::Invalid);
    approval.signature = None;
    assert_eq!(verify("c.md", &approval), SignatureStatus::Unsigned);
}

#[test]
fn key_files_say_which_half_they_hold() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ana.key");
    let public = new_key_pair(&path).unwrap();
    let public_file = dir.path().join("ana.key.pub");
    assert_eq!(read_public_key(&public_file).unwrap(), public);
    assert_eq!(
        std::fs::read_to_string(&public_file).unwrap(),
        format!("{public}\n")
    );
    match read_key(&public_file) {
        Err(KeyError::Public { secret, .. }) => {
            assert_eq!(secret, Some(path.display().to_string()))
        }
        other => panic!("a public key was read as a secret one: {other:?}"),
    }
    assert!(matches!(
        read_public_key(&path),
        Err(PublicKeyError::Secret(Some(_)))
    ));
    assert_eq!(public.to_string().parse::<PublicKey>(), Ok(public));
    assert!("ed25519:abcd".parse::<PublicKey>().is_err());
    assert!(hex::encode([7u8; 32]).parse::<PublicKey>().is_err());
}

/// Keys as golive before 0.2 wrote them: both halves bare hex.
#[test]
fn bare_hex_keys_are_told_apart_by_their_pair() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::generate(&mut rand_core::OsRng);
    let secret = dir.path().join("old.key");
    let public = dir.path().join("old.key.pub");
    std::fs::write(&secret, format!("{}\n", hex::encode(key.to_bytes()))).unwrap();
    std::fs::write(
        &public,
        format!("{}\n", hex::encode(key.verifying_key().to_bytes())),
    )
    .unwrap();
    assert_eq!(public_key(&read_key(&secret).unwrap()), public_key(&key));
    assert!(matches!(read_key(&public), Err(KeyError::Public { .. })));
    assert_eq!(read_public_key(&public).unwrap(), public_key(&key));
    assert!(matches!(
        read_public_key(&secret),
        Err(PublicKeyError::Secret(_))
    ));
    // Alone, a bare hex key could be either.
    let alone = dir.path().join("alone");
    std::fs::copy(&public, &alone).unwrap();
    assert!(matches!(read_key(&alone), Err(KeyError::Ambiguous { .. })));
}

#[test]
fn anything_else_is_not_a_key() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("empty", b"".to_vec()),
        ("text", b"hello\n".to_vec()),
        (
            "two",
            format!("ed25519-secret:{0}\ned25519-secret:{0}\n", "ab".repeat(32)).into_bytes(),
        ),
        ("short", b"ed25519-secret:abcd\n".to_vec()),
        ("binary", vec![0xff, 0xfe, 0x00]),
        ("huge", vec![b'a'; 1 << 20]),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        assert!(
            matches!(read_key(&path), Err(KeyError::NotAKey { .. })),
            "{name}"
        );
        assert!(read_public_key(&path).is_err(), "{name}");
    }
    assert!(matches!(
        read_key(dir.path()),
        Err(KeyError::NotAKey { .. })
    ));
    assert!(matches!(
        read_key(&dir.path().join("missing")),
        Err(KeyError::Read { .. })
    ));
}

#[test]
fn new_key_pair_makes_private_folders_and_never_overwrites() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b/c.key");
    new_key_pair(&nested).unwrap();
    for folder in ["a", "a/b"] {
        let mode = std::fs::metadata(dir.path().join(folder))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "{folder}");
    }
    std::fs::remove_file(&nested).unwrap();
    // The public half left alone still blocks, and no secret is left behind.
    assert!(matches!(
        new_key_pair(&nested),
        Err(KeyError::Exists { .. })
    ));
    assert!(!nested.exists());
    assert!(matches!(
        new_key_pair(&dir.path().join("a")),
        Err(KeyError::IsDirectory { .. })
    ));
    std::fs::write(dir.path().join("file"), "x").unwrap();
    assert!(matches!(
        new_key_pair(&dir.path().join("file/k.key")),
        Err(KeyError::CreateDir { .. })
    ));
}

#[test]
fn pins_read_inline_keys_and_key_files() {
    let dir = tempfile::tempdir().unwrap();
    let ana = new_key_pair(&dir.path().join("ana.key")).unwrap();
    let bob = new_key_pair(&dir.path().join("bob.key")).unwrap();
    let text = format!(
        "[roles.\"Security Lead\"]\nkeys = [\"ana.key.pub\", \"{bob}\"]\n[roles.CTO]\nkeys = \"bob.key.pub\"\n"
    );
    let config = crate::checklist::toml::parse(&text).unwrap();
    let pins = read_pins(config.roles, dir.path()).unwrap();
    let read: Vec<(&str, Vec<PublicKey>)> = pins
        .iter()
        .map(|p| (p.role.value.as_str(), p.keys.clone()))
        .collect();
    assert_eq!(
        read,
        [("Security Lead", vec![ana, bob]), ("CTO", vec![bob])]
    );

    let bad = "[roles.A]\nkeys = [\"ana.key\", \"nope.pub\", \"ed25519:zz\"]\n[roles.B]\nkeys = []\n[roles.C]\nkey = \"ana.key.pub\"\n[roles]\nD = 1\n";
    let config = crate::checklist::toml::parse(bad).unwrap();
    let errors = read_pins(config.roles, dir.path()).unwrap_err();
    let messages: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
    assert!(messages[0].contains("is a secret key"), "{messages:?}");
    assert!(
        messages[1].contains("cannot read the public key `nope.pub`"),
        "{messages:?}"
    );
    assert!(
        messages[2].contains("`ed25519:zz` is not a public key"),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("`B` pins no key")),
        "{messages:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.hint.as_deref() == Some("did you mean `keys`?")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`roles.D` must be a table")),
        "{messages:?}"
    );
}

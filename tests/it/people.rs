//! Issue 9, item 9: keys and roles as people type them.

use std::os::unix::fs::PermissionsExt;

use crate::support::Sandbox;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn golive(sandbox: &Sandbox, args: &[&str]) -> Run {
    let output = sandbox.golive().args(args).output().expect("run golive");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn keys_new_creates_its_folder_and_says_so_once() {
    let sandbox = Sandbox::new();
    let run = golive(&sandbox, &["keys", "new", "--out", "keys/team/ana.key"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let dir = sandbox.dir.path().join("keys");
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("team")), 0o700);
    assert_eq!(mode(&dir.join("team/ana.key")), 0o600);
    let public = std::fs::read_to_string(dir.join("team/ana.key.pub")).unwrap();
    assert!(public.trim().starts_with("ed25519:"), "{public}");
    assert_eq!(mode(&dir.join("team/ana.key.pub")), 0o644);
    assert_eq!(run.stderr, "");
    insta::assert_snapshot!(run.stdout.replace(public.trim(), "ed25519:[KEY]"), @r#"
    wrote keys/team/ana.key (secret key, mode 0600: keep it private) and keys/team/ana.key.pub (public key ed25519:[KEY])
      sign approvals with `golive approve FILE --role ROLE --go --sign keys/team/ana.key`
      pin it to a role in golive.toml: [roles."ROLE"] keys = ["keys/team/ana.key.pub"]
    "#);

    // Never overwrites a key, secret or public half.
    let before = std::fs::read(dir.join("team/ana.key")).unwrap();
    let again = golive(&sandbox, &["keys", "new", "--out", "keys/team/ana.key"]);
    assert_eq!(again.code, Some(2));
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(std::fs::read(dir.join("team/ana.key")).unwrap(), before);
    std::fs::remove_file(dir.join("team/ana.key")).unwrap();
    let half = golive(&sandbox, &["keys", "new", "--out", "keys/team/ana.key"]);
    assert_eq!(half.code, Some(2));
    assert!(half.stderr.contains("ana.key.pub"), "{}", half.stderr);
    assert!(!dir.join("team/ana.key").exists());

    // A folder where the key should go, and a folder that cannot be made.
    let folder = golive(&sandbox, &["keys", "new", "--out", "keys"]);
    assert_eq!(folder.code, Some(2));
    assert!(
        folder.stderr.contains("is a directory"),
        "{}",
        folder.stderr
    );
    sandbox.write("plain", "x");
    let blocked = golive(&sandbox, &["keys", "new", "--out", "plain/ana.key"]);
    assert_eq!(blocked.code, Some(2));
    assert_eq!(
        blocked.stderr.lines().count(),
        1,
        "one clean line: {}",
        blocked.stderr
    );
    assert!(blocked.stderr.contains("`plain`"), "{}", blocked.stderr);
}

const ROLES: &str = "# Lancement

- [x] Tout est prêt

## Sign-off

| Role             | Name | Approval |
| ---------------- | ---- | -------- |
| **Sécurité**     | Ana  | [ ]         |
| **Chef de projet** |    | [ ]         |
| **Security Lead** |     | [ ]         |
";

#[test]
fn approve_matches_roles_as_people_type_them() {
    let sandbox = Sandbox::new();
    sandbox.write("lancement.md", ROLES);
    let run = golive(
        &sandbox,
        &[
            "approve",
            "lancement.md",
            "--role",
            "  SECURITE ",
            "--go",
            "--by",
            "ana",
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("Sécurité: GO recorded"),
        "{}",
        run.stdout
    );
    let gate = golive(&sandbox, &["gate", "lancement.md", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&gate.stdout).unwrap();
    assert_eq!(json["approvals"][0]["role"], "Sécurité");
    assert_eq!(json["approvals"][0]["decision"], "go");
    let log = golive(&sandbox, &["audit", "log", "lancement.md"]);
    assert!(
        log.stdout.contains(r#""role":"Sécurité""#),
        "{}",
        log.stdout
    );

    // A typo is an error with a suggestion, and nothing is recorded.
    let typo = golive(
        &sandbox,
        &["approve", "lancement.md", "--role", "Securty Lead", "--go"],
    );
    assert_eq!(typo.code, Some(2));
    assert!(
        typo.stderr.contains("did you mean `Security Lead`"),
        "{}",
        typo.stderr
    );
    let part = golive(
        &sandbox,
        &["approve", "lancement.md", "--role", "chef", "--go"],
    );
    assert_eq!(part.code, Some(2));
    assert!(
        part.stderr.contains("did you mean `Chef de projet`"),
        "{}",
        part.stderr
    );
    let unknown = golive(
        &sandbox,
        &["approve", "lancement.md", "--role", "Legal", "--go"],
    );
    assert_eq!(unknown.code, Some(2));
    assert!(
        unknown
            .stderr
            .contains("Sécurité, Chef de projet, Security Lead")
            && unknown.stderr.contains("--extra-role"),
        "{}",
        unknown.stderr
    );
    let log_after = golive(&sandbox, &["audit", "log", "lancement.md"]);
    assert_eq!(
        log.stdout, log_after.stdout,
        "a refused approval recorded something"
    );

    // A role the file does not list, on purpose: recorded, shown, never counted.
    let extra = golive(
        &sandbox,
        &[
            "approve",
            "lancement.md",
            "--role",
            "Legal",
            "--go",
            "--extra-role",
        ],
    );
    assert_eq!(extra.code, Some(0), "{}", extra.stderr);
    assert!(extra.stdout.contains("does not count"), "{}", extra.stdout);
    let gate = golive(&sandbox, &["gate", "lancement.md", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&gate.stdout).unwrap();
    let legal = json["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["role"] == "Legal")
        .expect("the extra role is shown");
    assert_eq!(legal["required"], false);
}

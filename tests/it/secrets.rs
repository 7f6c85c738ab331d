//! Issue 9, item 8: a secret stays secret in every form it takes on the way: as typed, but
//! also percent-encoded in a URL, form-encoded, JSON-escaped in a body, and base64-encoded
//! in a Basic `Authorization` header. None of them may reach the table, the JSON, the
//! observed values, the reasons, or the store.

use axum::Router;
use axum::extract::RawQuery;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use base64::Engine as _;

use crate::support::{Sandbox, serve};

/// Spaces, `/`, `@`, `+` and a non-ASCII letter: every encoder treats it differently.
const SECRET: &str = "p@ss w0rd/ü+x";
/// In every form but base64, this part survives literally: it must never appear.
const TELLTALE: &str = "w0rd";

/// Full percent-encoding, as `encodeURIComponent` writes it.
fn percent_encoded(text: &str, upper: bool) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            _ if upper => format!("%{byte:02X}"),
            _ => format!("%{byte:02x}"),
        })
        .collect()
}

/// `application/x-www-form-urlencoded`: a space is `+`.
fn form_encoded(text: &str) -> String {
    percent_encoded(text, true).replace("%20", "+")
}

/// JSON-escaped by an encoder that escapes `/` and every non-ASCII letter.
fn json_escaped(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '/' => "\\/".to_string(),
            c if c.is_ascii() => c.to_string(),
            c => format!("\\u{:04x}", c as u32),
        })
        .collect()
}

fn basic_credentials() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("deploy:{SECRET}"))
}

/// Basic credentials for another user, which golive never saw whole: only the secret
/// inside them can give them away.
fn other_credentials() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("ops:{SECRET}"))
}

/// The characters of [`other_credentials`] that encode the secret's bytes alone (the first
/// also carry bits of `ops:`).
fn secret_part_of_other_credentials() -> String {
    let (prefix, secret) = ("ops:".len(), SECRET.len());
    let first = (8 * prefix).div_ceil(6);
    let end = 8 * (prefix + secret) / 6;
    other_credentials()[first..end].to_string()
}

/// Answers with the secret in every form: a redirect whose `Location` carries it
/// percent-encoded, and a body holding it as received in the query, form-encoded,
/// JSON-escaped, and as the Basic credentials it was sent with.
fn leaky_server() -> Router {
    Router::new().route(
        "/login",
        get(|RawQuery(query): RawQuery, headers: HeaderMap| async move {
            let authorization = headers
                .get(header::AUTHORIZATION)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("none")
                .to_string();
            let body = format!(
                "query={}\nupper={}\nlower={}\nform={}\njson={{\"token\":\"{}\"}}\nauth={authorization}\nbasic={}\nops={}\n",
                query.unwrap_or_default(),
                percent_encoded(SECRET, true),
                percent_encoded(SECRET, false),
                form_encoded(SECRET),
                json_escaped(SECRET),
                basic_credentials(),
                other_credentials(),
            );
            (
                StatusCode::FOUND,
                [(
                    header::LOCATION,
                    format!("/next?token={}", percent_encoded(SECRET, true)),
                )],
                body,
            )
        }),
    )
}

/// Every place the secret could leak to, as text.
fn assert_nothing_leaks(place: &str, text: &str) {
    for (form, leak) in [
        ("as typed", SECRET.to_string()),
        ("a telltale part", TELLTALE.to_string()),
        ("percent-encoded", percent_encoded(SECRET, true)),
        ("percent-encoded, lowercase", percent_encoded(SECRET, false)),
        ("form-encoded", form_encoded(SECRET)),
        ("JSON-escaped", json_escaped(SECRET)),
        ("as Basic credentials", basic_credentials()),
    ] {
        assert!(
            !text.contains(&leak),
            "the secret leaks {form} (`{leak}`) in {place}:\n{text}"
        );
    }
    let encoded = secret_part_of_other_credentials();
    for window in encoded.as_bytes().windows(6) {
        let window = String::from_utf8_lossy(window);
        assert!(
            !text.contains(&*window),
            "the secret leaks base64-encoded (`{window}` of `{encoded}`) in {place}:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_never_leaks_in_any_encoding() {
    let server = serve(leaky_server()).await;
    let sandbox = Sandbox::new();
    sandbox.write("launch.md", "# Launch\n- [ ] **Login** works\n");
    sandbox.write(
        "golive.toml",
        format!(
            "[[check]]\nitem = \"login\"\nprobe = \"http\"\n\
             url = \"http://{server}/login?token=${{env:LOGIN_TOKEN}}\"\n\
             headers = {{ Authorization = \"Basic ${{env:LOGIN_BASIC}}\" }}\n\
             expect = [\"status == 200\"]\n"
        ),
    );
    let run = |args: &'static [&'static str]| {
        let mut command = sandbox.golive();
        command
            .args(args)
            .env("LOGIN_TOKEN", SECRET)
            .env("LOGIN_BASIC", basic_credentials());
        command
    };
    let mut outputs = Vec::new();
    for args in [
        &["check", "launch.md", "--quiet"][..],
        &["check", "launch.md", "--quiet", "--format", "json"][..],
        &["check", "launch.md", "--dry-run"][..],
        &["gate", "launch.md"][..],
        &["gate", "launch.md", "--format", "json"][..],
        &["report", "launch.md", "--format", "md", "-o", "-"][..],
        &["report", "launch.md", "--format", "html", "-o", "-"][..],
        &["report", "launch.md", "--format", "junit", "-o", "-"][..],
        &["audit", "log", "launch.md", "--format", "json"][..],
    ] {
        let mut command = run(args);
        let output = tokio::task::spawn_blocking(move || command.output().expect("run golive"))
            .await
            .expect("join");
        outputs.push((args, output));
    }
    // The check ran and saw the redirect, with the secret in it redacted.
    let (_, json_check) = &outputs[1];
    let json: serde_json::Value = serde_json::from_slice(&json_check.stdout).expect("JSON");
    let observed = &json["results"][0]["observed"];
    assert_eq!(observed["status"], 302, "{json}");
    assert!(
        observed["header.location"]
            .as_str()
            .is_some_and(
                |location| location.starts_with("/next?token=") && location.contains("[redacted]")
            ),
        "{json}"
    );
    for (args, output) in &outputs {
        let place = format!("`golive {}`", args.join(" "));
        assert_nothing_leaks(&place, &String::from_utf8_lossy(&output.stdout));
        assert_nothing_leaks(&place, &String::from_utf8_lossy(&output.stderr));
    }
    // The store's own files, byte for byte (the write-ahead log included).
    for entry in std::fs::read_dir(sandbox.dir.path().join(".golive")).expect("a store") {
        let path = entry.expect("an entry").path();
        let bytes = std::fs::read(&path).expect("read a store file");
        assert_nothing_leaks(
            &format!("the store file {}", path.display()),
            &String::from_utf8_lossy(&bytes),
        );
    }
}

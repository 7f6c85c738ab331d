//! Arbitrary text as `golive.toml` for a fixed checklist: reading and planning must never
//! panic, and every diagnostic must point inside the text and render with its caret.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use golive::checklist::{self, Checklist};
use golive::engine::plan;
use golive::engine::secrets::Source;
use libfuzzer_sys::fuzz_target;

/// Secrets resolve to a value with the characters that trip encoders; no file is read.
struct FakeSource;

impl Source for FakeSource {
    fn env(&self, name: &str) -> Option<String> {
        (!name.is_empty()).then(|| "p@ss w0rd/ü+x".to_string())
    }

    fn file(&self, _: &Path) -> std::io::Result<String> {
        Ok("from a file".to_string())
    }
}

fn checklist() -> &'static Checklist {
    static CHECKLIST: OnceLock<Checklist> = OnceLock::new();
    CHECKLIST.get_or_init(|| {
        checklist::import(
            b"# Launch\n## Infra\n- [ ] **Health checks** ok\n- [ ] **TLS certificates** valid\n\
              | Item | Status |\n|---|---|\n| Backup taken | [ ] |\n## Sign-off\n| Role | Approval |\n|---|---|\n| CTO | [ ] |\n",
        )
        .expect("the fixed checklist imports")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(diagnostics) = plan::plan(checklist(), text, Path::new("/nonexistent"), &FakeSource) {
        assert!(!diagnostics.is_empty(), "a refusal says why");
        for diagnostic in diagnostics {
            assert!(
                diagnostic.span.start <= diagnostic.span.end && diagnostic.span.end <= text.len(),
                "span {:?} outside the text ({} bytes): {}",
                diagnostic.span,
                text.len(),
                diagnostic.message
            );
            let _ = diagnostic.render("golive.toml", text);
        }
    }
});

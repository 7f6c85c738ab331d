//! `golive init`: a checklist and a working golive.toml to start from, for the go-lives teams
//! most often write. The templates are text compiled into the binary; their checks point at
//! placeholders (`example.test`) that the user replaces, and each one passes
//! `golive check --dry-run` as written (tested for every template and language).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use super::Outcome;
use super::output::say;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Which template (see --list)
    #[arg(long, short = 't', value_enum, default_value_t = Template::Saas)]
    template: Template,
    /// The language of the checklist
    #[arg(long, value_enum, default_value_t = Lang::En)]
    lang: Lang,
    /// Where to write the files (created if missing)
    #[arg(long, value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// Name the templates, one per line, and write nothing
    #[arg(long, exclusive = true)]
    list: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Template {
    /// SaaS / web service go-live
    Saas,
    /// AI/ML pre-production review
    Ml,
    /// Disaster recovery plan for PostgreSQL
    Dr,
    /// ISO 27001 operations controls (Annex A)
    Iso27001,
    /// Maturity-level production readiness review
    Maturity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Lang {
    En,
    Fr,
}

pub(crate) const TEMPLATES: &[Template] = &[
    Template::Saas,
    Template::Ml,
    Template::Dr,
    Template::Iso27001,
    Template::Maturity,
];

impl Template {
    fn name(self) -> &'static str {
        match self {
            Template::Saas => "saas",
            Template::Ml => "ml",
            Template::Dr => "dr",
            Template::Iso27001 => "iso27001",
            Template::Maturity => "maturity",
        }
    }

    fn about(self) -> &'static str {
        match self {
            Template::Saas => {
                "SaaS / web service go-live: health, TLS, DNS, headers, load, backups"
            }
            Template::Ml => {
                "AI/ML pre-production: data quality, holdout and bias evaluation, serving, red team"
            }
            Template::Dr => {
                "DR plan (PostgreSQL): backup age (RPO), standby and lag, restore drill (RTO)"
            }
            Template::Iso27001 => {
                "ISO 27001 operations: Annex A technological and organisational controls"
            }
            Template::Maturity => {
                "Maturity-level production readiness review: L1 launchable, L2 operable, L3 resilient"
            }
        }
    }

    /// The checklist's file name (the same in both languages, so commands in docs work).
    pub(crate) fn file(self) -> &'static str {
        match self {
            Template::Saas => "go-live.md",
            Template::Ml => "ml-preprod.md",
            Template::Dr => "dr-plan.md",
            Template::Iso27001 => "iso27001-ops.md",
            Template::Maturity => "readiness-review.md",
        }
    }

    pub(crate) fn checklist(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Template::Saas, Lang::En) => include_str!("templates/saas.en.md"),
            (Template::Saas, Lang::Fr) => include_str!("templates/saas.fr.md"),
            (Template::Ml, Lang::En) => include_str!("templates/ml.en.md"),
            (Template::Ml, Lang::Fr) => include_str!("templates/ml.fr.md"),
            (Template::Dr, Lang::En) => include_str!("templates/dr.en.md"),
            (Template::Dr, Lang::Fr) => include_str!("templates/dr.fr.md"),
            (Template::Iso27001, Lang::En) => include_str!("templates/iso27001.en.md"),
            (Template::Iso27001, Lang::Fr) => include_str!("templates/iso27001.fr.md"),
            (Template::Maturity, Lang::En) => include_str!("templates/maturity.en.md"),
            (Template::Maturity, Lang::Fr) => include_str!("templates/maturity.fr.md"),
        }
    }

    /// The checks, shared by both languages: items are named by their `<!-- id: … -->`.
    pub(crate) fn config(self) -> &'static str {
        match self {
            Template::Saas => include_str!("templates/saas.toml"),
            Template::Ml => include_str!("templates/ml.toml"),
            Template::Dr => include_str!("templates/dr.toml"),
            Template::Iso27001 => include_str!("templates/iso27001.toml"),
            Template::Maturity => include_str!("templates/maturity.toml"),
        }
    }
}

pub(super) fn run(args: Args) -> anyhow::Result<Outcome> {
    if args.list {
        for template in TEMPLATES {
            say!("{:<10} {}", template.name(), template.about())?;
        }
        return Ok(Outcome::Ok);
    }
    let template = args.template;
    let checklist = args.dir.join(template.file());
    let config = args.dir.join("golive.toml");
    let taken: Vec<String> = [&checklist, &config]
        .into_iter()
        .filter(|path| path.symlink_metadata().is_ok())
        .map(|path| format!("`{}`", path.display()))
        .collect();
    if !taken.is_empty() {
        bail!(
            "{} already exist{}; golive init never overwrites a file (pick another --dir, or move it away)",
            taken.join(" and "),
            if taken.len() == 1 { "s" } else { "" }
        );
    }
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create `{}`", args.dir.display()))?;
    write_new(&checklist, template.checklist(args.lang))?;
    if let Err(error) = write_new(&config, template.config()) {
        // Both files or neither: a checklist without its checks would look like a success.
        let _ = std::fs::remove_file(&checklist);
        return Err(error);
    }
    let shown = checklist.display();
    say!("wrote {shown} and {}", config.display())?;
    say!("\nNext:")?;
    say!(
        "  # replace the example.test placeholders in golive.toml with your service's names, then"
    )?;
    say!("  golive check {shown} --dry-run   # validates golive.toml, runs nothing")?;
    say!("  golive check {shown}")?;
    say!("  golive gate {shown}")?;
    Ok(Outcome::Ok)
}

/// Creates `path` with `text`; an existing file (even one that appeared since we looked) is an
/// error, never replaced.
fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| match path.parent() {
            Some(_) if path.exists() => format!(
                "`{}` already exists; golive init never overwrites a file",
                path.display()
            ),
            Some(dir) => format!(
                "cannot create `{}` (is `{}` writable?)",
                path.display(),
                if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                }
                .display()
            ),
            None => format!("cannot create `{}`", path.display()),
        })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write `{}`", path.display()))
}

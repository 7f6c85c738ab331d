//! Which kind of check an item's words ask for. One ordered table of patterns over the
//! item's folded text (accents and case aside, so EN, FR and DE read alike); the first
//! pattern that matches decides, so the specific rules (prompt injection, `.env` → 600, RPO)
//! come before the broad ones (tests, health, metrics).

use std::sync::LazyLock;

use regex::Regex;

/// What a check would verify, before placeholders and thresholds are filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Llm,
    Drift,
    Model,
    Bias,
    Scan,
    ScanLogs,
    EnvVar,
    FileMode,
    GitIgnored,
    Postgres,
    ReplicaLag,
    Connections,
    RestoreDrill,
    RpoDrill,
    Tls,
    Headers,
    Cors,
    Dns,
    PortOpen,
    PortClosed,
    AlertsFiring,
    Prometheus,
    Load,
    Kubernetes,
    Health,
    AuthRequired,
    NoStackTraces,
    Tests,
    Vulnerabilities,
    DataQuality,
    DiskSpace,
    LogErrors,
    Cron,
    Script,
    FileExists,
    Backup,
}

impl Kind {
    /// The golive probe the stanza uses.
    pub(crate) fn probe(self) -> &'static str {
        match self {
            Kind::Llm => "llm",
            Kind::Drift => "drift",
            Kind::Model | Kind::Bias => "model",
            Kind::Scan | Kind::ScanLogs => "scan",
            Kind::FileMode | Kind::FileExists | Kind::Backup => "file",
            Kind::Postgres | Kind::ReplicaLag | Kind::Connections => "postgres",
            Kind::RestoreDrill | Kind::RpoDrill => "drill",
            Kind::Tls => "tls",
            Kind::Headers
            | Kind::Cors
            | Kind::Health
            | Kind::AuthRequired
            | Kind::NoStackTraces => "http",
            Kind::Dns => "dns",
            Kind::PortOpen | Kind::PortClosed => "tcp",
            Kind::AlertsFiring | Kind::Prometheus => "prometheus",
            Kind::Load => "load",
            Kind::EnvVar
            | Kind::GitIgnored
            | Kind::Kubernetes
            | Kind::Tests
            | Kind::Vulnerabilities
            | Kind::DataQuality
            | Kind::DiskSpace
            | Kind::LogErrors
            | Kind::Cron
            | Kind::Script => "command",
        }
    }
}

/// Items about people, paperwork and plans: no probe can observe a meeting, a signature or a
/// document being read, so these are never suggested a check, whatever else they mention
/// (`Expliquer SLA (RPO/RTO)` is a talk, not a drill).
const NOT_A_MACHINE: &str = r"(?x)
    document | runbook | \bformation | \bformee?s?\b | \btrained | \btraining | reunion
  | \bmeetings\b | retrospective | montrer | expliquer | planifi | \bschedul | approuv
  | \bapproved | sign.off | communi | annonc | announce | \bbudget | \breview | \brevue
  | post.mortem | lessons | \brapport | \breport | polic(y|ies) | politique
  | \bguide | \bfaq\b | tutori | contact | on.call | escalad | escalation | responsable
  | (service|product|business|system|data|code)\ owner | \bowner\ (approv|sign|accept) | abnahme | plannings | ^quand\b | business | success\ metrics | \.md\b | actualis
  | ^poster\b | ^envoyer\b | ^afficher\b | ^audit\b | \brecue?\b | \breceived | simul
  | lieu\ sur | analyse | dashboard | \bsupport\b | penetration | pen\ test | compliance
  | conformite\ (rgpd|sla) | hipaa | gdpr | rgpd | \bsox\b
  | datadog | pagerduty | new\ relic | splunk | codecov";

/// Where a rule looks: the folded text, or the text as written (backticked names keep their
/// case there).
#[derive(Clone, Copy)]
enum On {
    Folded,
    Raw,
}

/// The ordered rules: (pattern, where, kind). The first match wins.
const RULES: &[(&str, On, Kind)] = &[
    // AI/ML and leaks first: their items also say "tests", "logs" or "monitored".
    (
        r"prompt.injection|injection de prompt|jailbreak|red.team|fuite de donnees|data leak",
        On::Folded,
        Kind::Llm,
    ),
    // CI gates before drift: "Contract/drift gates pass" is a CI job, not data drift.
    (
        r"\bgates? pass|\bci\b.*\bpass|\bpipeline\b.*(\bpass|\bok\b|green|vert)",
        On::Folded,
        Kind::Tests,
    ),
    (
        r"\bdrift\b|derive des donnees|datendrift",
        On::Folded,
        Kind::Drift,
    ),
    (
        r"\bbias\b|biais|fairness|\bequite\b|fairness",
        On::Folded,
        Kind::Bias,
    ),
    (
        r"holdout|precision ia|precision chute|model performance|accuracy|\bgenauigkeit",
        On::Folded,
        Kind::Model,
    ),
    (
        r"(sensitive data|sensibles?|\bpii\b|personal data|personnelles).*\blogs?\b|masked in logs|\blogs?\b.*(sensitive|sensib|pii)",
        On::Folded,
        Kind::ScanLogs,
    ),
    (
        r"hardcod|en dur\b|secrets? in (code|the repo)",
        On::Folded,
        Kind::Scan,
    ),
    // Files named in backticks: modes, .gitignore, env variables.
    (
        r"gitignore|ne pas committer|not committed|never committed",
        On::Folded,
        Kind::GitIgnored,
    ),
    (
        r"(→|->|permissions?|chmod|mode)\s*\(?(0o)?[0-7]{3}\b",
        On::Raw,
        Kind::FileMode,
    ),
    (
        r"\bpsql\b|postgres|aurora|permissions du user|user .*(\brole\b|tables|databases)|database `[^`]+` cree|supprimer database|donnees accessibles|\bmigrations?\b|\bindexes\b|query latency",
        On::Folded,
        Kind::Postgres,
    ),
    (
        r"replica(tion)? lag|retard de replication",
        On::Folded,
        Kind::ReplicaLag,
    ),
    (
        r"connection (pool|limits)|connexions? (max|disponibles)",
        On::Folded,
        Kind::Connections,
    ),
    (
        r"`[A-Z][A-Z0-9_]{2,}`.*(configur|\bset\b|nomme|defini|gesetzt)",
        On::Raw,
        Kind::EnvVar,
    ),
    // Backups and drills: objectives before files.
    (r"\brpo\b", On::Folded, Kind::RpoDrill),
    (
        r"\brto\b|restauration en|restauree? en|database restauree|donnees coherentes|test.restore|restore_run|backup/restore (getestet|tested)|restore (getestet|tested)|test de restauration|disaster recovery|backup and recovery|wiederherstellung",
        On::Folded,
        Kind::RestoreDrill,
    ),
    // Network.
    (
        r"\b(ssl|tls|https)\b|certificat|certificate|zertifikat|in transit|en transit",
        On::Folded,
        Kind::Tls,
    ),
    (r"\bcors\b", On::Folded, Kind::Cors),
    (
        r"\bhsts\b|\bcsp\b|x.frame|security headers|en.tetes de securite",
        On::Folded,
        Kind::Headers,
    ),
    (r"\bdns\b|\bdomains?\b|\bdomaines?\b", On::Folded, Kind::Dns),
    (
        r"\bports?\b.*(minimal|closed|ferme|geschlossen)|reseau.*isole|network.*isolated",
        On::Folded,
        Kind::PortClosed,
    ),
    (
        r"\bports?\b.*(open|ouvert)|accessible \(ssh|reseau.*ouvert",
        On::Folded,
        Kind::PortOpen,
    ),
    // Tests whose pass/fail is a command's exit code (before load: "end-to-end tests … for
    // critical user journeys" is a test suite).
    (
        r"tests? (unitaires|d.integration|de regression|end.to.end|e2e|en staging|complets|post.maintenance)|unit tests|integration tests|end.to.end tests|tests? end.to.end|regression|tous les tests|all tests|tests pass|tous les checks|security tests|\bsast\b|\bdast\b|static.dynamic analysis|test d.integration|\bunit tests?\b|static code analysis|\blint|synthetic tests?|\be2e\b|coverage (is )?(over|above|>|>=) ?\d+",
        On::Folded,
        Kind::Tests,
    ),
    (
        r"vulnerabilit|dependency scanning|dependances de securite|security scan|critical security issues",
        On::Folded,
        Kind::Vulnerabilities,
    ),
    (
        r"data quality|qualite des donnees|datenqualitat|data validation",
        On::Folded,
        Kind::DataQuality,
    ),
    // Monitoring after launch: Prometheus; before load, as both speak of latency and errors.
    (
        r"alerte? critique|critical alert|no (firing|active) alerts?",
        On::Folded,
        Kind::AlertsFiring,
    ),
    (
        r"prometheus|\balert(e|es|s|ing)?\b|\bmetri(c|que)s?\b|\[x\]|availability|disponibilite|\biops\b|scrap|error rates? .*(monitor|watch|closely)|monitor.* error|watch latency|sla monitoring|monitoring des (performances|metriques)|performance monitoring",
        On::Folded,
        Kind::Prometheus,
    ),
    (
        r"\bcharge\b|load test|\bload \(|normal load|high load|stress test|spike|\bsoak\b|\bp(50|90|95|99)\b|latenc|response time|temps de reponse|antwortzeit|throughput|\brps\b|requests.sec|performance.tests?|tests? de performance|validation des performances|performance targets|error rate|taux d.erreur|fehlerrate|critical user (journeys|flows)",
        On::Folded,
        Kind::Load,
    ),
    // "… testing complete" after load, which keeps load/stress/performance testing.
    (
        r"\btest(s|ing)? (complete|executed)|test plan executed",
        On::Folded,
        Kind::Tests,
    ),
    (
        r"\bcluster\b|\bnodes?\b|\bhpa\b|poddisruption|\bpods?\b|microservices running|non.root containers?",
        On::Folded,
        Kind::Kubernetes,
    ),
    (r"\bstack traces?\b", On::Folded, Kind::NoStackTraces),
    (
        r"require authentication|authentication/authorization|authentification requise",
        On::Folded,
        Kind::AuthRequired,
    ),
    (
        r"\bhealth(\b|[ -]?checks?)|\bsante\b|smoke|endpoint|apis? (accessibles?|repondent)|responding|status page|authentication working|load balancer|\balb\b|model serving|erreichbar",
        On::Folded,
        Kind::Health,
    ),
    (
        r"espace disque|disk space|speicherplatz",
        On::Folded,
        Kind::DiskSpace,
    ),
    (
        r"(erreurs?|errors?|fehler).*\blogs?\b|\blogs?\b.*(erreur|error|fehler)",
        On::Folded,
        Kind::LogErrors,
    ),
    (
        r"crontab|\bcron (backups|monitoring)",
        On::Folded,
        Kind::Cron,
    ),
    (
        r"`\./[^`]+`|^(tester|test|verifier|run|executer)\s*:\s*`[^`]+`|:\s*`(npm|npx|yarn|pnpm|make|cargo|go|pytest|python3?|mvn|gradle) [^`]+`",
        On::Raw,
        Kind::Script,
    ),
    (
        r"`[^`]*[./][^`]*`.*(copie|cree|created|exists|existe)|(creer|create)\s+`[^`]+`|(?i:\bdockerignore\b|\bdependabot\b)",
        On::Raw,
        Kind::FileExists,
    ),
    (
        r"(sauvegardes?|backups?)\b.*(creee?|created|effectuee|recent|\bage\b|< ?\d|automated|systems)|age sauvegarde|heure = maintenant|fichier cree|taille > ?\d|size > ?\d|verification des sauvegardes|sauvegarde (effectuee|preventive)",
        On::Folded,
        Kind::Backup,
    ),
];

struct Compiled {
    not_a_machine: Regex,
    rules: Vec<(Regex, On, Kind)>,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| Compiled {
    not_a_machine: compile(NOT_A_MACHINE),
    rules: RULES
        .iter()
        .map(|(pattern, on, kind)| (compile(pattern), *on, *kind))
        .collect(),
});

/// The patterns are constants of this file, checked by the unit tests: a bad one is a bug
/// here, never something a user wrote.
#[allow(clippy::expect_used)]
fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).expect("suggest rule patterns are valid")
}

/// The kind of check `raw` (the item's text as written) and `folded` (the same text folded)
/// ask for, if a machine can verify it.
pub(crate) fn classify(raw: &str, folded: &str) -> Option<Kind> {
    let compiled = &*COMPILED;
    if compiled.not_a_machine.is_match(folded) {
        return None;
    }
    compiled
        .rules
        .iter()
        .find(|(pattern, on, _)| match on {
            On::Folded => pattern.is_match(folded),
            On::Raw => pattern.is_match(raw),
        })
        .map(|(_, _, kind)| *kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::fold;

    fn kind(text: &str) -> Option<Kind> {
        classify(text, &fold(text))
    }

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(COMPILED.rules.len(), RULES.len());
    }

    #[test]
    fn reads_en_fr_and_de() {
        assert_eq!(kind("Âge sauvegarde < 1 heure ✓"), Some(Kind::Backup));
        assert_eq!(
            kind("`.env` → 600 (propriétaire seulement)"),
            Some(Kind::FileMode)
        );
        assert_eq!(
            kind("Normal load (100 users) p95 < 200ms"),
            Some(Kind::Load)
        );
        assert_eq!(kind("TLS-Zertifikat gültig"), Some(Kind::Tls));
        assert_eq!(
            kind("Tests d'injection (prompt injection, SQL injection)"),
            Some(Kind::Llm)
        );
        assert_eq!(
            kind("Security Headers CSP, HSTS, X-Frame-Options set"),
            Some(Kind::Headers)
        );
        assert_eq!(kind("RPO < 1h: ✓ Conforme"), Some(Kind::RpoDrill));
    }

    #[test]
    fn people_and_paperwork_get_nothing() {
        assert_eq!(kind("Expliquer SLA (RPO/RTO)"), None);
        assert_eq!(kind("Runbook distribué à l'équipe"), None);
        assert_eq!(kind("Load balancing configured and tested"), None);
        assert_eq!(kind("SSH keys pour accès serveurs"), None);
        assert_eq!(kind("Abnahme durch Service Owner"), None);
        assert_eq!(
            kind("Actionable alert Its Datadog Monitors are created"),
            None
        );
    }

    /// "owner" alone is a file mode's words, not a person: only a named owner role is.
    #[test]
    fn owner_only_is_a_file_mode() {
        assert_eq!(kind("`.env` → 600 (owner only)"), Some(Kind::FileMode));
        assert_eq!(kind("Sign-off by the product owner"), None);
    }
}

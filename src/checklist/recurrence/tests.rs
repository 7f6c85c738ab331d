use super::*;

fn every(text: &str) -> Option<Every> {
    detect(text, false).map(|r| r.every)
}

#[test]
fn reads_periods_in_three_languages() {
    assert_eq!(every("Maintenance Quotidienne"), Some(Every::Day));
    assert_eq!(every("Maintenance Hebdomadaire"), Some(Every::Week));
    assert_eq!(every("Maintenance Mensuelle"), Some(Every::Month));
    assert_eq!(every("Trimestriel"), Some(Every::Quarter));
    assert_eq!(every("Daily checks"), Some(Every::Day));
    assert_eq!(every("Tägliche Prüfung"), Some(Every::Day));
    assert_eq!(every("Wöchentlich"), Some(Every::Week));
    assert_eq!(every("Monatlich"), Some(Every::Month));
    assert_eq!(every("Quarterly DR drill"), Some(Every::Quarter));
    assert_eq!(every("Phase 1: Préparation (Jour 1-2)"), None);
    assert_eq!(every("Phase 9: Monitoring & Métriques (Semaine 2)"), None);
    assert_eq!(every("Maintenance Régulière"), None);
    assert_eq!(every("Bi-weekly review"), None);
}

#[test]
fn reads_days_and_times() {
    let monday = detect("Chaque lundi (09:00)", false).unwrap();
    assert_eq!(monday.every, Every::Week);
    assert_eq!(monday.on, Some(On::Weekday(Weekday::Mon)));
    assert_eq!(monday.at, NaiveTime::from_hms_opt(9, 0, 0));
    let thursday = detect("Dernier jeudi du mois", false).unwrap();
    assert_eq!(thursday.every, Every::Month);
    assert_eq!(thursday.on, Some(On::LastWeekday(Weekday::Thu)));
    let morning = detect("Chaque matin (8h30)", false).unwrap();
    assert_eq!(morning.every, Every::Day);
    assert_eq!(morning.at, NaiveTime::from_hms_opt(8, 30, 0));
}

#[test]
fn reads_item_titles_only_at_their_start() {
    assert_eq!(
        detect("Jour 1-7: Daily check: `./status.sh`", true).map(|r| r.every),
        Some(Every::Day)
    );
    assert_eq!(
        detect("Jour 7: Weekly test", true).map(|r| r.every),
        Some(Every::Week)
    );
    assert_eq!(
        detect("Jour 30: Monthly: Full `./loadtest.sh`", true).map(|r| r.every),
        Some(Every::Month)
    );
    assert_eq!(detect("Jour 14: Bi-weekly review", true), None);
    assert_eq!(detect("Set up daily backups", true), None);
    assert_eq!(
        detect("Daily metrics review", true),
        None,
        "seed 004: a one-time task"
    );
}

#[test]
fn runbooks() {
    assert_eq!(
        detect_runbook("Checklist Incident"),
        Some(RunbookKind::Incident)
    );
    assert_eq!(
        detect_runbook("6.2 Procédure de Changement"),
        Some(RunbookKind::Change)
    );
    assert_eq!(
        detect_runbook("Checklist Maintenance"),
        Some(RunbookKind::Maintenance)
    );
    assert_eq!(detect_runbook("Maintenance Préventive"), None);
    assert_eq!(detect_runbook("Checklist Déploiement Production"), None);
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn periods_are_days_iso_weeks_months_quarters() {
    let utc = chrono_tz::UTC;
    let mut r = detect("weekly", false).unwrap();
    // 2027-01-01 is a Friday in ISO week 2026-W53.
    assert_eq!(r.period(at("2027-01-01T12:00:00Z"), utc).key, "2026-W53");
    r.every = Every::Quarter;
    let q = r.period(at("2026-11-15T00:00:00Z"), utc);
    assert_eq!(
        (q.key.as_str(), q.start, q.end),
        (
            "2026-Q4",
            at("2026-10-01T00:00:00Z"),
            at("2027-01-01T00:00:00Z")
        )
    );
    let thursday = detect("dernier jeudi du mois", false).unwrap();
    let p = thursday.period(at("2026-12-02T00:00:00Z"), utc);
    assert_eq!(
        p.due,
        at("2027-01-01T00:00:00Z"),
        "due by the end of Thursday 31st"
    );
}

#[test]
fn days_follow_the_clock_across_dst() {
    let paris: Tz = "Europe/Paris".parse().unwrap();
    let mut r = detect("Chaque matin (02:30)", false).unwrap();
    r.tz = Some(paris);
    // 2026-03-29: clocks go from 02:00 to 03:00 in Paris; the day is 23 hours long.
    let p = r.period(at("2026-03-29T10:00:00Z"), chrono_tz::UTC);
    assert_eq!(p.key, "2026-03-29");
    assert_eq!(p.start, at("2026-03-28T23:00:00Z"));
    assert_eq!(p.end, at("2026-03-29T22:00:00Z"));
    assert_eq!(
        p.due,
        at("2026-03-29T01:00:00Z"),
        "02:30 does not exist: 03:00 CEST"
    );
    // 2026-10-25: 02:30 happens twice; the first (CEST) counts. The day is 25 hours.
    let p = r.period(at("2026-10-25T12:00:00Z"), chrono_tz::UTC);
    assert_eq!(p.end - p.start, Duration::hours(25));
    assert_eq!(p.due, at("2026-10-25T00:30:00Z"));
    let days = r.periods(
        at("2026-03-27T12:00:00Z"),
        at("2026-03-31T00:00:00Z"),
        chrono_tz::UTC,
        100,
    );
    let keys: Vec<&str> = days.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "2026-03-27",
            "2026-03-28",
            "2026-03-29",
            "2026-03-30",
            "2026-03-31"
        ]
    );
}

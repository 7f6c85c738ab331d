//! Recurring items and runbook sections: reading them from headings (EN/FR/DE), letting
//! `golive.toml` set or override them, and the period arithmetic (day, ISO week, month,
//! quarter, in a time zone) that `due`, `tick` and the evidence pack share.
//!
//! Recurring and runbook items never gate a go-live: they describe operations after it.
//! Pure: callers hand in the instant; nothing here reads a clock.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono::{Months, Weekday};
use chrono_tz::Tz;
use serde::{Serialize, Serializer};

use super::classify::fold;
use super::model::Checklist;
use super::toml::{Fields, RawValue, Spanned};
use crate::diagnostic::Diagnostic;

/// How often an item is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Every {
    Day,
    /// ISO week, Monday to Sunday.
    Week,
    Month,
    Quarter,
}

impl Every {
    pub fn as_str(self) -> &'static str {
        match self {
            Every::Day => "day",
            Every::Week => "week",
            Every::Month => "month",
            Every::Quarter => "quarter",
        }
    }

    pub fn parse(text: &str) -> Option<Every> {
        match fold(text).trim() {
            "day" | "daily" => Some(Every::Day),
            "week" | "weekly" => Some(Every::Week),
            "month" | "monthly" => Some(Every::Month),
            "quarter" | "quarterly" => Some(Every::Quarter),
            _ => None,
        }
    }
}

/// Which day of the period the item is due on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    /// The first such weekday of the period ("chaque lundi").
    Weekday(Weekday),
    /// The last such weekday of the period ("dernier jeudi du mois").
    LastWeekday(Weekday),
    /// The Nth day of the month or quarter, clamped to its length.
    Day(u32),
}

impl On {
    pub fn text(self) -> String {
        match self {
            On::Weekday(day) => weekday_name(day).to_string(),
            On::LastWeekday(day) => format!("last-{}", weekday_name(day)),
            On::Day(n) => format!("day-{n}"),
        }
    }

    /// `monday`, `last-thursday`, `day-15` (as `golive.toml` writes them).
    pub fn parse(text: &str) -> Option<On> {
        let text = fold(text);
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("last ") {
            return weekday(rest.trim()).map(On::LastWeekday);
        }
        if let Some(rest) = text.strip_prefix("day ") {
            return rest
                .trim()
                .parse()
                .ok()
                .filter(|n| (1..=92).contains(n))
                .map(On::Day);
        }
        weekday(text).map(On::Weekday)
    }
}

/// When an item recurs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    pub every: Every,
    pub on: Option<On>,
    /// Time of day the item is due by, in `tz`.
    pub at: Option<NaiveTime>,
    /// `None`: the configuration's default (`[recurring] tz`), else UTC.
    pub tz: Option<Tz>,
    /// The text it was read from (a heading, an item title, or `golive.toml`).
    pub from: String,
}

impl Serialize for Recurrence {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("every", self.every.as_str())?;
        if let Some(on) = self.on {
            map.serialize_entry("on", &on.text())?;
        }
        if let Some(at) = self.at {
            map.serialize_entry("at", &at.format("%H:%M").to_string())?;
        }
        if let Some(tz) = self.tz {
            map.serialize_entry("tz", tz.name())?;
        }
        map.serialize_entry("from", &self.from)?;
        map.end()
    }
}

/// What kind of procedure a runbook section is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunbookKind {
    Incident,
    Change,
    Maintenance,
    Procedure,
}

impl RunbookKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunbookKind::Incident => "incident",
            RunbookKind::Change => "change",
            RunbookKind::Maintenance => "maintenance",
            RunbookKind::Procedure => "procedure",
        }
    }

    pub fn parse(text: &str) -> Option<RunbookKind> {
        match fold(text).trim() {
            "incident" => Some(RunbookKind::Incident),
            "change" => Some(RunbookKind::Change),
            "maintenance" => Some(RunbookKind::Maintenance),
            "procedure" | "runbook" => Some(RunbookKind::Procedure),
            _ => None,
        }
    }
}

/// A section run once per occurrence (an incident, a change), as an instance with its own
/// state (`golive start`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Runbook {
    pub kind: RunbookKind,
    /// Index into [`Checklist::sections`] of the runbook's heading.
    #[serde(skip)]
    pub section: usize,
    /// The runbook's heading, as written.
    #[serde(rename = "section")]
    pub heading: String,
    /// Roles whose GO an instance needs before its gate says GO.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<String>,
}

/// Marks recurring and runbook items from their section headings (innermost first) and, for
/// recurrences, a title that starts with one ("Jour 1-7: Daily check"). Run once after import,
/// with the decoded `text` the checklist was read from (for approvals written as prose).
pub fn mark(checklist: &mut Checklist, text: &str) {
    let sections = &checklist.sections;
    let from_heading: Vec<Option<Recurrence>> = sections
        .iter()
        .map(|s| detect(last(&s.path), false))
        .collect();
    let runbook_heading: Vec<Option<RunbookKind>> = sections
        .iter()
        .map(|s| detect_runbook(last(&s.path)))
        .collect();
    for item in &mut checklist.items {
        let mut recurrence = None;
        let mut runbook = None;
        let mut current = item.section;
        while let Some(index) = current {
            if recurrence.is_none() && runbook.is_none() {
                recurrence.clone_from(&from_heading[index]);
                if recurrence.is_none()
                    && let Some(kind) = runbook_heading[index]
                {
                    runbook = Some(Runbook {
                        kind,
                        section: index,
                        heading: last(&sections[index].path).to_string(),
                        approvals: Vec::new(),
                    });
                }
            }
            current = sections[index].parent;
        }
        if recurrence.is_none() && runbook.is_none() {
            recurrence = detect(&item.title, true);
        }
        item.recurrence = recurrence.map(Box::new);
        item.runbook = runbook.map(Box::new);
    }
    // A runbook needs the approvals written in its scope (see `approvals::scope`): sign-off
    // tables, then approval lines in prose.
    let within: Vec<(usize, Vec<String>)> = runbook_heading
        .iter()
        .enumerate()
        .filter_map(|(index, kind)| Some((index, (*kind)?)))
        .map(|(index, kind)| {
            let (start, end) = approvals::scope(checklist, index, kind);
            let mut roles: Vec<String> = checklist
                .approvals
                .iter()
                .filter(|a| (start..end).contains(&a.line))
                .map(|a| a.role.clone())
                .collect();
            for role in approvals::named_in(text, (start, end)) {
                if !roles.iter().any(|known| fold(known) == fold(&role)) {
                    roles.push(role);
                }
            }
            (index, roles)
        })
        .collect();
    for item in &mut checklist.items {
        if let Some(runbook) = &mut item.runbook
            && let Some((_, roles)) = within.iter().find(|(index, _)| *index == runbook.section)
        {
            runbook.approvals.clone_from(roles);
        }
    }
}

fn last(path: &[String]) -> &str {
    path.last().map_or("", String::as_str)
}

/// The recurrence a heading (or, with `leading`, the start of an item title) names.
pub fn detect(text: &str, leading: bool) -> Option<Recurrence> {
    // "Jour 1-7: Daily check": the day prefix is when, the word after it how often. A title
    // without such a prefix ("Daily metrics review" in "First Week") is a one-time task that
    // happens to say daily: the heading decides for it (and most titles end here, before any
    // word list is read). An ASCII title folds to itself lowercased, so it is told before a
    // folded copy is made.
    if leading && text.is_ascii() && !day_prefixed(text) {
        return None;
    }
    let folded = fold(text);
    if leading && !day_prefixed(&folded) {
        return None;
    }
    let mut words = words_of(&folded);
    if leading {
        words.drain(..2);
        if words
            .first()
            .is_some_and(|w| w.chars().all(|c| c.is_ascii_digit()))
        {
            words.remove(0);
        }
        words.truncate(1);
    }
    // Twice a week or every other week is not one of the periods: say nothing rather than
    // the wrong thing.
    let all = words_of(&folded);
    if all
        .windows(2)
        .any(|pair| pair[0] == "bi" && pair[1] == "weekly")
        || all
            .iter()
            .any(|w| w.starts_with("biweekly") || w.starts_with("bihebdo"))
    {
        return None;
    }
    let has = |w: &str| words.contains(&w);
    let phrase = |a: &str, b: &str| words.windows(2).any(|pair| pair[0] == a && pair[1] == b);
    let mut every = None;
    let mut on = None;
    let daily = [
        "daily",
        "quotidien",
        "quotidienne",
        "quotidiens",
        "quotidiennes",
    ];
    let daily_de = [
        "taglich",
        "taglicher",
        "tagliche",
        "journalier",
        "journaliere",
    ];
    if daily.iter().chain(&daily_de).any(|w| has(w))
        || phrase("chaque", "jour")
        || phrase("chaque", "matin")
        || phrase("tous", "jours")
        || phrase("every", "day")
        || phrase("each", "day")
        || phrase("jeden", "tag")
    {
        every = Some(Every::Day);
    }
    let weekly = [
        "weekly",
        "hebdomadaire",
        "hebdomadaires",
        "wochentlich",
        "wochentliche",
    ];
    if weekly.iter().any(|w| has(w))
        || phrase("chaque", "semaine")
        || phrase("every", "week")
        || phrase("each", "week")
        || phrase("jede", "woche")
    {
        every = Some(Every::Week);
    }
    for pair in words.windows(2) {
        if matches!(pair[0], "chaque" | "every" | "each" | "jeden" | "tous")
            && let Some(day) = weekday(pair[1].trim_end_matches('s'))
        {
            every = Some(Every::Week);
            on = Some(On::Weekday(day));
        }
    }
    let monthly = [
        "monthly",
        "mensuel",
        "mensuelle",
        "mensuels",
        "mensuelles",
        "monatlich",
    ];
    if monthly.iter().any(|w| has(w))
        || phrase("chaque", "mois")
        || phrase("every", "month")
        || phrase("each", "month")
        || phrase("jeden", "monat")
    {
        every = Some(Every::Month);
    }
    // "dernier jeudi du mois", "last Thursday of the month", "letzter Donnerstag im Monat"
    for triple in words.windows(2) {
        if matches!(
            triple[0],
            "dernier" | "derniere" | "last" | "letzter" | "letzten"
        ) && let Some(day) = weekday(triple[1])
            && (has("mois") || has("month") || has("monat") || has("monats"))
        {
            every = Some(Every::Month);
            on = Some(On::LastWeekday(day));
        }
    }
    let quarterly = [
        "quarterly",
        "trimestriel",
        "trimestrielle",
        "trimestriels",
        "vierteljahrlich",
        "quartalsweise",
        "quartalsweiser",
    ];
    if quarterly.iter().any(|w| has(w))
        || phrase("chaque", "trimestre")
        || phrase("every", "quarter")
        || phrase("each", "quarter")
        || phrase("jedes", "quartal")
    {
        every = Some(Every::Quarter);
    }
    let every = every?;
    Some(Recurrence {
        every,
        on,
        at: if leading { None } else { time_of_day(text) },
        tz: None,
        from: text.trim().to_string(),
    })
}

/// "Jour 1-7: …", "Day 3 …": text whose first word names a day and whose second is its
/// number. The text is folded, or ASCII in any case (which folding would only lowercase).
fn day_prefixed(text: &str) -> bool {
    let mut words = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty());
    words.next().is_some_and(|first| {
        ["jour", "day", "tag", "j"]
            .iter()
            .any(|day| first.eq_ignore_ascii_case(day))
    }) && words
        .next()
        .is_some_and(|w| w.chars().all(|c| c.is_ascii_digit()))
}

/// Folded text's words: letters and digits, whatever separates them.
fn words_of(folded: &str) -> Vec<&str> {
    folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

fn detect_runbook(heading: &str) -> Option<RunbookKind> {
    let folded = fold(heading);
    let words = words_of(&folded);
    let has = |list: &[&str]| words.iter().any(|w| list.contains(w));
    if has(&[
        "incident",
        "incidents",
        "vorfall",
        "vorfalle",
        "storung",
        "outage",
        "panne",
    ]) {
        Some(RunbookKind::Incident)
    } else if has(&[
        "change",
        "changes",
        "changement",
        "changements",
        "anderung",
        "anderungen",
    ]) {
        Some(RunbookKind::Change)
    } else if has(&["runbook", "runbooks", "playbook", "playbooks"]) {
        Some(RunbookKind::Procedure)
    } else if has(&["maintenance", "wartung"])
        && has(&[
            "checklist",
            "checkliste",
            "window",
            "fenetre",
            "wartungsfenster",
        ])
    {
        Some(RunbookKind::Maintenance)
    } else {
        None
    }
}

/// `08:00`, `9h30`, `09h` in the text.
fn time_of_day(text: &str) -> Option<NaiveTime> {
    let bytes = text.as_bytes();
    for (start, _) in text.char_indices() {
        if start > 0 && bytes[start - 1].is_ascii_digit() {
            continue;
        }
        let rest = &text[start..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 2 {
            continue;
        }
        let Ok(hour) = rest[..digits].parse::<u32>() else {
            continue;
        };
        let after = &rest[digits..];
        let (separator, minutes_text) = match after.chars().next() {
            Some(c @ (':' | 'h' | 'H')) => (c, &after[1..]),
            _ => continue,
        };
        let minute_digits = minutes_text.bytes().take_while(u8::is_ascii_digit).count();
        let minute = match minute_digits {
            2 => minutes_text[..2].parse::<u32>().ok()?,
            0 if separator != ':' => 0,
            _ => continue,
        };
        if let Some(time) = NaiveTime::from_hms_opt(hour, minute, 0) {
            return Some(time);
        }
    }
    None
}

fn weekday(word: &str) -> Option<Weekday> {
    Some(match word {
        "monday" | "lundi" | "montag" => Weekday::Mon,
        "tuesday" | "mardi" | "dienstag" => Weekday::Tue,
        "wednesday" | "mercredi" | "mittwoch" => Weekday::Wed,
        "thursday" | "jeudi" | "donnerstag" => Weekday::Thu,
        "friday" | "vendredi" | "freitag" => Weekday::Fri,
        "saturday" | "samedi" | "samstag" => Weekday::Sat,
        "sunday" | "dimanche" | "sonntag" => Weekday::Sun,
        _ => return None,
    })
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

/// One period of a recurrence: `[start, end)`, due by `due`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    /// `2026-12-02`, `2026-W49`, `2026-12`, `2026-Q4`.
    pub key: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Done after this is late; not done after it is overdue.
    pub due: DateTime<Utc>,
}

impl Recurrence {
    /// The time zone periods are counted in.
    pub fn zone(&self, default: Tz) -> Tz {
        self.tz.unwrap_or(default)
    }

    /// The period containing `at`.
    pub fn period(&self, at: DateTime<Utc>, default: Tz) -> Period {
        let tz = self.zone(default);
        let date = at.with_timezone(&tz).date_naive();
        let first = match self.every {
            Every::Day => date,
            Every::Week => date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
            Every::Month => date.with_day(1).unwrap_or(date),
            Every::Quarter => {
                NaiveDate::from_ymd_opt(date.year(), (date.month0() / 3) * 3 + 1, 1).unwrap_or(date)
            }
        };
        let next = match self.every {
            Every::Day => first + Duration::days(1),
            Every::Week => first + Duration::days(7),
            Every::Month => first.checked_add_months(Months::new(1)).unwrap_or(first),
            Every::Quarter => first.checked_add_months(Months::new(3)).unwrap_or(first),
        };
        let key = match self.every {
            Every::Day => first.format("%Y-%m-%d").to_string(),
            Every::Week => {
                let week = first.iso_week();
                format!("{}-W{:02}", week.year(), week.week())
            }
            Every::Month => first.format("%Y-%m").to_string(),
            Every::Quarter => format!("{}-Q{}", first.year(), first.month0() / 3 + 1),
        };
        let start = local(tz, first, NaiveTime::MIN);
        let end = local(tz, next, NaiveTime::MIN);
        let due_date = match (self.every, self.on) {
            (Every::Day, _) | (_, None) => first,
            (_, Some(On::Weekday(day))) => {
                let offset =
                    (7 + day.num_days_from_monday() - first.weekday().num_days_from_monday()) % 7;
                first + Duration::days(i64::from(offset))
            }
            (_, Some(On::LastWeekday(day))) => {
                let last_day = next - Duration::days(1);
                let back = (7 + last_day.weekday().num_days_from_monday()
                    - day.num_days_from_monday())
                    % 7;
                last_day - Duration::days(i64::from(back))
            }
            (_, Some(On::Day(n))) => {
                let wanted = first + Duration::days(i64::from(n) - 1);
                wanted.min(next - Duration::days(1))
            }
        };
        let due = match (self.at, self.on) {
            (Some(time), _) => local(tz, due_date, time),
            (None, Some(_)) if self.every != Every::Day => {
                local(tz, due_date + Duration::days(1), NaiveTime::MIN)
            }
            (None, _) => end,
        };
        Period {
            key,
            start,
            end,
            due: due.clamp(start, end),
        }
    }

    /// The periods overlapping `[from, until)`, oldest first, at most `limit` of them.
    pub fn periods(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        default: Tz,
        limit: usize,
    ) -> Vec<Period> {
        let mut out = Vec::new();
        let mut at = from;
        while at < until && out.len() < limit {
            let period = self.period(at, default);
            if period.end <= at {
                break;
            }
            at = period.end;
            out.push(period);
        }
        out
    }
}

/// A local date and time in `tz` as an instant. A time that does not exist (the hour skipped
/// when clocks go forward) moves forward to the first that does; one that happens twice (when
/// they go back) is the first.
fn local(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let mut wanted = date.and_time(time);
    for _ in 0..8 {
        match tz.from_local_datetime(&wanted) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => {
                return at.with_timezone(&Utc);
            }
            LocalResult::None => wanted += Duration::minutes(30),
        }
    }
    Utc.from_utc_datetime(&date.and_time(time))
}

/// `2026-12-02`, `2026-12-02T08:30`, `2026-12-02 08:30` (local to `tz`) or RFC 3339.
pub fn parse_instant(text: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(at) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(local(tz, at.date(), at.time()));
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(|date| local(tz, date, NaiveTime::MIN))
}

/// `golive.toml`'s `[recurring]`: the default time zone, and per-section settings that set
/// or override what the headings say.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub tz: Tz,
    pub sections: Vec<SectionSetting>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            tz: chrono_tz::UTC,
            sections: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SectionSetting {
    /// The heading, as written in `golive.toml` (matched accent-, case- and number-blind).
    pub heading: Spanned<String>,
    /// `Some(None)`: `every = "none"`, the section does not recur.
    pub every: Option<Option<Every>>,
    pub on: Option<On>,
    pub at: Option<NaiveTime>,
    pub tz: Option<Tz>,
    pub runbook: Option<RunbookKind>,
    pub approvals: Vec<String>,
}

const SECTION_KEYS: &[&str] = &["every", "on", "at", "tz", "runbook", "approvals"];

/// Reads `[recurring]`: `tz = "Europe/Paris"` and `[recurring.sections."HEADING"]` tables.
pub fn settings(mut fields: Fields) -> Result<Settings, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut settings = Settings::default();
    match fields.string("tz") {
        Ok(Some(text)) => match zone(&text) {
            Ok(tz) => settings.tz = tz,
            Err(error) => errors.push(error),
        },
        Ok(None) => {}
        Err(error) => errors.push(error),
    }
    match fields.take("sections") {
        None => {}
        Some(Spanned {
            value: RawValue::Table(mut table),
            ..
        }) => {
            for (heading, value) in table.drain() {
                let RawValue::Table(section) = value.value else {
                    errors.push(
                        Diagnostic::new(value.span, format!("`{}` must be a table", heading.value))
                            .with_hint("write `[recurring.sections.\"Maintenance Quotidienne\"]` and `every = \"day\"` under it"),
                    );
                    continue;
                };
                match section_setting(heading, section) {
                    Ok(setting) => settings.sections.push(setting),
                    Err(more) => errors.extend(more),
                }
            }
        }
        Some(other) => errors.push(Diagnostic::new(
            other.span,
            "`sections` must be a table of tables, `[recurring.sections.\"HEADING\"]`",
        )),
    }
    errors.extend(fields.unknown_keys("in [recurring]", &["tz", "sections"]));
    if errors.is_empty() {
        Ok(settings)
    } else {
        Err(errors)
    }
}

fn zone(text: &Spanned<String>) -> Result<Tz, Diagnostic> {
    text.value.parse::<Tz>().map_err(|_| {
        Diagnostic::new(
            text.span.clone(),
            format!("`{}` is not a time zone", text.value),
        )
        .with_hint("use an IANA name such as `Europe/Paris`, `America/New_York` or `UTC`")
    })
}

fn section_setting(
    heading: Spanned<String>,
    mut fields: Fields,
) -> Result<SectionSetting, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut setting = SectionSetting {
        heading,
        every: None,
        on: None,
        at: None,
        tz: None,
        runbook: None,
        approvals: Vec::new(),
    };
    let mut text = |key: &str, errors: &mut Vec<Diagnostic>| match fields.string(key) {
        Ok(value) => value,
        Err(error) => {
            errors.push(error);
            None
        }
    };
    if let Some(every) = text("every", &mut errors) {
        if fold(&every.value).trim() == "none" {
            setting.every = Some(None);
        } else {
            match Every::parse(&every.value) {
                Some(value) => setting.every = Some(Some(value)),
                None => errors.push(
                    Diagnostic::new(every.span, format!("`{}` is not a period", every.value))
                        .with_hint("use `day`, `week`, `month`, `quarter`, or `none`"),
                ),
            }
        }
    }
    if let Some(on) = text("on", &mut errors) {
        match On::parse(&on.value) {
            Some(value) => setting.on = Some(value),
            None => errors.push(
                Diagnostic::new(
                    on.span,
                    format!("`{}` is not a day of the period", on.value),
                )
                .with_hint("use a weekday (`monday`), `last thursday`, or `day 15`"),
            ),
        }
    }
    if let Some(at) = text("at", &mut errors) {
        match NaiveTime::parse_from_str(at.value.trim(), "%H:%M") {
            Ok(time) => setting.at = Some(time),
            Err(_) => errors.push(
                Diagnostic::new(at.span, format!("`{}` is not a time of day", at.value))
                    .with_hint("write it as HH:MM, 24-hour, e.g. `09:00`"),
            ),
        }
    }
    if let Some(tz) = text("tz", &mut errors) {
        match zone(&tz) {
            Ok(value) => setting.tz = Some(value),
            Err(error) => errors.push(error),
        }
    }
    if let Some(runbook) = text("runbook", &mut errors) {
        match RunbookKind::parse(&runbook.value) {
            Some(kind) => setting.runbook = Some(kind),
            None => errors.push(
                Diagnostic::new(
                    runbook.span,
                    format!("`{}` is not a kind of runbook", runbook.value),
                )
                .with_hint("use `incident`, `change`, `maintenance` or `procedure`"),
            ),
        }
    }
    match fields.strings("approvals") {
        Ok(roles) => setting.approvals = roles.into_iter().map(|r| r.value).collect(),
        Err(error) => errors.push(error),
    }
    if setting.runbook.is_some() && setting.every.is_some_and(|every| every.is_some()) {
        errors.push(
            Diagnostic::new(
                setting.heading.span.clone(),
                "a section cannot both recur and be a runbook",
            )
            .with_hint("keep `every` or `runbook`, not both"),
        );
    }
    let context = format!("in [recurring.sections.\"{}\"]", setting.heading.value);
    errors.extend(fields.unknown_keys(&context, SECTION_KEYS));
    if errors.is_empty() {
        Ok(setting)
    } else {
        Err(errors)
    }
}

/// A heading as `golive.toml` and `--section` may name it: folded, without its numbering.
pub fn heading_key(heading: &str) -> String {
    let folded = fold(heading);
    let words: Vec<&str> = words_of(&folded)
        .into_iter()
        .skip_while(|w| w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    words.join(" ")
}

/// Applies `settings` to the checklist: every section setting must name a heading.
pub fn configure(checklist: &mut Checklist, settings: &Settings) -> Result<(), Vec<Diagnostic>> {
    let mut errors = Vec::new();
    for setting in &settings.sections {
        let wanted = heading_key(&setting.heading.value);
        let matching: Vec<usize> = checklist
            .sections
            .iter()
            .enumerate()
            .filter(|(_, s)| heading_key(last(&s.path)) == wanted)
            .map(|(index, _)| index)
            .collect();
        if matching.is_empty() {
            let headings: Vec<&str> = checklist.sections.iter().map(|s| last(&s.path)).collect();
            let mut error = Diagnostic::new(
                setting.heading.span.clone(),
                format!("no heading `{}` in the checklist", setting.heading.value),
            );
            if let Some(close) = crate::diagnostic::did_you_mean(&setting.heading.value, headings) {
                error = error.with_hint(format!("did you mean `{close}`?"));
            }
            errors.push(error);
            continue;
        }
        for section in matching {
            for index in 0..checklist.items.len() {
                if !checklist.is_within(checklist.items[index].section, section) {
                    continue;
                }
                let heading = last(&checklist.sections[section].path).to_string();
                let item = &mut checklist.items[index];
                if let Some(kind) = setting.runbook {
                    item.recurrence = None;
                    let mut approvals =
                        item.runbook.take().map(|r| r.approvals).unwrap_or_default();
                    // Named in golive.toml, the approvals replace what the section says.
                    if !setting.approvals.is_empty() {
                        approvals.clone_from(&setting.approvals);
                    }
                    item.runbook = Some(Box::new(Runbook {
                        kind,
                        section,
                        heading,
                        approvals,
                    }));
                    continue;
                }
                if let Some(runbook) = &mut item.runbook
                    && !setting.approvals.is_empty()
                {
                    runbook.approvals.clone_from(&setting.approvals);
                }
                let mut recurrence = match setting.every {
                    Some(None) => {
                        item.recurrence = None;
                        continue;
                    }
                    Some(Some(every)) => {
                        item.runbook = None;
                        let mut recurrence = item.recurrence.take().unwrap_or_else(|| {
                            Box::new(Recurrence {
                                every,
                                on: None,
                                at: None,
                                tz: None,
                                from: "golive.toml".to_string(),
                            })
                        });
                        if recurrence.every != every {
                            recurrence.on = None;
                        }
                        recurrence.every = every;
                        recurrence
                    }
                    None => match item.recurrence.take() {
                        Some(recurrence) => recurrence,
                        None => continue,
                    },
                };
                if setting.on.is_some() {
                    recurrence.on = setting.on;
                }
                if setting.at.is_some() {
                    recurrence.at = setting.at;
                }
                if setting.tz.is_some() {
                    recurrence.tz = setting.tz;
                }
                item.recurrence = Some(recurrence);
            }
        }
    }
    for item in &mut checklist.items {
        if let Some(recurrence) = &mut item.recurrence
            && recurrence.tz.is_none()
        {
            recurrence.tz = Some(settings.tz);
        }
        if let Some(runbook) = &mut item.runbook {
            let mut seen = std::collections::BTreeSet::new();
            runbook
                .approvals
                .retain(|role| seen.insert(fold(role).trim().to_string()));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

mod approvals;
#[cfg(test)]
mod tests;

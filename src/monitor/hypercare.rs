//! Hypercare: the post-go-live items, each due within its window counted from the GO the
//! gate recorded ("J+1 à J+7", "First 24 Hours", "First Week", "First Month"). Pure: handed
//! the checklist, the GO time and now.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::thresholds::fold;
use crate::checklist::{Checklist, Item, Phase, Status};

/// Post items whose section names no window are due within the first week.
pub const DEFAULT_DAYS: u32 = 7;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hypercare {
    /// When the gate first said GO.
    pub since: String,
    /// 1 on the day of the GO.
    pub day: i64,
    /// The longest window of any post item.
    pub of: u32,
    pub items: Vec<PostItem>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PostItem {
    pub id: String,
    pub title: String,
    pub window_days: u32,
    pub due: String,
    pub status: Status,
    pub overdue: bool,
}

impl Hypercare {
    pub fn overdue(&self) -> impl Iterator<Item = &PostItem> {
        self.items.iter().filter(|item| item.overdue)
    }

    /// `hypercare day 3 of 7`, or `hypercare over (day 9; 7-day window)` past the end.
    pub fn headline(&self) -> String {
        if self.day > i64::from(self.of) {
            format!("hypercare over (day {}; {}-day window)", self.day, self.of)
        } else {
            format!("hypercare day {} of {}", self.day, self.of)
        }
    }
}

/// The window in days a section path gives its items, if it names one.
pub fn window_days(section: &[String]) -> Option<u32> {
    section
        .iter()
        .rev()
        .find_map(|heading| days_in(&fold(heading)))
}

fn days_in(folded: &str) -> Option<u32> {
    let words: Vec<&str> = folded.split_whitespace().collect();
    // `J+1 à J+7` folds to `j 1 a j 7`: the last `j N` is the end of the window; `Jour 30`
    // is day 30.
    let j_days = words
        .windows(2)
        .filter(|pair| matches!(pair[0], "j" | "d" | "jour" | "day"))
        .filter_map(|pair| pair[1].parse::<u32>().ok())
        .max();
    if j_days.is_some() {
        return j_days;
    }
    for pair in words.windows(2) {
        if let Ok(n) = pair[0].parse::<u32>() {
            match pair[1] {
                "h" | "hours" | "hour" | "heures" | "heure" => return Some(n.div_ceil(24).max(1)),
                "days" | "day" | "jours" | "jour" => return Some(n),
                "weeks" | "week" | "semaines" | "semaine" => return Some(n * 7),
                "months" | "month" | "mois" => return Some(n * 30),
                _ => {}
            }
        }
    }
    let has = |needles: &[&str]| needles.iter().any(|n| folded.contains(n));
    if has(&["first day", "premier jour", "day 1", "jour 1"]) {
        Some(1)
    } else if has(&["first week", "premiere semaine", "week 1", "semaine 1"]) {
        Some(7)
    } else if has(&["first month", "premier mois", "month 1", "mois 1"]) {
        Some(30)
    } else {
        None
    }
}

/// Hypercare at `now`, counted from `went_live`; `None` before any GO.
pub fn hypercare(
    checklist: &Checklist,
    went_live: Option<&str>,
    now: DateTime<Utc>,
) -> Option<Hypercare> {
    let since = DateTime::parse_from_rfc3339(went_live?)
        .ok()?
        .with_timezone(&Utc);
    let posts: Vec<&Item> = checklist
        .items
        .iter()
        .filter(|item| item.phase == Phase::Post)
        .collect();
    if posts.is_empty() {
        return None;
    }
    let items: Vec<PostItem> = posts
        .iter()
        .map(|item| {
            let window_days = window_days(checklist.section_path(item)).unwrap_or(DEFAULT_DAYS);
            let due = since + chrono::Duration::days(i64::from(window_days));
            let settled = matches!(item.status, Status::Done | Status::Waived | Status::Na);
            PostItem {
                id: item.id.clone(),
                title: item.title.clone(),
                window_days,
                due: due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                status: item.status,
                overdue: !settled && now > due,
            }
        })
        .collect();
    Some(Hypercare {
        since: since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        day: (now - since).num_days() + 1,
        of: items
            .iter()
            .map(|item| item.window_days)
            .max()
            .unwrap_or(DEFAULT_DAYS),
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_from_the_seeds_headings() {
        let days = |heading: &str| window_days(&[heading.to_string()]);
        assert_eq!(days("Post-Déploiement Immédiat (J+1 à J+7)"), Some(7));
        assert_eq!(days("Immediate (First 24 Hours)"), Some(1));
        assert_eq!(days("First Week"), Some(7));
        assert_eq!(days("First Month"), Some(30));
        assert_eq!(days("Jour 30: Monthly"), Some(30));
        assert_eq!(days("À Vérifier"), None);
        assert_eq!(
            window_days(&[
                "Post-Déploiement Immédiat (J+1 à J+7)".into(),
                "À Vérifier".into()
            ]),
            Some(7)
        );
    }

    #[test]
    fn seed_004_counts_days_from_the_go_and_flags_overdue_items() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds");
        let path = std::fs::read_dir(&dir)
            .expect("seeds")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("004"))
            })
            .expect("seed 004");
        let checklist =
            crate::checklist::import(&std::fs::read(path).expect("read")).expect("import");
        let now = DateTime::parse_from_rfc3339("2026-03-03T12:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let care = hypercare(&checklist, Some("2026-03-01T09:00:00Z"), now).expect("hypercare");
        assert_eq!(care.day, 3);
        assert_eq!(care.of, 30);
        assert_eq!(care.headline(), "hypercare day 3 of 30");
        let overdue: Vec<&str> = care.overdue().map(|i| i.title.as_str()).collect();
        assert!(
            overdue.contains(&"Monitor error rates closely"),
            "{overdue:?}"
        );
        assert!(!overdue.contains(&"Daily metrics review"), "{overdue:?}");
        assert!(hypercare(&checklist, None, now).is_none());
    }
}

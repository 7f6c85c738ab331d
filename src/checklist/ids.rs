//! Stable item ids: the slug of the title, qualified by section headings only where two items
//! would otherwise share one. An id written in the file (`<!-- id: my-id -->`) always wins.

// Foldhash, not the standard SipHash: hashing every id of a large checklist was a fifth of the
// id assignment, and nothing here needs more than a fast, randomly seeded hash.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

const MAX_SLUG_LEN: usize = 48;

/// `Tests de charge réalisés` → `tests-de-charge-realises`.
pub fn slug(text: &str) -> String {
    // ASCII titles (most) are read as they are, lowercased at the end: no folded copy.
    let folded;
    let bytes = if text.is_ascii() {
        text.as_bytes()
    } else {
        folded = super::classify::fold(text);
        folded.as_bytes()
    };
    let mut slug = Vec::with_capacity(MAX_SLUG_LEN);
    for word in bytes
        .split(|b| !b.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !slug.is_empty() && slug.len() + 1 + word.len() > MAX_SLUG_LEN {
            break;
        }
        if !slug.is_empty() {
            slug.push(b'-');
        }
        // Whole words at a time, as bytes: a char at a time (decoded, then encoded again)
        // cost more than the rest of the id assignment.
        slug.extend_from_slice(word);
    }
    slug.truncate(MAX_SLUG_LEN);
    slug.make_ascii_lowercase();
    // Only ASCII letters, digits and dashes went in, so the bytes are always UTF-8.
    String::from_utf8(slug).unwrap_or_default()
}

/// Reads `<!-- id: deploy-db -->` (or `<!-- golive:id=deploy-db -->`) written on an item line.
pub fn explicit_id(line: &str) -> Option<String> {
    // A look for `<` first: setting up the substring search costs more than most lines are
    // long, and most lines have no `<` at all.
    let first = memchr::memchr(b'<', line.as_bytes())?;
    let start = line[first..].find("<!--")? + first;
    let end = line[start..].find("-->")? + start;
    let inner = line[start + 4..end].trim();
    let value = inner
        .strip_prefix("golive:id=")
        .or_else(|| inner.strip_prefix("id:"))
        .or_else(|| inner.strip_prefix("id="))?
        .trim();
    let valid = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    valid.then(|| value.to_string())
}

/// One id request: an explicit id, or the title and section path (outermost first).
pub struct IdRequest<'a> {
    pub explicit: Option<&'a str>,
    pub title: &'a str,
    pub path: &'a [String],
}

/// Assigns unique ids in document order.
pub fn assign(requests: &[IdRequest<'_>]) -> Vec<String> {
    let base: Vec<String> = requests
        .iter()
        .map(|request| match request.explicit {
            Some(explicit) => explicit.to_string(),
            None => non_empty(slug(request.title)),
        })
        .collect();
    // The usual case: every id is already unique, and there is nothing to qualify or count.
    let mut seen = HashSet::with_capacity(base.len());
    if base.iter().all(|id| seen.insert(id.as_str())) {
        return base;
    }
    drop(seen);
    let mut ids = base.clone();
    // Qualify clashing generated ids with ever more of their section path.
    for depth in 1..=requests.iter().map(|r| r.path.len()).max().unwrap_or(0) {
        let counts = count(&ids);
        // Nothing clashes: deeper paths would change nothing either.
        if counts.values().all(|&n| n < 2) {
            break;
        }
        for (index, request) in requests.iter().enumerate() {
            if request.explicit.is_some() || counts[ids[index].as_str()] < 2 {
                continue;
            }
            let sections = &request.path[request.path.len().saturating_sub(depth)..];
            let mut qualified: Vec<String> = sections.iter().map(|s| slug(s)).collect();
            qualified.retain(|s| !s.is_empty());
            qualified.push(base[index].clone());
            ids[index] = qualified.join("-");
        }
    }
    // Whatever still clashes (same title twice in one section) gets a counter.
    let mut taken: HashSet<String> = HashSet::new();
    for id in &mut ids {
        if !taken.insert(id.clone()) {
            let mut n = 2;
            while taken.contains(&format!("{id}-{n}")) {
                n += 1;
            }
            *id = format!("{id}-{n}");
            taken.insert(id.clone());
        }
    }
    ids
}

fn non_empty(slug: String) -> String {
    if slug.is_empty() {
        "item".to_string()
    } else {
        slug
    }
}

fn count(ids: &[String]) -> HashMap<String, usize> {
    let mut counts = HashMap::with_capacity(ids.len());
    for id in ids {
        // Look up before inserting: a clone only for ids not seen yet.
        match counts.get_mut(id.as_str()) {
            Some(n) => *n += 1,
            None => {
                counts.insert(id.clone(), 1);
            }
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_french_titles() {
        assert_eq!(slug("Tests de charge réalisés"), "tests-de-charge-realises");
        assert_eq!(
            slug("`.env` → 600 (propriétaire seulement)"),
            "env-600-proprietaire-seulement"
        );
        assert_eq!(slug("✅"), "");
    }

    #[test]
    fn slugs_keep_whole_words_within_the_length() {
        let long = "word ".repeat(20);
        assert_eq!(slug(&long), ["word"; 9].join("-"));
        // One word longer than the limit is cut, not dropped.
        assert_eq!(slug(&"x".repeat(60)), "x".repeat(MAX_SLUG_LEN));
    }

    #[test]
    fn qualifies_duplicates_with_sections() {
        let a = ["Phase 4".to_string(), "Test Manuel".to_string()];
        let b = ["Phase 5".to_string(), "Test Manuel".to_string()];
        let requests = [
            IdRequest {
                explicit: None,
                title: "Exécuter",
                path: &a,
            },
            IdRequest {
                explicit: None,
                title: "Exécuter",
                path: &b,
            },
            IdRequest {
                explicit: None,
                title: "Unique",
                path: &a,
            },
        ];
        assert_eq!(
            assign(&requests),
            [
                "phase-4-test-manuel-executer",
                "phase-5-test-manuel-executer",
                "unique"
            ]
        );
    }

    #[test]
    fn counts_same_title_in_same_section() {
        let a = ["S".to_string()];
        let requests = [
            IdRequest {
                explicit: None,
                title: "Same",
                path: &a,
            },
            IdRequest {
                explicit: None,
                title: "Same",
                path: &a,
            },
        ];
        assert_eq!(assign(&requests), ["s-same", "s-same-2"]);
    }

    #[test]
    fn reads_explicit_ids() {
        assert_eq!(
            explicit_id("- [ ] Deploy <!-- id: deploy-db -->").as_deref(),
            Some("deploy-db")
        );
        assert_eq!(explicit_id("- [ ] Deploy <!-- note -->"), None);
    }
}

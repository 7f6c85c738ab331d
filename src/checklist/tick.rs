//! Finding an item by what a person types, and flipping its box in the file's bytes.

use super::classify::fold;
use super::model::{Checkbox, Checklist, Glyph, Item, Status};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FindError {
    #[error("no item matches `{query}`{}", hint(suggestions))]
    NotFound {
        query: String,
        suggestions: Vec<String>,
    },
    #[error("`{query}` matches {} items; give its id or more of its title:{}", candidates.len(), list(candidates))]
    Ambiguous {
        query: String,
        candidates: Vec<String>,
    },
}

fn hint(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        "; run `golive status FILE` to list item ids".to_string()
    } else {
        format!("; did you mean:{}", list(suggestions))
    }
}

fn list(entries: &[String]) -> String {
    entries.iter().map(|entry| format!("\n  {entry}")).collect()
}

fn describe(item: &Item) -> String {
    format!("{} (line {}): {}", item.id, item.line, item.title)
}

/// Finds one item by id, then by whole title, then by a unique title fragment; all
/// case-insensitive and accent-insensitive.
pub fn find_item<'a>(checklist: &'a Checklist, query: &str) -> Result<&'a Item, FindError> {
    let wanted = fold(query.trim());
    let wanted = wanted.trim();
    if let Some(item) = checklist.items.iter().find(|item| item.id == query.trim()) {
        return Ok(item);
    }
    let exact: Vec<&Item> = checklist
        .items
        .iter()
        .filter(|item| fold(&item.title).trim() == wanted)
        .collect();
    if let [item] = exact.as_slice() {
        return Ok(item);
    }
    let matches: Vec<&Item> = if exact.is_empty() {
        checklist
            .items
            .iter()
            .filter(|item| !wanted.is_empty() && fold(&item.title).contains(wanted))
            .collect()
    } else {
        exact
    };
    match matches.as_slice() {
        [item] => Ok(item),
        [] => {
            let words: Vec<&str> = wanted.split_whitespace().filter(|w| w.len() > 2).collect();
            let suggestions = checklist
                .items
                .iter()
                .filter(|item| {
                    let title = fold(&item.title);
                    words
                        .iter()
                        .any(|word| title.contains(word) || item.id.contains(word))
                })
                .take(5)
                .map(describe)
                .collect();
            Err(FindError::NotFound {
                query: query.to_string(),
                suggestions,
            })
        }
        many => Err(FindError::Ambiguous {
            query: query.to_string(),
            candidates: many.iter().map(|item| describe(item)).collect(),
        }),
    }
}

/// The file's bytes with one box set to `checked`; every other byte is unchanged.
/// Returns `None` when the bytes at the box are not a box mark (the file changed under us).
///
/// An emoji box ticks within its family, to a glyph of the same length (`☐` → `☑`,
/// `⬜`/`❌`/`⏳` → `✅`, `🔴` → `🟢`); a box that already says what is asked is left as it is
/// (`☒` stays `☒`).
pub fn set_checkbox(bytes: &[u8], checkbox: &Checkbox, checked: bool) -> Option<Vec<u8>> {
    let at = checkbox.mark_offset;
    if checkbox.glyph == Glyph::Gfm {
        let is_box = at > 0
            && bytes.get(at - 1) == Some(&b'[')
            && bytes.get(at + 1) == Some(&b']')
            && matches!(bytes.get(at), Some(b' ' | b'x' | b'X'));
        if !is_box {
            return None;
        }
        let mut edited = bytes.to_vec();
        let already = edited[at] != b' ';
        if already != checked {
            edited[at] = if checked { b'x' } else { b' ' };
        }
        return Some(edited);
    }
    let range = checkbox.mark_range();
    let mark = std::str::from_utf8(bytes.get(range.clone())?).ok()?;
    let (glyph, status, width) = Glyph::read(mark)?;
    if glyph != checkbox.glyph || width != range.len() {
        return None;
    }
    let mut edited = bytes.to_vec();
    if (status == Status::Done) != checked {
        let wanted = glyph.mark(checked).as_bytes();
        edited[range].copy_from_slice(wanted);
    }
    Some(edited)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::import;

    const DOC: &str =
        "# T\n## A\n- [ ] Deploy database\n- [ ] Deploy web\n## B\n- [x] Deploy database\n";

    #[test]
    fn finds_by_id_title_and_fragment() {
        let checklist = import(DOC.as_bytes()).unwrap();
        assert_eq!(find_item(&checklist, "deploy-web").unwrap().line, 4);
        assert_eq!(find_item(&checklist, "WEB").unwrap().line, 4);
        assert_eq!(find_item(&checklist, "b-deploy-database").unwrap().line, 6);
    }

    #[test]
    fn reports_ambiguity_with_candidates() {
        let checklist = import(DOC.as_bytes()).unwrap();
        let error = find_item(&checklist, "deploy").unwrap_err();
        let FindError::Ambiguous { candidates, .. } = &error else {
            panic!("{error}")
        };
        assert_eq!(candidates.len(), 3);
        let error = find_item(&checklist, "Deploy database").unwrap_err();
        assert!(matches!(error, FindError::Ambiguous { .. }));
    }

    #[test]
    fn reports_missing_items_with_suggestions() {
        let checklist = import(DOC.as_bytes()).unwrap();
        let error = find_item(&checklist, "web deployment").unwrap_err();
        assert!(error.to_string().contains("did you mean"), "{error}");
    }

    #[test]
    fn flips_only_the_mark() {
        let checklist = import(DOC.as_bytes()).unwrap();
        let item = find_item(&checklist, "deploy-web").unwrap();
        let checkbox = item.checkbox.unwrap();
        let ticked = set_checkbox(DOC.as_bytes(), &checkbox, true).unwrap();
        assert_eq!(
            String::from_utf8(ticked.clone()).unwrap(),
            DOC.replace("- [ ] Deploy web", "- [x] Deploy web")
        );
        let unticked = set_checkbox(&ticked, &checkbox, false).unwrap();
        assert_eq!(unticked, DOC.as_bytes());
        assert!(set_checkbox(b"changed", &checkbox, true).is_none());
    }

    #[test]
    fn flips_only_the_emoji() {
        let doc = "# T\n- ☐ Runbooks vorhanden\n- ⬜ Backups\n- ❌ Restore tested\n- ☒ Done\n";
        let checklist = import(doc.as_bytes()).unwrap();
        let tick = |query: &str, checked: bool| {
            let item = find_item(&checklist, query).unwrap();
            let edited = set_checkbox(doc.as_bytes(), &item.checkbox.unwrap(), checked).unwrap();
            String::from_utf8(edited).unwrap()
        };
        assert_eq!(
            tick("runbooks", true),
            doc.replace("☐ Runbooks", "☑ Runbooks")
        );
        assert_eq!(
            tick("backups", true),
            doc.replace("⬜ Backups", "✅ Backups")
        );
        assert_eq!(
            tick("restore", true),
            doc.replace("❌ Restore", "✅ Restore")
        );
        assert_eq!(tick("done", true), doc);
        assert_eq!(tick("done", false), doc.replace("☒ Done", "☐ Done"));
        let item = find_item(&checklist, "runbooks").unwrap();
        let mut moved = item.checkbox.unwrap();
        moved.mark_offset += 1;
        assert!(set_checkbox(doc.as_bytes(), &moved, true).is_none());
    }
}

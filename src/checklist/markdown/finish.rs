//! The end of the import: owners inherited by nested sections, ids assigned, and the
//! section-wide status and evidence applied to items.

use super::Importer;
use crate::checklist::ids::{self, IdRequest};
use crate::checklist::model::{Checklist, Origin, SourceInfo};

impl Importer<'_> {
    pub(super) fn finish(mut self) -> Checklist {
        // Owners written under a heading apply to the sections nested in it.
        for index in 0..self.sections.len() {
            if self.sections[index].owner.is_none()
                && let Some(parent) = self.sections[index].parent
            {
                self.sections[index].owner = self.sections[parent].owner.clone();
            }
        }
        let explicit: Vec<Option<String>> = self
            .drafts
            .iter()
            .map(|item| ids::explicit_id(self.line_text(item.line)))
            .collect();
        // Borrowed, not cloned: with 100k items the copies of every path cost more than the
        // id assignment itself.
        let requests: Vec<IdRequest<'_>> = self
            .drafts
            .iter()
            .zip(&explicit)
            .map(|(item, explicit)| IdRequest {
                explicit: explicit.as_deref(),
                title: &item.title,
                path: item
                    .section
                    .map_or(&[][..], |i| self.sections[i].path.as_slice()),
            })
            .collect();
        let assigned = ids::assign(&requests);
        drop(requests);
        let mut items = std::mem::take(&mut self.drafts);
        // Parents' ids copied first, so that every id can then move into its item.
        let parents: Vec<Option<String>> = self
            .draft_parents
            .iter()
            .map(|parent| parent.map(|parent| assigned[parent].clone()))
            .collect();
        for ((item, id), parent) in items.iter_mut().zip(assigned).zip(parents) {
            item.id = id;
            item.parent = parent;
            if let Some(section) = item.section {
                if item.owner.is_none() {
                    item.owner = self.sections[section].owner.clone();
                }
                if item.checkbox.is_none()
                    && let Some(status) = self.section_status.get(&section)
                {
                    item.status = *status;
                }
                if item.origin == Origin::Criterion
                    && let Some(evidence) = self.section_evidence.get(&section)
                {
                    item.fields
                        .insert("evidence_expected".to_string(), evidence.join("; "));
                }
            }
        }
        Checklist {
            title: self.title,
            sections: self.sections,
            items,
            approvals: self.approvals,
            warnings: self.warnings,
            source: SourceInfo {
                encoding: self.decoded.encoding,
                bom: self.decoded.bom,
                crlf: self.decoded.crlf,
            },
            has_owner_column: self.has_owner_column,
        }
    }
}

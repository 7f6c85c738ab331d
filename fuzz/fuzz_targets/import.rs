//! Arbitrary bytes into the Markdown importer: it must never panic, and every box it reports
//! must be tickable in place.
#![no_main]

use golive::checklist::{self, Checkbox, Glyph, lint, tick};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Undecodable input (empty, binary, UTF-16) is an error, never a panic.
    let Ok(checklist) = checklist::import(data) else {
        return;
    };
    lint::lint(&checklist);

    let boxes: Vec<Checkbox> = checklist
        .items
        .iter()
        .filter_map(|item| item.checkbox)
        .chain(
            checklist
                .approvals
                .iter()
                .filter_map(|approval| approval.checkbox),
        )
        .collect();
    let mut all_ticked = data.to_vec();
    for checkbox in &boxes {
        let at = checkbox.mark_offset;
        let range = checkbox.mark_range();
        let ticked = tick::set_checkbox(data, checkbox, true)
            .unwrap_or_else(|| panic!("no box at byte {at} where the importer reported one"));
        let unticked = tick::set_checkbox(data, checkbox, false)
            .unwrap_or_else(|| panic!("no box at byte {at} where the importer reported one"));
        // A tick rewrites the box's own bytes and nothing else, keeping the length.
        for edited in [&ticked, &unticked] {
            assert_eq!(edited.len(), data.len(), "box at byte {at} changed the length");
            let changed: Vec<usize> = (0..data.len()).filter(|&i| edited[i] != data[i]).collect();
            assert!(
                changed.iter().all(|i| range.contains(i)),
                "tick of box at byte {at} changed other bytes: {changed:?}"
            );
        }
        if checkbox.glyph != Glyph::Gfm {
            continue;
        }
        assert_eq!(
            data[at] != b' ',
            checkbox.checked,
            "box at byte {at}: wrong state"
        );
        if checkbox.checked {
            // Untick, then tick again: the original bytes, up to `X` -> `x`.
            let back = tick::set_checkbox(&unticked, checkbox, true).expect("box still there");
            let mut expected = data.to_vec();
            expected[at] = b'x';
            assert_eq!(back, expected, "untick then tick box at byte {at}");
        } else {
            let back = tick::set_checkbox(&ticked, checkbox, false).expect("box still there");
            assert_eq!(back, data, "tick then untick box at byte {at}");
            all_ticked[at] = b'x';
        }
    }
    // Ticking boxes only turns spaces into `x`: the file must still import.
    if all_ticked != data {
        let again = checklist::import(&all_ticked).expect("a ticked file still imports");
        lint::lint(&again);
    }
});

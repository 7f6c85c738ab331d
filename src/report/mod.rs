//! Reports: views of a checklist for people (terminal) and programs (JSON).
//!
//! Architecture invariant: reports read the model; they never change it and never do I/O
//! beyond the writer they are given.

pub mod check;
pub mod drills;
pub mod gate;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod pack;
pub mod recurring;
pub mod status;
pub mod timeline;

/// `1 check`, `2 checks`: a count with its noun in the right number.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

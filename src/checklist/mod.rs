//! Checklists: the model, and reading it from Markdown.
//!
//! Architecture invariant: nothing in this module does I/O. Callers hand in bytes and get
//! bytes back (for ticks); files, stores and networks are other modules' business.

mod classify;
pub mod encoding;
pub mod ids;
pub mod lint;
mod markdown;
mod marks;
pub mod model;
pub mod recurrence;
pub mod tick;
pub mod toml;

pub(crate) use classify::fold;
pub use encoding::DecodeError;
pub use markdown::import;
pub use model::*;

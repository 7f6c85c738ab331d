//! golive turns go-live checklists into executable, evidence-backed gates.
//!
//! See `ARCHITECTURE.md` for the map of modules and the invariants they keep.

pub mod checklist;
pub mod cli;
pub mod decision;
pub mod diagnostic;
pub mod drill;
pub mod engine;
pub mod expr;
pub mod load;
pub mod monitor;
pub mod probe;
pub mod report;
pub mod store;
pub mod suggest;

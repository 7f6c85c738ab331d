//! After go-live: `golive watch` runs monitors (checks with a schedule and warning/critical
//! levels) and raises alerts on their transitions.
//!
//! - [`config`]: monitors, notifiers and triggers from `golive.toml`, levels from the
//!   checklist's threshold tables ([`thresholds`]).
//! - [`level`]: OK / WARN / CRIT / UNKNOWN, and the anti-flap tracker.
//! - [`window`] and [`evaluate`]: windowed conditions over recent results, in bounded memory,
//!   and one result's level.
//! - [`alert`]: incidents, repeats, silences, and the fold of the audit log that restores
//!   them after a restart. [`notify`]: one file per receiver.
//! - [`runner`]: the scheduler and the central loop; [`server`] and [`page`]: `/metrics`,
//!   `/api/status` and the status page; [`hypercare`]: post-go-live windows; [`periods`]:
//!   checks on recurring items, once per period.
//!
//! Architecture invariant: every transition, alert, delivery, silence and action is an event
//! in the audit log before anything acts on it; raw results and hourly aggregates live in
//! their own prunable tables (see ARCHITECTURE.md).

pub mod alert;
pub mod config;
pub mod evaluate;
pub mod hypercare;
pub mod level;
pub mod notify;
pub mod page;
pub mod periods;
pub mod runner;
mod scheduler;
pub mod server;
pub mod status;
pub mod thresholds;
mod trigger;
pub mod window;

pub use level::Level;

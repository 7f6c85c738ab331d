//! One integration-test binary (as just and uv do): every module drives the real `golive`
//! binary or the library's public API on real files.

mod fixtures;
mod props;
mod seeds;
mod support;
mod tick;

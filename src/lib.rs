//! creditstress: Monte Carlo stress testing for consumer-credit portfolios.
//!
//! The modules follow a run in order: [`scenario`] (parse and check the
//! file) → [`calibration`] (what a PD means) → [`estimation`] (fitting
//! parameters back from observed counts, for `calibrate`) → [`population`] (draw the book) → [`macro_paths`] (systematic factor
//! paths) → [`events`] (industry tightening and seed-risk events) → [`originations`] (new lending during the run) → [`loan`] (one loan's monthly step) → [`accounting`] (a path's monthly P&L) → [`engine`] (paths in
//! parallel) → [`stats`] (risk measures) → [`capital`] and [`economics`] (the book's capital and
//! rate lines) → [`report`] (files out). Everything
//! before `report` is pure and deterministic: the same scenario and seed give
//! bitwise the same result on any number of threads.

// Index loops over small matrices (Cholesky, months x factors) read closer to the formulas.
#![allow(clippy::needless_range_loop)]

pub mod scenario;
pub mod calibration;
pub mod capital;
pub mod checks;
pub mod economics;
pub mod estimation;
pub mod population;
pub mod macro_paths;
pub mod events;
pub mod originations;
pub mod loan;
pub mod accounting;
pub mod engine;
pub mod stats;
pub mod describe;
pub mod report;
pub mod shard;

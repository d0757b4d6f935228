//! creditstress: Monte Carlo stress testing for consumer-credit portfolios.
//!
//! The modules follow a run in order: [`scenario`] (parse and check the
//! file) → [`population`] (draw the book) → [`macro_paths`] (systematic factor
//! paths) → [`loan`] (one loan's monthly step) → [`engine`] (paths in
//! parallel) → [`stats`] (risk measures) → [`report`] (files out). Everything
//! before `report` is pure and deterministic: the same scenario and seed give
//! bitwise the same result on any number of threads.

pub mod scenario;

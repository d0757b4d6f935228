//! Shards: one study split across many machines, merged back exactly.
//!
//! A path's result depends only on (scenario, seed, path index), so a study of
//! `P` paths can be cut into `N` shards that run anywhere, on any number of
//! threads, and the concatenation of their outcomes in path order is bitwise
//! the single run's `Vec<PathOutcome>`. This module is pure: the partition
//! ([`ShardSpec::path_range`]), the shard file format ([`codec`], [`manifest`])
//! and the checks and concatenation of a merge ([`merge`]). Reading and
//! writing files is the CLI's job.
//!
//! # Partition
//!
//! Shard `K` of `N` (zero-based, `0 <= K < N`) owns the contiguous block of
//! path indices `[floor(K P / N), floor((K + 1) P / N))`. The blocks cover
//! `0..P` exactly once, differ in size by at most one path, and do not depend
//! on thread counts or machines. When `N > P` some shards are empty.

pub mod codec;
pub mod manifest;
pub mod merge;

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use codec::{Dims, ShardData, decode_paths, encode_paths};
pub use manifest::{SHARD_BIN, SHARD_JSON, ShardManifest};
pub use merge::{MergeError, MergeProblem, assemble, check_shards};

/// Why a shard description was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShardSpecError {
    /// Not of the form `K/N`.
    #[error("expected K/N with whole numbers, e.g. 2/8 (shard 2 of 8, counted from 0), got {0:?}")]
    Syntax(String),
    /// `N` is zero.
    #[error("the shard count must be at least 1, got {0}")]
    ZeroCount(u32),
    /// `K >= N`.
    #[error("shard index {index} is out of range for {count} shards (indices run from 0 to {})", count - 1)]
    OutOfRange {
        /// `K`.
        index: u32,
        /// `N`.
        count: u32,
    },
}

/// Shard `index` of `count`, zero-based: a checked `K/N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "RawShardSpec", into = "RawShardSpec")]
pub struct ShardSpec {
    index: u32,
    count: u32,
}

#[derive(Serialize, Deserialize)]
struct RawShardSpec {
    index: u32,
    count: u32,
}

impl TryFrom<RawShardSpec> for ShardSpec {
    type Error = ShardSpecError;
    fn try_from(raw: RawShardSpec) -> Result<Self, Self::Error> {
        ShardSpec::new(raw.index, raw.count)
    }
}

impl From<ShardSpec> for RawShardSpec {
    fn from(s: ShardSpec) -> Self {
        RawShardSpec {
            index: s.index,
            count: s.count,
        }
    }
}

impl ShardSpec {
    /// Shard `index` of `count`; refuses `count == 0` and `index >= count`.
    pub fn new(index: u32, count: u32) -> Result<Self, ShardSpecError> {
        if count == 0 {
            return Err(ShardSpecError::ZeroCount(count));
        }
        if index >= count {
            return Err(ShardSpecError::OutOfRange { index, count });
        }
        Ok(ShardSpec { index, count })
    }

    /// `K`, zero-based.
    pub fn index(self) -> u32 {
        self.index
    }

    /// `N`.
    pub fn count(self) -> u32 {
        self.count
    }

    /// The path indices this shard owns out of `total_paths`.
    ///
    /// # Formula
    /// `[floor(K P / N), floor((K + 1) P / N))`, computed in 128-bit integers.
    pub fn path_range(self, total_paths: u64) -> Range<u64> {
        block_start(self.index, self.count, total_paths)..block_start(self.index + 1, self.count, total_paths)
    }
}

/// `floor(k P / n)` without overflow (`k <= n`, so the result fits in `u64`).
fn block_start(k: u32, n: u32, total_paths: u64) -> u64 {
    (u128::from(k) * u128::from(total_paths) / u128::from(n)) as u64
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for ShardSpec {
    type Err = ShardSpecError;

    /// Parses `K/N`, e.g. `2/8`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let syntax = || ShardSpecError::Syntax(s.to_string());
        let (k, n) = s.split_once('/').ok_or_else(syntax)?;
        let number = |t: &str| {
            let t = t.trim();
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(syntax());
            }
            t.parse::<u32>().map_err(|_| syntax())
        };
        ShardSpec::new(number(k)?, number(n)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_covers_every_path_exactly_once_in_order() {
        let totals = [0u64, 1, 2, 3, 7, 10, 99, 100, 101, 200, 1000, 1009, 65_537];
        for &p in &totals {
            for n in 1..=40u32 {
                let mut next = 0u64;
                let mut sizes = Vec::new();
                for k in 0..n {
                    let r = ShardSpec::new(k, n).unwrap().path_range(p);
                    assert_eq!(r.start, next, "P={p} N={n} K={k}: gap or overlap");
                    assert!(r.end >= r.start);
                    sizes.push(r.end - r.start);
                    next = r.end;
                }
                assert_eq!(next, p, "P={p} N={n}: paths left over");
                let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                assert!(hi - lo <= 1, "P={p} N={n}: unbalanced {sizes:?}");
            }
        }
    }

    #[test]
    fn partition_matches_the_documented_formula_and_does_not_overflow() {
        let s = ShardSpec::new(2, 8).unwrap();
        assert_eq!(s.path_range(100_000), 25_000..37_500);
        assert_eq!(ShardSpec::new(1, 3).unwrap().path_range(200), 66..133);
        let last = ShardSpec::new(u32::MAX - 1, u32::MAX).unwrap();
        assert_eq!(last.path_range(u64::MAX).end, u64::MAX);
    }

    #[test]
    fn parse_accepts_k_of_n_and_refuses_the_rest() {
        assert_eq!("2/8".parse::<ShardSpec>().unwrap(), ShardSpec::new(2, 8).unwrap());
        assert_eq!("0/1".parse::<ShardSpec>().unwrap().to_string(), "0/1");
        assert!(matches!(
            "8/8".parse::<ShardSpec>(),
            Err(ShardSpecError::OutOfRange { .. })
        ));
        assert!(matches!("0/0".parse::<ShardSpec>(), Err(ShardSpecError::ZeroCount(0))));
        for bad in ["", "2", "2/", "/8", "-1/8", "2/8/1", "a/b", "2.0/8", "+2/8"] {
            assert!(
                matches!(bad.parse::<ShardSpec>(), Err(ShardSpecError::Syntax(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn serde_checks_the_spec() {
        let s: ShardSpec = serde_json::from_str(r#"{"index":1,"count":4}"#).unwrap();
        assert_eq!(s, ShardSpec::new(1, 4).unwrap());
        assert!(serde_json::from_str::<ShardSpec>(r#"{"index":4,"count":4}"#).is_err());
    }
}

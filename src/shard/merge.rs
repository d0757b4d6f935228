//! Checking that shards form one complete study, and putting their outcomes
//! back in path order.
//!
//! Shards belong together when they agree on program version, binary format,
//! scenario hash, seed, total paths, shard count and engine. Among those,
//! every `K` in `0..N` must appear exactly once with the documented path
//! range. Every problem found is reported at once, naming the shard.

use std::collections::BTreeMap;
use std::fmt;

use thiserror::Error;

use super::ShardSpec;
use super::codec::ShardData;
use super::manifest::ShardManifest;
use crate::engine::{BookProfile, PathOutcome};

/// One reason a set of shards cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MergeProblem {
    /// No shard was given.
    #[error("no shards given")]
    NoShards,
    /// A shard of another study.
    #[error("{label}: foreign shard, not part of the same study: {differences}")]
    Foreign {
        /// The shard's folder.
        label: String,
        /// Each differing field with both values.
        differences: String,
    },
    /// The shards agree with each other but not with this program.
    #[error("the shards were made by creditstress {found}; merge them with that version (this is {expected})")]
    Version {
        /// Version of the shards.
        found: String,
        /// Version of this program.
        expected: String,
    },
    /// The same `K/N` more than once.
    #[error("shard {spec} is duplicated: {}", labels.join(" and "))]
    Duplicate {
        /// `K/N`.
        spec: ShardSpec,
        /// Every folder holding it.
        labels: Vec<String>,
    },
    /// A `K` of `0..N` that no shard holds.
    #[error("shard {spec} is missing (paths {start}..{end} of {total}); run it with --shard {spec}")]
    Missing {
        /// `K/N`.
        spec: ShardSpec,
        /// First path it should hold.
        start: u64,
        /// One past its last path.
        end: u64,
        /// Paths of the study.
        total: u64,
    },
    /// A shard's contents disagree with its manifest or with the other shards.
    #[error("{label}: {problem}")]
    Inconsistent {
        /// The shard's folder.
        label: String,
        /// What is wrong.
        problem: String,
    },
}

/// Every problem that stops a merge.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub struct MergeError(pub Vec<MergeProblem>);

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [one] => write!(f, "cannot merge: {one}"),
            many => {
                write!(f, "cannot merge, {} problems:", many.len())?;
                many.iter().try_for_each(|p| write!(f, "\n  - {p}"))
            }
        }
    }
}

/// The fields that make shards part of one study, with their names.
fn identity(m: &ShardManifest) -> [(&'static str, String); 10] {
    [
        ("program version", m.version.clone()),
        ("shard format version", m.format_version.to_string()),
        ("scenario sha256", m.scenario_sha256.clone()),
        ("seed", m.seed.to_string()),
        ("total paths", m.total_paths.to_string()),
        ("shard count", m.shard.count().to_string()),
        ("engine", m.engine.clone()),
        (
            "data files",
            m.data_files
                .iter()
                .map(|d| format!("{} {}", d.path, d.sha256))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("settings (--set)", m.sets.join(" ")),
        (
            "sampling",
            m.importance.as_ref().map_or("plain".to_string(), |plan| {
                // The shift itself can hold thousands of numbers: its hash names it.
                let shift = serde_json::to_string(&plan.tilt).unwrap_or_default();
                format!(
                    "importance (shift sha256 {})",
                    &crate::report::sha256_hex(shift.as_bytes())[..16]
                )
            }),
        ),
    ]
}

/// Checks that `shards` (folder label, manifest) form one complete study made by
/// `program_version`; returns their positions ordered by shard index.
pub fn check_shards(shards: &[(String, ShardManifest)], program_version: &str) -> Result<Vec<usize>, MergeError> {
    if shards.is_empty() {
        return Err(MergeError(vec![MergeProblem::NoShards]));
    }
    let mut problems = Vec::new();

    // The study is the identity most shards share (the first given wins a tie).
    let ids: Vec<_> = shards.iter().map(|(_, m)| identity(m)).collect();
    let mut votes: Vec<(usize, usize)> = Vec::new(); // (first position, count)
    for (i, id) in ids.iter().enumerate() {
        match votes.iter_mut().find(|(j, _)| &ids[*j] == id) {
            Some(v) => v.1 += 1,
            None => votes.push((i, 1)),
        }
    }
    let reference = votes
        .iter()
        .max_by_key(|&&(first, n)| (n, std::cmp::Reverse(first)))
        .expect("non-empty")
        .0;
    let mut members = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        if id == &ids[reference] {
            members.push(i);
            continue;
        }
        let differences = id
            .iter()
            .zip(&ids[reference])
            .filter(|(a, b)| a.1 != b.1)
            .map(|((name, a), (_, b))| format!("{name} {a} (the other shards: {b})"))
            .collect::<Vec<_>>()
            .join("; ");
        problems.push(MergeProblem::Foreign {
            label: shards[i].0.clone(),
            differences,
        });
    }

    let study = &shards[reference].1;
    if study.version != program_version {
        problems.push(MergeProblem::Version {
            found: study.version.clone(),
            expected: program_version.to_string(),
        });
    }

    let mut by_index: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for &i in &members {
        let m = &shards[i].1;
        let expected = m.shard.path_range(m.total_paths);
        if m.path_range() != expected {
            problems.push(MergeProblem::Inconsistent {
                label: shards[i].0.clone(),
                problem: format!(
                    "path range {:?} is not the range {expected:?} of shard {} with {} paths",
                    m.path_range(),
                    m.shard,
                    m.total_paths
                ),
            });
        }
        by_index.entry(m.shard.index()).or_default().push(i);
    }
    for (&k, holders) in &by_index {
        if holders.len() > 1 {
            problems.push(MergeProblem::Duplicate {
                spec: ShardSpec::new(k, study.shard.count()).expect("index checked by the manifest"),
                labels: holders.iter().map(|&i| shards[i].0.clone()).collect(),
            });
        }
    }
    for k in 0..study.shard.count() {
        if !by_index.contains_key(&k) {
            let spec = ShardSpec::new(k, study.shard.count()).expect("k < count");
            let range = spec.path_range(study.total_paths);
            problems.push(MergeProblem::Missing {
                spec,
                start: range.start,
                end: range.end,
                total: study.total_paths,
            });
        }
    }

    if problems.is_empty() {
        Ok(by_index.into_values().map(|v| v[0]).collect())
    } else {
        Err(MergeError(problems))
    }
}

/// Concatenates checked shards, given in shard order with their decoded
/// outcomes, into the study's book profile and outcomes in path order.
pub fn assemble(parts: Vec<(String, ShardManifest, ShardData)>) -> Result<(BookProfile, Vec<PathOutcome>), MergeError> {
    let inconsistent = |label: &str, problem: String| {
        MergeError(vec![MergeProblem::Inconsistent {
            label: label.to_string(),
            problem,
        }])
    };
    let mut profile: Option<BookProfile> = None;
    let mut paths = Vec::new();
    for (label, manifest, data) in parts {
        let held = data.first_path..data.first_path + data.paths.len() as u64;
        if held != manifest.path_range() {
            return Err(inconsistent(
                &label,
                format!(
                    "the binary file holds paths {held:?}, the manifest says {:?}",
                    manifest.path_range()
                ),
            ));
        }
        if held.start != paths.len() as u64 {
            return Err(inconsistent(
                &label,
                format!("starts at path {}, expected {}", held.start, paths.len()),
            ));
        }
        match &profile {
            None => profile = Some(data.profile),
            Some(p) if *p != data.profile => {
                return Err(inconsistent(
                    &label,
                    "its book profile differs from the other shards'".into(),
                ));
            }
            Some(_) => {}
        }
        paths.extend(data.paths);
    }
    let profile = profile.ok_or(MergeError(vec![MergeProblem::NoShards]))?;
    Ok((profile, paths))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(k: u32, n: u32, total: u64, seed: u64) -> ShardManifest {
        let spec = ShardSpec::new(k, n).unwrap();
        let r = spec.path_range(total);
        ShardManifest {
            format: super::super::manifest::MANIFEST_FORMAT.into(),
            format_version: super::super::codec::FORMAT_VERSION,
            program: "creditstress".into(),
            version: "1.0.0".into(),
            shard: spec,
            path_start: r.start,
            path_end: r.end,
            total_paths: total,
            seed,
            engine: "e".into(),
            scenario_file: "s.toml".into(),
            scenario_sha256: "abc".into(),
            scenario_text: String::new(),
            data_files: Vec::new(),
            scenario: serde_json::Value::Null,
            paths_file: "shard.bin".into(),
            paths_bytes: 0,
            paths_sha256: String::new(),
            threads: 1,
            wall_seconds: 0.0,
            peak_rss_bytes: None,
            loan_months: 0,
            command: String::new(),
            importance: None,
            sets: Vec::new(),
            manifest_sha256: String::new(),
        }
    }

    fn set(ms: Vec<ShardManifest>) -> Vec<(String, ShardManifest)> {
        ms.into_iter()
            .map(|m| (format!("shard-{}", m.shard.index()), m))
            .collect()
    }

    #[test]
    fn complete_set_in_any_order_is_ordered_by_index() {
        let shards = set(vec![
            manifest(2, 3, 10, 7),
            manifest(0, 3, 10, 7),
            manifest(1, 3, 10, 7),
        ]);
        assert_eq!(check_shards(&shards, "1.0.0").unwrap(), vec![1, 2, 0]);
    }

    #[test]
    fn missing_duplicated_and_foreign_shards_are_named() {
        let mut other = manifest(1, 4, 100, 8);
        other.scenario_sha256 = "def".into();
        let shards = set(vec![
            manifest(0, 4, 100, 7),
            manifest(0, 4, 100, 7),
            manifest(3, 4, 100, 7),
            other,
        ]);
        let err = check_shards(&shards, "1.0.0").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("shard-1: foreign shard"), "{text}");
        assert!(text.contains("seed 8 (the other shards: 7)"), "{text}");
        assert!(text.contains("scenario sha256 def (the other shards: abc)"), "{text}");
        assert!(text.contains("shard 0/4 is duplicated: shard-0 and shard-0"), "{text}");
        assert!(text.contains("shard 1/4 is missing (paths 25..50 of 100)"), "{text}");
        assert!(text.contains("shard 2/4 is missing (paths 50..75 of 100)"), "{text}");
        assert_eq!(err.0.len(), 4);
    }

    #[test]
    fn version_of_the_program_must_match() {
        let shards = set(vec![manifest(0, 1, 10, 7)]);
        let err = check_shards(&shards, "2.0.0").unwrap_err();
        assert!(err.to_string().contains("made by creditstress 1.0.0"), "{err}");
        assert!(check_shards(&[], "1.0.0").is_err());
    }

    #[test]
    fn a_range_that_disagrees_with_the_partition_is_refused() {
        let mut m = manifest(0, 2, 10, 7);
        m.path_end = 6;
        let shards = set(vec![m, manifest(1, 2, 10, 7)]);
        assert!(
            check_shards(&shards, "1.0.0")
                .unwrap_err()
                .to_string()
                .contains("path range 0..6")
        );
    }
}

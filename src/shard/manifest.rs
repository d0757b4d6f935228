//! The JSON part of a shard (`shard.json`): which study the shard belongs to,
//! which paths it holds, and how it ran. A shard folder is complete once this
//! file exists: `run` writes it last, after `shard.bin`.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::ShardSpec;

/// File name of a shard's manifest.
pub const SHARD_JSON: &str = "shard.json";
/// File name of a shard's binary outcomes.
pub const SHARD_BIN: &str = "shard.bin";
/// Value of the manifest's `format` field.
pub const MANIFEST_FORMAT: &str = "creditstress-shard";

/// Everything a merge needs to know about a shard besides its outcomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardManifest {
    /// Always [`MANIFEST_FORMAT`].
    pub format: String,
    /// Layout version of `shard.bin` ([`super::codec::FORMAT_VERSION`]).
    pub format_version: u32,
    /// Program name.
    pub program: String,
    /// Program version; a merge needs shards of its own version.
    pub version: String,
    /// `K/N` as `{"index": K, "count": N}`.
    pub shard: ShardSpec,
    /// First path index of the shard.
    pub path_start: u64,
    /// One past the last path index.
    pub path_end: u64,
    /// Paths of the whole study (`P`).
    pub total_paths: u64,
    /// Master seed.
    pub seed: u64,
    /// How loans were simulated (the run summary's `engine`).
    pub engine: String,
    /// Path of the scenario file as given to the shard's `run`.
    pub scenario_file: String,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// The scenario file's text; the merge rebuilds the scenario from it.
    pub scenario_text: String,
    /// The data files the scenario names, with their SHA-256; the merge
    /// reads them again beside `scenario_file` and checks them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_files: Vec<crate::report::DataFile>,
    /// The resolved scenario (defaults filled, `--paths`/`--seed` applied), as in `manifest.json`.
    pub scenario: serde_json::Value,
    /// Name of the binary file next to this one.
    pub paths_file: String,
    /// Its size in bytes.
    pub paths_bytes: u64,
    /// Its SHA-256.
    pub paths_sha256: String,
    /// Worker threads of the shard's run.
    pub threads: usize,
    /// Wall time of the shard's simulation, seconds.
    pub wall_seconds: f64,
    /// Peak resident memory of the shard's process, where known.
    pub peak_rss_bytes: Option<u64>,
    /// Loan-months stepped by the shard.
    pub loan_months: u64,
    /// The command that reruns this shard.
    pub command: String,
    /// With importance sampling: the shift every shard of the study finds
    /// from the same pilot (a merge refuses shards whose shifts differ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importance: Option<crate::engine::importance::ImportancePlan>,
    /// The `--set PATH=VALUE` settings the shard ran with, in order; the
    /// merge applies them to the scenario text again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sets: Vec<String>,
    /// SHA-256 of this manifest's own JSON written with this field empty:
    /// a merge refuses a manifest whose any field was edited or damaged
    /// (`shard.bin` has its own checksum above).
    #[serde(default)]
    pub manifest_sha256: String,
}

/// Why a `shard.json` could not be read.
#[derive(Debug, Error)]
pub enum ManifestError {
    /// Not JSON of the expected shape.
    #[error("not a shard manifest: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON of another kind.
    #[error("not a shard manifest: format is {0:?}, expected {MANIFEST_FORMAT:?}")]
    Format(String),
    /// No `manifest_sha256` (written by an older version).
    #[error("has no manifest_sha256 (written by an older creditstress?); rerun the shard with this version")]
    Unsealed,
    /// A field differs from what the shard wrote.
    #[error("does not match its manifest_sha256: a field was edited or the file is damaged; rerun the shard")]
    Checksum,
}

impl ShardManifest {
    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> Vec<u8> {
        crate::report::to_json(self).into_bytes()
    }

    /// The manifest with its `manifest_sha256` set (what `run --shard` writes).
    pub fn sealed(mut self) -> Self {
        self.manifest_sha256 = self.own_sha256();
        self
    }

    /// SHA-256 of the manifest's JSON with `manifest_sha256` empty.
    fn own_sha256(&self) -> String {
        let mut unsealed = self.clone();
        unsealed.manifest_sha256.clear();
        crate::report::sha256_hex(&unsealed.to_json())
    }

    /// Parses a manifest written by [`ShardManifest::to_json`] and checks
    /// its `manifest_sha256`.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ManifestError> {
        let m: ShardManifest = serde_json::from_slice(bytes)?;
        if m.format != MANIFEST_FORMAT {
            return Err(ManifestError::Format(m.format));
        }
        if m.manifest_sha256.is_empty() {
            return Err(ManifestError::Unsealed);
        }
        if m.own_sha256() != m.manifest_sha256 {
            return Err(ManifestError::Checksum);
        }
        Ok(m)
    }

    /// The path indices the manifest says the shard holds.
    pub fn path_range(&self) -> std::ops::Range<u64> {
        self.path_start..self.path_end
    }
}

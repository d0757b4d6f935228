//! Data files a scenario names (a loan book, an economic scenario table).
//!
//! The core does no I/O: the caller reads every file the scenario names
//! ([`super::ScenarioFile::referenced_files`]) relative to the scenario's
//! folder and attaches the bytes; validation then parses them. The bytes
//! travel with the parsed file, so a scenario re-validated under another
//! policy or sweep point sees the same data.

use std::collections::BTreeMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

/// The contents of the data files a scenario names, by the path as written
/// in the scenario (relative to the scenario's folder).
#[derive(Debug, Clone, Default)]
pub struct Attachments {
    files: Arc<BTreeMap<String, Arc<Vec<u8>>>>,
}

impl Attachments {
    /// No files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the bytes of `path`.
    pub fn insert(&mut self, path: impl Into<String>, bytes: Vec<u8>) {
        Arc::make_mut(&mut self.files).insert(path.into(), Arc::new(bytes));
    }

    /// The bytes of `path`, if attached.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(|b| b.as_slice())
    }

    /// Whether no file is attached.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// `(path, SHA-256 hex of its bytes)` of every attached file, in path order
    /// (recorded in run manifests so that a result names the data it used).
    pub fn digests(&self) -> Vec<(String, String)> {
        self.files
            .iter()
            .map(|(path, bytes)| {
                let digest = Sha256::digest(bytes.as_slice());
                let hex = digest.iter().map(|b| format!("{b:02x}")).collect::<String>();
                (path.clone(), hex)
            })
            .collect()
    }

    /// Every attached file, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(p, b)| (p.as_str(), b.as_slice()))
    }
}

impl PartialEq for Attachments {
    fn eq(&self, other: &Self) -> bool {
        self.files.len() == other.files.len()
            && self
                .files
                .iter()
                .zip(other.files.iter())
                .all(|((pa, a), (pb, b))| pa == pb && a == b)
    }
}

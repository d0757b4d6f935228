//! `run --shard`: which shard this process runs, and writing its files.
//!
//! The shard comes from, in this order:
//! 1. `--shard K/N` (`--shard none` runs the whole study and ignores the environment);
//! 2. Slurm job arrays: `SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_COUNT`, and
//!    `SLURM_ARRAY_TASK_MIN` / `SLURM_ARRAY_TASK_STEP` when set, so that
//!    `--array=1-8` or `--array=0-14:2` also number shards from 0:
//!    `K = (ID - MIN) / STEP`, `N = COUNT`;
//! 3. Kubernetes indexed jobs: `K = JOB_COMPLETION_INDEX`, `N` from
//!    `--shard-count` or else `CREDITSTRESS_SHARD_COUNT` (Kubernetes does not
//!    expose the completion count to the pod);
//! 4. AWS Batch array jobs: `K = AWS_BATCH_JOB_ARRAY_INDEX`, `N = AWS_BATCH_JOB_ARRAY_SIZE`.
//!
//! `--shard-count`, when given, must agree with the count from any source.

use std::fmt;
use std::path::Path;

use anyhow::{Context, anyhow, bail};

use creditstress::engine::{BookProfile, PathOutcome};
use creditstress::report::{sha256_hex, write_atomic};
use creditstress::scenario::Scenario;
use creditstress::shard::codec::FORMAT_VERSION;
use creditstress::shard::manifest::MANIFEST_FORMAT;
use creditstress::shard::{Dims, SHARD_BIN, SHARD_JSON, ShardData, ShardManifest, ShardSpec, encode_paths};

use super::run::shell_quote;
use super::{Failure, emit};

/// What `--shard` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardArg {
    /// `--shard none`: the whole study, whatever the environment says.
    None,
    /// `--shard K/N`.
    Spec(ShardSpec),
}

/// Parses the value of `--shard` (clap value parser).
pub fn parse_shard_arg(s: &str) -> Result<ShardArg, String> {
    if s == "none" {
        return Ok(ShardArg::None);
    }
    s.parse().map(ShardArg::Spec).map_err(|e| format!("{e}; or `none`"))
}

/// Where the shard came from, for the message on stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardSource(String);

impl fmt::Display for ShardSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The shard this process runs and where it was taken from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveShard {
    /// `K/N`.
    pub spec: ShardSpec,
    /// Flag or environment variables it came from.
    pub source: ShardSource,
}

/// Resolves the shard from the flags and the environment (see the module doc);
/// `None` runs every path. `env` looks up an environment variable.
pub fn resolve_shard(
    flag: Option<ShardArg>,
    shard_count: Option<u32>,
    env: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Option<ActiveShard>> {
    let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let number = |name: &str| -> anyhow::Result<Option<u32>> {
        var(name)
            .map(|v| {
                v.trim()
                    .parse::<u32>()
                    .map_err(|_| anyhow!("{name}={v:?} is not a whole number"))
            })
            .transpose()
    };
    let required = |name: &str, because: &str| -> anyhow::Result<u32> {
        number(name)?.ok_or_else(|| anyhow!("{because} is set but {name} is not"))
    };
    let active = |index: u32, count: u32, source: String| -> anyhow::Result<ActiveShard> {
        let spec = ShardSpec::new(index, count).map_err(|e| anyhow!("{source}: {e}"))?;
        Ok(ActiveShard {
            spec,
            source: ShardSource(source),
        })
    };

    let found = match flag {
        Some(ShardArg::None) => return Ok(None),
        Some(ShardArg::Spec(spec)) => Some(ActiveShard {
            spec,
            source: ShardSource("--shard".into()),
        }),
        None => {
            if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
                let count = required("SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_ID")?;
                let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
                let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
                let source = format!(
                    "Slurm job array: SLURM_ARRAY_TASK_ID={id}, SLURM_ARRAY_TASK_MIN={min}, \
                     SLURM_ARRAY_TASK_STEP={step}, SLURM_ARRAY_TASK_COUNT={count}"
                );
                let offset = id
                    .checked_sub(min)
                    .ok_or_else(|| anyhow!("{source}: the task id is below the minimum"))?;
                if offset % step != 0 {
                    bail!(
                        "{source}: the task id is not on the array's step; use a range such as --array=0-{}",
                        count.saturating_sub(1)
                    );
                }
                Some(active(offset / step, count, source)?)
            } else if let Some(index) = number("JOB_COMPLETION_INDEX")? {
                let (count, from) = match (shard_count, number("CREDITSTRESS_SHARD_COUNT")?) {
                    (Some(n), _) => (n, format!("--shard-count {n}")),
                    (None, Some(n)) => (n, format!("CREDITSTRESS_SHARD_COUNT={n}")),
                    (None, None) => bail!(
                        "JOB_COMPLETION_INDEX={index} is set (Kubernetes indexed job) but the shard count is unknown: \
                         pass --shard-count N or set CREDITSTRESS_SHARD_COUNT=N (the job's completions), \
                         or --shard none to run every path"
                    ),
                };
                Some(active(
                    index,
                    count,
                    format!("Kubernetes indexed job: JOB_COMPLETION_INDEX={index}, {from}"),
                )?)
            } else if let Some(index) = number("AWS_BATCH_JOB_ARRAY_INDEX")? {
                let count = required("AWS_BATCH_JOB_ARRAY_SIZE", "AWS_BATCH_JOB_ARRAY_INDEX")?;
                let source =
                    format!("AWS Batch array job: AWS_BATCH_JOB_ARRAY_INDEX={index}, AWS_BATCH_JOB_ARRAY_SIZE={count}");
                Some(active(index, count, source)?)
            } else {
                None
            }
        }
    };
    match (found, shard_count) {
        (Some(a), Some(n)) if a.spec.count() != n => {
            bail!("--shard-count {n} disagrees with shard {} from {}", a.spec, a.source)
        }
        (None, Some(n)) => {
            bail!("--shard-count {n} needs a shard index: give --shard K/{n}, or run where JOB_COMPLETION_INDEX is set")
        }
        (found, _) => Ok(found),
    }
}

/// How a shard ran, for its manifest.
pub struct ShardRun<'a> {
    /// Path of the scenario file as given.
    pub scenario_path: &'a Path,
    /// The scenario file's bytes.
    pub scenario_bytes: &'a [u8],
    /// The scenario with overrides applied.
    pub scenario: &'a Scenario,
    /// The shard.
    pub spec: ShardSpec,
    /// The engine description.
    pub engine: &'a str,
    /// `--sampling` as it must be repeated (empty for plain).
    pub sampling_flag: &'static str,
    /// The `--set` settings, in order.
    pub sets: &'a [String],
    /// With importance sampling: the shift the shard's paths were drawn with.
    pub importance: Option<creditstress::engine::importance::ImportancePlan>,
    /// Profile of the run-level book.
    pub profile: &'a BookProfile,
    /// The shard's outcomes in path order.
    pub paths: Vec<PathOutcome>,
    /// Worker threads.
    pub threads: usize,
    /// Simulation wall time, seconds.
    pub wall_seconds: f64,
    /// Peak resident memory, where known.
    pub peak_rss_bytes: Option<u64>,
    /// The shard's output folder.
    pub out: &'a Path,
}

/// Writes the shard's files and says so on stdout (the manifest with `--json`).
pub fn finish_shard(run: ShardRun, json: bool, quiet: bool) -> Result<(), Failure> {
    let (spec, out, total) = (run.spec, run.out, run.scenario.paths);
    let manifest = write_shard(run)
        .with_context(|| format!("cannot write shard {spec} to {}", out.display()))
        .map_err(Failure::Runtime)?;
    if json {
        emit(&String::from_utf8_lossy(&manifest.to_json()));
    } else if !quiet {
        emit(&format!(
            "Shard {spec} (paths {}..{} of {total}) written to {}\n\
             When all {} shards are done: creditstress merge <their folders> --out <folder>\n",
            manifest.path_start,
            manifest.path_end,
            out.display(),
            spec.count()
        ));
    }
    Ok(())
}

/// Writes `shard.bin` then `shard.json` into the shard's folder (each
/// atomically, the manifest last); returns the manifest.
pub fn write_shard(run: ShardRun) -> anyhow::Result<ShardManifest> {
    let range = run.spec.path_range(run.scenario.paths);
    let loan_months = run.paths.iter().map(|p| p.tally.loan_months).sum();
    let scenario_file = run.scenario_path.display().to_string();
    let command = format!(
        "creditstress run {} --paths {} --seed {} --shard {}{}{}{} --out {}",
        shell_quote(&scenario_file),
        run.scenario.paths,
        run.scenario.seed,
        run.spec,
        super::run::engine_flag(run.scenario, run.engine),
        run.sampling_flag,
        super::set_flags(run.sets),
        shell_quote(&run.out.display().to_string())
    );
    let data = ShardData {
        dims: Dims::of(run.scenario),
        first_path: range.start,
        profile: run.profile.clone(),
        paths: run.paths,
    };
    let bytes = encode_paths(&data).context("cannot encode the shard's outcomes")?;
    let text = String::from_utf8(run.scenario_bytes.to_vec()).context("the scenario file is not UTF-8")?;
    let manifest = ShardManifest {
        format: MANIFEST_FORMAT.to_string(),
        format_version: FORMAT_VERSION,
        program: env!("CARGO_PKG_NAME").to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        shard: run.spec,
        path_start: range.start,
        path_end: range.end,
        total_paths: run.scenario.paths,
        seed: run.scenario.seed,
        engine: run.engine.to_string(),
        scenario_file,
        scenario_sha256: sha256_hex(run.scenario_bytes),
        scenario_text: text,
        data_files: creditstress::report::DataFile::of(&run.scenario.file),
        scenario: serde_json::to_value(&run.scenario.file).context("cannot record the resolved scenario")?,
        paths_file: SHARD_BIN.to_string(),
        paths_bytes: bytes.len() as u64,
        paths_sha256: sha256_hex(&bytes),
        threads: run.threads,
        wall_seconds: run.wall_seconds,
        peak_rss_bytes: run.peak_rss_bytes,
        loan_months,
        command,
        importance: run.importance,
        sets: run.sets.to_vec(),
        manifest_sha256: String::new(),
    }
    .sealed();
    let out = run.out;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let bin = out.join(SHARD_BIN);
    write_atomic(&bin, &bytes).with_context(|| format!("cannot write {}", bin.display()))?;
    let json = out.join(SHARD_JSON);
    write_atomic(&json, &manifest.to_json()).with_context(|| format!("cannot write {}", json.display()))?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(flag: Option<&str>, count: Option<u32>, vars: &[(&str, &str)]) -> anyhow::Result<Option<ActiveShard>> {
        let flag = flag.map(|f| parse_shard_arg(f).unwrap());
        resolve_shard(flag, count, |name| {
            vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        })
    }

    fn spec(k: u32, n: u32) -> ShardSpec {
        ShardSpec::new(k, n).unwrap()
    }

    #[test]
    fn nothing_set_runs_every_path() {
        assert_eq!(resolve(None, None, &[]).unwrap(), None);
        assert_eq!(resolve(None, None, &[("SLURM_ARRAY_TASK_ID", "")]).unwrap(), None);
    }

    #[test]
    fn the_flag_wins_and_none_ignores_the_environment() {
        let slurm = [("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_COUNT", "4")];
        let a = resolve(Some("1/2"), None, &slurm).unwrap().unwrap();
        assert_eq!((a.spec, a.source.to_string()), (spec(1, 2), "--shard".to_string()));
        assert_eq!(resolve(Some("none"), None, &slurm).unwrap(), None);
        assert!(parse_shard_arg("3/3").is_err());
    }

    #[test]
    fn slurm_arrays_are_numbered_from_their_minimum_and_step() {
        let a = resolve(
            None,
            None,
            &[("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_COUNT", "8")],
        )
        .unwrap();
        assert_eq!(a.unwrap().spec, spec(3, 8));
        let one_based = [
            ("SLURM_ARRAY_TASK_ID", "8"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "8"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
        ];
        let a = resolve(None, None, &one_based).unwrap().unwrap();
        assert_eq!(a.spec, spec(7, 8));
        assert!(a.source.to_string().contains("SLURM_ARRAY_TASK_ID=8"));
        let stepped = [
            ("SLURM_ARRAY_TASK_ID", "6"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(resolve(None, None, &stepped).unwrap().unwrap().spec, spec(3, 4));
        let listed = [
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ];
        assert!(
            resolve(None, None, &listed)
                .unwrap_err()
                .to_string()
                .contains("out of range")
        );
        let no_count = [("SLURM_ARRAY_TASK_ID", "1")];
        assert!(
            resolve(None, None, &no_count)
                .unwrap_err()
                .to_string()
                .contains("SLURM_ARRAY_TASK_COUNT is not")
        );
        let bad = [("SLURM_ARRAY_TASK_ID", "x"), ("SLURM_ARRAY_TASK_COUNT", "2")];
        assert!(
            resolve(None, None, &bad)
                .unwrap_err()
                .to_string()
                .contains("not a whole number")
        );
    }

    #[test]
    fn kubernetes_needs_a_count_from_the_flag_or_the_environment() {
        let k8s = [("JOB_COMPLETION_INDEX", "2")];
        assert!(
            resolve(None, None, &k8s)
                .unwrap_err()
                .to_string()
                .contains("--shard-count")
        );
        assert_eq!(resolve(None, Some(5), &k8s).unwrap().unwrap().spec, spec(2, 5));
        let with_env = [("JOB_COMPLETION_INDEX", "2"), ("CREDITSTRESS_SHARD_COUNT", "3")];
        let a = resolve(None, None, &with_env).unwrap().unwrap();
        assert_eq!(a.spec, spec(2, 3));
        assert!(a.source.to_string().contains("CREDITSTRESS_SHARD_COUNT=3"));
        assert_eq!(resolve(None, Some(4), &with_env).unwrap().unwrap().spec, spec(2, 4));
    }

    #[test]
    fn aws_batch_arrays() {
        let aws = [("AWS_BATCH_JOB_ARRAY_INDEX", "0"), ("AWS_BATCH_JOB_ARRAY_SIZE", "2")];
        assert_eq!(resolve(None, None, &aws).unwrap().unwrap().spec, spec(0, 2));
        assert!(resolve(None, None, &aws[..1]).is_err());
    }

    #[test]
    fn shard_count_must_agree_and_needs_an_index() {
        let aws = [("AWS_BATCH_JOB_ARRAY_INDEX", "0"), ("AWS_BATCH_JOB_ARRAY_SIZE", "2")];
        assert!(
            resolve(None, Some(3), &aws)
                .unwrap_err()
                .to_string()
                .contains("disagrees")
        );
        assert!(resolve(Some("0/2"), Some(2), &[]).is_ok());
        assert!(
            resolve(None, Some(2), &[])
                .unwrap_err()
                .to_string()
                .contains("needs a shard index")
        );
    }
}

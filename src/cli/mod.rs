//! The command line: clap definitions and one module per subcommand. This is
//! the only layer that reads files given by the user, prints, and owns the
//! thread pool; it maps every failure to an exit code.

mod format;
mod run;
mod scaling;
mod validate;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use creditstress::scenario::{Scenario, parse_scenario};

/// Monte Carlo stress testing for consumer-credit portfolios.
#[derive(Debug, Parser)]
#[command(name = "creditstress", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a scenario file and print what it describes.
    #[command(after_help = "Example:\n  creditstress validate scenarios/downturn.toml")]
    Validate(validate::ValidateArgs),
    /// Simulate a scenario and write summary.json, paths.csv, timeseries.csv and manifest.json.
    #[command(
        after_help = "Examples:\n  creditstress run scenarios/downturn.toml\n  creditstress run scenarios/downturn.toml --paths 20000 --seed 7 --threads 2 --out output/downturn"
    )]
    Run(run::RunArgs),
    /// Run a scenario on 1, 2, 4, ... threads, check the results are identical, and print a scaling table.
    #[command(
        after_help = "Examples:\n  creditstress scaling scenarios/downturn.toml --paths 4000\n  creditstress scaling scenarios/downturn.toml --paths 4000 --max-threads 2 --out benches/scaling.md"
    )]
    Scaling(scaling::ScalingArgs),
}

/// A failure and the exit code it deserves.
#[derive(Debug)]
pub enum Failure {
    /// Bad usage or a bad scenario file: exit code 2.
    Input(anyhow::Error),
    /// Something went wrong while running: exit code 1.
    Runtime(anyhow::Error),
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Input(_) => 2,
            Failure::Runtime(_) => 1,
        }
    }
}

/// Runs the parsed command line and returns the process exit code.
pub fn main_with(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Validate(args) => validate::execute(args),
        Command::Run(args) => run::execute(args),
        Command::Scaling(args) => scaling::execute(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let (Failure::Input(e) | Failure::Runtime(e)) = &failure;
            eprintln!("error: {e:#}");
            ExitCode::from(failure.exit_code())
        }
    }
}

/// Writes text to stdout; a closed pipe (`| head`) is not an error.
pub fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// A scenario read from disk with the bytes it came from.
pub struct LoadedScenario {
    /// The checked scenario.
    pub scenario: Scenario,
    /// The file path as given.
    pub path: PathBuf,
    /// The file's bytes (hashed into the manifest).
    pub bytes: Vec<u8>,
}

/// Reads and validates a scenario file; every error names the file.
pub fn load_scenario(path: &Path) -> Result<LoadedScenario, Failure> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("{}: cannot read the scenario file", path.display()))
        .map_err(Failure::Input)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: not UTF-8 text: {e}", path.display()))
        .map_err(Failure::Input)?;
    let scenario = parse_scenario(text).map_err(|e| Failure::Input(anyhow::anyhow!("{}: {e}", path.display())))?;
    Ok(LoadedScenario {
        scenario,
        path: path.to_path_buf(),
        bytes,
    })
}

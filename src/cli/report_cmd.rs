//! `creditstress report`: redraw the plots and `report.html` of a finished run
//! from its files, without simulating again.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use clap::Args;

use creditstress::report::{InputError, ReportFiles, ReportInput};

use super::Failure;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output folder of a finished run (holding summary.json, paths.csv, timeseries.csv and manifest.json).
    dir: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

pub fn execute(args: ReportArgs) -> Result<(), Failure> {
    // A missing, unreadable or corrupt input is the caller's to fix: exit code 2.
    let input = ReportInput::load(&args.dir).map_err(|e: InputError| Failure::Input(anyhow!(e)))?;
    let written = write_report(&args.dir, &input)?;
    if !args.quiet {
        super::emit(&format!(
            "Wrote {} plot files and {}\n",
            written.len() - 1,
            args.dir.join("report.html").display()
        ));
    }
    Ok(())
}

/// Renders plots and page from `input` and writes them under `dir`; shared with `run`.
pub fn write_report(dir: &Path, input: &ReportInput) -> Result<Vec<PathBuf>, Failure> {
    ReportFiles::render(input)
        .write(dir)
        .with_context(|| format!("cannot write the report to {}", dir.display()))
        .map_err(Failure::Runtime)
}

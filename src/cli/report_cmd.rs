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
    super::run::interrupt_flag();
    let input = ReportInput::load(&args.dir).map_err(|e: InputError| Failure::Input(anyhow!(e)))?;
    let report = ReportFiles::render(&input);
    super::run::refuse_if_interrupted(&args.dir)?;
    let written = write_rendered(&args.dir, &report)?;
    super::run::refuse_if_interrupted_after_writing(&args.dir)?;
    if !args.quiet {
        super::emit(&format!(
            "Wrote {} plot files and {}\n",
            written.len() - 1,
            args.dir.join("report.html").display()
        ));
    }
    Ok(())
}

/// Writes rendered plots and page under `dir` as one set, replacing the
/// older report's files whole (a plot this run does not draw goes too).
pub fn write_rendered(dir: &Path, report: &ReportFiles) -> Result<Vec<PathBuf>, Failure> {
    creditstress::report::write_set(dir, &report.files, &creditstress::report::report_output_names())
        .with_context(|| format!("cannot write the report to {}", dir.display()))
        .map_err(Failure::Runtime)
}

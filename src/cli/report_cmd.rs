//! `creditstress report`: redraw the plots and page of a finished run, policy
//! comparison or stress test from its files, without simulating again.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use clap::Args;

use creditstress::report::study::{Study, StudyCommand, is_study_manifest};
use creditstress::report::{InputError, ReportFiles, ReportInput};

use super::Failure;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output folder of a finished run (holding summary.json, paths.csv, timeseries.csv and manifest.json),
    /// of a `compare`, `stress` or `sweep` (holding its JSON, CSVs and manifest.json), or the
    /// `.calibration` folder of a `calibrate` (holding calibration.json and manifest.json).
    dir: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

pub fn execute(args: ReportArgs) -> Result<(), Failure> {
    // A missing, unreadable or corrupt input is the caller's to fix: exit code 2.
    super::run::interrupt_flag();
    // Held while the folder is read and redrawn, so that no run or merge writes it meanwhile.
    let _lock = if args.dir.is_dir() {
        Some(super::OutputLock::acquire(&args.dir)?)
    } else {
        None
    };
    let manifest = std::fs::read(args.dir.join("manifest.json")).unwrap_or_default();
    if is_study_manifest(&manifest) {
        #[derive(serde::Deserialize)]
        struct Command {
            study: StudyCommand,
        }
        let command = serde_json::from_slice::<Command>(&manifest)
            .map(|m| m.study)
            .map_err(|e| {
                Failure::Input(anyhow!(
                    "{}: not a study manifest: {e}",
                    args.dir.join("manifest.json").display()
                ))
            })?;
        return match command {
            StudyCommand::Sweep | StudyCommand::Grid => redraw_sweep(&args, command),
            StudyCommand::Compare | StudyCommand::Stress => redraw_study(&args),
            StudyCommand::Calibrate => redraw_calibration(&args),
        };
    }
    let input = ReportInput::load(&args.dir).map_err(|e: InputError| Failure::Input(anyhow!(e)))?;
    super::run::signal_point("rendering");
    let report = ReportFiles::render(&input);
    let written = write_rendered(&args.dir, &report)?;
    if !args.quiet {
        super::emit(&format!(
            "Wrote {} plot files and {}\n",
            written.len() - 1,
            args.dir.join("report.html").display()
        ));
    }
    Ok(())
}

/// Redraws the page and plot of a sweep (`sweep.html`, `plots/tradeoff`) or
/// grid (`grid.html`, `plots/heatmap`) from its `sweep.json` or `grid.json`.
fn redraw_sweep(args: &ReportArgs, command: StudyCommand) -> Result<(), Failure> {
    use creditstress::report::sweep::{GridSweep, Sweep, render, render_grid};
    let (name, plot) = if command == StudyCommand::Grid {
        ("grid.json", "heatmap")
    } else {
        ("sweep.json", "tradeoff")
    };
    let path = args.dir.join(name);
    let what = &name[..name.len() - 5];
    let files = if command == StudyCommand::Grid {
        render_grid(&read_checked_json::<GridSweep>(&path, what)?)
    } else {
        render(&read_checked_json::<Sweep>(&path, what)?)
    };
    let page = format!("{}.html", &name[..name.len() - 5]);
    let plots: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .filter(|(n, _)| n.starts_with("plots/") || *n == page)
        .collect();
    let stale = [format!("plots/{plot}.png"), format!("plots/{plot}.svg"), page.clone()];
    super::run::write_guarded(&args.dir, &plots, &stale, "the page and plots")?;
    if !args.quiet {
        super::emit(&format!(
            "Wrote {} and {} plot files under {}\n",
            args.dir.join(&page).display(),
            plots.len() - 1,
            args.dir.join("plots").display()
        ));
    }
    Ok(())
}

/// Reads the JSON a page is redrawn from: unreadable, a figure no run
/// writes ([`creditstress::report::input::check_figures`]) or not a `what`
/// is the caller's to fix (exit 2), naming the file.
fn read_checked_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T, Failure> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("{}: cannot read", path.display()))
        .map_err(Failure::Input)?;
    creditstress::report::input::check_figures(&path.display().to_string(), &bytes)
        .map_err(|e| Failure::Input(anyhow!(e)))?;
    serde_json::from_slice(&bytes).map_err(|e| Failure::Input(anyhow!("{}: not a {what}: {e}", path.display())))
}

/// Redraws `calibration.html` and its plots from `calibration.json`.
fn redraw_calibration(args: &ReportArgs) -> Result<(), Failure> {
    use creditstress::report::calibration::{CalibrationPage, render};
    let path = args.dir.join("calibration.json");
    let page = read_checked_json::<CalibrationPage>(&path, "calibration report")?;
    page.check()
        .map_err(|e| Failure::Input(anyhow!("{}: {e}", path.display())))?;
    super::run::signal_point("rendering");
    let files = render(&page);
    let stale = super::calibrate::stale_report_files(&args.dir);
    super::run::write_guarded(&args.dir, &files, &stale, "the calibration report")?;
    if !args.quiet {
        super::emit(&format!(
            "Wrote {} plot files and {}\n",
            files.len() - 1,
            args.dir.join("calibration.html").display()
        ));
    }
    Ok(())
}

/// Redraws the page and plots of a `compare` or `stress` folder from its data files.
fn redraw_study(args: &ReportArgs) -> Result<(), Failure> {
    let study = Study::load(&args.dir).map_err(|e: InputError| Failure::Input(anyhow!(e)))?;
    super::run::signal_point("rendering");
    let files = study.report_files();
    super::run::write_guarded(&args.dir, &files, &study.kind().report_file_names(), "the report")?;
    if !args.quiet {
        let page = format!("{}.html", study.kind().subject().file_stem);
        super::emit(&format!(
            "Wrote {} plot files and {}\n",
            files.len() - 1,
            args.dir.join(page).display()
        ));
    }
    Ok(())
}

/// Writes rendered plots and page under `dir` as one set, replacing the
/// older report's files whole (a plot this run does not draw goes too).
pub fn write_rendered(dir: &Path, report: &ReportFiles) -> Result<Vec<PathBuf>, Failure> {
    super::run::write_guarded(
        dir,
        &report.files,
        &creditstress::report::report_output_names(),
        "the report",
    )
}

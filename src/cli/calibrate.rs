//! `creditstress calibrate TAPE`: fit a scenario to a loan-level history.

use std::path::{Component, Path, PathBuf};

use anyhow::{Context, anyhow};
use clap::Args;

use creditstress::estimation::scenario_fit::{
    CalibrateError, CalibrateOptions, Calibrated, MacroSeries, calibrate_history,
};
use creditstress::estimation::tape::{read_history, read_history_book};
use creditstress::report::calibration::{CalibrationManifest, CalibrationPage, render};
use creditstress::report::study::{MANIFEST_FORMAT, MANIFEST_VERSION, StudyCommand, StudyInput};
use creditstress::report::{sha256_hex, to_json, write_atomic};
use creditstress::scenario::{
    Frequency, Interpolation, PopulationSection, Scenario, ScoreBands, TableFormat, parse_economic_table,
    parse_scenario_file,
};

use super::compare::input_record;
use super::run::shell_quote;
use super::{Failure, emit};

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// The monthly loan tape (the schema `run --emit-tape` writes): CSV, or
    /// Parquet when the name ends in .parquet (needs `--features parquet`).
    tape: PathBuf,
    /// The book at the tape's month 0, CSV or Parquet (default: book.csv
    /// beside the tape; book.parquet beside a .parquet tape).
    #[arg(long)]
    book: Option<PathBuf>,
    /// The scenario file to write (refused if it exists).
    #[arg(long)]
    out: PathBuf,
    /// Score band edges of the PD table, comma-separated (default: the
    /// scenario format's bands 350,550,600,650,700,750,950).
    #[arg(long, value_delimiter = ',')]
    bands: Option<Vec<f64>>,
    /// Months the written scorecard PD is quoted over.
    #[arg(long, default_value_t = 12)]
    pd_period_months: u32,
    /// Confidence of every interval written.
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    /// A history of economic variables over the tape's months (CSV: `period`
    /// and one column per variable, as a `[macro.link]` table) to fit the
    /// link from economic units to the factor; the tape must hold one path.
    #[arg(long = "macro", value_name = "FILE")]
    macro_series: Option<PathBuf>,
    /// What one row of --macro is.
    #[arg(long, value_enum, default_value_t = FrequencyArg::Monthly, requires = "macro_series")]
    macro_frequency: FrequencyArg,
    /// How --macro's quarters spread over months.
    #[arg(long, value_enum, default_value_t = InterpolationArg::Linear, requires = "macro_series")]
    macro_interpolation: InterpolationArg,
    /// Write the report folder (`OUT` with the extension `.calibration`)
    /// even when it holds files creditstress did not write (they are left alone).
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FrequencyArg {
    Monthly,
    Quarterly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum InterpolationArg {
    Linear,
    Step,
}

pub fn execute(args: CalibrateArgs) -> Result<(), Failure> {
    let input = |e: anyhow::Error| Failure::Input(e);
    if !(args.confidence > 0.0 && args.confidence < 1.0) {
        return Err(input(anyhow!(
            "--confidence must be in (0, 1), got {}",
            args.confidence
        )));
    }
    if args.out.exists() {
        return Err(input(anyhow!(
            "{} exists; calibrate never overwrites a file",
            args.out.display()
        )));
    }
    // Refused before the fit, not after it.
    let report_dir = args.out.with_extension("calibration");
    super::run::check_named_output_folder(
        &report_dir,
        &format!("{} (the report folder of --out)", report_dir.display()),
        args.force,
    )?;
    let default_book = match TableFormat::of(&args.tape.to_string_lossy()) {
        TableFormat::Csv => "book.csv",
        TableFormat::Parquet => "book.parquet",
    };
    let book_path = args
        .book
        .clone()
        .unwrap_or_else(|| args.tape.parent().unwrap_or(Path::new("")).join(default_book));
    let read = |p: &Path| {
        std::fs::read(p)
            .with_context(|| format!("cannot read {}", p.display()))
            .map_err(input)
    };
    let book_bytes = read(&book_path)?;
    let tape_bytes = read(&args.tape)?;
    let book = read_history_book(&book_path.display().to_string(), &book_bytes).map_err(|e| input(e.into()))?;
    let edges = args
        .bands
        .clone()
        .unwrap_or_else(|| PopulationSection::default().score_bands);
    // The bands are checked as a scenario's are.
    let bands = ScoreBands::new(&edges).map_err(|e| input(anyhow!("--bands: {e}")))?;
    let history =
        read_history(&args.tape.display().to_string(), &tape_bytes, &book, &bands).map_err(|e| input(e.into()))?;

    let macro_series = match &args.macro_series {
        None => None,
        Some(path) => {
            let name = path.display().to_string();
            let table = parse_economic_table(&name, &read(path)?).map_err(|e| input(e.into()))?;
            Some(MacroSeries {
                file: name,
                table,
                frequency: match args.macro_frequency {
                    FrequencyArg::Monthly => Frequency::Monthly,
                    FrequencyArg::Quarterly => Frequency::Quarterly,
                },
                interpolation: match args.macro_interpolation {
                    InterpolationArg::Linear => Interpolation::Linear,
                    InterpolationArg::Step => Interpolation::Step,
                },
            })
        }
    };
    let out_folder = args.out.parent().unwrap_or(Path::new(""));
    let options = CalibrateOptions {
        name: args
            .out
            .file_stem()
            .map(|s| {
                s.to_string_lossy()
                    .replace(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '-', "_")
            })
            .filter(|s| !s.is_empty() && !s.starts_with('.'))
            .unwrap_or_else(|| "calibrated".into()),
        book_path: relative_to(&book_path, out_folder),
        source: args.tape.display().to_string(),
        bands: edges,
        pd_period_months: args.pd_period_months,
        confidence: args.confidence,
        macro_series,
    };
    let calibrated = calibrate_history(&book, &history, &options).map_err(|e| match e {
        CalibrateError::MacroSeries { .. } => Failure::Input(e.into()),
        e => Failure::Runtime(e.into()),
    })?;
    // What is written must load as any scenario does, with its book.
    let mut file = parse_scenario_file(&calibrated.scenario_toml)
        .map_err(|e| Failure::Runtime(anyhow!("the written scenario does not parse (a bug): {e}")))?;
    // The book as read above (the output's folder may not exist yet).
    file.attachments.insert(options.book_path.clone(), book_bytes.clone());
    Scenario::from_file(file).map_err(|e| Failure::Runtime(anyhow!("the written scenario is refused (a bug): {e}")))?;
    if !out_folder.as_os_str().is_empty() {
        std::fs::create_dir_all(out_folder)
            .with_context(|| format!("cannot create {}", out_folder.display()))
            .map_err(Failure::Runtime)?;
    }
    let _lock = super::OutputLock::acquire(&report_dir)?;
    let page = CalibrationPage::new(&calibrated, &history, &options.bands, &args.out.display().to_string());
    let manifest = calibration_manifest(
        &args,
        &options.bands,
        (&book_path, &book_bytes),
        &tape_bytes,
        &calibrated,
    )?;
    let mut files = render(&page);
    files.push(("calibration.json".to_string(), to_json(&page).into_bytes()));
    files.push(("manifest.json".to_string(), to_json(&manifest).into_bytes()));
    // Plots of segments an earlier calibration into this folder had go too.
    let stale = stale_report_files(&report_dir);
    super::run::write_guarded(&report_dir, &files, &stale, "the calibration report")?;
    write_atomic(&args.out, calibrated.scenario_toml.as_bytes())
        .with_context(|| format!("cannot write {}", args.out.display()))
        .map_err(Failure::Runtime)?;
    emit(&summary(&calibrated, &args.out));
    emit(&format!(
        "Report written to {}\n",
        report_dir.join("calibration.html").display()
    ));
    Ok(())
}

/// The manifest of a calibration: its inputs, options, the scenario it
/// wrote and the command that fits it again.
fn calibration_manifest(
    args: &CalibrateArgs,
    bands: &[f64],
    (book_path, book_bytes): (&Path, &[u8]),
    tape_bytes: &[u8],
    calibrated: &Calibrated,
) -> Result<CalibrationManifest, Failure> {
    let mut inputs = vec![
        input_record("tape", &args.tape, Some(tape_bytes))?,
        input_record("book", book_path, Some(book_bytes))?,
    ];
    let q = |p: &Path| shell_quote(&p.display().to_string());
    let mut command = format!(
        "creditstress calibrate {} --book {} --bands {} --pd-period-months {} --confidence {}",
        q(&args.tape),
        q(book_path),
        bands.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(","),
        args.pd_period_months,
        args.confidence
    );
    if let Some(m) = &args.macro_series {
        inputs.push(input_record("macro", m, None)?);
        // The flags' values as clap spells them.
        let name = |v: Option<clap::builder::PossibleValue>| v.map(|v| v.get_name().to_string()).unwrap_or_default();
        command.push_str(&format!(
            " --macro {} --macro-frequency {} --macro-interpolation {}",
            q(m),
            name(clap::ValueEnum::to_possible_value(&args.macro_frequency)),
            name(clap::ValueEnum::to_possible_value(&args.macro_interpolation))
        ));
    }
    command.push_str(&format!(" --out {}", q(&args.out)));
    Ok(CalibrationManifest {
        format: MANIFEST_FORMAT.to_string(),
        format_version: MANIFEST_VERSION,
        program: env!("CARGO_PKG_NAME").to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        study: StudyCommand::Calibrate,
        inputs,
        scenario: StudyInput {
            role: "scenario".to_string(),
            path: args.out.display().to_string(),
            sha256: sha256_hex(calibrated.scenario_toml.as_bytes()),
        },
        bands: bands.to_vec(),
        pd_period_months: args.pd_period_months,
        confidence: args.confidence,
        command,
    })
}

/// The page and plots of a calibration folder as they are on disk: what a
/// new page replaces whole (a plot of a segment it no longer has goes too).
pub fn stale_report_files(dir: &Path) -> Vec<String> {
    let mut names = vec!["calibration.html".to_string()];
    if let Ok(entries) = std::fs::read_dir(dir.join("plots")) {
        let mut plots: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("calibration_") && (n.ends_with(".png") || n.ends_with(".svg")))
            .map(|n| format!("plots/{n}"))
            .collect();
        plots.sort();
        names.extend(plots);
    }
    names
}

/// `path` relative to `folder` when both are under one root, else absolute.
fn relative_to(path: &Path, folder: &Path) -> String {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (target, base) = (absolute(path), absolute(folder));
    let (t, b) = (normal_components(&target), normal_components(&base));
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return target.display().to_string();
    }
    let mut rel = PathBuf::new();
    for _ in common..b.len() {
        rel.push("..");
    }
    for c in &t[common..] {
        rel.push(c.as_os_str());
    }
    rel.display().to_string()
}

fn normal_components(p: &Path) -> Vec<Component<'_>> {
    p.components().filter(|c| *c != Component::CurDir).collect()
}

/// What the command prints.
fn summary(c: &Calibrated, out: &Path) -> String {
    let mut s = format!(
        "Calibrated from {} months x {} path(s); factor persistence phi = {:.4} [{:.4}, {:.4}]\n",
        c.months, c.paths, c.phi.value, c.phi.lower, c.phi.upper
    );
    for seg in &c.segments {
        s.push_str(&format!(
            "  {}: {} loans, monthly rho {:.4} [{:.4}, {:.4}], prepayment {:.4}, LGD {}\n",
            seg.name,
            seg.loans,
            seg.factor.rho.value,
            seg.factor.rho.lower,
            seg.factor.rho.upper,
            seg.factor.prepay_rate.value,
            seg.lgd.as_ref().map_or("not estimated".to_string(), |l| format!(
                "{:.3} from {} charge-offs",
                l.mean.value, l.observations
            )),
        ));
        for w in &seg.warnings {
            s.push_str(&format!("    warning: {w}\n"));
        }
    }
    s.push_str(&format!(
        "Scenario written to {} (every value with its interval in comments)\n",
        out.display()
    ));
    s
}

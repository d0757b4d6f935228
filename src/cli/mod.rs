//! The command line: clap definitions and one module per subcommand. This is
//! the only layer that reads files given by the user, prints, and owns the
//! thread pool; it maps every failure to an exit code.

mod calibrate;
mod check;
mod compare;
mod format;
mod init;
mod merge;
mod report_cmd;
mod reverse;
mod run;
mod scaling;
mod schema;
mod shard;
mod stress;
mod sweep;
mod validate;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use creditstress::scenario::{Attachments, Scenario, parse_scenario_file};

/// Exit codes, shown at the end of every `--help`.
const EXIT_CODES: &str = "Exit codes:\n  0    success\n  1    runtime failure (a file could not be written, a shard failed, ...)\n  2    usage or input error: the message names the file, the field and the problem; nothing is written\n  130  interrupted by Ctrl-C (143 SIGTERM, 129 SIGHUP): nothing was written, or the whole set was";

/// The version with the commit it was built from (`unknown` outside a git checkout).
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("CREDITSTRESS_COMMIT"), ")");

/// Monte Carlo stress testing for consumer-credit portfolios.
#[derive(Debug, Parser)]
#[command(name = "creditstress", version = VERSION, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a scenario file and print what it describes.
    #[command(after_help = "Example:\n  creditstress validate scenarios/downturn.toml")]
    Validate(validate::ValidateArgs),
    /// Simulate a scenario and write summary.json, paths.csv, timeseries.csv, manifest.json, plots/ and report.html.
    #[command(
        after_help = "Examples:\n  creditstress run scenarios/downturn.toml\n  creditstress run scenarios/downturn.toml --paths 20000 --seed 7 --threads 2 --out output/downturn"
    )]
    Run(run::RunArgs),
    /// Run several policies under the same stress on common random numbers and compare them with the first.
    #[command(
        after_help = "Example:\n  creditstress compare scenarios/downturn.toml \\\n      --policy scenarios/policies/current.toml --policy scenarios/policies/tight.toml \\\n      --paths 20000 --seed 7 --out output/compare-downturn"
    )]
    Compare(compare::CompareArgs),
    /// Run one lever or stress parameter over a grid on common random numbers and plot EL and net income
    /// against it; or, with --grid FILE, every point of a grid over several fields, with a heatmap.
    #[command(
        after_help = "Examples:\n  creditstress sweep scenarios/downturn.toml --param policy.approval.min_score --from 500 --to 700 --step 25 --paths 2000\n  creditstress sweep scenarios/pandemic.toml --param 'macro.shocks[0].depth' --values 1,2,3,4\n  creditstress sweep scenarios/pandemic.toml --grid scenarios/grids/pandemic_depth_cutoff.toml --paths 2000"
    )]
    Sweep(sweep::SweepArgs),
    /// Reverse stress test: find the value of one field at which a figure crosses a target, on common random numbers.
    #[command(
        after_help = "Examples:\n  creditstress reverse scenarios/pandemic.toml --param 'macro.shocks[0].depth' --target net_income.mean=0 --from 0.5 --to 3 --paths 2000\n  creditstress reverse scenarios/downturn.toml --param 'segments[2].rho' --target loss_rate.var.0.99=0.25 --from 0.05 --to 0.3"
    )]
    Reverse(reverse::ReverseArgs),
    /// Run one book through several stress scenarios on common random numbers and compare them with the first.
    #[command(
        after_help = "Example:\n  creditstress stress scenarios/baseline.toml scenarios/downturn.toml scenarios/pandemic.toml --paths 2000"
    )]
    Stress(stress::StressArgs),
    /// Benchmark a scenario over thread counts (runs, warm-ups, mean ± sd, each run its own process), check the results are identical, and print a scaling table.
    #[command(
        after_help = "Examples:\n  creditstress scaling scenarios/downturn.toml --paths 4000\n  creditstress scaling scenarios/downturn.toml --paths 4000 --threads 1,2 --runs 5 --export-markdown benches/scaling.md --export-json scaling.json"
    )]
    Scaling(scaling::ScalingArgs),
    /// Merge the shards of a study (`run --shard K/N`) into the files one run writes.
    #[command(
        after_help = "Examples:\n  creditstress run scenarios/downturn.toml --paths 100000 --seed 7 --shard 2/8 --out output/dt/shard-2\n  creditstress merge output/dt/shard-* --out output/dt"
    )]
    Merge(merge::MergeArgs),
    /// Redraw the plots and page of a finished run, comparison or stress test from its files, without simulating.
    #[command(
        after_help = "Examples:\n  creditstress report output/downturn\n  creditstress run scenarios/downturn.toml --out output/dt && creditstress report output/dt"
    )]
    Report(report_cmd::ReportArgs),
    /// Fit a scenario to a loan-level history (a book and its monthly tape) and write it, every value with its interval.
    #[command(
        after_help = "Examples:\n  creditstress run scenarios/downturn.toml --paths 100 --emit-tape output/tape --tape-paths 20\n  creditstress calibrate output/tape/tape.csv --out output/calibrated.toml\n  creditstress validate output/calibrated.toml && creditstress run output/calibrated.toml"
    )]
    Calibrate(calibrate::CalibrateArgs),
    /// Write a commented starter scenario NAME.toml to edit (never overwrites a file).
    #[command(
        after_help = "Examples:\n  creditstress init\n  creditstress init stress_2025\n  creditstress validate stress_2025.toml && creditstress run stress_2025.toml"
    )]
    Init(init::InitArgs),
    /// Run the built-in analytic checks (Basel II Annex 5 risk weights, Vasicek quantiles, exact mixture binomial, cohort PD); exit 0 only if all pass.
    #[command(after_help = "Examples:\n  creditstress check\n  creditstress check --json")]
    Check(check::CheckArgs),
    /// Print the JSON Schema of summary.json or comparison.json (also committed under docs/schema/).
    #[command(
        after_help = "Examples:\n  creditstress schema summary > summary.schema.json\n  creditstress schema comparison > comparison.schema.json"
    )]
    Schema(schema::SchemaArgs),
    /// Print a shell completion script for bash, zsh, fish, elvish or powershell.
    #[command(
        after_help = "Examples:\n  creditstress completions bash > ~/.local/share/bash-completion/completions/creditstress\n  creditstress completions zsh > ~/.zfunc/_creditstress\n  creditstress completions fish > ~/.config/fish/completions/creditstress.fish"
    )]
    Completions(CompletionsArgs),
    /// Print the man page (roff) of creditstress.
    #[command(after_help = "Example:\n  creditstress man > creditstress.1 && man ./creditstress.1")]
    Man,
}

/// Arguments of `completions`.
#[derive(Debug, clap::Args)]
struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// The clap command of the whole program (for completions and the man page).
fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

fn completions(args: CompletionsArgs) -> Result<(), Failure> {
    let mut cmd = command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "creditstress", &mut out);
    write_stdout(&out)
}

fn man_page() -> Result<(), Failure> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command())
        .render(&mut out)
        .context("cannot render the man page")
        .map_err(Failure::Runtime)?;
    write_stdout(&out)
}

pub(crate) fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .context("cannot write to standard output")
        .map_err(Failure::Runtime)
}

/// A failure and the exit code it deserves.
#[derive(Debug)]
pub enum Failure {
    /// Bad usage or a bad scenario file: exit code 2.
    Input(anyhow::Error),
    /// Something went wrong while running: exit code 1.
    Runtime(anyhow::Error),
    /// Ctrl-C, SIGTERM or SIGHUP stopped the command before it wrote
    /// anything: exit code 128 + the signal, as the shell reports (130 for
    /// SIGINT, 143 for SIGTERM, 129 for SIGHUP).
    Interrupted(anyhow::Error),
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Input(_) => 2,
            Failure::Runtime(_) => 1,
            Failure::Interrupted(_) => run::stop_exit_code(),
        }
    }
}

/// Runs the parsed command line and returns the process exit code.
pub fn main_with(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Validate(args) => validate::execute(args),
        Command::Run(args) => run::execute(args),
        Command::Compare(args) => compare::execute(args),
        Command::Sweep(args) => sweep::execute(args),
        Command::Reverse(args) => reverse::execute(args),
        Command::Stress(args) => stress::execute(args),
        Command::Scaling(args) => scaling::execute(args),
        Command::Merge(args) => merge::execute(args),
        Command::Report(args) => report_cmd::execute(args),
        Command::Init(args) => init::execute(args),
        Command::Calibrate(args) => calibrate::execute(args),
        Command::Check(args) => check::execute(args),
        Command::Schema(args) => schema::execute(args),
        Command::Completions(args) => completions(args),
        Command::Man => man_page(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let (Failure::Input(e) | Failure::Runtime(e) | Failure::Interrupted(e)) = &failure;
            eprintln!("error: {}", bounded_message(&format!("{e:#}")));
            ExitCode::from(failure.exit_code())
        }
    }
}

/// The longest error message printed whole, in bytes.
const MESSAGE_LIMIT: usize = 4096;

/// `message`, or for one longer than [`MESSAGE_LIMIT`] its start (which
/// names the file, field and problem) and end with the omitted length
/// between: an error quoting a 50 MB value must not print 50 MB.
pub fn bounded_message(message: &str) -> String {
    if message.len() <= MESSAGE_LIMIT {
        return message.to_string();
    }
    // Char boundaries by hand: str::floor_char_boundary is newer than the crate's rust-version.
    let mut head = 3 * MESSAGE_LIMIT / 4;
    while !message.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = message.len() - MESSAGE_LIMIT / 8;
    while !message.is_char_boundary(tail) {
        tail += 1;
    }
    format!(
        "{} [... {} bytes omitted ...] {}",
        &message[..head],
        tail - head,
        &message[tail..]
    )
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
/// Refuses a `rho_annual` that no monthly rho reaches (the library would
/// use the largest monthly rho; the command line says so and stops).
fn check_correlation_targets(scenario: &Scenario) -> anyhow::Result<()> {
    use creditstress::scenario::Correlation;
    if !scenario
        .segments
        .iter()
        .any(|s| matches!(s.correlation, Correlation::PerPeriod(_)))
    {
        return Ok(());
    }
    let grades = creditstress::population::PdGrades::new(scenario);
    for (i, ceiling) in grades.rho_unreachable.iter().enumerate() {
        if let Some(ceiling) = ceiling {
            anyhow::bail!(
                "segments[{i}].rho_annual: above {ceiling:.4}, the most any monthly rho (up to {}) implies per {} months \
                 with these dynamics and macro.noise.phi = {}; lower it, or raise phi",
                creditstress::calibration::MAX_MONTHLY_RHO,
                scenario.dynamics.pd_period_months,
                scenario.macro_model.phi
            );
        }
    }
    Ok(())
}

/// Reads the data files a scenario names, relative to the scenario's folder.
pub fn read_attachments(scenario_path: &Path, names: &[String]) -> Result<Attachments, Failure> {
    let folder = scenario_path.parent().unwrap_or(Path::new(""));
    let mut attachments = Attachments::new();
    for name in names {
        let full = folder.join(name);
        let bytes = std::fs::read(&full)
            .with_context(|| {
                format!(
                    "{}: cannot read {} (named in the scenario as {name:?}, relative to the scenario's folder)",
                    scenario_path.display(),
                    full.display()
                )
            })
            .map_err(Failure::Input)?;
        attachments.insert(name.clone(), bytes);
    }
    Ok(attachments)
}

/// `compare` and `sweep` pair their runs path by path under plain sampling
/// only; a scenario that asks for importance sampling is refused (exit 2)
/// rather than silently sampled plain.
pub fn refuse_importance(scenario: &Scenario, path: &Path, command: &str) -> Result<(), Failure> {
    if scenario.importance.is_some() {
        return Err(Failure::Input(anyhow::anyhow!(
            "{}: run.sampling: `creditstress {command}` uses plain sampling only (its paired intervals do \
             not take weights yet); set run.sampling = \"plain\" (or leave it out), or use `creditstress run \
             --sampling importance` for one scenario",
            path.display()
        )));
    }
    Ok(())
}

pub fn load_scenario(path: &Path, sets: &[String]) -> Result<LoadedScenario, Failure> {
    // `-` is the scenario on standard input (its data files relative to the working folder).
    let bytes = if path == Path::new("-") {
        let mut buffer = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buffer)
            .context("cannot read the scenario from standard input")
            .map_err(Failure::Input)?;
        buffer
    } else {
        std::fs::read(path)
            .with_context(|| format!("{}: cannot read the scenario file", path.display()))
            .map_err(Failure::Input)?
    };
    let shown = if path == Path::new("-") {
        "standard input".to_string()
    } else {
        path.display().to_string()
    };
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| anyhow::anyhow!("{shown}: not UTF-8 text: {e}"))
        .map_err(Failure::Input)?;
    let named = |e: creditstress::scenario::ScenarioError| Failure::Input(anyhow::anyhow!("{shown}: {e}"));
    let mut file = parse_scenario_file(text).map_err(named)?;
    file = apply_settings(file, sets).map_err(|e| Failure::Input(anyhow::anyhow!("{shown}: {e}")))?;
    file.attachments = read_attachments(path, &file.referenced_files())?;
    let scenario = Scenario::from_file(file).map_err(|e| match sets.is_empty() {
        true => named(e),
        false => Failure::Input(anyhow::anyhow!("{shown} with --set {}: {e}", sets.join(" --set "))),
    })?;
    check_correlation_targets(&scenario).map_err(|e| Failure::Input(anyhow::anyhow!("{shown}: {e}")))?;
    Ok(LoadedScenario {
        scenario,
        path: path.to_path_buf(),
        bytes,
    })
}

/// Applies each `--set PATH=VALUE` in order to a parsed scenario file.
pub fn apply_settings(
    mut file: creditstress::scenario::ScenarioFile,
    sets: &[String],
) -> Result<creditstress::scenario::ScenarioFile, creditstress::scenario::ScenarioError> {
    for text in sets {
        let (path, value) = creditstress::scenario::parse_setting(text)?;
        file = creditstress::scenario::with_value(&file, &path, value)?;
    }
    Ok(file)
}

/// `--set` as the reproduce commands repeat it.
pub fn set_flags(sets: &[String]) -> String {
    sets.iter().map(|s| format!(" --set {}", run::shell_quote(s))).collect()
}

/// A lock on an output folder for as long as a command may write into it:
/// `.<folder name>.lock` beside the folder, created exclusively, holding the
/// process id; removed when the command ends, however it ends (short of
/// SIGKILL). A second command into the same folder is refused while the
/// first runs; a lock left by a process that no longer exists is taken over
/// with a note on stderr.
pub struct OutputLock {
    path: PathBuf,
}

impl OutputLock {
    /// Takes the lock of `out` (creating its parent folder if needed).
    pub fn acquire(out: &Path) -> Result<Self, Failure> {
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".to_string());
        let parent = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))
            .map_err(Failure::Runtime)?;
        let path = parent.join(format!(".{name}.lock"));
        for _ in 0..2 {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    use std::io::Write;
                    let _ = writeln!(file, "{}", std::process::id());
                    let lock = OutputLock { path };
                    remove_stale_temporaries(out)?;
                    return Ok(lock);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    let pid = holder.trim().parse::<u32>().ok();
                    let alive = pid.is_some_and(|p| Path::new(&format!("/proc/{p}")).exists());
                    if alive || !Path::new("/proc/self").exists() {
                        return Err(Failure::Input(anyhow::anyhow!(
                            "{} is in use by another creditstress command (process {}; lock {}); wait for it, \
                             or write elsewhere with --out",
                            out.display(),
                            pid.map_or("unknown".to_string(), |p| p.to_string()),
                            path.display()
                        )));
                    }
                    eprintln!(
                        "note: taking over {}, left by process {} that no longer runs",
                        path.display(),
                        pid.map_or("unknown".to_string(), |p| p.to_string())
                    );
                    let _ = std::fs::remove_file(&path);
                }
                Err(e) => {
                    return Err(Failure::Runtime(anyhow::anyhow!(
                        "cannot create the lock {}: {e}",
                        path.display()
                    )));
                }
            }
        }
        Err(Failure::Runtime(anyhow::anyhow!(
            "cannot take the lock {}",
            path.display()
        )))
    }
}

/// Removes the temporary files (`.NAME.tmp-PID`) a killed command left in
/// `out` and `out/plots`: with the lock held no other command is writing
/// them, and each stands for a file whose previous version is still whole.
///
/// First, a set whose command died in the middle of its swap (its journal
/// is still there) is undone and the older set put back. If that fails the
/// command is refused and every file is left where it is, so nothing of
/// either set is lost.
fn remove_stale_temporaries(out: &Path) -> Result<(), Failure> {
    let notes = creditstress::report::recover_interrupted_sets(out).map_err(|e| {
        Failure::Runtime(anyhow::anyhow!(
            "{} holds the files of a write that a killed command left unfinished, and they cannot be put \
             back ({e}); the older files are in its {}PID folder, the newer in {}PID; move them by hand \
             and remove the {}PID journal",
            out.display(),
            creditstress::report::BACKUP_PREFIX,
            creditstress::report::STAGING_PREFIX,
            creditstress::report::JOURNAL_PREFIX
        ))
    })?;
    for note in notes {
        eprintln!("note: {note}");
    }
    for dir in [out.to_path_buf(), out.join("plots")] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let stale = name.starts_with('.')
                && name
                    .rsplit_once(".tmp-")
                    .is_some_and(|(_, tail)| creditstress::report::pid_suffix(tail, "").is_some());
            if stale && entry.path().is_file() && std::fs::remove_file(entry.path()).is_ok() {
                eprintln!(
                    "note: removed {}, left by an interrupted command",
                    entry.path().display()
                );
            }
            // A set staged, or an older set moved aside, by a command killed while writing.
            let set_folder = [
                creditstress::report::STAGING_PREFIX,
                creditstress::report::BACKUP_PREFIX,
            ]
            .iter()
            .any(|p| creditstress::report::pid_suffix(&name, p).is_some());
            if set_folder && entry.path().is_dir() && std::fs::remove_dir_all(entry.path()).is_ok() {
                eprintln!(
                    "note: removed {}, left by a command interrupted while writing",
                    entry.path().display()
                );
            }
        }
    }
    Ok(())
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

//! `creditstress` binary: parse the command line, run, map the result to an exit code.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    cli::main_with(cli::Cli::parse())
}

//! The `bulwark` command: flags, subcommands, output selection and exit codes; glue around the
//! engines.
//!
//! `main` parses flags, runs the subcommand and maps its outcome to an exit code: the
//! subcommand's own code on success, 2 on an error (printed with its causes), 0 when stdout was
//! closed early (`bulwark scan … | head`).

mod analyses;
mod audit;
mod cli;
mod cmd;
mod config;
mod git_history;
mod image_scan;
mod manifests;
mod output;
mod runtime;
mod targets;
mod vulns;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cmd::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if output::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "bulwark: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

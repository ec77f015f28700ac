//! One module per subcommand.

mod checks;
pub(crate) mod db;
mod rules;
mod sbom;
mod scan;
pub(crate) mod secrets;

use crate::cli::{Cli, Command};

/// Runs the subcommand and returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Scan(args) => scan::run(&args),
        Command::Checks(args) => checks::run(&args),
        Command::Rules(args) => rules::run(&args),
        Command::Sbom(args) => sbom::run(&args),
        Command::Db(args) => db::run(&args),
    }
}

//! One module per subcommand.

pub(crate) mod audit;
mod checks;
pub(crate) mod db;
pub(crate) mod reach;
pub(crate) mod rules;
mod sbom;
mod scan;
pub(crate) mod secrets;
pub(crate) mod sensor;
pub(crate) mod who_can;

use crate::cli::{Cli, Command};

/// Runs the subcommand and returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Scan(args) => scan::run(&args),
        Command::Checks(args) => checks::run(&args),
        Command::Rules(args) => rules::run(&args),
        Command::Sbom(args) => sbom::run(&args),
        Command::Db(args) => db::run(&args),
        Command::Reach(args) => reach::run(&args),
        Command::WhoCan(args) => who_can::run(&args),
        Command::Sensor(args) => sensor::run(&args),
        Command::Audit(args) => audit::run(&args),
    }
}

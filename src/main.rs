use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = sonde::cli::Cli::parse();
    sonde::cmd::exit_code(sonde::cmd::run(cli))
}

//! `roster`: the command-line face of Roster.
//!
//! Exit codes: 0 ok, 2 usage, 3 validation, 4 not found, 5 conflict, 1 anything else.
//! With `--json`, stdout carries exactly one JSON document; errors go to stderr, as JSON
//! too when `--json` is given.

mod args;
mod output;
mod run;

use std::process::ExitCode;

use clap::Parser;
use roster_workspace::{Error, ErrorCode};

fn main() -> ExitCode {
    let json = std::env::args().skip(1).take_while(|a| a != "--").any(|a| a == "--json");
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            if json {
                let first = e.to_string();
                let message = first.lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ");
                output::print_error(&Error::new(ErrorCode::Usage, message), true);
            } else {
                let _ = e.print();
            }
            return ExitCode::from(2);
        }
    };
    match run::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::print_error(&e, cli.json);
            ExitCode::from(exit_code(e.code))
        }
    }
}

fn exit_code(code: ErrorCode) -> u8 {
    match code {
        ErrorCode::Usage => 2,
        ErrorCode::Validation => 3,
        ErrorCode::NotFound => 4,
        ErrorCode::Conflict | ErrorCode::Stale => 5,
        ErrorCode::NotConfigured | ErrorCode::Workspace | ErrorCode::Cancelled | ErrorCode::Remote | ErrorCode::Internal => 1,
    }
}

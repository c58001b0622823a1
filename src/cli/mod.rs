//! Command-line entry point: argument parsing, progress display, exit codes.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// AIDE tree search over Python solution scripts, at benchmark scale.
#[derive(Debug, Parser)]
#[command(name = "aide-fleet", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {}
}

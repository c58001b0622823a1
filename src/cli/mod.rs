//! Command-line entry point: argument parsing, progress display, exit codes.
//! Each subcommand lives in its own file; this one only dispatches.

mod agent_cmd;
mod exit;
mod fleet_display;
mod grade_cmd;
mod import_cmd;
mod output;
mod progress;
mod rank_cmd;
mod report_cmd;
mod run_cmd;
mod status_cmd;
mod store_arg;

use std::process::ExitCode;

pub use agent_cmd::check_args as check_agent_args;

use clap::{Parser, Subcommand};

/// AIDE (AI-Driven Exploration) over Python solution scripts, at benchmark scale.
///
/// An LLM drafts solution scripts for a machine-learning task, runs them, reads the
/// outcome, debugs the broken ones and improves the best one: a tree search whose
/// answer is the best-scoring script and its submission.
#[derive(Debug, Parser)]
#[command(name = "aide-fleet", version, about, long_about, after_long_help = exit::EXIT_CODES_HELP.to_string())]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Agent(Box<agent_cmd::AgentArgs>),
    Grade(grade_cmd::GradeArgs),
    ImportAideml(import_cmd::ImportArgs),
    Rank(rank_cmd::RankArgs),
    Report(Box<report_cmd::ReportArgs>),
    Run(Box<run_cmd::RunArgs>),
    Status(status_cmd::StatusArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Agent(args) => agent_cmd::run(*args),
        Command::Grade(args) => grade_cmd::run(args),
        Command::ImportAideml(args) => import_cmd::run(args),
        Command::Rank(args) => rank_cmd::run(args),
        Command::Report(args) => report_cmd::run(*args),
        Command::Run(args) => run_cmd::run(*args),
        Command::Status(args) => status_cmd::run(args),
    };
    exit::report(result)
}

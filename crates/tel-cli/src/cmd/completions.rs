//! `tel completions`: prints a shell completion script for bash, zsh or fish.

use std::process::ExitCode;

use clap::{Args, CommandFactory as _};
use clap_complete::Shell;

use crate::cli::Cli;

/// Arguments of `tel completions`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  tel completions bash > ~/.local/share/bash-completion/completions/tel
  tel completions zsh > ~/.zfunc/_tel
  tel completions fish > ~/.config/fish/completions/tel.fish")]
pub struct CompletionsArgs {
    /// The shell: bash, zsh or fish.
    #[arg(value_parser = ["bash", "zsh", "fish"])]
    pub shell: String,
}

/// Runs `tel completions`.
pub fn run(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let shell = match args.shell.as_str() {
        "zsh" => Shell::Zsh,
        "fish" => Shell::Fish,
        _ => Shell::Bash,
    };
    clap_complete::generate(shell, &mut Cli::command(), "tel", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

//! `tel completions` and `tel man`: a shell completion script for bash, zsh or fish, and the man pages
//! (`clap_mangen`), both generated from the command-line grammar.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
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

/// Arguments of `tel man`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  tel man | man -l -                           # read it now
  tel man > ~/.local/share/man/man1/tel.1
  tel man --dir ~/.local/share/man/man1        # tel.1 and tel-<command>.1 for every command")]
pub struct ManArgs {
    /// Write tel.1 and one tel-<command>.1 per command into DIR instead of printing tel.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Runs `tel man`.
pub fn man(args: &ManArgs) -> anyhow::Result<ExitCode> {
    match &args.dir {
        Some(dir) => clap_mangen::generate_to(Cli::command(), dir)
            .with_context(|| format!("cannot write the man pages into {}", dir.display()))?,
        None => clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout().lock())?,
    }
    Ok(ExitCode::SUCCESS)
}

//! Running the `tel` binary in a test: a chosen working directory and a clean database environment.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `tel ARGS` in `dir` with `env` set and the database URL variables of the caller removed.
pub fn tel_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tel"))
        .args(args)
        .current_dir(dir)
        .env_remove("TEL_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .envs(env.iter().copied())
        .output()
        .expect("the tel binary runs")
}

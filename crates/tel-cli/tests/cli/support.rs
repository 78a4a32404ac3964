//! Running the `tel` binary in a test: a chosen working directory and a clean database environment.

use std::path::Path;
use std::process::{Command, Output};

/// `tel ARGS` in `dir`, without the caller's database URL variables and telemetry flag.
pub fn tel_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tel"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("TEL_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .env_remove("TELEMETRY_DB_ENABLED");
    command
}

/// Runs `tel ARGS` in `dir` with `env` set; the caller's database URL variables and telemetry flag are removed.
pub fn tel_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    tel_command(dir, args)
        .envs(env.iter().copied())
        .output()
        .expect("the tel binary runs")
}

/// Runs `tel ARGS` in `dir` with a clean environment.
pub fn tel_at(dir: &Path, args: &[&str]) -> Output {
    tel_in(dir, args, &[])
}

/// Runs `tel ARGS` in the current directory with a clean environment.
pub fn tel_here(args: &[&str]) -> Output {
    tel_at(Path::new("."), args)
}

/// Runs `tel ARGS --database-url DB` with a clean environment.
pub fn tel_db(db: &Path, args: &[&str]) -> Output {
    let db = db.to_str().expect("test database paths are UTF-8");
    let mut all = args.to_vec();
    all.extend(["--database-url", db]);
    tel_here(&all)
}

pub use crate::real_data::real_data;

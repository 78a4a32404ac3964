//! The `tel` binary: parses the command line, runs one command, maps its outcome to an exit code.

// Argument doc comments are clap's help text, where `<VALUE>` is the convention; rustdoc would read it as HTML.
#![allow(rustdoc::invalid_html_tags)]

mod cli;
mod cmd;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    catch_file_size_signal();
    let cli = cli::Cli::parse();
    match cmd::run(cli) {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}

/// Past a file-size limit (`ulimit -f`) the kernel sends SIGXFSZ, whose default action kills tel
/// silently mid-batch (exit 153). With a handler installed the write fails with EFBIG instead, and the
/// recorder spools (or reports the event LOST) as for a full disk. `flag::register` is signal-hook's safe
/// API: the handler only sets a flag nobody reads. Failing to install it leaves the default, as before.
fn catch_file_size_signal() {
    let _ = signal_hook::flag::register(
        signal_hook::consts::SIGXFSZ,
        std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
    );
}

/// A closed stdout (`tel export | head`) is the reader's choice, not a failure.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

//! Progress on stderr for commands that stream many events: drawn only when stderr is a terminal and
//! `--quiet` is off, so pipes, logs and tests see nothing.

use std::io::IsTerminal as _;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar counting events towards `total` (a spinner with a count when the total is unknown), or a hidden
/// bar that ignores every update.
pub fn events(label: &'static str, total: Option<u64>, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let (bar, template) = match total {
        Some(total) => (
            ProgressBar::new(total),
            "{msg} [{bar:30}] {human_pos}/{human_len} events, {eta} left",
        ),
        None => (
            ProgressBar::new_spinner(),
            "{spinner} {msg}: {human_pos} events",
        ),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(label);
    bar
}

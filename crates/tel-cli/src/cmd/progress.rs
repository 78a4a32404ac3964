//! Progress on stderr for commands that stream many events: drawn only when stderr is a terminal and
//! `--quiet` is off, so pipes, logs and tests see nothing.

use std::io::IsTerminal as _;

use indicatif::{ProgressBar, ProgressStyle};
use tel_replay::db::Progress;

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

/// The library pipelines' [`Progress`] drawn by [`events`]: a bar once the total is known, else a spinner.
pub struct EventsBar {
    label: &'static str,
    quiet: bool,
    bar: Option<ProgressBar>,
}

impl EventsBar {
    /// A bar labelled `label`, hidden under `--quiet` or when stderr is not a terminal.
    pub fn new(label: &'static str, quiet: bool) -> Self {
        Self {
            label,
            quiet,
            bar: None,
        }
    }
}

impl Progress for EventsBar {
    fn total(&mut self, total: u64) {
        self.bar = Some(events(self.label, Some(total), self.quiet));
    }

    fn event(&mut self) {
        let (label, quiet) = (self.label, self.quiet);
        self.bar
            .get_or_insert_with(|| events(label, None, quiet))
            .inc(1);
    }
}

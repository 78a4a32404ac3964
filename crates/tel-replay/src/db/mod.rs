//! The one module of tel-replay that talks to the database (tel-store): the pipelines from stored events to
//! the analyses, the replays and the export, each a library function another crate can call.

pub mod calibrate;
pub mod events;
pub mod export;
pub mod import;
pub mod record;
pub mod replay;

pub use tel_store::{EventOrder, EventQuery};

use tel_core::InvalidTimestamp;
use tel_store::StoreError;

use crate::calibrate::CalibrateError;
use crate::legacy_replay::LegacyReplayError;

/// Told how far a pipeline has got: the number of events once it is known, then each event read.
pub trait Progress {
    /// The number of events the pipeline will read.
    fn total(&mut self, _events: u64) {}
    /// One more event read.
    fn event(&mut self) {}
}

/// No progress report.
impl Progress for () {}

/// Why a pipeline over stored events stopped.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The original replay tool would have stopped here.
    #[error(transparent)]
    LegacyReplay(#[from] LegacyReplayError),
    /// The calibration could not run.
    #[error(transparent)]
    Calibrate(#[from] CalibrateError),
    /// The starting profile has no overhead model to calibrate.
    #[error(
        "profile {profile}: calibration needs the overhead model (phase overheads), this profile has none"
    )]
    NoOverheadModel {
        /// The profile's id.
        profile: String,
    },
    /// A time filter is not a timestamp.
    #[error("the {filter} filter")]
    Filter {
        /// `since` or `until`.
        filter: &'static str,
        /// What is wrong with it.
        #[source]
        source: InvalidTimestamp,
    },
    /// The per-event values spilled past the replay's memory budget could not be written or read back.
    #[error(transparent)]
    Spill(#[from] crate::replay::SpillError),
    /// The output could not be written.
    #[error("cannot write the output")]
    Write(#[from] std::io::Error),
}

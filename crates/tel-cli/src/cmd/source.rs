//! Where calibration, simulation and tuning read events from: the database, the event filters and the
//! starting profile (`tel calibrate`, `tel simulate`, `tel tune`).

use std::path::PathBuf;

use anyhow::Context as _;
use tel_core::Complexity;
use tel_core::estimator::Profile;
use tel_replay::db::calibrate::{EventSource, SourceFilters, load_source};
use tel_store::coefficients::load_coefficients;

use crate::cli::DbArgs;

/// Where events come from, which are used, and the starting profile (shared with `tel simulate`).
#[derive(Debug, clap::Args)]
pub struct SourceArgs {
    /// Database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Starting estimator profile (builtin name).
    #[arg(long, default_value = "v2-head")]
    pub profile: String,
    /// Starting coefficients file instead of a builtin profile.
    #[arg(long, value_name = "FILE", conflicts_with = "profile")]
    pub coefficients: Option<PathBuf>,
    /// Only events of this run.
    #[arg(long)]
    pub run_id: Option<String>,
    /// Only events with this exact (raw) category.
    #[arg(long)]
    pub category: Option<String>,
    /// Only events with this complexity.
    #[arg(long)]
    pub complexity: Option<Complexity>,
    /// Only events at or after this time (e.g. 2025-12-24 or 2025-12-24 10:00:00).
    #[arg(long)]
    pub since: Option<String>,
    /// Only events strictly before this time.
    #[arg(long)]
    pub until: Option<String>,
    /// Only events whose builder succeeded (the original calibration's filter; B1 does not require it).
    #[arg(long)]
    pub success_only: bool,
}

impl SourceArgs {
    /// Opens the database and reads the filtered events, prepared under the starting profile.
    pub fn load(&self) -> anyhow::Result<EventSource> {
        let profile = match &self.coefficients {
            Some(path) => load_coefficients(path)?,
            None => Profile::builtin(&self.profile).with_context(|| {
                format!(
                    "--profile {}: unknown profile, expected one of {}",
                    self.profile,
                    Profile::builtin_names().join(", ")
                )
            })?,
        };
        let filters = SourceFilters {
            run_id: self.run_id.clone(),
            category: self.category.clone(),
            complexity: self.complexity,
            since: self.since.clone(),
            until: self.until.clone(),
            success_only: self.success_only,
        };
        let (_, mut conn) = self.db.open_read_only()?;
        Ok(load_source(&mut conn, profile, filters)?)
    }
}

//! The event filters shared by `tel export` and `tel replay` (`--run`, `--category`, … `--success-only`).

use clap::Args;
use tel_core::{Complexity, Timestamp};
use tel_replay::db::{EventOrder, EventQuery};

/// Which stored events a command reads; every filter given must match.
#[derive(Debug, Clone, Default, Args)]
pub struct EventFilterArgs {
    /// Only events of this run id.
    #[arg(long = "run", value_name = "RUN_ID")]
    pub run_id: Option<String>,
    /// Only events of this category (exact stored value).
    #[arg(long)]
    pub category: Option<String>,
    /// Only events of this complexity (low, medium, high, maintenance).
    #[arg(long, value_parser = Complexity::parse)]
    pub complexity: Option<Complexity>,
    /// Only events of this model.
    #[arg(long)]
    pub model: Option<String>,
    /// Only events at or after this time (YYYY-MM-DDTHH:MM:SS[.ffffff], UTC).
    #[arg(long, value_name = "TIME", value_parser = Timestamp::parse)]
    pub since: Option<Timestamp>,
    /// Only events strictly before this time.
    #[arg(long, value_name = "TIME", value_parser = Timestamp::parse)]
    pub until: Option<Timestamp>,
    /// Only events whose builder call succeeded.
    #[arg(long)]
    pub success_only: bool,
}

impl EventFilterArgs {
    /// The store query for these filters, read in `order`.
    pub fn query(&self, order: EventOrder) -> EventQuery {
        EventQuery {
            run_id: self.run_id.clone(),
            category: self.category.clone(),
            complexity: self.complexity,
            model: self.model.clone(),
            success: self.success_only.then_some(true),
            truncated: None,
            since: self.since,
            until: self.until,
            order,
        }
    }
}

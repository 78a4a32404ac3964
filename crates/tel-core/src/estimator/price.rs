//! Per-deliverable price (estimator-v2.md §5, §13.1 W/S/P): the first matching pricing class, new or modify.

use super::facts::Facts;
use super::multiplier::complexity_multiplier;
use super::profile::{Precedence, Price, Profile};
use super::workspace::Workspace;

/// The price of one deliverable in a phase of effective category `category`.
pub fn price(
    facts: &Facts<'_>,
    category: &str,
    profile: &Profile,
    workspace: &dyn Workspace,
) -> i64 {
    let row = pricing_row(facts, category, profile);
    if facts.is_new {
        row.new
    } else {
        // A deliverable that is not new exists (or, without existence inference, reads as nothing ⇒ m = 1.0).
        let m = complexity_multiplier(workspace.read_text(&facts.path).as_deref());
        (row.modify as f64 * m) as i64
    }
}

fn pricing_row<'p>(facts: &Facts<'_>, category: &str, profile: &'p Profile) -> &'p Price {
    let flags = facts.flags(profile.switches.flags);
    let weights = &profile.weights;
    let config_like = flags.config || flags.migration;
    let first = match profile.switches.precedence {
        Precedence::Head => [
            (flags.test, &weights.test),
            (flags.doc, &weights.doc),
            (config_like, &weights.config),
        ],
        Precedence::Old => [
            (flags.doc, &weights.doc),
            (config_like, &weights.config),
            (flags.test, &weights.test),
        ],
    };
    let rest = [
        (flags.frontend || category == "frontend", &weights.frontend),
        (
            profile.switches.sql_row && facts.ext() == ".sql",
            &weights.sql,
        ),
    ];
    first
        .into_iter()
        .chain(rest)
        .find_map(|(matches, row)| matches.then_some(row))
        .unwrap_or(&weights.backend)
}

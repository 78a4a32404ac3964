//! Per-deliverable price (ESTIMATOR.md §5, §13): the first matching pricing class, new or modify.

use super::facts::Facts;
use super::multiplier::complexity_multiplier;
use super::profile::{Precedence, PricingClass, Profile};
use super::workspace::Workspace;

/// The price of one deliverable in a phase of effective category `category`.
pub fn price(
    facts: &Facts<'_>,
    category: &str,
    profile: &Profile,
    workspace: &dyn Workspace,
) -> i64 {
    let row = profile.weights.get(pricing_class(facts, category, profile));
    if facts.is_new {
        row.new
    } else {
        // A deliverable that is not new exists (or, without existence inference, reads as nothing ⇒ m = 1.0).
        let m = complexity_multiplier(workspace.read_text(&facts.path).as_deref());
        (row.modify as f64 * m) as i64
    }
}

/// The pricing class (row of §5, or of the old precedence) of one deliverable.
pub fn pricing_class(facts: &Facts<'_>, category: &str, profile: &Profile) -> PricingClass {
    let flags = facts.flags(profile.switches.flags);
    let config_like = flags.config || flags.migration;
    let first = match profile.switches.precedence {
        Precedence::Head => [
            (flags.test, PricingClass::Test),
            (flags.doc, PricingClass::Doc),
            (config_like, PricingClass::Config),
        ],
        Precedence::Old => [
            (flags.doc, PricingClass::Doc),
            (config_like, PricingClass::Config),
            (flags.test, PricingClass::Test),
        ],
    };
    let rest = [
        (
            flags.frontend || category == "frontend",
            PricingClass::Frontend,
        ),
        (
            profile.switches.sql_row && facts.ext() == ".sql",
            PricingClass::Sql,
        ),
    ];
    first
        .into_iter()
        .chain(rest)
        .find_map(|(matches, class)| matches.then_some(class))
        .unwrap_or(PricingClass::Backend)
}

//! Budget enforcement (ESTIMATOR.md §11): pre-call utilisation check, post-call check and a circuit breaker.

/// Outcome class of a budget check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetStatus {
    /// Comfortably within the budget.
    Ok,
    /// Close to the budget.
    Warning,
    /// At or over the budget.
    Exceeded,
    /// Far over the budget, or no usable budget.
    Critical,
}

/// Result of a pre- or post-call check.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BudgetCheck {
    /// Outcome class.
    pub status: BudgetStatus,
    /// Whether the caller should retry with a larger budget.
    pub should_escalate: bool,
    /// Tokens / budget as a ratio (not a percent); 0.0 when the budget is not positive.
    pub utilization: f64,
    /// `min(trunc(budget × 1.5), 64000)` when escalating.
    pub recommended_budget: Option<i64>,
    /// Human-readable explanation.
    pub message: String,
}

/// Upper limit of an escalated budget.
const ESCALATION_CAP: i64 = 64000;

/// The next budget after an overflow: `min(trunc(budget × 1.5), 64000)`.
pub fn escalate_budget(budget: i64) -> i64 {
    ((budget as f64 * 1.5) as i64).min(ESCALATION_CAP)
}

fn check(status: BudgetStatus, utilization: f64, budget: i64, message: String) -> BudgetCheck {
    let should_escalate = status != BudgetStatus::Ok && status != BudgetStatus::Warning;
    BudgetCheck {
        status,
        should_escalate,
        utilization,
        recommended_budget: should_escalate.then(|| escalate_budget(budget)),
        message,
    }
}

/// Pre-call check of an estimate against the budget it will run with.
pub fn enforce_budget(estimated_tokens: i64, budget: i64) -> BudgetCheck {
    use BudgetStatus::{Critical, Exceeded, Ok, Warning};
    if budget <= 0 {
        return check(
            Critical,
            0.0,
            budget,
            format!("budget {budget} is zero or negative"),
        );
    }
    let u = estimated_tokens as f64 / budget as f64;
    let (status, what) = match u {
        u if u >= 1.20 => (Critical, "far exceeds"),
        u if u >= 1.0 => (Exceeded, "exceeds"),
        u if u >= 0.85 => (Warning, "is close to"),
        _ => (Ok, "fits"),
    };
    check(
        status,
        u,
        budget,
        format!(
            "estimate {estimated_tokens} {what} budget {budget} ({:.1}%)",
            u * 100.0
        ),
    )
}

/// Post-call enforcement across the calls of one run, with a circuit breaker on repeated overflows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetEnforcer {
    max_overflows: u32,
    overflows: u32,
}

impl Default for BudgetEnforcer {
    fn default() -> Self {
        Self::new(3)
    }
}

impl BudgetEnforcer {
    /// An enforcer whose breaker trips after `max_overflows` overflows (the original's default: 3).
    pub fn new(max_overflows: u32) -> Self {
        Self {
            max_overflows,
            overflows: 0,
        }
    }

    /// Checks one finished call; a `max_tokens` stop reason counts as an overflow.
    pub fn check_post_call(
        &mut self,
        actual_tokens: i64,
        budget: i64,
        stop_reason: Option<&str>,
    ) -> BudgetCheck {
        let u = if budget > 0 {
            actual_tokens as f64 / budget as f64
        } else {
            0.0
        };
        if stop_reason == Some("max_tokens") {
            self.overflows = self.overflows.saturating_add(1);
            return check(
                BudgetStatus::Exceeded,
                u,
                budget,
                format!("output truncated at budget {budget}"),
            );
        }
        if u >= 0.95 {
            let mut result = check(
                BudgetStatus::Warning,
                u,
                budget,
                format!(
                    "output {actual_tokens} used {:.1}% of budget {budget}",
                    u * 100.0
                ),
            );
            result.should_escalate = true;
            result.recommended_budget = Some(escalate_budget(budget));
            return result;
        }
        check(
            BudgetStatus::Ok,
            u,
            budget,
            format!("output {actual_tokens} within budget {budget}"),
        )
    }

    /// Overflows seen so far.
    pub fn overflow_count(&self) -> u32 {
        self.overflows
    }

    /// True once the overflow count reached `max_overflows`: stop escalating.
    pub fn circuit_open(&self) -> bool {
        self.overflows >= self.max_overflows
    }
}

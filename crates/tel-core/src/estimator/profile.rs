//! Estimator profiles (ESTIMATOR.md §13): the switches and coefficient tables of one estimator revision, as data.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::budget_rules::BudgetRules;

/// A complete estimator configuration: which rules apply (switches) and every coefficient they use.
///
/// The builtin profiles reproduce revisions of the original (§13.2); a coefficients file (tel-replay)
/// may override any table of a builtin or define a new profile. Maps are ordered (`BTreeMap`) so that
/// serialisation, and therefore [`Profile::content_hash`], is canonical.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Profile {
    /// Profile name stored with every prediction (e.g. `v2-head`).
    pub id: String,
    /// What the profile reproduces (informational; not part of the content hash).
    pub description: String,
    /// SAFETY_MARGIN applied to every model's sum (1.3).
    pub safety_margin: f64,
    /// Categories the pure-doc inference (§9 step 3) leaves unchanged; every other category of a
    /// pure-doc phase becomes `documentation`.
    pub doc_categories: Vec<String>,
    /// Which rules apply.
    pub switches: Switches,
    /// Per-deliverable prices (§5, §13.1 W).
    pub weights: Weights,
    /// PHASE_OVERHEAD of the overhead model (§9.3, §13.1 O).
    pub phase_overhead: PhaseOverhead,
    /// CATMULT of the `v1` combination (§13.1 C1).
    pub category_multiplier: CategoryMultiplier,
    /// SOT model (§9.1).
    pub sot: SotCoefficients,
    /// DOC_SYNTHESIS model (§9.2).
    pub doc_synthesis: DocSynthesisCoefficients,
    /// Base budgets and cap of `select_budget` (§10 steps 2 and 4).
    pub budget: BudgetCoefficients,
    /// Buffer rules of `select_budget` (§10 step 3).
    pub buffer: BufferCoefficients,
    /// Tuned per-stratum budget rules (`tel tune`); when one matches, it replaces §10 steps 2-3.
    /// Absent (empty) in every builtin, and then not serialised, so builtin content hashes are unchanged.
    #[serde(default, skip_serializing_if = "BudgetRules::is_empty")]
    pub budget_rules: BudgetRules,
}

/// The rule switches of §13.1 (one field per switch letter, except W/O/B tables which are data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Switches {
    /// S: `.sql` files have their own price row (`weights.sql`); otherwise they are backend.
    pub sql_row: bool,
    /// P: order in which the pricing classes are tested.
    pub precedence: Precedence,
    /// F: how the pricing flags are computed from the path.
    pub flags: FlagRules,
    /// E: a deliverable without a verb is new when it does not exist in the workspace.
    pub existence_inference: bool,
    /// N: flatten and strip deliverables (§2) and infer `documentation` for pure-doc phases.
    pub normalisation: bool,
    /// DS: when the DOC_SYNTHESIS model applies.
    pub doc_synthesis: DocSynthesisRoute,
    /// SOT: pure-doc phases touching a source-of-truth file use the SOT model.
    pub sot: bool,
    /// C: how the deliverable sum becomes the estimate.
    pub combination: Combination,
    /// B: whether `budget.by_category` is consulted before `budget.universal`.
    pub budget_base: BudgetBase,
    /// BUF: fixed 1.2 buffer or the adaptive rules.
    pub buffer: BufferRule,
    /// L: breakdown label rules.
    pub labels: LabelRules,
}

/// P: order of the pricing classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precedence {
    /// P-old: doc, config-or-migration, test, frontend, backend.
    Old,
    /// P-head (§5): test, doc, config-or-migration, frontend, backend.
    Head,
}

/// F: flag rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlagRules {
    /// F1 (`v1`): on the raw path, mostly case-sensitive.
    F1,
    /// F2 (§4): on the lower-cased path with `/` separators.
    F2,
}

/// L: breakdown label rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabelRules {
    /// L1 (`v1`).
    L1,
    /// L2 (§7).
    L2,
}

/// DS: when DOC_SYNTHESIS applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocSynthesisRoute {
    /// Never.
    Off,
    /// Category documentation/docs and the detector fires, whatever the deliverables.
    Category,
    /// §9 step 5: additionally every deliverable is a doc.
    PureDoc,
}

/// C: how the deliverable sum becomes the estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Combination {
    /// C1 (`v1`): `trunc(trunc(sum × margin) × category_multiplier)`, no overhead.
    CategoryMultiplier,
    /// C2 (§9.3): `trunc((phase_overhead + sum) × margin)`.
    Overhead,
}

/// B: base budget lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BudgetBase {
    /// `budget.universal` for every category.
    Universal,
    /// `budget.by_category` of the normalised category first (§10 step 2).
    Category,
}

/// BUF: buffer rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BufferRule {
    /// Always `buffer.base`.
    Fixed,
    /// §10 step 3.
    Adaptive,
}

/// A new-file and a modify price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Price of a deliverable that is new.
    pub new: i64,
    /// Price of a modification, before the file-complexity multiplier.
    pub modify: i64,
}

/// Prices per pricing class (§5 TOKEN_WEIGHTS; `sql` is used only with `switches.sql_row`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// Backend files and the fallback row.
    pub backend: Price,
    /// Frontend files (or any file of a `frontend` phase).
    pub frontend: Price,
    /// Test files.
    pub test: Price,
    /// Documentation files.
    pub doc: Price,
    /// Configuration files and migrations.
    pub config: Price,
    /// `.sql` files (§5 row 6).
    pub sql: Price,
}

/// A row of the price table: which [`Weights`] entry prices a deliverable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PricingClass {
    /// Backend files and the fallback row.
    Backend,
    /// Frontend files.
    Frontend,
    /// Test files.
    Test,
    /// Documentation files.
    Doc,
    /// Configuration files and migrations.
    Config,
    /// `.sql` files.
    Sql,
}

impl PricingClass {
    /// Every class, in table order.
    pub const ALL: [PricingClass; 6] = [
        Self::Backend,
        Self::Frontend,
        Self::Test,
        Self::Doc,
        Self::Config,
        Self::Sql,
    ];

    /// The class's field name in [`Weights`].
    pub const fn name(self) -> &'static str {
        match self {
            Self::Backend => "backend",
            Self::Frontend => "frontend",
            Self::Test => "test",
            Self::Doc => "doc",
            Self::Config => "config",
            Self::Sql => "sql",
        }
    }
}

impl Weights {
    /// The prices of `class`.
    pub fn get(&self, class: PricingClass) -> &Price {
        match class {
            PricingClass::Backend => &self.backend,
            PricingClass::Frontend => &self.frontend,
            PricingClass::Test => &self.test,
            PricingClass::Doc => &self.doc,
            PricingClass::Config => &self.config,
            PricingClass::Sql => &self.sql,
        }
    }

    /// The prices of `class`, for calibration to change.
    pub fn get_mut(&mut self, class: PricingClass) -> &mut Price {
        match class {
            PricingClass::Backend => &mut self.backend,
            PricingClass::Frontend => &mut self.frontend,
            PricingClass::Test => &mut self.test,
            PricingClass::Doc => &mut self.doc,
            PricingClass::Config => &mut self.config,
            PricingClass::Sql => &mut self.sql,
        }
    }
}

/// PHASE_OVERHEAD: exact, case-sensitive (category, complexity) keys; every other key gets `default`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseOverhead {
    /// Overhead of a missing key (2000; defect E1).
    pub default: i64,
    /// category → complexity → overhead.
    pub by_category: BTreeMap<String, BTreeMap<String, i64>>,
}

/// CATMULT of `v1`: exact category keys; every other category gets `default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryMultiplier {
    /// Multiplier of a missing category (1.0).
    pub default: f64,
    /// category → multiplier.
    pub by_category: BTreeMap<String, f64>,
}

/// A value per context quality (none: no scope paths, some: 1-10, strong: more than 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByContext {
    /// No scope paths.
    pub none: i64,
    /// 1 to 10 scope paths.
    pub some: i64,
    /// More than 10 scope paths.
    pub strong: i64,
}

/// SOT model coefficients (§9.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SotCoefficients {
    /// Lower-cased basenames that make a pure-doc phase an SOT update.
    pub basenames: Vec<String>,
    /// Context reconstruction cost by context quality.
    pub context: ByContext,
    /// Cost per ledger entry (every deliverable counts, defect E8).
    pub per_entry: i64,
    /// Consistency overhead as a fraction of the writing cost (truncated).
    pub consistency_factor: f64,
    /// Confidence reported by the model.
    pub confidence: f64,
}

/// DOC_SYNTHESIS model coefficients (§9.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocSynthesisCoefficients {
    /// Investigation cost by context quality.
    pub investigate: ByContext,
    /// Added when an API reference is required.
    pub api_extract: i64,
    /// Added when examples are required.
    pub examples: i64,
    /// Writing cost per deliverable.
    pub per_doc: i64,
    /// Coordination overhead as a fraction of the writing cost (truncated) …
    pub coordination_factor: f64,
    /// … applied from this many deliverables on.
    pub coordination_min_docs: i64,
    /// Confidence reported by the model.
    pub confidence: f64,
}

/// Base budgets and the cap (§10 steps 2 and 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetCoefficients {
    /// Upper limit of every budget (64000).
    pub cap: i64,
    /// Base for a complexity missing from `universal` (8192).
    pub default: i64,
    /// complexity → base for every category.
    pub universal: BTreeMap<String, i64>,
    /// normalised category → complexity → base (used with `switches.budget_base = "category"`).
    pub by_category: BTreeMap<String, BTreeMap<String, i64>>,
}

/// Buffer multipliers of `select_budget` (§10 step 3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BufferCoefficients {
    /// Starting buffer (the only one with the fixed rule).
    pub base: f64,
    /// Confidence strictly below this …
    pub low_confidence_below: f64,
    /// … raises the buffer to at least this.
    pub low_confidence: f64,
    /// This many deliverables or more …
    pub many_deliverables_from: i64,
    /// … raise the buffer to at least this.
    pub many_deliverables: f64,
    /// Raw (not normalised) categories that, with `high_risk_complexity`, …
    pub high_risk_categories: Vec<String>,
    /// … this raw complexity, …
    pub high_risk_complexity: String,
    /// … raise the buffer to at least this.
    pub high_risk: f64,
    /// Raw estimate categories whose buffer is set to `doc_model` (overriding all other rules).
    pub doc_model_categories: Vec<String>,
    /// Buffer of the documentation models.
    pub doc_model: f64,
}

impl Profile {
    /// The builtin profile `name` (§13.2), or `None` for an unknown name.
    pub fn builtin(name: &str) -> Option<Profile> {
        super::builtin::ROWS
            .iter()
            .find(|row| row.id == name)
            .map(super::builtin::Row::profile)
    }

    /// Names accepted by [`Profile::builtin`], the default (`v2-head`) first.
    pub fn builtin_names() -> &'static [&'static str] {
        &super::builtin::NAMES
    }

    /// The profile id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Content hash of the switches and coefficients (not of `id` or `description`, so a renamed copy
    /// hashes the same): FNV-1a 64-bit over the compact JSON serialisation of the profile without those
    /// two fields (struct fields in declaration order, map keys sorted, floats in shortest round-trip
    /// form), written as 16 lower-case hex digits.
    pub fn content_hash(&self) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let canonical = match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut map)) => {
                map.shift_remove("id");
                map.shift_remove("description");
                serde_json::Value::Object(map).to_string()
            }
            // Serialising plain data with string keys cannot fail; hash nothing rather than panic.
            _ => String::new(),
        };
        for byte in canonical.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("{hash:016x}")
    }
}

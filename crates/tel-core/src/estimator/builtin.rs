//! The builtin profiles as data: one row per line of ESTIMATOR.md §13, expanded into a [`Profile`].

use std::collections::BTreeMap;

use super::budget_rules::BudgetRules;
use super::profile::{
    BudgetBase, BudgetCoefficients, BufferCoefficients, BufferRule, ByContext, CategoryMultiplier,
    Combination, DocSynthesisCoefficients, DocSynthesisRoute, FlagRules, LabelRules, PhaseOverhead,
    Precedence, Price, Profile, SotCoefficients, Switches, Weights,
};

/// One row of the §13.2 profile table.
pub(super) struct Row {
    pub(super) id: &'static str,
    description: &'static str,
    switches: Switches,
    weights: Weights,
    /// The calibrated PHASE_OVERHEAD rows (O-precal, O-v5s1 or O-head); the other rows never changed.
    calibrated_overhead: [(&'static str, [i64; 3]); 2],
    doc_categories: &'static [&'static str],
}

const W1: Weights = Weights {
    backend: Price {
        new: 800,
        modify: 300,
    },
    frontend: Price {
        new: 1200,
        modify: 450,
    },
    test: Price {
        new: 600,
        modify: 250,
    },
    doc: Price {
        new: 200,
        modify: 150,
    },
    config: Price {
        new: 400,
        modify: 200,
    },
    // W1 had no `.sql` row; `sql_row` is off wherever W1 is used.
    sql: Price {
        new: 800,
        modify: 300,
    },
};

const W2: Weights = Weights {
    backend: Price {
        new: 2000,
        modify: 700,
    },
    frontend: Price {
        new: 2800,
        modify: 1100,
    },
    test: Price {
        new: 1400,
        modify: 600,
    },
    doc: Price {
        new: 500,
        modify: 400,
    },
    config: Price {
        new: 1000,
        modify: 500,
    },
    sql: Price {
        new: 1500,
        modify: 600,
    },
};

const O_PRECAL: [(&str, [i64; 3]); 2] = [
    ("implementation", [2000, 3000, 5000]),
    ("testing", [1500, 2500, 4000]),
];
const O_V5S1: [(&str, [i64; 3]); 2] = [
    ("implementation", [1120, 1860, 5000]),
    ("testing", [915, 2500, 4000]),
];
const O_HEAD: [(&str, [i64; 3]); 2] = [
    ("implementation", [634, 1176, 5000]),
    ("testing", [915, 2500, 4000]),
];

/// PHASE_OVERHEAD rows identical in every revision.
const OVERHEAD_STABLE: [(&str, [i64; 3]); 9] = [
    ("refactoring", [2500, 3500, 5500]),
    ("configuration", [800, 1500, 2500]),
    ("integration", [3000, 4000, 6000]),
    ("documentation", [1500, 2500, 3500]),
    ("docs", [1500, 2500, 3500]),
    ("backend", [2000, 3000, 5000]),
    ("frontend", [2500, 3500, 5500]),
    ("database", [2000, 3000, 5000]),
    ("deployment", [2000, 3000, 5000]),
];

const BUDGET_BY_CATEGORY: [(&str, [i64; 3]); 5] = [
    ("docs", [4096, 8192, 12288]),
    ("tests", [6144, 8192, 12288]),
    ("implementation", [8192, 12288, 16384]),
    ("doc_synthesis", [8192, 12288, 16384]),
    ("doc_sot_update", [8192, 12288, 16384]),
];

const UNIVERSAL_BUDGET: [i64; 3] = [8192, 12288, 16384];

const CATMULT: [(&str, f64); 7] = [
    ("backend", 1.2),
    ("database", 1.2),
    ("frontend", 1.4),
    ("deployment", 1.1),
    ("testing", 1.0),
    ("documentation", 0.8),
    ("implementation", 1.15),
];

const DOC_CATEGORIES_PRE_SOT: &[&str] = &["documentation", "docs", "doc_synthesis"];
const DOC_CATEGORIES: &[&str] = &["documentation", "docs", "doc_synthesis", "doc_sot_update"];

/// Switches of the Phase-2/3 revisions (`v2-overhead` … `v5v6`) before per-row differences.
const V2_SWITCHES: Switches = Switches {
    sql_row: false,
    precedence: Precedence::Old,
    flags: FlagRules::F2,
    existence_inference: true,
    normalisation: true,
    doc_synthesis: DocSynthesisRoute::PureDoc,
    sot: true,
    combination: Combination::Overhead,
    budget_base: BudgetBase::Universal,
    buffer: BufferRule::Adaptive,
    labels: LabelRules::L2,
};

/// §13.2, row by row.
pub(super) const ROWS: [Row; 9] = [
    Row {
        id: "v1",
        description: "Phase 1 (2025-12-23): W1 weights, no overhead, category multiplier, no existence inference",
        switches: Switches {
            flags: FlagRules::F1,
            existence_inference: false,
            normalisation: false,
            doc_synthesis: DocSynthesisRoute::Off,
            sot: false,
            combination: Combination::CategoryMultiplier,
            buffer: BufferRule::Fixed,
            labels: LabelRules::L1,
            ..V2_SWITCHES
        },
        weights: W1,
        calibrated_overhead: O_PRECAL,
        doc_categories: DOC_CATEGORIES_PRE_SOT,
    },
    Row {
        id: "v2-overhead",
        description: "Phase 2 overhead model (2025-12-24)",
        switches: Switches {
            normalisation: false,
            doc_synthesis: DocSynthesisRoute::Off,
            sot: false,
            buffer: BufferRule::Fixed,
            ..V2_SWITCHES
        },
        weights: W2,
        calibrated_overhead: O_PRECAL,
        doc_categories: DOC_CATEGORIES_PRE_SOT,
    },
    Row {
        id: "v2-docsynth",
        description: "Phase 3 DOC_SYNTHESIS (2025-12-24): by category, without deliverable normalisation",
        switches: Switches {
            normalisation: false,
            doc_synthesis: DocSynthesisRoute::Category,
            sot: false,
            buffer: BufferRule::Fixed,
            ..V2_SWITCHES
        },
        weights: W2,
        calibrated_overhead: O_PRECAL,
        doc_categories: DOC_CATEGORIES_PRE_SOT,
    },
    Row {
        id: "v2-normalised",
        description: "Phase 3 blockers (2025-12-24): deliverable normalisation and pure-doc inference",
        switches: Switches {
            sot: false,
            buffer: BufferRule::Fixed,
            ..V2_SWITCHES
        },
        weights: W2,
        calibrated_overhead: O_PRECAL,
        doc_categories: DOC_CATEGORIES_PRE_SOT,
    },
    Row {
        id: "v2-precal",
        description: "Phase 3 P3 SOT (2025-12-24): v2 before calibration, fixed 1.2 buffer",
        switches: Switches {
            buffer: BufferRule::Fixed,
            ..V2_SWITCHES
        },
        weights: W2,
        calibrated_overhead: O_PRECAL,
        doc_categories: DOC_CATEGORIES,
    },
    Row {
        id: "v2-adaptive",
        description: "Phase 3 P7+P9 (2025-12-25): adaptive buffer",
        switches: V2_SWITCHES,
        weights: W2,
        calibrated_overhead: O_PRECAL,
        doc_categories: DOC_CATEGORIES,
    },
    Row {
        id: "v5-step1",
        description: "BUILD-141 part 9 (2025-12-29): first overhead calibration",
        switches: V2_SWITCHES,
        weights: W2,
        calibrated_overhead: O_V5S1,
        doc_categories: DOC_CATEGORIES,
    },
    Row {
        id: "v5v6",
        description: "BUILD-141-C + BUILD-142 (2025-12-30): calibrated overheads, category base budgets",
        switches: Switches {
            budget_base: BudgetBase::Category,
            ..V2_SWITCHES
        },
        weights: W2,
        calibrated_overhead: O_HEAD,
        doc_categories: DOC_CATEGORIES,
    },
    Row {
        id: "v2-head",
        description: "IMP-PERF-001 (2026-01-27): final revision of the original, the default",
        switches: Switches {
            sql_row: true,
            precedence: Precedence::Head,
            budget_base: BudgetBase::Category,
            ..V2_SWITCHES
        },
        weights: W2,
        calibrated_overhead: O_HEAD,
        doc_categories: DOC_CATEGORIES,
    },
];

/// The ids of [`ROWS`], newest (the default) first.
pub(super) const NAMES: [&str; ROWS.len()] = {
    let mut names = [""; ROWS.len()];
    let mut i = 0;
    while i < ROWS.len() {
        names[i] = ROWS[ROWS.len() - 1 - i].id;
        i += 1;
    }
    names
};

fn by_complexity([low, medium, high]: [i64; 3]) -> BTreeMap<String, i64> {
    [("low", low), ("medium", medium), ("high", high)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

fn table(rows: &[(&str, [i64; 3])]) -> BTreeMap<String, BTreeMap<String, i64>> {
    rows.iter()
        .map(|&(category, values)| (category.to_owned(), by_complexity(values)))
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|&s| s.to_owned()).collect()
}

impl Row {
    /// The full profile of this row; every coefficient not named by the row is the same in all revisions.
    pub(super) fn profile(&self) -> Profile {
        let mut overhead = table(&OVERHEAD_STABLE);
        overhead.extend(table(&self.calibrated_overhead));
        Profile {
            id: self.id.to_owned(),
            description: self.description.to_owned(),
            safety_margin: 1.3,
            doc_categories: strings(self.doc_categories),
            switches: self.switches,
            weights: self.weights,
            phase_overhead: PhaseOverhead {
                default: 2000,
                by_category: overhead,
            },
            category_multiplier: CategoryMultiplier {
                default: 1.0,
                by_category: CATMULT.iter().map(|&(c, m)| (c.to_owned(), m)).collect(),
            },
            sot: SotCoefficients {
                basenames: strings(&[
                    "build_log.md",
                    "build_history.md",
                    "changelog.md",
                    "history.md",
                    "release_notes.md",
                ]),
                context: ByContext {
                    none: 3000,
                    some: 2200,
                    strong: 1500,
                },
                per_entry: 900,
                consistency_factor: 0.15,
                confidence: 0.70,
            },
            doc_synthesis: DocSynthesisCoefficients {
                investigate: ByContext {
                    none: 2500,
                    some: 2000,
                    strong: 1500,
                },
                api_extract: 1200,
                examples: 1400,
                per_doc: 850,
                coordination_factor: 0.12,
                coordination_min_docs: 5,
                confidence: 0.75,
            },
            budget: BudgetCoefficients {
                cap: 64000,
                default: 8192,
                universal: by_complexity(UNIVERSAL_BUDGET),
                by_category: table(&BUDGET_BY_CATEGORY),
            },
            buffer: BufferCoefficients {
                base: 1.2,
                low_confidence_below: 0.7,
                low_confidence: 1.4,
                many_deliverables_from: 8,
                many_deliverables: 1.6,
                high_risk_categories: strings(&["IMPLEMENT_FEATURE", "integration"]),
                high_risk_complexity: "high".to_owned(),
                high_risk: 1.6,
                doc_model_categories: strings(&["doc_synthesis", "doc_sot_update"]),
                doc_model: 2.2,
            },
            budget_rules: BudgetRules::default(),
        }
    }
}

//! Synthetic phase specifications: category, complexity, deliverable paths, scope and task text.

use tel_core::Complexity;

use super::rng::Rng;
use super::truth::DeliverableKind;

/// The most deliverables one phase gets (the writer stores 20 of them; 21-25 exercise the cap).
pub const MAX_DELIVERABLES: u64 = 25;

/// One synthetic phase as the executor would pass it to the estimator.
#[derive(Debug, Clone)]
pub struct Phase {
    /// Raw task category (raw spellings such as `IMPLEMENT_FEATURE` and `testing` included).
    pub category: &'static str,
    /// Complexity; its text is also the raw value the estimator sees.
    pub complexity: Complexity,
    /// Deliverable strings (`Create src/…py`, `Modify …`, or a bare path).
    pub deliverables: Vec<String>,
    /// What each deliverable is and whether it creates the file, for the ground truth.
    pub kinds: Vec<(DeliverableKind, bool)>,
    /// Scope paths (only their count matters to the estimator).
    pub scope_paths: Vec<String>,
    /// Task description.
    pub task_description: String,
}

/// Which deliverables and task texts a category produces.
#[derive(Debug, Clone, Copy)]
enum Family {
    Code,
    Tests,
    Docs,
    Config,
    Frontend,
    Database,
    Deployment,
}

/// Raw categories with their relative frequency.
const CATEGORIES: [(&str, u32, Family); 13] = [
    ("implementation", 20, Family::Code),
    ("IMPLEMENT_FEATURE", 10, Family::Code),
    ("tests", 6, Family::Tests),
    ("testing", 5, Family::Tests),
    ("docs", 6, Family::Docs),
    ("documentation", 7, Family::Docs),
    ("refactoring", 7, Family::Code),
    ("configuration", 6, Family::Config),
    ("integration", 6, Family::Code),
    ("backend", 8, Family::Code),
    ("frontend", 7, Family::Frontend),
    ("database", 5, Family::Database),
    ("deployment", 4, Family::Deployment),
];

/// Complexities with their relative frequency (a small share of `maintenance`).
const COMPLEXITIES: [(Complexity, u32); 4] = [
    (Complexity::Low, 40),
    (Complexity::Medium, 38),
    (Complexity::High, 18),
    (Complexity::Maintenance, 4),
];

/// Deliverable kinds, in the column order of [`kind_weights`].
const KINDS: [DeliverableKind; 7] = [
    DeliverableKind::Backend,
    DeliverableKind::Test,
    DeliverableKind::Doc,
    DeliverableKind::Config,
    DeliverableKind::Migration,
    DeliverableKind::Frontend,
    DeliverableKind::Sql,
];

fn kind_weights(family: Family) -> [u32; 7] {
    match family {
        Family::Code => [62, 25, 4, 6, 0, 0, 3],
        Family::Tests => [12, 85, 0, 3, 0, 0, 0],
        Family::Docs => [0, 0, 100, 0, 0, 0, 0],
        Family::Config => [10, 5, 5, 80, 0, 0, 0],
        Family::Frontend => [4, 16, 2, 8, 0, 70, 0],
        Family::Database => [30, 15, 0, 5, 35, 0, 15],
        Family::Deployment => [10, 0, 5, 85, 0, 0, 0],
    }
}

const PACKAGES: [&str; 8] = [
    "api",
    "auth",
    "billing",
    "core",
    "ingest",
    "reports",
    "scheduler",
    "storage",
];
const MODULES: [&str; 30] = [
    "cache",
    "client",
    "config_loader",
    "dispatcher",
    "errors",
    "events",
    "handlers",
    "jobs",
    "limits",
    "metrics",
    "models",
    "notifier",
    "parser",
    "permissions",
    "pipeline",
    "queue",
    "registry",
    "retry",
    "router",
    "schemas",
    "serializers",
    "service",
    "session",
    "settings",
    "tokens",
    "utils",
    "validators",
    "views",
    "webhooks",
    "workers",
];
const COMPONENTS: [&str; 15] = [
    "AccountMenu",
    "Dashboard",
    "DataTable",
    "FilterBar",
    "Header",
    "InvoiceList",
    "LoginForm",
    "Modal",
    "NavBar",
    "SettingsPanel",
    "Sidebar",
    "StatusBadge",
    "Toast",
    "UsageChart",
    "UserProfile",
];
const DOC_TOPICS: [&str; 11] = [
    "API_REFERENCE",
    "ARCHITECTURE",
    "CONFIGURATION",
    "CONTRIBUTING",
    "DEPLOYMENT",
    "EXAMPLES",
    "FAQ",
    "GETTING_STARTED",
    "OVERVIEW",
    "TROUBLESHOOTING",
    "USAGE_GUIDE",
];
/// Source-of-truth files: a pure-doc phase touching one goes to the estimator's SOT model.
const SOT_FILES: [&str; 3] = ["BUILD_LOG.md", "CHANGELOG.md", "BUILD_HISTORY.md"];
const TABLES: [&str; 7] = [
    "accounts",
    "audit_log",
    "invoices",
    "jobs",
    "sessions",
    "usage_events",
    "users",
];
const MIGRATION_ACTIONS: [&str; 3] = ["create", "add_index_to", "alter"];

/// Draws one phase.
pub fn sample_phase(rng: &mut Rng) -> Phase {
    let weights = CATEGORIES.map(|(_, weight, _)| weight);
    let (category, _, family) = CATEGORIES[rng.weighted(&weights)];
    let complexity = COMPLEXITIES[rng.weighted(&COMPLEXITIES.map(|(_, w)| w))].0;
    let count = deliverable_count(complexity, rng);
    let mut deliverables = Vec::with_capacity(count);
    let mut kinds = Vec::with_capacity(count);
    for _ in 0..count {
        let kind = KINDS[rng.weighted(&kind_weights(family))];
        let is_new = kind == DeliverableKind::Migration || rng.chance(0.5);
        let path = deliverable_path(kind, family, rng);
        deliverables.push(with_verb(path, is_new, rng));
        kinds.push((kind, is_new));
    }
    let scope_paths = if rng.chance(0.35) {
        Vec::new()
    } else {
        (0..rng.range(1, 14))
            .map(|_| format!("src/{}/{}.py", rng.pick(&PACKAGES), rng.pick(&MODULES)))
            .collect()
    };
    Phase {
        category,
        complexity,
        deliverables,
        kinds,
        scope_paths,
        task_description: task_description(family, rng),
    }
}

/// 5% of phases have no deliverables (plan-time rows); otherwise `1 + ⌊lognormal⌋`, larger for harder phases.
fn deliverable_count(complexity: Complexity, rng: &mut Rng) -> usize {
    if rng.chance(0.05) {
        return 0;
    }
    let median = match complexity {
        Complexity::Low => 1.0,
        Complexity::Medium => 2.0,
        Complexity::High => 4.0,
        Complexity::Maintenance => 1.5,
    };
    let extra = rng.lognormal(f64::ln(median), 0.85).floor() as u64;
    (1 + extra).min(MAX_DELIVERABLES) as usize
}

fn deliverable_path(kind: DeliverableKind, family: Family, rng: &mut Rng) -> String {
    let package = rng.pick(&PACKAGES);
    let module = rng.pick(&MODULES);
    match kind {
        DeliverableKind::Backend => format!("src/{package}/{module}.py"),
        DeliverableKind::Test => match family {
            Family::Frontend => format!(
                "web/src/components/{}{}",
                rng.pick(&COMPONENTS),
                rng.pick(&[".spec.tsx", ".test.tsx"])
            ),
            _ if rng.chance(0.5) => format!("tests/test_{module}.py"),
            _ => format!("tests/{package}/test_{module}.py"),
        },
        DeliverableKind::Doc => match rng.below(100) {
            0..8 => "README.md".to_owned(),
            8..13 => rng.pick(&SOT_FILES).to_string(),
            13..25 => format!("docs/api/{module}.md"),
            _ => format!("docs/{}.md", rng.pick(&DOC_TOPICS)),
        },
        DeliverableKind::Config => match rng.below(6) {
            0 => format!("config/{module}.yaml"),
            1 => format!("config/{module}.json"),
            2 => "pyproject.toml".to_owned(),
            3 => format!("deploy/k8s/{package}.yaml"),
            4 => ".github/workflows/ci.yml".to_owned(),
            _ => "docker-compose.yml".to_owned(),
        },
        DeliverableKind::Migration => {
            let action = rng.pick(&MIGRATION_ACTIONS);
            let table = rng.pick(&TABLES);
            if rng.chance(0.5) {
                format!(
                    "migrations/versions/{:04}_{action}_{table}.py",
                    rng.range(1, 400)
                )
            } else {
                format!(
                    "alembic/versions/{:06x}_{action}_{table}.py",
                    rng.below(1 << 24)
                )
            }
        }
        DeliverableKind::Frontend => {
            let folder = rng.pick(&["components", "pages"]);
            format!("web/src/{folder}/{}.tsx", rng.pick(&COMPONENTS))
        }
        DeliverableKind::Sql => format!("db/schema/{}.sql", rng.pick(&TABLES)),
    }
}

/// `Create …` / `Modify …` for 45% of deliverables, the bare path otherwise.
fn with_verb(path: String, is_new: bool, rng: &mut Rng) -> String {
    if rng.chance(0.45) {
        let verb = if is_new { "Create" } else { "Modify" };
        format!("{verb} {path}")
    } else {
        path
    }
}

fn task_description(family: Family, rng: &mut Rng) -> String {
    let package = rng.pick(&PACKAGES);
    let module = rng.pick(&MODULES);
    match family {
        Family::Docs => match rng.below(5) {
            0 => format!("Document the {package} {module} module"),
            1 => format!("Create documentation for the {package} API with usage examples"),
            2 => format!("Write a getting started tutorial for {package}"),
            3 => format!("Add a comprehensive user guide for {package} with example snippets"),
            _ => format!("Update the {} page", rng.pick(&DOC_TOPICS)),
        },
        Family::Tests => format!("Cover {package} {module} with unit tests"),
        Family::Config => format!("Configure {module} for the {package} service"),
        Family::Frontend => format!("Build the {} view", rng.pick(&COMPONENTS)),
        Family::Database => format!("Migrate the {} table", rng.pick(&TABLES)),
        Family::Deployment => format!("Deploy {package} with health checks"),
        Family::Code => match rng.below(4) {
            0 => format!("Implement {module} for {package}"),
            1 => format!("Refactor {package} {module}"),
            2 => format!("Fix retries in {package} {module}"),
            _ => format!("Wire {package} to the {module} service"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliverable_verbs_match_their_newness() {
        let mut rng = Rng::seeded(5);
        for _ in 0..2000 {
            let phase = sample_phase(&mut rng);
            assert_eq!(phase.deliverables.len(), phase.kinds.len());
            for (text, (_, is_new)) in phase.deliverables.iter().zip(&phase.kinds) {
                assert!(*is_new || !text.starts_with("Create "), "{text}");
                assert!(!is_new || !text.starts_with("Modify "), "{text}");
            }
        }
    }

    #[test]
    fn docs_phases_deliver_only_markdown() {
        let mut rng = Rng::seeded(9);
        let docs: Vec<Phase> = (0..3000)
            .map(|_| sample_phase(&mut rng))
            .filter(|p| matches!(p.category, "docs" | "documentation"))
            .collect();
        assert!(!docs.is_empty());
        for phase in docs {
            assert!(
                phase.deliverables.iter().all(|d| d.ends_with(".md")),
                "{phase:?}"
            );
        }
    }
}

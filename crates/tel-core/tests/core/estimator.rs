//! Conformance of the estimator with ESTIMATOR.md §11-§13 and METRICS.md A2.6, as data tables.

use proptest::prelude::*;
use serde_json::{Value, json};
use tel_core::Complexity;
use tel_core::estimator::{
    BudgetEnforcer, BudgetStatus, ComplexityInput, EmptyWorkspace, EstimateInput, Estimator,
    MemoryWorkspace, Profile, TokenEstimate, Workspace, complexity_multiplier, enforce_budget,
    escalate_budget,
};

/// A file whose multiplier is the tiny-file 0.5670000000000001 (§6 facts).
const EXISTING: &str = "# existing\n";
/// A file whose multiplier is exactly 1.0: 50 code lines, 10 imports, indent 8.
const NEUTRAL: &str = concat!(
    "import a\nimport b\nimport c\nimport d\nimport e\nimport f\nimport g\nimport h\nimport i\nimport j\n",
    "        x\n        x\n        x\n        x\n        x\n        x\n        x\n        x\n        x\n        x\n",
    "        x\n        x\n        x\n        x\n        x\n        x\n        x\n        x\n        x\n        x\n",
    "        x\n        x\n        x\n        x\n        x\n        x\n        x\n        x\n        x\n        x\n",
    "        x\n        x\n        x\n        x\n        x\n        x\n        x\n        x\n        x\n        x\n",
);

/// Where the estimate of a case comes from.
enum Source {
    /// `estimate()` on these arguments.
    Input {
        deliverables: Value,
        category: &'static str,
        scope_paths: Option<usize>,
        task: &'static str,
    },
    /// A hand-built estimate (budget-only rows of §14.5).
    HandBuilt(TokenEstimate),
}

/// One expected property of a case.
#[derive(Debug)]
enum Expect {
    Tokens(i64),
    Count(i64),
    Category(&'static str),
    Confidence(f64),
    Breakdown(Vec<(&'static str, i64)>),
    /// The single deliverable's price (the one breakdown value).
    Price(i64),
    /// The single deliverable's label (the one breakdown key).
    Label(&'static str),
    Budget(i64),
    WithBuffer(i64),
    Buffer(f64),
    SotFile(&'static str),
    /// Multiplier of the case's first workspace file.
    Multiplier(f64),
}

struct Case {
    name: &'static str,
    profile: &'static str,
    complexity: &'static str,
    files: Vec<(&'static str, String)>,
    source: Source,
    expect: Vec<Expect>,
}

/// A `v2-head` case with an empty workspace, no scope paths and no task (the §14 defaults).
fn case(
    name: &'static str,
    deliverables: Value,
    category: &'static str,
    complexity: &'static str,
) -> Case {
    Case {
        name,
        profile: "v2-head",
        complexity,
        files: Vec::new(),
        source: Source::Input {
            deliverables,
            category,
            scope_paths: None,
            task: "",
        },
        expect: Vec::new(),
    }
}

/// A budget-only case on a hand-built estimate.
fn hand_built(
    name: &'static str,
    tokens: i64,
    count: i64,
    category: &str,
    confidence: f64,
    complexity: &'static str,
) -> Case {
    let mut estimate = TokenEstimate::default();
    estimate.estimated_tokens = tokens;
    estimate.deliverable_count = count;
    estimate.category = category.to_owned();
    estimate.complexity = complexity.to_owned();
    estimate.confidence = confidence;
    Case {
        name,
        profile: "v2-head",
        complexity,
        files: Vec::new(),
        source: Source::HandBuilt(estimate),
        expect: Vec::new(),
    }
}

impl Case {
    fn profile(mut self, profile: &'static str) -> Self {
        self.profile = profile;
        self
    }
    fn file(mut self, path: &'static str, content: impl Into<String>) -> Self {
        self.files.push((path, content.into()));
        self
    }
    fn scope(mut self, n: usize) -> Self {
        if let Source::Input { scope_paths, .. } = &mut self.source {
            *scope_paths = Some(n);
        }
        self
    }
    fn task(mut self, text: &'static str) -> Self {
        if let Source::Input { task, .. } = &mut self.source {
            *task = text;
        }
        self
    }
    fn expect(mut self, expect: Expect) -> Self {
        self.expect.push(expect);
        self
    }
    fn tokens(self, v: i64) -> Self {
        self.expect(Expect::Tokens(v))
    }
    fn budget(self, v: i64) -> Self {
        self.expect(Expect::Budget(v))
    }
    fn price(self, v: i64) -> Self {
        self.expect(Expect::Price(v))
    }
    fn label(self, v: &'static str) -> Self {
        self.expect(Expect::Label(v))
    }
    fn confidence(self, v: f64) -> Self {
        self.expect(Expect::Confidence(v))
    }
    fn category(self, v: &'static str) -> Self {
        self.expect(Expect::Category(v))
    }
    fn count(self, v: i64) -> Self {
        self.expect(Expect::Count(v))
    }
    fn breakdown(self, v: &[(&'static str, i64)]) -> Self {
        self.expect(Expect::Breakdown(v.to_vec()))
    }
}

/// The single helper: evaluates every case and reports all mismatches at once.
fn check(cases: Vec<Case>) {
    let mut failures = Vec::new();
    for case in cases {
        let estimator = Estimator::new(Profile::builtin(case.profile).expect("builtin profile"));
        let workspace = MemoryWorkspace::new(case.files.iter().map(|(p, c)| (*p, c.as_str())));
        let estimate = match &case.source {
            Source::Input {
                deliverables,
                category,
                scope_paths,
                task,
            } => {
                let scope: Option<Vec<String>> =
                    scope_paths.map(|n| (0..n).map(|i| format!("src/s{i}.py")).collect());
                let input = EstimateInput::new(
                    deliverables,
                    category,
                    ComplexityInput::raw(case.complexity),
                )
                .with_scope_paths(scope.as_deref())
                .with_task_description(task);
                estimator.estimate(&input, &workspace)
            }
            Source::HandBuilt(estimate) => estimate.clone(),
        };
        let decision = estimator.budget_decision(&estimate, ComplexityInput::raw(case.complexity));
        let single = || match estimate.breakdown.as_slice() {
            [(key, value)] => Some((key.as_str(), *value)),
            _ => None,
        };
        for expect in &case.expect {
            let ok = match expect {
                Expect::Tokens(v) => estimate.estimated_tokens == *v,
                Expect::Count(v) => estimate.deliverable_count == *v,
                Expect::Category(v) => estimate.category == *v,
                Expect::Confidence(v) => estimate.confidence.to_bits() == v.to_bits(),
                Expect::Breakdown(v) => {
                    estimate
                        .breakdown
                        .iter()
                        .map(|(k, n)| (k.as_str(), *n))
                        .collect::<Vec<_>>()
                        == *v
                }
                Expect::Price(v) => single().map(|(_, n)| n) == Some(*v),
                Expect::Label(v) => single().map(|(k, _)| k) == Some(*v),
                Expect::Budget(v) => decision.selected == *v,
                Expect::WithBuffer(v) => decision.with_buffer == *v,
                Expect::Buffer(v) => decision.buffer.to_bits() == v.to_bits(),
                Expect::SotFile(v) => estimate.sot_file_name.as_deref() == Some(*v),
                Expect::Multiplier(v) => {
                    let text = case.files.first().and_then(|(p, _)| workspace.read_text(p));
                    complexity_multiplier(text.as_deref()).to_bits() == v.to_bits()
                }
            };
            if !ok {
                failures.push(format!(
                    "{} [{}]: expected {expect:?}; got {estimate:?}, budget {decision:?}",
                    case.name, case.profile
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn overhead_model_examples_of_section_14_1() {
    let build127 = json!([
        "Create src/autopack/phase_finalizer.py",
        "Create src/autopack/test_baseline_tracker.py",
        "Create src/autopack/governance_requests.py",
        "Modify src/autopack/autonomous_executor.py",
        "Create tests/test_phase_finalizer.py",
        "Create tests/test_baseline_tracker.py",
        "Create tests/test_governance_requests.py",
        "Modify src/autopack/main.py",
        "Modify src/autopack/quality_gate.py",
        "Create docs/BUILD-127_IMPLEMENTATION.md",
        "Modify docs/BUILD_HISTORY.md",
        "Create alembic/versions/xxx_add_governance.py"
    ]);
    let mut o18: Vec<String> = (0..9).map(|i| format!("src/autopack/m{i}.py")).collect();
    o18.extend((0..5).map(|i| format!("tests/unit/test_m{i}.py")));
    o18.extend((0..3).map(|i| format!("docs/research/r{i}.md")));
    let vague = json!([
        "Implement user authentication",
        "Add error handling",
        "Update documentation"
    ]);
    check(vec![
        case(
            "O1",
            json!(["Create src/autopack/new_module.py"]),
            "backend",
            "medium",
        )
        .tokens(6500)
        .category("backend")
        .confidence(1.0)
        .breakdown(&[("backend_new", 2000)])
        .budget(12288),
        case(
            "O2",
            json!(["Create components/Button.tsx"]),
            "frontend",
            "medium",
        )
        .tokens(8190)
        .category("frontend")
        .confidence(1.0)
        .breakdown(&[("frontend_new", 2800)])
        .budget(12288),
        case(
            "O3",
            json!([
                "Create src/autopack/foo.py",
                "Modify src/autopack/bar.py",
                "Create tests/test_foo.py",
                "Modify docs/README.md"
            ]),
            "backend",
            "high",
        )
        .file("src/autopack/bar.py", EXISTING)
        .file("docs/README.md", EXISTING)
        .tokens(11728)
        .count(4)
        .breakdown(&[
            ("backend_new", 2000),
            ("backend_modify", 396),
            ("test_new", 1400),
            ("doc_modify", 226),
        ])
        .confidence(1.0)
        .budget(16384),
        case(
            "O4",
            json!([
                "Create src/service.py",
                "Create tests/test_service.py",
                "Modify docs/README.md"
            ]),
            "backend",
            "medium",
        )
        .tokens(8970)
        .confidence(1.0)
        .budget(12288),
        case("O5", build127, "backend", "high")
            .file("src/autopack/autonomous_executor.py", EXISTING)
            .file("src/autopack/main.py", EXISTING)
            .file("src/autopack/quality_gate.py", EXISTING)
            .file("docs/BUILD_HISTORY.md", EXISTING)
            .tokens(22768)
            .count(12)
            .breakdown(&[
                ("backend_new", 5000),
                ("test_new", 5600),
                ("backend_modify", 1188),
                ("doc_new", 500),
                ("doc_modify", 226),
            ])
            .budget(36428),
        case("O6", json!(["src/x.py"]), "implementation", "low")
            .tokens(3424)
            .budget(8192),
        case(
            "O7 no tests overhead key",
            json!(["tests/test_foo.py"]),
            "tests",
            "low",
        )
        .tokens(4420)
        .budget(6144),
        case("O8", json!(["tests/test_foo.py"]), "testing", "low")
            .tokens(3009)
            .budget(6144),
        case("O9", json!(["docs/guide.md"]), "docs", "low")
            .tokens(2600)
            .budget(4096),
        case(
            "O10",
            json!(vec!["Create src/large_module.py"; 5]),
            "backend",
            "high",
        )
        .tokens(19500)
        .budget(23400),
        case("O11", vague, "backend", "medium")
            .tokens(11700)
            .confidence(0.6333333333333333)
            .budget(16379)
            .expect(Expect::WithBuffer(16379))
            .expect(Expect::Buffer(1.4)),
        case(
            "O12",
            json!([
                "Create src/a.py",
                "Modify src/b.py",
                "Create tests/test_a.py"
            ]),
            "backend",
            "medium",
        )
        .confidence(1.0),
        case("O13", json!(["src/a.py"]), "IMPLEMENT_FEATURE", "high")
            .tokens(5200)
            .budget(16384),
        case(
            "O14 capitalised category",
            json!(["src/a.py"]),
            "Implementation",
            "low",
        )
        .tokens(5200)
        .budget(8192),
        case(
            "O15 unknown complexity",
            json!(["src/a.py"]),
            "implementation",
            "maintenance",
        )
        .tokens(5200)
        .budget(8192),
        case(
            "O16 frontend prices .py",
            json!(["src/a.py"]),
            "frontend",
            "low",
        )
        .tokens(6890)
        .budget(8268),
        case("O17", json!(["db/schema.sql"]), "database", "medium")
            .tokens(5850)
            .budget(12288),
        case("O18", json!(o18), "IMPLEMENT_FEATURE", "high")
            .tokens(37050)
            .count(17)
            .budget(59280),
        case("O19 bare empty string", json!(""), "implementation", "low")
            .tokens(1734)
            .count(1)
            .confidence(0.5)
            .breakdown(&[("backend_modify", 700)])
            .budget(8192),
        case(
            "O20 list of empty string",
            json!([""]),
            "implementation",
            "low",
        )
        .tokens(8192)
        .count(0)
        .confidence(0.5)
        .budget(11468),
    ]);
}

#[test]
fn per_deliverable_prices_and_labels_of_section_14_2() {
    check(vec![
        case(
            "backend new",
            json!(["Create src/backend.py"]),
            "backend",
            "low",
        )
        .price(2000),
        case(
            "backend modify",
            json!(["src/backend.py"]),
            "backend",
            "low",
        )
        .file("src/backend.py", EXISTING)
        .price(396),
        case(
            "frontend new",
            json!(["Create components/App.tsx"]),
            "frontend",
            "low",
        )
        .price(2800),
        case(
            "frontend modify",
            json!(["components/App.tsx"]),
            "frontend",
            "low",
        )
        .file("components/App.tsx", "// existing\n")
        .price(623),
        case(
            "test new",
            json!(["Create tests/test.py"]),
            "testing",
            "low",
        )
        .price(1400),
        case("test modify", json!(["tests/test.py"]), "testing", "low")
            .file("tests/test.py", EXISTING)
            .price(340),
        case(
            "doc new",
            json!(["Create docs/README.md"]),
            "documentation",
            "low",
        )
        .price(500),
        case(
            "doc modify",
            json!(["docs/README.md"]),
            "documentation",
            "low",
        )
        .file("docs/README.md", EXISTING)
        .price(226),
        case(
            "config new",
            json!(["Create config.yaml"]),
            "backend",
            "low",
        )
        .price(1000),
        case("config modify", json!(["config.yaml"]), "backend", "low")
            .file("config.yaml", EXISTING)
            .price(283),
        case(
            "table test modify",
            json!(["tests/test_x.py"]),
            "backend",
            "low",
        )
        .file("tests/test_x.py", NEUTRAL)
        .price(600),
        case("table doc modify", json!(["docs/x.md"]), "docs", "low")
            .file("docs/x.md", NEUTRAL)
            .price(400),
        case(
            "table config new",
            json!(["Create c.json"]),
            "backend",
            "low",
        )
        .price(1000),
        case("table config modify", json!(["c.yaml"]), "backend", "low")
            .file("c.yaml", NEUTRAL)
            .price(500),
        case(
            "table frontend new",
            json!(["Create a.tsx"]),
            "backend",
            "low",
        )
        .price(2800),
        case("table frontend modify", json!(["a.jsx"]), "backend", "low")
            .file("a.jsx", NEUTRAL)
            .price(1100),
        case("table backend modify", json!(["a.py"]), "backend", "low")
            .file("a.py", NEUTRAL)
            .price(700),
        case(
            "three new tests",
            json!([
                "Create tests/test_a.py",
                "Create tests/test_b.py",
                "Create tests/test_c.py"
            ]),
            "testing",
            "low",
        )
        .breakdown(&[("test_new", 4200)]),
        case(
            "label backend_new",
            json!(["Create src/autopack/module.py"]),
            "backend",
            "low",
        )
        .label("backend_new"),
        case(
            "label test_modify",
            json!(["Modify tests/test_foo.py"]),
            "backend",
            "low",
        )
        .file("tests/test_foo.py", EXISTING)
        .label("test_modify"),
        case(
            "label frontend_new",
            json!(["Create components/Button.tsx"]),
            "frontend",
            "low",
        )
        .label("frontend_new"),
        // Under v2-head this pure-doc phase takes the SOT route; the label rule is the same in v2-normalised (no SOT).
        case(
            "label doc_modify",
            json!(["Update docs/BUILD_HISTORY.md"]),
            "documentation",
            "low",
        )
        .profile("v2-normalised")
        .file("docs/BUILD_HISTORY.md", EXISTING)
        .label("doc_modify"),
        case(
            "label config_new",
            json!(["Create config/settings.yaml"]),
            "backend",
            "low",
        )
        .label("config_new"),
        case(
            "backslash ends the match",
            json!(["src\\foo.py"]),
            "backend",
            "low",
        )
        .file("foo.py", EXISTING)
        .price(396)
        .label("backend_modify"),
        case(
            "space ends the match",
            json!(["docs/My File.md"]),
            "docs",
            "low",
        )
        .file("File.md", EXISTING)
        .price(226),
        case(
            "first dotted token wins",
            json!(["v1.2 notes"]),
            "backend",
            "low",
        )
        .file("v1.2", EXISTING)
        .price(396),
        case("fallback lower-cases", json!(["README"]), "backend", "low")
            .file("README", EXISTING)
            .price(2000)
            .label("backend_new"),
        case(
            "add substring is new",
            json!(["src/address.py"]),
            "backend",
            "low",
        )
        .file("src/address.py", EXISTING)
        .price(2000),
    ]);
}

#[test]
fn file_complexity_multiplier_of_section_14_3() {
    let small = "import os\n\ndef foo():\n    return 42\n\n".repeat(6);
    let mut large: String = (0..20).map(|i| format!("import module{i}\n")).collect();
    large.push('\n');
    large.extend((0..580).map(|i| {
        if i % 2 == 0 {
            format!("{}x\n", " ".repeat(16))
        } else {
            format!("{}y\n", " ".repeat(20))
        }
    }));
    check(vec![
        case("30-line file", json!(["src/a.py"]), "backend", "low")
            .file("src/a.py", small)
            .expect(Expect::Multiplier(0.63))
            .price(441),
        case(
            "600-line file clamps",
            json!(["src/a.py"]),
            "backend",
            "low",
        )
        .file("src/a.py", large)
        .expect(Expect::Multiplier(2.0))
        .price(1400),
        case("tiny file", json!(["src/a.py"]), "backend", "low")
            .file("src/a.py", EXISTING)
            .expect(Expect::Multiplier(0.5670000000000001))
            .price(396),
    ]);
}

#[test]
fn documentation_models_of_section_14_4() {
    let five = json!([
        "docs/API_REFERENCE.md",
        "docs/EXAMPLES.md",
        "docs/USAGE_GUIDE.md",
        "docs/OVERVIEW.md",
        "docs/FAQ.md"
    ]);
    let estimator_docs = json!([
        "docs/token_estimator/OVERVIEW.md",
        "docs/token_estimator/USAGE_GUIDE.md",
        "docs/token_estimator/API_REFERENCE.md",
        "docs/token_estimator/EXAMPLES.md",
        "docs/token_estimator/FAQ.md"
    ]);
    let sot_three = json!([
        "BUILD_HISTORY.md",
        "BUILD_LOG.md",
        "docs/BUILD-132_IMPLEMENTATION_STATUS.md"
    ]);
    let from_scratch = "Create comprehensive documentation from scratch";
    check(vec![
        case("D1", five.clone(), "documentation", "low")
            .scope(0)
            .task(from_scratch)
            .category("doc_synthesis")
            .breakdown(&[
                ("doc_synthesis_investigate", 2500),
                ("doc_synthesis_api_extract", 1200),
                ("doc_synthesis_examples", 1400),
                ("doc_synthesis_writing", 4250),
                ("doc_synthesis_coordination", 510),
            ])
            .tokens(12818)
            .confidence(0.75)
            .budget(28199),
        case(
            "D2 nested, implementation",
            json!({ "docs": five.clone() }),
            "implementation",
            "low",
        )
        .scope(0)
        .task(from_scratch)
        .count(5)
        .category("doc_synthesis")
        .tokens(12818)
        .budget(28199),
        case("D3", estimator_docs.clone(), "documentation", "low")
            .scope(3)
            .tokens(12168)
            .budget(26769),
        case(
            "D3 at the time",
            estimator_docs.clone(),
            "documentation",
            "low",
        )
        .profile("v2-precal")
        .scope(3)
        .tokens(12168)
        .expect(Expect::WithBuffer(14601))
        .budget(14601),
        case(
            "D4 replay situation",
            estimator_docs.clone(),
            "documentation",
            "low",
        )
        .tokens(12818)
        .budget(28199),
        case(
            "D5 stored doc_synthesis bypasses the model",
            estimator_docs,
            "doc_synthesis",
            "low",
        )
        .category("doc_synthesis")
        .tokens(5850)
        .confidence(0.8)
        .budget(12870),
        case(
            "D6",
            json!(["docs/API_REFERENCE.md", "docs/EXAMPLES.md"]),
            "documentation",
            "medium",
        )
        .scope(5)
        .tokens(8190)
        .budget(18018),
        case(
            "D7 strong",
            json!(["docs/API_REFERENCE.md"]),
            "documentation",
            "low",
        )
        .scope(15)
        .task("Document the REST API")
        .breakdown(&[
            ("doc_synthesis_investigate", 1500),
            ("doc_synthesis_api_extract", 1200),
            ("doc_synthesis_examples", 0),
            ("doc_synthesis_writing", 850),
            ("doc_synthesis_coordination", 0),
        ])
        .tokens(4615)
        .budget(10153),
        case(
            "D8 none",
            json!(["docs/API_REFERENCE.md"]),
            "documentation",
            "low",
        )
        .scope(0)
        .task("Document the REST API")
        .tokens(5915)
        .budget(13013),
        case(
            "D9",
            json!(["docs/API_REFERENCE.md"]),
            "documentation",
            "low",
        )
        .scope(0)
        .task("Document REST API endpoints")
        .tokens(5915)
        .budget(13013),
        case(
            "D10",
            json!(["docs/EXAMPLES.md", "docs/USAGE_GUIDE.md"]),
            "documentation",
            "low",
        )
        .scope(0)
        .task("Create usage guide from scratch with code examples")
        .breakdown(&[
            ("doc_synthesis_investigate", 2500),
            ("doc_synthesis_api_extract", 0),
            ("doc_synthesis_examples", 1400),
            ("doc_synthesis_writing", 1700),
            ("doc_synthesis_coordination", 0),
        ])
        .tokens(7280)
        .budget(16016),
        case(
            "D12 examples alone",
            json!([
                "docs/examples/SIMPLE_EXAMPLE.md",
                "docs/examples/ADVANCED_EXAMPLE.md",
                "docs/examples/FAQ.md"
            ]),
            "documentation",
            "low",
        )
        .category("documentation")
        .tokens(3900)
        .budget(4680),
        case("D13", json!(["README.md"]), "documentation", "low")
            .tokens(2600)
            .budget(4096),
        case("S1", json!(["BUILD_LOG.md"]), "docs", "low")
            .scope(3)
            .category("doc_sot_update")
            .breakdown(&[
                ("sot_context_reconstruction", 2200),
                ("sot_write_entries", 900),
                ("sot_consistency_overhead", 135),
            ])
            .tokens(4205)
            .confidence(0.7)
            .expect(Expect::SotFile("build_log.md"))
            .budget(9251),
        case("S2", sot_three.clone(), "docs", "low")
            .scope(3)
            .tokens(6896)
            .expect(Expect::SotFile("build_history.md"))
            .budget(15171),
        case("S2 at the time", sot_three.clone(), "docs", "low")
            .profile("v2-precal")
            .scope(3)
            .tokens(6896)
            .budget(8275),
        case("S3", sot_three, "docs", "low")
            .tokens(7936)
            .budget(17459),
        case("S4", json!(["CHANGELOG.md"]), "documentation", "low")
            .tokens(5245)
            .budget(11539),
    ]);
}

#[test]
fn empty_fallback_and_hand_built_budgets_of_section_14_5() {
    check(vec![
        case("empty backend/medium", json!([]), "backend", "medium")
            .tokens(12288)
            .count(0)
            .confidence(0.5)
            .breakdown(&[])
            .budget(17203),
        case("empty low", json!([]), "backend", "low")
            .tokens(8192)
            .budget(11468),
        case("empty high", json!([]), "backend", "high")
            .tokens(16384)
            .budget(22937),
        case("empty null", Value::Null, "backend", "other")
            .tokens(8192)
            .budget(11468),
        case(
            "empty IMPLEMENT_FEATURE/high",
            json!([]),
            "IMPLEMENT_FEATURE",
            "high",
        )
        .tokens(16384)
        .category("IMPLEMENT_FEATURE")
        .budget(26214),
        case("empty doc_synthesis/low", json!([]), "doc_synthesis", "low").budget(18022),
        hand_built("many deliverables", 20000, 10, "backend", 0.8, "medium").budget(32000),
        hand_built("base wins", 5000, 2, "backend", 0.7, "high").budget(16384),
        hand_built("cap", 60000, 50, "backend", 0.9, "high").budget(64000),
        hand_built("docs/low", 2000, 1, "docs", 0.8, "low").budget(4096),
        hand_built("docs/medium", 3000, 1, "docs", 0.8, "medium").budget(8192),
        hand_built("tests/low", 2500, 1, "tests", 0.8, "low").budget(6144),
        hand_built("doc_synthesis/low", 2000, 1, "doc_synthesis", 0.8, "low").budget(8192),
        hand_built("doc_sot_update/low", 2000, 1, "doc_sot_update", 0.8, "low").budget(8192),
        hand_built("implementation/low", 3000, 1, "implementation", 0.8, "low").budget(8192),
        hand_built(
            "unknown_category/low",
            3000,
            1,
            "unknown_category",
            0.8,
            "low",
        )
        .budget(8192),
        hand_built("documentation/low", 2000, 1, "documentation", 0.8, "low").budget(4096),
        hand_built("testing/low", 2500, 1, "testing", 0.8, "low").budget(6144),
        hand_built("docs/low large", 5000, 1, "docs", 0.8, "low").budget(6000),
        hand_built("docs/low 2600", 2600, 1, "docs", 0.8, "low").budget(4096),
        hand_built("docs/low low confidence", 2600, 1, "docs", 0.6, "low")
            .expect(Expect::WithBuffer(3639))
            .budget(4096),
        hand_built(
            "IMPLEMENT_FEATURE/high",
            10000,
            1,
            "IMPLEMENT_FEATURE",
            0.8,
            "high",
        )
        .expect(Expect::Buffer(1.6))
        .budget(16384),
        hand_built(
            "implement_feature/high is case-sensitive",
            10000,
            1,
            "implement_feature",
            0.8,
            "high",
        )
        .expect(Expect::Buffer(1.2))
        .budget(16384),
        hand_built(
            "Documentation/low normalised base",
            10000,
            1,
            "Documentation",
            0.8,
            "low",
        )
        .budget(12000),
    ]);
}

#[test]
fn numeric_rule_table_of_section_12() {
    check(vec![
        hand_built("2600 × 1.4", 2600, 1, "docs", 0.6, "low").expect(Expect::WithBuffer(3639)),
        hand_built("11700 × 1.4", 11700, 3, "backend", 0.6, "medium")
            .expect(Expect::WithBuffer(16379)),
        hand_built("12168 × 1.2", 12168, 5, "documentation", 0.8, "low")
            .profile("v2-precal")
            .expect(Expect::WithBuffer(14601)),
        case(
            "6105 × 1.3",
            json!(["BUILD_HISTORY.md", "BUILD_LOG.md", "docs/x.md"]),
            "docs",
            "low",
        )
        .tokens(7936),
        case(
            "4034 × 1.3",
            json!(["src/a.py", "tests/test_a.py"]),
            "implementation",
            "low",
        )
        .tokens(5244),
        case("700 × 0.567…", json!(["src/a.py"]), "backend", "low")
            .file("src/a.py", EXISTING)
            .expect(Expect::Multiplier(0.5670000000000001))
            .price(396),
        case(
            "0.5 + (2/3)×0.3 is not below 0.7",
            json!(["src/a.py", "src/b.py", "README"]),
            "backend",
            "low",
        )
        .confidence(0.7)
        .expect(Expect::Buffer(1.2)),
        case("v1 448", json!(["src/x.py"]), "implementation", "low")
            .profile("v1")
            .tokens(448),
    ]);
}

#[test]
fn precedence_table_of_section_13_3() {
    // (deliverable, v1 price, v1 label, v5v6 price, v2-head price, v2-head label)
    let rows = [
        ("tests/README.md", 150, "test_modify", 500, 1400, "test_new"),
        (
            "tests/fixtures/x.json",
            200,
            "test_modify",
            1000,
            1400,
            "test_new",
        ),
        (
            "tests/test_migration.py",
            200,
            "test_modify",
            1000,
            1400,
            "test_new",
        ),
        (
            "db/schema.sql",
            300,
            "backend_modify",
            2000,
            1500,
            "backend_new",
        ),
        ("Create src/Foo.MD", 800, "backend_new", 500, 500, "doc_new"),
        (
            "Create web/App.svelte",
            1200,
            "backend_new",
            2800,
            2800,
            "backend_new",
        ),
        (
            "Create src/contest.py",
            600,
            "test_new",
            2000,
            2000,
            "backend_new",
        ),
        (
            "Create src/migration_utils.py",
            400,
            "backend_new",
            1000,
            1000,
            "backend_new",
        ),
    ];
    // Prices do not depend on the category here (no frontend row), so single deliverables suffice.
    let mut cases = Vec::new();
    for (d, v1_price, v1_label, v5v6_price, head_price, head_label) in rows {
        let single =
            |profile: &'static str| case(d, json!([d]), "implementation", "low").profile(profile);
        cases.push(single("v1").price(v1_price).label(v1_label));
        cases.push(single("v5v6").price(v5v6_price));
        cases.push(single("v2-head").price(head_price).label(head_label));
    }
    check(cases);
}

#[test]
fn pure_doc_inference_turns_a_single_doc_into_documentation() {
    check(vec![
        case(
            "Foo.MD alone",
            json!(["Create src/Foo.MD"]),
            "implementation",
            "low",
        )
        .category("documentation")
        .price(500)
        .label("doc_new")
        .tokens(2600),
        case(
            "v1 never infers",
            json!(["Create src/Foo.MD"]),
            "implementation",
            "low",
        )
        .profile("v1")
        .category("implementation"),
    ]);
}

#[test]
fn pre_call_enforcement_matches_section_11() {
    // (estimated, budget, status, escalate, utilisation, recommended)
    let rows = [
        (5000, 8000, BudgetStatus::Ok, false, 0.625, None),
        (7000, 8000, BudgetStatus::Warning, false, 0.875, None),
        (9000, 8000, BudgetStatus::Exceeded, true, 1.125, Some(12000)),
        (8000, 8000, BudgetStatus::Exceeded, true, 1.0, Some(12000)),
        (
            15000,
            8000,
            BudgetStatus::Critical,
            true,
            1.875,
            Some(12000),
        ),
        (
            19500,
            23400,
            BudgetStatus::Ok,
            false,
            19500.0 / 23400.0,
            None,
        ),
        (5000, 0, BudgetStatus::Critical, true, 0.0, Some(0)),
        (5000, -1000, BudgetStatus::Critical, true, 0.0, Some(-1500)),
    ];
    for (estimated, budget, status, escalate, utilization, recommended) in rows {
        let result = enforce_budget(estimated, budget);
        assert_eq!(
            (
                result.status,
                result.should_escalate,
                result.utilization,
                result.recommended_budget
            ),
            (status, escalate, utilization, recommended),
            "{estimated}/{budget}"
        );
    }
    assert!(enforce_budget(1, 0).message.contains("zero or negative"));
    for (budget, next) in [
        (8000, 12000),
        (4000, 6000),
        (16000, 24000),
        (60000, 64000),
        (64000, 64000),
    ] {
        assert_eq!(escalate_budget(budget), next, "{budget}");
    }
}

#[test]
fn post_call_enforcement_and_circuit_breaker_match_section_11() {
    let mut enforcer = BudgetEnforcer::default();
    for (actual, budget, status, escalate) in [
        (7700, 8000, BudgetStatus::Warning, true),
        (7601, 8000, BudgetStatus::Warning, true),
        (6800, 8000, BudgetStatus::Ok, false),
        (100, 0, BudgetStatus::Ok, false),
    ] {
        let result = enforcer.check_post_call(actual, budget, Some("end_turn"));
        assert_eq!(
            (result.status, result.should_escalate),
            (status, escalate),
            "{actual}/{budget}"
        );
    }
    assert_eq!(enforcer.overflow_count(), 0);
    for overflow in 1..=3 {
        assert!(
            !enforcer.circuit_open(),
            "breaker open before overflow {overflow}"
        );
        let result = enforcer.check_post_call(8000, 8000, Some("max_tokens"));
        assert_eq!(
            (result.status, result.recommended_budget),
            (BudgetStatus::Exceeded, Some(12000))
        );
    }
    assert_eq!(enforcer.overflow_count(), 3);
    assert!(enforcer.circuit_open());
}

/// (category, complexity, deliverable count) of each `[TokenEstimationV2]` line of the 14-line fixture.
fn fixture_samples(text: &str) -> Vec<(String, String, usize)> {
    text.lines()
        .filter(|line| line.contains("[TokenEstimationV2]"))
        .filter_map(|line| {
            let field = |name: &str| {
                line.split_whitespace()
                    .find_map(|token| token.strip_prefix(name)?.strip_prefix('='))
                    .map(str::to_owned)
            };
            Some((
                field("category")?,
                field("complexity")?,
                field("deliverables")?.parse().ok()?,
            ))
        })
        .collect()
}

#[test]
fn replay_predictions_of_the_14_line_fixture_per_profile() {
    let Some(real) = crate::real_data::real_data() else {
        return;
    };
    let text = std::fs::read_to_string(real.join("build132_telemetry_samples.log"))
        .expect("the real data holds the 14-line log");
    let samples = fixture_samples(&text);
    assert_eq!(samples.len(), 14, "fixture lines parsed");
    let v2 = [
        6240, 9100, 7800, 9750, 13650, 11700, 11700, 9100, 9100, 7800, 9100, 9100, 7800, 9750,
    ];
    let v5_step1 = [
        6240, 7618, 7800, 9750, 13650, 10218, 11700, 7618, 7618, 6656, 7618, 7618, 6656, 9750,
    ];
    let head = [
        6240, 6728, 7800, 9750, 13650, 9328, 11700, 6728, 6728, 6024, 6728, 6728, 6024, 9750,
    ];
    let expected: [(&str, [i64; 14]); 9] = [
        (
            "v1",
            [
                780, 896, 390, 1170, 1560, 1345, 896, 896, 896, 896, 896, 896, 896, 780,
            ],
        ),
        ("v2-overhead", v2),
        ("v2-docsynth", v2),
        ("v2-normalised", v2),
        ("v2-precal", v2),
        ("v2-adaptive", v2),
        ("v5-step1", v5_step1),
        ("v5v6", head),
        ("v2-head", head),
    ];
    for (profile, predictions) in expected {
        let estimator = Estimator::new(Profile::builtin(profile).expect("builtin profile"));
        let got: Vec<i64> = samples
            .iter()
            .map(|(category, complexity, k)| {
                let deliverables = json!(
                    (0..*k)
                        .map(|i| format!("src/file{i}.py"))
                        .collect::<Vec<_>>()
                );
                let input =
                    EstimateInput::new(&deliverables, category, ComplexityInput::raw(complexity));
                estimator.estimate(&input, &EmptyWorkspace).estimated_tokens
            })
            .collect();
        assert_eq!(got, predictions, "profile {profile}");
    }
}

#[test]
fn every_builtin_profile_has_a_distinct_content_hash() {
    let names = Profile::builtin_names();
    assert_eq!(names[0], "v2-head");
    assert_eq!(
        Estimator::v2_head().profile(),
        &Profile::builtin("v2-head").expect("v2-head")
    );
    let hashes: std::collections::BTreeSet<String> = names
        .iter()
        .map(|n| Profile::builtin(n).expect("builtin").content_hash())
        .collect();
    assert_eq!(hashes.len(), names.len());
    let mut renamed = Profile::builtin("v2-head").expect("v2-head");
    renamed.id = "copy".to_owned();
    renamed.description.clear();
    assert_eq!(
        renamed.content_hash(),
        Profile::builtin("v2-head").expect("v2-head").content_hash()
    );
    renamed.phase_overhead.default = 2001;
    assert_ne!(
        renamed.content_hash(),
        Profile::builtin("v2-head").expect("v2-head").content_hash()
    );
    assert!(Profile::builtin("v3").is_none());
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,40}".prop_map(Value::String),
        "[ a-zA-Z0-9_./\\\\()-]{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("\\PC{0,8}", inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn no_profile_panics_on_arbitrary_input(
        deliverables in arbitrary_json(),
        category in prop_oneof![Just("documentation".to_owned()), Just("frontend".to_owned()), "\\PC{0,20}"],
        complexity in prop_oneof![Just("low".to_owned()), Just("high".to_owned()), "\\PC{0,10}"],
        scope in proptest::option::of(prop::collection::vec("\\PC{0,10}", 0..14)),
        task in "\\PC{0,60}",
        files in prop::collection::vec(("[a-zA-Z0-9_./\\\\]{0,20}", "\\PC{0,200}"), 0..4),
    ) {
        let workspace = MemoryWorkspace::new(files);
        for name in Profile::builtin_names() {
            let estimator = Estimator::new(Profile::builtin(name).expect("builtin profile"));
            let input = EstimateInput::new(&deliverables, &category, ComplexityInput::raw(&complexity))
                .with_scope_paths(scope.as_deref())
                .with_task_description(&task);
            let estimate = estimator.estimate(&input, &workspace);
            prop_assert!(estimate.estimated_tokens > 0);
            prop_assert!((0.0..=1.0).contains(&estimate.confidence));
            let budget = estimator.select_budget(&estimate, ComplexityInput::raw(&complexity));
            prop_assert!((4096..=64000).contains(&budget), "budget {budget}");
            prop_assert_eq!(estimator.estimate(&input, &workspace), estimate);
        }
    }
}

/// The original looked complexity up as raw, case-sensitive text: another case, a synonym or an unknown word
/// gets every table's default and is reported unchanged, whatever `Complexity::parse` would make of it.
#[test]
fn complexity_text_that_is_not_exactly_a_stored_value_gets_the_tables_defaults() {
    let estimator = Estimator::v2_head();
    let (none, one) = (json!([]), json!(["src/a.py"]));
    let estimate = |deliverables: &Value, complexity: ComplexityInput<'_>| {
        let input = EstimateInput::new(deliverables, "implementation", complexity);
        estimator.estimate(&input, &EmptyWorkspace)
    };
    let medium = ComplexityInput::from(Complexity::Medium);
    assert_eq!(estimate(&none, medium).estimated_tokens, 12288);
    assert_eq!(
        estimator.select_budget(&estimate(&one, medium), medium),
        12288
    );
    for text in ["Medium", "moderate", "critical", " medium"] {
        let raw = ComplexityInput::raw(text);
        assert_eq!(raw, ComplexityInput::Unknown(text));
        let fallback = estimate(&none, raw);
        assert_eq!(fallback.estimated_tokens, 8192, "{text:?}");
        assert_eq!(fallback.complexity, text);
        let overhead = estimate(&one, raw);
        assert_eq!(
            overhead.estimated_tokens, 5200,
            "{text:?}: PHASE_OVERHEAD default"
        );
        assert_eq!(estimator.select_budget(&overhead, raw), 8192, "{text:?}");
    }
}

//! Throughput of `Estimator::estimate` + `select_budget` for a typical 5-deliverable phase (goal ≥ 500,000/s).
// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use tel_core::Complexity;
use tel_core::estimator::{EmptyWorkspace, EstimateInput, Estimator, MemoryWorkspace};

fn typical_phase(c: &mut Criterion) {
    let estimator = Estimator::v2_head();
    let module =
        "import os\nimport sys\n\n\ndef run(x):\n    if x:\n        return 1\n    return 0\n"
            .repeat(2);
    let workspace = MemoryWorkspace::new([
        ("src/autopack/executor.py", module.as_str()),
        ("docs/BUILD_HISTORY.md", "# History\n\n- entry\n"),
        ("src/autopack/config.yaml", "key: value\n"),
    ]);
    let deliverables = json!({
        "code": ["Create src/autopack/budget.py", "Modify src/autopack/executor.py", "src/autopack/config.yaml"],
        "tests": ["Create tests/test_budget.py"],
        "docs": ["Update docs/BUILD_HISTORY.md"],
    });
    let scope: Vec<String> = vec!["src/autopack".to_owned(), "tests".to_owned()];
    let input = EstimateInput::new(&deliverables, "implementation", Complexity::Medium)
        .with_scope_paths(Some(&scope))
        .with_task_description("Add budget selection to the executor");
    let mut group = c.benchmark_group("estimator");
    group.throughput(Throughput::Elements(1));
    group.bench_function("typical_5_deliverables", |b| {
        b.iter(|| {
            let estimate = estimator.estimate(std::hint::black_box(&input), &workspace);
            estimator.select_budget(&estimate, Complexity::Medium)
        });
    });
    group.bench_function("typical_5_deliverables_empty_workspace", |b| {
        b.iter(|| {
            let estimate = estimator.estimate(std::hint::black_box(&input), &EmptyWorkspace);
            estimator.select_budget(&estimate, Complexity::Medium)
        });
    });
    group.finish();
}

criterion_group!(benches, typical_phase);
criterion_main!(benches);

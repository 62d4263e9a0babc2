//! The fault matrix on the shipped real sequence: every injectable fault replayed through the
//! production pipeline with the shipped student, each row's declared behaviour checked, and
//! the committed RELIABILITY.md equal to what the code measures now (regenerate it with
//! `cargo run --bin kestrel -- fault-matrix --markdown RELIABILITY.md`). Faulted replays are
//! deterministic: same plan and seed, same digest.

use kestrel_models::zoo;
use kestrel_perception::fault_injection::FaultPlan;
use kestrel_perception::fault_matrix::{observe, run_matrix};
use kestrel_perception::stage_factory::default_input;

#[test]
fn every_fault_behaves_as_declared_and_the_committed_table_says_so() {
    let report = run_matrix(
        &default_input(),
        Some(&zoo::default_student_manifest()),
        |_| {},
    )
    .unwrap();
    let failed: Vec<String> = std::iter::once(&report.clean)
        .chain(&report.results)
        .filter(|r| !r.passed)
        .map(|r| format!("{}: {}", r.name, r.verdict.measured))
        .collect();
    assert!(failed.is_empty(), "failed rows: {failed:#?}");
    assert!(report.results.len() >= 14, "one row per fault kind");
    let committed = include_str!("../../RELIABILITY.md");
    assert!(
        report.markdown() == committed,
        "RELIABILITY.md is not what the fault matrix measures now; regenerate it with \
         `cargo run --bin kestrel -- fault-matrix --markdown RELIABILITY.md`\n{}",
        report.markdown()
    );
}

#[test]
fn faulted_replays_repeat_exactly_and_the_seed_matters() {
    let plan = |seed| {
        let mut p = FaultPlan::from_inline(
            "duplicate probability=0.2; reorder probability=0.2; \
             non_finite sensor=lidar_top fraction=0.01; partial_lidar sensor=lidar_top keep=0.5",
        )
        .unwrap();
        p.seed = seed;
        Some(p)
    };
    let run = |seed| observe(&default_input(), None, plan(seed)).unwrap();
    let (a, b, c) = (run(3), run(3), run(4));
    assert_eq!(a.summary.digest, b.summary.digest);
    assert_eq!(a.hits, b.hits);
    assert_eq!(a.summary.counters, b.summary.counters);
    assert_ne!(
        a.summary.digest, c.summary.digest,
        "another seed, other faults"
    );
    assert!(
        a.hits.iter().all(|&h| h > 0),
        "every fault hit: {:?}",
        a.hits
    );
}

//! The budget checker on real criterion output: a tiny criterion run (generated here, into a
//! fresh directory) times a stage that sleeps 2 ms per iteration, so every per-iteration sample
//! is at least 2 ms. The `check-budgets` binary must fail naming the stage when its budget is
//! lowered below that, fail naming a budgeted stage that was never measured, and pass when the
//! budgets are above the measurements.

use criterion::{Criterion, SamplingMode};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// Runs criterion (10 flat samples) on a 2 ms sleep as stage `sleep_2ms` and a no-op as
/// stage `noop`, storing results under `dir`.
fn measure(dir: &Path) {
    let mut c = Criterion::default()
        .output_directory(dir)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(50))
        .measurement_time(Duration::from_millis(300))
        .nresamples(1000)
        .without_plots();
    let mut group = c.benchmark_group("sleep_2ms");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("thread_sleep", |b| {
        b.iter(|| std::thread::sleep(Duration::from_millis(2)))
    });
    group.finish();
    c.bench_function("noop", |b| b.iter(|| std::hint::black_box(1 + 1)));
}

fn budgets_file(dir: &Path, sleep_budget_ms: f64, extra_stage: bool) -> PathBuf {
    let mut text = format!(
        "schema_version = 1\n[machines.ci]\ndescription = \"test machine\"\nthreads = 1\n\
         [stages.sleep_2ms]\ndescription = \"2 ms sleep\"\npercentile = 99\nci = {sleep_budget_ms}\n\
         [stages.noop]\ndescription = \"nothing\"\npercentile = 50\nci = 1.0\n"
    );
    if extra_stage {
        text +=
            "[stages.radar_branch]\ndescription = \"never measured\"\npercentile = 99\nci = 1.0\n";
    }
    let path = dir.join(format!("budgets_{sleep_budget_ms}_{extra_stage}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn check(criterion_dir: &Path, budgets: &Path, json: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_check-budgets"));
    cmd.arg("--machine")
        .arg("ci")
        .arg("--criterion-dir")
        .arg(criterion_dir)
        .arg("--budgets")
        .arg(budgets);
    if let Some(json) = json {
        cmd.arg("--json").arg(json);
    }
    cmd.output().unwrap()
}

#[test]
fn checker_fails_naming_the_stage_over_budget_or_unmeasured_and_passes_otherwise() {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("check_budgets");
    let _ = std::fs::remove_dir_all(&root);
    let criterion_dir = root.join("criterion");
    std::fs::create_dir_all(&criterion_dir).unwrap();
    measure(&criterion_dir);

    // Budgets above the measurements: pass, and the JSON report holds the real samples.
    let json = root.join("report.json");
    let ok = check(
        &criterion_dir,
        &budgets_file(&root, 1000.0, false),
        Some(&json),
    );
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        stdout.contains("all 2 budgeted stages within budget"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let sleep = &report["stages"][1];
    assert_eq!(sleep["stage"], "sleep_2ms");
    assert_eq!(sleep["benchmark"], "sleep_2ms/thread_sleep");
    let samples = sleep["samples_ms"].as_array().unwrap();
    assert_eq!(samples.len(), 10);
    assert!(
        samples.iter().all(|s| s.as_f64().unwrap() >= 2.0),
        "{samples:?}"
    );

    // The budget lowered below the measured time: fails, naming the stage.
    let over = check(&criterion_dir, &budgets_file(&root, 1.5, false), None);
    let stderr = String::from_utf8_lossy(&over.stderr);
    assert_eq!(over.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("stage `sleep_2ms` over budget"), "{stderr}");
    assert!(!stderr.contains("`noop`"), "{stderr}");

    // A budgeted stage without a measurement: fails, naming it.
    let missing = check(&criterion_dir, &budgets_file(&root, 1000.0, true), None);
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("stage `radar_branch` has a budget but no measurement"),
        "{stderr}"
    );

    // No criterion output at all: an error naming the directory, not a pass.
    let absent = check(
        &root.join("absent"),
        &budgets_file(&root, 1000.0, false),
        None,
    );
    assert_eq!(absent.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&absent.stderr).contains("absent"));
}

//! The real stack (production fusion pipeline with the shipped student) in the simulator's
//! closed loop: every canonical scenario gets the verdict its TOML declares (`[expect]`), the
//! failures name their cause, and a run is bit-identical for the same seed.

use kestrel_perception::sim_stack::{SimRun, run_real_stack};
use kestrel_sim::scenario::Verdict;
use kestrel_sim::scenario_library;

fn run(name: &str) -> SimRun {
    let sc = scenario_library::load(name).unwrap();
    let run = run_real_stack(&sc).unwrap_or_else(|e| panic!("{name}: {e}"));
    println!("real stack {}", run.report.summary());
    if let Some(line) = run.stack.degraded_line() {
        println!("  {line}");
    }
    run
}

fn has_failure(run: &SimRun, needle: &str) -> bool {
    run.report.failures.iter().any(|f| f.contains(needle))
}

#[test]
fn every_canonical_scenario_gets_its_declared_verdict() {
    for name in scenario_library::list() {
        let sc = scenario_library::load(name).unwrap();
        let run = run(name);
        let (r, st) = (&run.report, &run.stack);
        let expected_pass = sc.expect.verdict == Verdict::Pass;
        assert_eq!(
            r.passed,
            expected_pass,
            "{name}: declared {:?} ({}), got\n{}",
            sc.expect.verdict,
            sc.expect.reason,
            r.summary()
        );
        assert!(st.frames > 0, "{name}: the stack produced no frame");
        assert!(
            st.errors.is_empty(),
            "{name}: rejected messages {:?}",
            st.errors
        );
        assert!(st.compute_latency.is_some() && st.end_to_end_latency.is_some());
        if expected_pass {
            // Passing runs: every criterion actor was tracked in time, no contact.
            assert!(r.collision.is_none() && r.failures.is_empty(), "{name}");
            for f in &sc.criteria.first_track {
                let t = r.first_reported[&f.actor].unwrap();
                assert!(t <= f.by + 1e-9, "{name}: {} at {t}", f.actor);
            }
            // With every sensor on, the stack is never degraded.
            assert_eq!(st.degraded_frames, 0, "{name}: {:?}", st.degraded_line());
            assert!(
                r.tracking.mota > -1.0 && r.tracking.position_rmse < 2.5,
                "{name}"
            );
        }
        // Declared failures fail on the criterion their reason names.
        let cause = match name {
            "crossing_cyclist" => Some("collision with `cyclist`"),
            "night_no_lidar_radar" => Some("collision with `lead`"),
            _ => None,
        };
        if let Some(cause) = cause {
            assert!(has_failure(&run, cause), "{name}: {:?}", r.failures);
        }
    }
}

#[test]
fn night_without_lidar_and_radar_fails_and_names_the_cause() {
    let run = run("night_no_lidar_radar");
    let (r, st) = (&run.report, &run.stack);
    assert!(!r.passed);
    let collision = r
        .collision
        .as_ref()
        .expect("the blind-at-night ego hits the lead");
    assert_eq!(collision.actor, "lead");
    assert!(
        has_failure(&run, "collision with `lead`"),
        "{:?}",
        r.failures
    );
    assert!(
        has_failure(&run, "actor `lead` was never reported"),
        "{:?}",
        r.failures
    );
    // The cause: every frame ran without LiDAR and radar.
    assert_eq!(st.degraded_share("lidar missing"), 1.0);
    assert_eq!(st.degraded_share("radar missing"), 1.0);
    let line = st.degraded_line().unwrap();
    assert!(
        line.contains("lidar missing") && line.contains("radar missing"),
        "{line}"
    );
}

#[test]
fn real_stack_runs_are_bit_identical_for_a_seed() {
    let sc = scenario_library::load("lead_brake").unwrap();
    let a = run_real_stack(&sc).unwrap();
    let b = run_real_stack(&sc).unwrap();
    assert_eq!(a.report.sensor_digest, b.report.sensor_digest);
    assert_eq!(a.report.output_digest, b.report.output_digest);
    assert_eq!(a.stack.output_cdr_digest, b.stack.output_cdr_digest);
    assert_eq!(a.stack.frames, b.stack.frames);
    assert_eq!(a.report.tracking, b.report.tracking);
    assert_eq!(a.report.first_reported, b.report.first_reported);
    // Another seed: other sensor noise, so other stack outputs.
    let c = run_real_stack(&sc.with_seed(sc.seed + 1000)).unwrap();
    assert_ne!(a.report.sensor_digest, c.report.sensor_digest);
    assert_ne!(a.stack.output_cdr_digest, c.stack.output_cdr_digest);
}

//! The harness catches failures: the oracle stack passes every canonical scenario, the blind
//! stack fails the dangerous ones with a reason, and a BEV plot of a run can be written.

use kestrel_sim::closed_loop::{oracle_stack, run_scenario, run_scenario_with_truth};
use kestrel_sim::scenario_library;

/// Oracle perception range, metres.
const ORACLE_RANGE: f64 = 120.0;

#[test]
fn oracle_stack_passes_every_canonical_scenario() {
    for name in scenario_library::list() {
        let sc = scenario_library::load(name).unwrap();
        let report = run_scenario_with_truth(&sc, &mut oracle_stack(ORACLE_RANGE)).unwrap();
        println!("oracle {}", report.summary());
        assert!(report.passed, "{}", report.summary());
        assert!(report.collision.is_none());
        assert!(
            (report.end_time - sc.duration).abs() < 1e-6,
            "oracle run ended early"
        );
        // Perfect perception: no misses inside the evaluation range, no false positives.
        assert_eq!(report.tracking.misses, 0, "{name}");
        assert_eq!(report.tracking.false_positives, 0, "{name}");
        assert_eq!(report.tracking.id_switches, 0, "{name}");
        assert!(report.tracking.position_rmse < 1e-9);
    }
}

#[test]
fn blind_stack_fails_the_dangerous_scenarios_with_a_reason() {
    for name in scenario_library::list() {
        let sc = scenario_library::load(name).unwrap();
        let report = run_scenario(&sc, &mut |_| Vec::new()).unwrap();
        println!("blind {}", report.summary());
        assert!(!report.passed, "{name} passed with a blind stack");
        let collision = report
            .collision
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: blind ego did not crash"));
        assert!(
            report
                .failures
                .iter()
                .any(|f| f.contains("collision with") && f.contains(&collision.actor)),
            "{:?}",
            report.failures
        );
        assert!(
            report.failures.iter().any(|f| f.contains("never reported")),
            "{:?}",
            report.failures
        );
        assert_eq!(report.tracking.mota <= 0.0, report.tracking.gt_count > 0);
    }
}

#[test]
fn bev_plot_of_a_run_is_a_png() {
    let sc = scenario_library::load("cut_in").unwrap();
    let report = run_scenario_with_truth(&sc, &mut oracle_stack(ORACLE_RANGE)).unwrap();
    let png = kestrel_sim::bev_plot::bev_png(&report.trace, "cut_in, oracle", 800, 400).unwrap();
    let img = image::load_from_memory(&png).unwrap().to_rgb8();
    assert_eq!((img.width(), img.height()), (800, 400));
    // The ego path is drawn in blue.
    assert!(img.pixels().any(|p| p.0 == [0, 0, 255]));
    if let Ok(dir) = std::env::var("KESTREL_SIM_PLOT_DIR") {
        let path = std::path::Path::new(&dir).join("cut_in_bev.png");
        kestrel_sim::bev_plot::write_bev_png(&report.trace, "cut_in, oracle", &path, 1200, 500)
            .unwrap();
    }
}

#[test]
fn disabled_sensors_emit_nothing() {
    let sc = scenario_library::load("night_no_lidar_radar").unwrap();
    let mut world = kestrel_sim::World::new(&sc).unwrap();
    let mut kinds = std::collections::BTreeSet::new();
    for _ in 0..50 {
        for m in world.observe().unwrap().messages {
            assert_eq!(m.sensor(), kestrel_sim::sim_rig::CAMERA);
            kinds.insert(m.kind());
        }
        world.advance(kestrel_sim::ego_dynamics::EgoCommand::accelerate_in_lane(
            0.0,
        ));
    }
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), vec!["camera"]);
}

//! Determinism contract: the same scenario and seed give bit-identical sensor messages and
//! stack outputs (digests over the f32/f64 bits of everything emitted); another seed differs.

use kestrel_sim::closed_loop::{oracle_stack, run_scenario_with_truth};
use kestrel_sim::{World, scenario_library};

#[test]
fn every_canonical_scenario_is_reproducible_and_seed_dependent() {
    for name in scenario_library::list() {
        let sc = scenario_library::load(name).unwrap();
        let a = run_scenario_with_truth(&sc, &mut oracle_stack(120.0)).unwrap();
        let b = run_scenario_with_truth(&sc, &mut oracle_stack(120.0)).unwrap();
        assert_eq!(
            a.sensor_digest, b.sensor_digest,
            "{name}: sensor digest differs between runs"
        );
        assert_eq!(
            a.output_digest, b.output_digest,
            "{name}: output digest differs between runs"
        );
        assert_eq!(a.message_counts, b.message_counts);
        assert!(!a.message_counts.is_empty(), "{name}: no messages");
        let c = run_scenario_with_truth(&sc.with_seed(sc.seed + 1000), &mut oracle_stack(120.0))
            .unwrap();
        assert_ne!(
            a.sensor_digest, c.sensor_digest,
            "{name}: another seed gave the same sensor data"
        );
        // The seed changes sensor noise only: the oracle's closed loop is the same.
        assert_eq!(a.passed, c.passed);
    }
}

#[test]
fn messages_are_equal_field_by_field_and_follow_the_schedule() {
    let sc = scenario_library::load("lead_brake").unwrap();
    let (mut w1, mut w2) = (World::new(&sc).unwrap(), World::new(&sc).unwrap());
    let mut kinds = Vec::new();
    for _ in 0..25 {
        let (o1, o2) = (w1.observe().unwrap(), w2.observe().unwrap());
        assert_eq!(o1.messages, o2.messages);
        for m in &o1.messages {
            assert_eq!(m.timestamp(), o1.truth.timestamp);
            kinds.push((m.timestamp().as_nanos() / 1_000_000, m.kind()));
        }
        let cmd = kestrel_sim::ego_dynamics::EgoCommand::accelerate_in_lane(0.0);
        w1.advance(cmd);
        w2.advance(cmd);
    }
    // LiDAR at 0 and 100 ms, radar every 50 ms from 10 ms, camera from 20 ms at 10 Hz.
    assert_eq!(
        kinds,
        vec![
            (0, "lidar"),
            (10, "radar"),
            (20, "camera"),
            (60, "radar"),
            (100, "lidar"),
            (110, "radar"),
            (120, "camera"),
            (160, "radar"),
            (200, "lidar"),
            (210, "radar"),
            (220, "camera")
        ]
    );
}

//! Tracking scenarios with known ground truth and seeded noise: straight vehicles, a turning
//! vehicle, crossing paths, an occlusion gap, clutter, spurious detections, and ego-motion
//! compensation. Metrics are printed (`cargo test -p kestrel-fusion --test tracking_scenarios
//! -- --nocapture`) and asserted against thresholds set from measurement with margin.

mod tracking_support;

use kestrel_fusion::tracking::{EgoMotion, MotionModel, TrackerConfig};
use kestrel_sensors::ObjectClass;
use nalgebra::{Matrix2, Vector2};
use tracking_support::*;

fn car(id: usize, x: f64, y: f64, yaw: f64, speed: f64, yaw_rate: f64) -> Mover {
    Mover {
        id,
        class: ObjectClass::Car,
        x,
        y,
        yaw,
        speed,
        yaw_rate,
    }
}

fn pedestrian(id: usize, x: f64, y: f64, yaw: f64, speed: f64) -> Mover {
    Mover {
        id,
        class: ObjectClass::Pedestrian,
        x,
        y,
        yaw,
        speed,
        yaw_rate: 0.0,
    }
}

fn assert_clean(m: &Metrics, truths: usize) {
    assert_eq!(m.id_switches, 0, "id switches");
    assert_eq!(m.ids_per_truth.len(), truths, "every truth tracked");
    for (truth, ids) in &m.ids_per_truth {
        assert_eq!(ids.len(), 1, "truth {truth} tracked by one id, got {ids:?}");
    }
}

fn straight_movers() -> Vec<Mover> {
    vec![
        car(0, 5.0, 3.5, 0.0, 12.0, 0.0),
        car(1, 80.0, -3.5, std::f64::consts::PI, 10.0, 0.0),
        car(2, 20.0, 10.0, -0.3, 6.0, 0.0),
        pedestrian(3, 15.0, -8.0, 1.4, 1.3),
    ]
}

#[test]
fn constant_velocity_vehicles_position_only() {
    let movers = straight_movers();
    let mut rng = Rng::new(1);
    let frames = static_sensor_frames(&movers, 80, &Noise::default(), &mut rng, |_, _| true);
    let (m, _) = run(&frames, TrackerConfig::default(), 2.0);
    report("constant velocity, position only", &m);
    assert_clean(&m, movers.len());
    assert_eq!(m.missed, 0);
    assert_eq!(m.false_track_ids, 0);
    assert!(m.position_rmse < 0.30, "pos rmse {}", m.position_rmse);
    assert!(m.velocity_rmse < 0.60, "vel rmse {}", m.velocity_rmse);
}

#[test]
fn constant_velocity_vehicles_with_radar_velocity() {
    let movers = straight_movers();
    let mut rng = Rng::new(2);
    let noise = Noise {
        velocity_std: Some(0.3),
        ..Noise::default()
    };
    let frames = static_sensor_frames(&movers, 80, &noise, &mut rng, |_, _| true);
    let (m, _) = run(&frames, TrackerConfig::default(), 1.0);
    report("constant velocity, radar velocity", &m);
    assert_clean(&m, movers.len());
    assert_eq!(m.missed, 0);
    assert!(m.position_rmse < 0.30, "pos rmse {}", m.position_rmse);
    assert!(m.velocity_rmse < 0.35, "vel rmse {}", m.velocity_rmse);
}

#[test]
fn turning_vehicle_ctrv_truth() {
    // 8 m/s on a 26.7 m radius (0.3 rad/s), a full 3 rad of turn in 10 s.
    let movers = vec![car(0, 10.0, -5.0, 0.2, 8.0, 0.3)];
    let mut rng = Rng::new(3);
    let frames = static_sensor_frames(&movers, 100, &Noise::default(), &mut rng, |_, _| true);
    let (m, outputs) = run(&frames, TrackerConfig::default(), 2.0);
    report("turning vehicle (CTRV truth)", &m);
    assert_clean(&m, 1);
    let last = outputs
        .last()
        .unwrap()
        .iter()
        .find(|t| t.is_confirmed())
        .unwrap();
    println!(
        "[tracking] turning vehicle final: model={:?} yaw_rate={:.3} rad/s (truth 0.300) speed={:.2} m/s (truth 8.00)",
        last.motion_model,
        last.yaw_rate(),
        last.speed()
    );
    assert_eq!(last.motion_model, MotionModel::Ctrv);
    // The yaw rate averaged over the last 3 s: 0.29-0.32 rad/s in 40 of 40 seeds of this scene
    // (a single frame's estimate scatters by about 0.07 rad/s).
    let rates: Vec<f64> = outputs[70..]
        .iter()
        .filter_map(|f| f.iter().find(|t| t.is_confirmed()).map(|t| t.yaw_rate()))
        .collect();
    let mean_rate = rates.iter().sum::<f64>() / rates.len() as f64;
    assert!(
        rates.len() >= 29,
        "tracked in {} of the last 30 frames",
        rates.len()
    );
    assert!((mean_rate - 0.3).abs() < 0.05, "mean yaw rate {mean_rate}");
    assert!(m.position_rmse < 0.30, "pos rmse {}", m.position_rmse);
    assert!(m.velocity_rmse < 0.8, "vel rmse {}", m.velocity_rmse);
    assert!(m.yaw_rmse_deg < 5.0, "yaw rmse {}", m.yaw_rmse_deg);
}

#[test]
fn crossing_paths_close_approach() {
    // Two pedestrians cross with 0.8 m closest approach at t = 5 s; two cars cross an
    // intersection 3 m apart at t = 4 s.
    let movers = vec![
        pedestrian(0, 10.0, -7.0, std::f64::consts::FRAC_PI_2, 1.4),
        pedestrian(1, 3.0, 0.8, 0.0, 1.4),
        car(2, 40.0, -40.0, std::f64::consts::FRAC_PI_2, 10.0, 0.0),
        car(3, 3.0, 3.0, 0.0, 10.0, 0.0),
    ];
    let min_gap = (0..100)
        .map(|k| {
            let t = k as f64 * 0.1;
            let (a, b) = (movers[0].state_at(t), movers[1].state_at(t));
            let (c, d) = (movers[2].state_at(t), movers[3].state_at(t));
            (
                (a.position - b.position).norm(),
                (c.position - d.position).norm(),
            )
        })
        .fold((f64::MAX, f64::MAX), |acc, g| {
            (acc.0.min(g.0), acc.1.min(g.1))
        });
    println!(
        "[tracking] crossing: closest approach pedestrians {:.2} m, cars {:.2} m",
        min_gap.0, min_gap.1
    );
    let mut rng = Rng::new(4);
    let frames = static_sensor_frames(&movers, 100, &Noise::default(), &mut rng, |_, _| true);
    let (m, _) = run(&frames, TrackerConfig::default(), 2.0);
    report("crossing paths", &m);
    assert_clean(&m, movers.len());
    assert!(m.position_rmse < 0.35, "pos rmse {}", m.position_rmse);
}

#[test]
fn occlusion_gap_keeps_the_track_id() {
    // A car and a pedestrian are unseen for 1.0 s (10 frames at 10 Hz) in the middle.
    let movers = vec![
        car(0, 5.0, 2.0, 0.05, 10.0, 0.0),
        pedestrian(1, 12.0, -6.0, 1.2, 1.4),
    ];
    let mut rng = Rng::new(5);
    let hidden = |k: usize, _| !(30..40).contains(&k);
    let frames = static_sensor_frames(&movers, 70, &Noise::default(), &mut rng, hidden);
    let (m, outputs) = run(&frames, TrackerConfig::default(), 2.0);
    report("occlusion gap 1.0 s", &m);
    assert_clean(&m, movers.len());
    let during = &outputs[39];
    let coasting: Vec<_> = during
        .iter()
        .map(|t| (t.id, t.status, t.time_since_update_s))
        .collect();
    println!("[tracking] occlusion: last hidden frame tracks {coasting:?}");
    assert_eq!(m.missed, 0, "coasting tracks stay matched through the gap");
    assert!(m.position_rmse < 0.5, "pos rmse {}", m.position_rmse);
}

#[test]
fn clutter_does_not_break_tracks() {
    let movers = straight_movers();
    let mut rng = Rng::new(6);
    let mut frames = static_sensor_frames(&movers, 100, &Noise::default(), &mut rng, |_, _| true);
    // 10 spurious detections per frame, uniform over 100 m x 80 m (1.25e-3 per m^2).
    let mut clutter_count = 0;
    for f in &mut frames {
        for _ in 0..10 {
            let p = Vector2::new(rng.uniform_in(0.0, 100.0), rng.uniform_in(-40.0, 40.0));
            f.detections.push(clutter(p));
            clutter_count += 1;
        }
    }
    let (m, _) = run(&frames, TrackerConfig::default(), 2.0);
    report("clutter 10/frame", &m);
    println!(
        "[tracking] clutter: {clutter_count} spurious detections in {} frames",
        frames.len()
    );
    assert_eq!(m.id_switches, 0);
    assert_eq!(m.ids_per_truth.len(), movers.len());
    assert!(m.missed <= 2, "missed {}", m.missed);
    // Measured: 4 false confirmed tracks from 1000 clutter detections (seed 6).
    assert!(
        m.false_track_ids <= 8,
        "false confirmed tracks {}",
        m.false_track_ids
    );
    assert!(m.position_rmse < 0.35, "pos rmse {}", m.position_rmse);
}

#[test]
fn single_spurious_detections_never_confirm() {
    // Each spurious detection appears once, far from everything else; plus one real car.
    let movers = vec![car(0, 5.0, 0.0, 0.0, 8.0, 0.0)];
    let mut rng = Rng::new(8);
    let mut frames = static_sensor_frames(&movers, 60, &Noise::default(), &mut rng, |_, _| true);
    for (k, f) in frames.iter_mut().enumerate() {
        // A fresh spot every frame, >= 10 m from the previous ones and from the car's lane.
        let p = Vector2::new(10.0 + (k % 10) as f64 * 10.0, 20.0 + (k / 10) as f64 * 10.0);
        f.detections.push(clutter(p));
    }
    let (m, outputs) = run(&frames, TrackerConfig::default(), 1.0);
    report("single spurious detections", &m);
    let confirmed_ids: std::collections::BTreeSet<u64> = outputs
        .iter()
        .flatten()
        .filter(|t| t.is_confirmed())
        .map(|t| t.id)
        .collect();
    println!("[tracking] spurious: confirmed ids {confirmed_ids:?}");
    assert_eq!(confirmed_ids.len(), 1, "only the car is ever confirmed");
    assert_eq!(m.false_track_ids, 0);
    assert_clean(&m, 1);
}

/// Static objects in the world; the ego drives at 10 m/s while turning at 0.2 rad/s.
fn ego_scenario(compensate: bool) -> Vec<Frame> {
    let world = [
        Vector2::new(30.0, 5.0),
        Vector2::new(45.0, -6.0),
        Vector2::new(25.0, 20.0),
        Vector2::new(60.0, 30.0),
    ];
    let mut rng = Rng::new(9);
    let noise = Noise::default();
    let step = EgoMotion::from_speed_yaw_rate(10.0, 0.2, 0.1);
    let (mut pose, mut yaw) = (Vector2::zeros(), 0.0_f64);
    let mut frames = Vec::new();
    for k in 0..60 {
        if k > 0 {
            let (s, c) = yaw.sin_cos();
            pose += Matrix2::new(c, -s, s, c) * Vector2::new(step.dx, step.dy);
            yaw += step.dyaw;
        }
        let (s, c) = yaw.sin_cos();
        let to_vehicle = Matrix2::new(c, s, -s, c);
        let truths: Vec<TruthState> = world
            .iter()
            .enumerate()
            .map(|(id, p)| TruthState {
                id,
                class: ObjectClass::Car,
                position: to_vehicle * (p - pose),
                velocity: Vector2::zeros(),
                yaw: 0.5 - yaw,
            })
            .collect();
        let detections = truths.iter().map(|t| detect(t, &noise, &mut rng)).collect();
        frames.push(Frame {
            timestamp: timestamp(k),
            truths,
            detections,
            ego: (compensate && k > 0).then_some(step),
        });
    }
    frames
}

#[test]
fn ego_motion_compensation_keeps_static_objects_static() {
    let (m, outputs) = run(&ego_scenario(true), TrackerConfig::default(), 1.0);
    report("ego motion compensated (ego 10 m/s, 0.2 rad/s)", &m);
    let (raw, _) = run(&ego_scenario(false), TrackerConfig::default(), 1.0);
    report("ego motion NOT compensated (same data)", &raw);
    assert_clean(&m, 4);
    assert_eq!(m.missed, 0);
    assert!(m.position_rmse < 0.3, "pos rmse {}", m.position_rmse);
    // Static objects: estimated velocity over ground near zero.
    assert!(m.velocity_rmse < 0.4, "vel rmse {}", m.velocity_rmse);
    assert!(
        m.yaw_rmse_deg < 5.0,
        "heading (mod pi) rmse {}",
        m.yaw_rmse_deg
    );
    // Each confirmed track's velocity averaged over the last second, the largest of them:
    // below 0.5 m/s in 40 of 40 seeds of this scene (0.12-0.41), where the last frame alone
    // exceeds it in most seeds (the filter's velocity noise is ~0.3 m/s).
    let mut mean_velocity: std::collections::BTreeMap<u64, (Vector2<f64>, usize)> =
        Default::default();
    for frame in &outputs[outputs.len() - 10..] {
        for t in frame.iter().filter(|t| t.is_confirmed()) {
            let e = mean_velocity.entry(t.id).or_insert((Vector2::zeros(), 0));
            e.0 += t.velocity();
            e.1 += 1;
        }
    }
    let max_speed = mean_velocity
        .values()
        .map(|(sum, n)| (sum / *n as f64).norm())
        .fold(0.0, f64::max);
    println!(
        "[tracking] ego: largest 1-s mean |v| over ground of static objects {max_speed:.3} m/s"
    );
    assert!(max_speed < 0.5);
    // Without compensation the same objects appear to move at ~10 m/s.
    assert!(
        raw.velocity_rmse > 5.0,
        "uncompensated vel rmse {}",
        raw.velocity_rmse
    );
}

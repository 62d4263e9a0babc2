//! Sensor-model sanity checks against geometry computed independently in the test.

use kestrel_sensors::{CameraIntrinsics, ObjectClass, OrientedBox3, Timestamp};
use kestrel_sim::camera_model::CameraModel;
use kestrel_sim::ground_truth::{ActorTruth, EgoTruth, GroundTruthFrame};
use kestrel_sim::lidar_model::{BeamPattern, LidarModel, LidarNoise};
use kestrel_sim::radar_model::RadarModel;
use kestrel_sim::rng::SimRng;
use kestrel_sim::road::{Road, RoadSpec, SegmentSpec};
use kestrel_sim::scenario::WeatherSpec;
use kestrel_sim::sim_rig::{self, CAMERA};
use nalgebra::{Isometry3, Point3, Vector2};

/// A frame with the ego at the world origin heading +x at `speed`, and the given actors
/// (boxes and velocities in the vehicle frame = world frame).
fn frame(speed: f64, actors: &[(OrientedBox3, Vector2<f64>, ObjectClass)]) -> GroundTruthFrame {
    let body = OrientedBox3 {
        center: Point3::new(1.45, 0.0, 0.75),
        length: 4.7,
        width: 1.9,
        height: 1.5,
        yaw: 0.0,
    };
    GroundTruthFrame {
        timestamp: Timestamp::from_nanos(1_000),
        ego: EgoTruth {
            pose: Isometry3::identity(),
            yaw: 0.0,
            speed,
            accel: 0.0,
            yaw_rate: 0.0,
            s: 0.0,
            d: 0.0,
            body,
        },
        actors: actors
            .iter()
            .enumerate()
            .map(|(i, (b, v, class))| ActorTruth {
                id: i as u32 + 2,
                name: format!("a{i}"),
                class: *class,
                box_world: *b,
                velocity_world: *v,
                box_vehicle: *b,
                velocity_vehicle: *v,
            })
            .collect(),
    }
}

fn car_at(x_center: f64, y_center: f64) -> OrientedBox3 {
    OrientedBox3 {
        center: Point3::new(x_center, y_center, 0.75),
        length: 4.5,
        width: 1.8,
        height: 1.5,
        yaw: 0.0,
    }
}

#[test]
fn lidar_hits_a_box_at_the_right_range_with_the_expected_count() {
    let mount_z = 1.0;
    let noise = LidarNoise {
        range_std: 0.02,
        dropout: 0.0,
        max_range: 120.0,
        min_range: 0.8,
    };
    let lidar = LidarModel::new(
        "lidar",
        BeamPattern::os1_32(),
        Isometry3::translation(0.0, 0.0, mount_z),
        noise,
        10.0,
    );
    // Rear face at x = 20 m, y in [-0.6, 1.2], z in [0, 1.5] (vehicle) = [-1.0, 0.5] (sensor).
    let truth = frame(
        0.0,
        &[(car_at(22.25, 0.3), Vector2::zeros(), ObjectClass::Car)],
    );
    let cloud = lidar.scan(&truth, &mut SimRng::new(1));
    let (x_face, y_lo, y_hi, z_lo, z_hi) = (20.0f64, -0.6, 1.2, -mount_z, 0.5);
    let p = &lidar.pattern;
    let mut expected = 0;
    for j in 0..p.columns {
        let a = p.azimuth(j);
        if a.cos() <= 0.0 {
            continue;
        }
        let y = x_face * a.tan();
        for e in &p.elevations {
            let z = x_face * e.tan() / a.cos();
            if (y_lo..=y_hi).contains(&y) && (z_lo..=z_hi).contains(&z) {
                expected += 1;
            }
        }
    }
    let on_box: Vec<_> = cloud
        .iter_xyz()
        .filter(|q| q[0] > 19.5 && q[0] < 24.0 && q[2] > -0.95)
        .collect();
    assert!(expected > 40, "test geometry too small: {expected}");
    assert_eq!(on_box.len(), expected, "points on the box");
    let mean_x = on_box.iter().map(|q| q[0] as f64).sum::<f64>() / on_box.len() as f64;
    assert!((mean_x - x_face).abs() < 0.01, "mean range {mean_x}");
    assert!(on_box.iter().all(|q| (q[0] as f64 - x_face).abs() < 0.1));
    // Columns and metadata.
    let rings = cloud.ring.as_ref().unwrap();
    assert!(rings.iter().all(|&r| r < 32));
    assert!(
        cloud
            .time_offset_ns
            .as_ref()
            .unwrap()
            .iter()
            .all(|&t| t < 100_000_000)
    );
    // Ground points lie on the ground plane (z = -mount height in the sensor frame).
    let ground: Vec<_> = cloud
        .iter_xyz()
        .filter(|q| q[0].hypot(q[1]) < 15.0)
        .collect();
    assert!(!ground.is_empty() && ground.iter().all(|q| (q[2] as f64 + mount_z).abs() < 0.05));
}

#[test]
fn lidar_sweep_against_twenty_boxes_is_fast_and_hdl64_layout_is_right() {
    let p = BeamPattern::hdl64();
    assert_eq!(p.elevations.len(), 64);
    assert!((p.elevations[0].to_degrees() - 2.0).abs() < 1e-9);
    assert!((p.elevations[63].to_degrees() + 24.33).abs() < 1e-9);
    let actors: Vec<_> = (0..20)
        .map(|i| {
            (
                car_at(8.0 + 6.0 * (i / 4) as f64, -7.0 + 3.5 * (i % 4) as f64),
                Vector2::zeros(),
                ObjectClass::Car,
            )
        })
        .collect();
    let truth = frame(10.0, &actors);
    let lidar = LidarModel::for_pattern(
        "lidar",
        kestrel_sim::scenario::LidarPattern::Os1_32,
        Isometry3::translation(1.3, 0.0, 1.9),
        &WeatherSpec::default(),
        10.0,
    );
    let mut rng = SimRng::new(3);
    let start = std::time::Instant::now();
    let n = 5;
    let mut points = 0;
    for _ in 0..n {
        points += lidar.scan(&truth, &mut rng).len();
    }
    let per_sweep = start.elapsed().as_secs_f64() / n as f64;
    println!(
        "32x1024 sweep vs 20 boxes: {:.2} ms, {} points",
        per_sweep * 1e3,
        points / n
    );
    // Budget 50 ms; the bound here leaves room for a loaded 2-core CI machine.
    assert!(per_sweep < 0.2, "sweep took {per_sweep} s");
}

#[test]
fn radar_doppler_sign_and_magnitude() {
    let w = WeatherSpec {
        radar_range_noise_std: 0.0,
        radar_azimuth_noise_std: 0.0,
        radar_velocity_noise_std: 0.0,
        radar_detection_probability: 1.0,
        radar_clutter_rate: 0.0,
        ..WeatherSpec::default()
    };
    let mount = Isometry3::translation(3.75, 0.0, 0.5);
    let radar = RadarModel::new("radar", mount, sim_rig::RADAR_FOV, 150.0, &w);
    // Ego at 15 m/s; a car 40 m ahead at 5 m/s (closing at 10 m/s), a stopped car in the next lane.
    let truth = frame(
        15.0,
        &[
            (car_at(46.0, 0.0), Vector2::new(5.0, 0.0), ObjectClass::Car),
            (car_at(70.0, 3.5), Vector2::zeros(), ObjectClass::Car),
        ],
    );
    let scan = radar.scan(&truth, &mut SimRng::new(9));
    let lead: Vec<_> = scan
        .detections
        .iter()
        .filter(|d| d.position.y.abs() < 1.5 && d.range() < 50.0)
        .collect();
    let parked: Vec<_> = scan
        .detections
        .iter()
        .filter(|d| d.position.y > 2.0)
        .collect();
    assert!(
        (1..=3).contains(&lead.len()),
        "{} lead detections",
        lead.len()
    );
    assert!(!parked.is_empty());
    for d in &lead {
        // Rear face at x = 46 - 2.25 = 43.75 (vehicle) = 40 m ahead of the radar at x = 3.75.
        assert!((d.range() - 40.0).abs() < 1.0, "range {}", d.range());
        let cos = (d.position.x as f64) / (d.position.coords.norm() as f64);
        assert!(d.radial_velocity < 0.0, "approaching must be negative");
        assert!(
            (d.radial_velocity as f64 + 10.0 * cos).abs() < 0.05,
            "radial {}",
            d.radial_velocity
        );
        let comp = d.compensated_velocity.unwrap();
        assert!(
            (comp.x as f64 - 5.0 * cos * cos).abs() < 0.1,
            "compensated {comp:?}"
        );
        assert_eq!(d.validity.dynamic_property, 0);
    }
    for d in &parked {
        let cos = (d.position.x as f64) / (d.position.coords.norm() as f64);
        assert!((d.radial_velocity as f64 + 15.0 * cos).abs() < 0.05);
        assert!(d.compensated_velocity.unwrap().norm() < 0.05);
        assert_eq!(d.validity.dynamic_property, 1);
    }
    // A car driving away faster than the ego has positive Doppler.
    let away = frame(
        15.0,
        &[(car_at(46.0, 0.0), Vector2::new(20.0, 0.0), ObjectClass::Car)],
    );
    assert!(
        radar
            .scan(&away, &mut SimRng::new(9))
            .detections
            .iter()
            .all(|d| d.radial_velocity > 4.9)
    );
    // Out of the field of view: nothing (no clutter configured).
    let behind = frame(
        15.0,
        &[(car_at(-20.0, 0.0), Vector2::zeros(), ObjectClass::Car)],
    );
    assert!(
        radar
            .scan(&behind, &mut SimRng::new(9))
            .detections
            .is_empty()
    );
}

#[test]
fn camera_paints_the_actor_patch_where_its_box_projects() {
    let w = WeatherSpec {
        camera_noise_std: 0.0,
        ..WeatherSpec::default()
    };
    let rig = sim_rig::sim_rig(Default::default());
    let spec = rig.sensor(CAMERA).unwrap();
    let k: CameraIntrinsics = *spec.intrinsics().unwrap();
    let cam = CameraModel::new(CAMERA, k, spec.extrinsics, &w).unwrap();
    let road = Road::new(
        RoadSpec {
            lanes: 2,
            lane_width: 3.5,
            segments: vec![SegmentSpec {
                length: 300.0,
                curvature: 0.0,
            }],
        },
        "t",
    )
    .unwrap();
    let car = car_at(25.0, 1.0);
    let with = cam
        .render(
            &frame(10.0, &[(car, Vector2::zeros(), ObjectClass::Car)]),
            &road,
            &mut SimRng::new(1),
        )
        .unwrap();
    let without = cam
        .render(&frame(10.0, &[]), &road, &mut SimRng::new(1))
        .unwrap();
    // Independent projection of the box corners.
    let cam_from_vehicle = spec.extrinsics.inverse();
    let (mut u0, mut v0, mut u1, mut v1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for c in car.corners() {
        let uv = k.project(&(cam_from_vehicle * c)).unwrap();
        (u0, v0, u1, v1) = (u0.min(uv.x), v0.min(uv.y), u1.max(uv.x), v1.max(uv.y));
    }
    let (mut du0, mut dv0, mut du1, mut dv1) = (u32::MAX, u32::MAX, 0, 0);
    for v in 0..with.height {
        for u in 0..with.width {
            if with.rgb_at(u, v) != without.rgb_at(u, v) {
                (du0, dv0, du1, dv1) = (du0.min(u), dv0.min(v), du1.max(u + 1), dv1.max(v + 1));
            }
        }
    }
    for (got, want) in [(du0, u0), (dv0, v0), (du1, u1), (dv1, v1)] {
        assert!(
            (got as f64 - want).abs() <= 1.0,
            "changed pixels {:?} vs projection {:?}",
            (du0, dv0, du1, dv1),
            (u0, v0, u1, v1)
        );
    }
    // The painted pixels are the black-car photo patch (actor id 2 -> patch 0), resampled.
    let patch = image::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/car_black_rear.png"
    ))
    .unwrap()
    .to_rgb8();
    let (uc, vc) = (((u0 + u1) / 2.0) as u32, ((v0 + v1) / 2.0) as u32);
    let fx = (uc as f64 + 0.5 - u0) / (u1 - u0);
    let fy = (vc as f64 + 0.5 - v0) / (v1 - v0);
    let expected = patch
        .get_pixel(
            (fx * patch.width() as f64) as u32,
            (fy * patch.height() as f64) as u32,
        )
        .0;
    assert_eq!(with.rgb_at(uc, vc).unwrap(), expected);
    if let Ok(dir) = std::env::var("KESTREL_SIM_PLOT_DIR") {
        image::RgbImage::from_raw(with.width, with.height, with.data.to_vec())
            .unwrap()
            .save(format!("{dir}/camera_car.png"))
            .unwrap();
    }
}

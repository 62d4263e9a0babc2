//! The fusion stage on a synthetic scene with known truth: a car 20 m ahead seen by a LiDAR,
//! a camera (2D box from projecting the true 3D box) and a radar (Doppler from the car's true
//! velocity). Checks full fusion and each degraded mode, plus empty and non-finite inputs.

use kestrel_fusion::association::BranchOutputs;
use kestrel_fusion::camera::CameraDetection;
use kestrel_fusion::ego_velocity::EgoVelocity;
use kestrel_fusion::{FusedFrame, FusionConfig, FusionError, FusionStage, SensorFrameSet};
use kestrel_sensors::{
    CameraIntrinsics, Distortion, ObjectClass, OrientedBox3, PointCloud, RadarDetection, RadarScan,
    RadarValidity, Rig, SensorKind, SensorSpec, Timestamp,
};
use nalgebra::{Isometry3, Point2, Point3, Translation3, UnitQuaternion, Vector2, Vector3};

const T: Timestamp = Timestamp(1_000_000_000);

fn rig() -> Rig {
    let spec = |name: &str, kind, extrinsics| SensorSpec {
        name: name.into(),
        kind,
        topic: None,
        rate_hz: None,
        sync_offset_s: 0.0,
        extrinsics,
    };
    Rig {
        name: "synthetic".into(),
        sensors: vec![
            spec(
                "lidar",
                SensorKind::Lidar { beams: None },
                Isometry3::translation(1.0, 0.0, 1.8),
            ),
            spec(
                "cam",
                SensorKind::Camera {
                    intrinsics: CameraIntrinsics {
                        width: 1280,
                        height: 720,
                        fx: 800.0,
                        fy: 800.0,
                        cx: 640.0,
                        cy: 360.0,
                        distortion: Distortion::None,
                    },
                },
                Isometry3::from_parts(
                    Translation3::new(1.5, 0.0, 1.4),
                    UnitQuaternion::from_basis_unchecked(&[
                        -Vector3::y(),
                        -Vector3::z(),
                        Vector3::x(),
                    ]),
                ),
            ),
            spec(
                "radar",
                SensorKind::Radar {
                    horizontal_fov: None,
                    max_range: None,
                },
                Isometry3::translation(3.8, 0.0, 0.5),
            ),
        ],
    }
}

fn truth() -> OrientedBox3 {
    OrientedBox3 {
        center: Point3::new(20.0, 3.0, 0.75),
        length: 4.5,
        width: 1.8,
        height: 1.5,
        yaw: 0.1,
    }
}

const CAR_VELOCITY: Vector2<f64> = Vector2::new(8.0, 0.5);
const EGO: EgoVelocity = EgoVelocity {
    velocity: Vector2::new(10.0, 0.0),
    yaw_rate: 0.0,
};

/// Ground every 0.3 m plus the car's faces that the LiDAR sees, in the LiDAR frame.
fn cloud() -> PointCloud {
    let lidar = Vector3::new(1.0, 0.0, 1.8);
    let mut c = PointCloud::with_capacity("lidar", T, 20_000, false, false);
    let b = truth();
    for i in 0..160 {
        for j in 0..100 {
            let p = Point3::new(2.0 + 0.3 * i as f64, -15.0 + 0.3 * j as f64, 0.0);
            if !b.contains(&p, 0.05) {
                c.push(
                    (p.x - lidar.x) as f32,
                    (p.y - lidar.y) as f32,
                    (p.z - lidar.z) as f32,
                    1.0,
                    0,
                    0,
                );
            }
        }
    }
    let (s, co) = b.yaw.sin_cos();
    // (normal in the box frame, half the face's span, distance of the face from the centre)
    for (nx, ny, half_along, half_across) in [
        (1.0, 0.0, 0.9, 2.25),
        (-1.0, 0.0, 0.9, 2.25),
        (0.0, 1.0, 2.25, 0.9),
        (0.0, -1.0, 2.25, 0.9),
    ] {
        // Face with outward normal (nx, ny) in the box frame.
        let normal = Vector2::new(co * nx - s * ny, s * nx + co * ny);
        let centre = Vector2::new(b.center.x, b.center.y) + normal * half_across;
        let tangent = Vector2::new(-normal.y, normal.x);
        if normal.dot(&(Vector2::new(lidar.x, lidar.y) - centre)) <= 0.0 {
            continue;
        }
        let n = (2.0 * half_along / 0.1) as i32;
        for k in 0..=n {
            let q = centre + tangent * (-half_along + 0.1 * k as f64);
            for h in 2..=15 {
                let z = 0.1 * h as f64;
                c.push(
                    (q.x - lidar.x) as f32,
                    (q.y - lidar.y) as f32,
                    (z - lidar.z) as f32,
                    1.0,
                    0,
                    0,
                );
            }
        }
    }
    c
}

/// Three reflections on the car's rear face, with Doppler from the true velocities.
fn radar_scan() -> RadarScan {
    let origin = Vector2::new(3.8, 0.0);
    let sensor_v = EGO.velocity_at(&origin);
    let b = truth();
    let (s, c) = b.yaw.sin_cos();
    let detections = [-0.6, 0.0, 0.6]
        .iter()
        .map(|&across| {
            let p = Vector2::new(b.center.x, b.center.y)
                + Vector2::new(c, s) * -2.25
                + Vector2::new(-s, c) * across;
            let los = (p - origin).normalize();
            RadarDetection {
                position: Point3::new((p.x - 3.8) as f32, p.y as f32, 0.2),
                radial_velocity: (CAR_VELOCITY - sensor_v).dot(&los) as f32,
                compensated_velocity: None,
                rcs: 12.0,
                id: None,
                validity: RadarValidity {
                    valid: true,
                    velocity_unambiguous: true,
                    quality_valid: true,
                    dynamic_property: 0,
                },
            }
        })
        .collect();
    RadarScan {
        sensor: "radar".into(),
        timestamp: T,
        detections,
    }
}

/// The detector's output for the car: the projected true box.
fn camera_detection(rig: &Rig) -> CameraDetection {
    let cam = rig.sensor("cam").unwrap();
    let k = cam.intrinsics().unwrap();
    let to_cam = cam.extrinsics.inverse();
    let uv: Vec<Point2<f64>> = truth()
        .corners()
        .iter()
        .map(|p| k.project(&(to_cam * p)).unwrap())
        .collect();
    let f = |sel: fn(&Point2<f64>) -> f64, max: bool| {
        uv.iter()
            .map(sel)
            .fold(if max { f64::MIN } else { f64::MAX }, |a, b| {
                if max { a.max(b) } else { a.min(b) }
            }) as f32
    };
    CameraDetection {
        camera: "cam".into(),
        stamp: T,
        bbox: [
            f(|p| p.x, false),
            f(|p| p.y, false),
            f(|p| p.x, true),
            f(|p| p.y, true),
        ],
        class: ObjectClass::Car,
        score: 0.8,
    }
}

fn stage() -> FusionStage {
    FusionStage::new(rig(), FusionConfig::default(), None).unwrap()
}

fn branches(
    s: &FusionStage,
) -> (
    kestrel_fusion::lidar::LidarDetections,
    kestrel_fusion::radar::RadarDetections,
) {
    let cfg = FusionConfig::default();
    let lidar = kestrel_fusion::lidar::LidarBranch::new(cfg.lidar)
        .unwrap()
        .detect(&[cloud()], s.rig())
        .unwrap();
    let radar = kestrel_fusion::radar::RadarBranch::new(cfg.radar)
        .unwrap()
        .detect(&[radar_scan()], s.rig(), Some(&EGO))
        .unwrap();
    (lidar, radar)
}

fn centre_error(f: &FusedFrame) -> f64 {
    (f.objects[0].bbox.center.coords.xy() - truth().center.coords.xy()).norm()
}

#[test]
fn full_fusion_gives_a_classified_car_with_velocity() {
    let s = stage();
    let (lidar, radar) = branches(&s);
    let dets = [camera_detection(s.rig())];
    let f = s
        .fuse(
            T,
            &[],
            &BranchOutputs {
                lidar: Some(&lidar),
                camera: Some(&dets),
                radar: Some(&radar),
                ego: Some(&EGO),
            },
        )
        .unwrap();
    assert_eq!(f.objects.len(), 1, "{:#?}", f.objects);
    let o = &f.objects[0];
    assert_eq!(o.class, ObjectClass::Car);
    assert!(o.sources.camera && o.sources.lidar && o.sources.radar);
    // Named by the camera: the shape classifier did not judge it.
    assert!(o.lidar_shape.is_none());
    assert!(
        (o.velocity.unwrap() - CAR_VELOCITY).norm() < 0.3,
        "{:?}",
        o.velocity
    );
    assert!(centre_error(&f) < 0.3, "centre error {}", centre_error(&f));
    let yaw_err = (o.bbox.yaw - 0.1).abs();
    assert!(yaw_err < 0.03, "yaw {}", o.bbox.yaw);
    assert!(!f.degraded.any());
}

#[test]
fn camera_missing_gives_lidar_radar_objects_named_by_shape_or_unknown() {
    let s = stage();
    let set = SensorFrameSet {
        timestamp: T,
        lidars: vec![cloud()],
        radars: vec![radar_scan()],
        ego_velocity: Some(EGO),
        missing: vec!["cam".into()],
        ..SensorFrameSet::default()
    };
    let f = s.process(&set).unwrap();
    assert!(f.degraded.camera_missing && !f.degraded.lidar_missing && !f.degraded.radar_missing);
    assert_eq!(f.degraded.missing_sensors, vec!["cam".to_owned()]);
    assert_eq!(f.objects.len(), 1);
    let o = &f.objects[0];
    // The shipped LiDAR shape classifier names the car's points a car.
    assert_eq!(o.class, ObjectClass::Car);
    assert!(o.class_confidence > 0.5 && o.lidar_shape.is_some());
    assert_eq!(f.association.shape_named, 1);
    assert!(o.sources.lidar && o.sources.radar && !o.sources.camera);
    assert!((o.velocity.unwrap() - CAR_VELOCITY).norm() < 0.3);
    // No camera box: no shape completion, the centre is that of the seen faces.
    assert!(centre_error(&f) < 1.0, "centre error {}", centre_error(&f));
    // Deterministic.
    assert_eq!(s.process(&set).unwrap(), f);
    // Without the classifier the object has no class.
    let mut config = FusionConfig::default();
    config.association.shape_classifier = "none".into();
    let plain = FusionStage::new(rig(), config, None).unwrap();
    let f = plain.process(&set).unwrap();
    assert_eq!(f.objects[0].class, ObjectClass::Unknown);
    assert_eq!(f.objects[0].class_confidence, 0.0);
}

#[test]
fn a_missing_or_corrupt_shape_classifier_is_refused_at_start() {
    let dir = std::env::temp_dir().join(format!("kestrel-shapes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let corrupt = dir.join("classifier.toml");
    std::fs::write(&corrupt, "features = [\"length_m\"]\n").unwrap();
    for path in [dir.join("absent.toml"), corrupt] {
        let mut config = FusionConfig::default();
        config.association.shape_classifier = path.display().to_string();
        let err = FusionStage::new(rig(), config, None).unwrap_err();
        assert!(
            matches!(err, kestrel_fusion::FusionError::ShapeClassifier { .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn lidar_missing_ranges_camera_objects_by_radar_or_flat_ground() {
    let s = stage();
    let (_, radar) = branches(&s);
    let dets = [camera_detection(s.rig())];
    let f = s
        .fuse(
            T,
            &["lidar".to_owned()],
            &BranchOutputs {
                camera: Some(&dets),
                radar: Some(&radar),
                ego: Some(&EGO),
                ..BranchOutputs::default()
            },
        )
        .unwrap();
    assert!(f.degraded.lidar_missing && !f.degraded.camera_missing);
    assert_eq!(f.objects.len(), 1);
    let o = &f.objects[0];
    assert_eq!(
        (o.class, o.sources.camera, o.sources.radar, o.sources.lidar),
        (ObjectClass::Car, true, true, false)
    );
    assert_eq!(f.association.camera_only, [0, 1, 0]);
    assert!(
        centre_error(&f) < 1.5,
        "radar-ranged centre error {}",
        centre_error(&f)
    );
    assert!(o.velocity.is_some());

    // No radar either: flat ground from the box's bottom edge.
    let f = s
        .fuse(
            T,
            &[],
            &BranchOutputs {
                camera: Some(&dets),
                ..BranchOutputs::default()
            },
        )
        .unwrap();
    assert_eq!(f.association.camera_only, [0, 0, 1]);
    assert!(f.degraded.lidar_missing && f.degraded.radar_missing);
    println!("flat-ground centre error {:.2} m", centre_error(&f));
    assert!(
        centre_error(&f) < 2.5,
        "flat-ground centre error {}",
        centre_error(&f)
    );
}

#[test]
fn empty_and_non_finite_inputs() {
    let s = stage();
    assert!(matches!(
        s.process(&SensorFrameSet::new(T)),
        Err(FusionError::EmptyFrameSet { .. })
    ));
    // A cloud with only NaN / inf points and an empty radar scan: nothing found, all counted.
    let mut c = PointCloud::with_capacity("lidar", T, 3, false, false);
    c.push(f32::NAN, 0.0, 0.0, 0.0, 0, 0);
    c.push(1.0, f32::INFINITY, 0.0, 0.0, 0, 0);
    c.push(1.0, 2.0, f32::NEG_INFINITY, 0.0, 0, 0);
    let set = SensorFrameSet {
        timestamp: T,
        lidars: vec![c, PointCloud::with_capacity("lidar", T, 0, false, false)],
        radars: vec![RadarScan {
            sensor: "radar".into(),
            timestamp: T,
            detections: vec![],
        }],
        ..SensorFrameSet::default()
    };
    let f = s.process(&set).unwrap();
    assert!(f.objects.is_empty());
    assert_eq!(f.lidar_stats.unwrap().crop.non_finite, 3);
    // NaN mixed into the real scene changes nothing but the counter.
    let mut noisy = cloud();
    noisy.push(f32::NAN, f32::NAN, f32::NAN, 0.0, 0, 0);
    let set = SensorFrameSet {
        timestamp: T,
        lidars: vec![noisy],
        ..SensorFrameSet::default()
    };
    let f = s.process(&set).unwrap();
    assert_eq!(f.objects.len(), 1);
    assert_eq!(f.lidar_stats.unwrap().crop.non_finite, 1);
    // Non-finite ego motion is an error, not a silent bad velocity.
    let bad = SensorFrameSet {
        ego_velocity: Some(EgoVelocity {
            velocity: Vector2::new(f64::NAN, 0.0),
            yaw_rate: 0.0,
        }),
        ..set
    };
    assert!(matches!(
        s.process(&bad),
        Err(FusionError::InvalidEgoMotion { .. })
    ));
}

#[test]
fn tracked_fusion_confirms_the_car_and_rejects_repeated_frames() {
    use kestrel_fusion::TrackedFusion;
    use kestrel_fusion::tracking::{TrackStatus, Tracker, TrackerConfig};
    let mut tf = TrackedFusion::new(stage(), Tracker::new(TrackerConfig::default()).unwrap());
    let mut ids = Vec::new();
    for k in 0..5u64 {
        let set = SensorFrameSet {
            timestamp: Timestamp(T.0 + k * 100_000_000),
            lidars: vec![cloud()],
            ..SensorFrameSet::default()
        };
        let out = tf.process(&set).unwrap();
        assert_eq!(out.fused.objects.len(), 1);
        if let Some(t) = out
            .tracking
            .tracks
            .iter()
            .find(|t| t.status == TrackStatus::Confirmed)
        {
            assert!((t.bbox.center.coords.xy() - truth().center.coords.xy()).norm() < 1.0);
            ids.push(t.id);
        }
    }
    assert!(ids.len() >= 2, "confirmed in {} frames", ids.len());
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "track id changed: {ids:?}"
    );
    // The same frame again: a typed error, not a second update.
    let again = SensorFrameSet {
        timestamp: Timestamp(T.0 + 4 * 100_000_000),
        lidars: vec![cloud()],
        ..SensorFrameSet::default()
    };
    assert!(matches!(tf.process(&again), Err(FusionError::Tracking(_))));
}

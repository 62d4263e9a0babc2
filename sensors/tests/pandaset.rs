//! The PandaSet adapter on the shipped slice of sequence 002 (frames 36-55): rig, motion-
//! compensated sweeps, ego odometry, labels with track ids, time order, and bad input.

use kestrel_sensors::pandaset::{CAMERAS, LIDAR, POSE_HEIGHT_M, PandasetSequence};
use kestrel_sensors::{ObjectClass, SensorError};
use nalgebra::Point3;
use std::path::{Path, PathBuf};

fn slice() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/pandaset/seq002-36-55")
}

fn open() -> PandasetSequence {
    PandasetSequence::open(&slice()).unwrap()
}

#[test]
fn rig_has_the_lidar_and_six_phase_locked_cameras() {
    let s = open();
    let numbers: Vec<u32> = s.frames().iter().map(|f| f.number).collect();
    assert_eq!(numbers, (36..56).collect::<Vec<_>>());
    let rig = s.rig();
    assert_eq!(rig.sensors[0].name, LIDAR);
    assert_eq!(s.camera_names(), CAMERAS.to_vec());
    let front = rig.sensor("front_camera").unwrap();
    let k = front.intrinsics().unwrap();
    // The slice stores the front camera at half size, with intrinsics scaled to match.
    assert_eq!((k.width, k.height), (960, 540));
    assert!((k.fx - 985.0).abs() < 0.1, "{}", k.fx);
    // Cameras fire as the sweep passes them: the back camera at the start of the sweep.
    let offset = |n: &str| rig.sensor(n).unwrap().sync_offset_s;
    assert_eq!(offset("front_camera"), -0.05);
    assert_eq!(offset("back_camera"), -0.1);
    // The front camera sits about 0.9 m ahead, 2.1 m above the road, looking forward.
    let t = front.extrinsics.translation.vector;
    assert!(
        (t.x - 0.86).abs() < 0.05 && (t.z - 2.08).abs() < 0.05,
        "{t}"
    );
    let look = front.extrinsics.rotation * nalgebra::Vector3::z();
    assert!(look.x > 0.999, "{look}");
    // Calibration measured again at every frame agrees with the rig (the poses are
    // interpolated at each camera's own exposure time).
    for cam in s.camera_names() {
        let e0 = s.camera_extrinsics_at(cam, 0).unwrap();
        for i in 0..s.frames().len() {
            let d = e0.inverse() * s.camera_extrinsics_at(cam, i).unwrap();
            assert!(d.translation.vector.norm() < 0.03, "{cam} frame {i}");
            assert!(d.rotation.angle().to_degrees() < 0.1, "{cam} frame {i}");
        }
    }
}

#[test]
fn sweeps_are_in_the_lidar_frame_with_level_ground() {
    let s = open();
    let cloud = s.lidar(0).unwrap();
    assert_eq!(cloud.skipped, 0);
    let c = cloud.cloud;
    assert_eq!(c.sensor, LIDAR);
    assert_eq!(c.timestamp, s.frames()[0].lidar_time);
    assert!(c.len() > 90_000 && c.time_offset_ns.is_none());
    // The road: lowest point per 1 m cell 5-20 m away, median, lies POSE_HEIGHT_M below the
    // LiDAR frame's origin (within 5 cm) in front of and behind the vehicle alike.
    for ahead in [true, false] {
        let mut cells = std::collections::BTreeMap::new();
        for k in 0..c.len() {
            let (x, y) = (c.x[k], c.y[k]);
            let r = x.hypot(y);
            if (5.0..20.0).contains(&r) && (x > 0.0) == ahead {
                let e = cells
                    .entry((x.floor() as i32, y.floor() as i32))
                    .or_insert(f32::MAX);
                *e = e.min(c.z[k]);
            }
        }
        let mut v: Vec<f32> = cells.into_values().collect();
        v.sort_by(f32::total_cmp);
        let ground = v[v.len() / 2] as f64;
        assert!(
            (ground + POSE_HEIGHT_M).abs() < 0.05,
            "ahead {ahead}: {ground}"
        );
    }
}

#[test]
fn odometry_follows_the_vehicle_pulling_away() {
    let s = open();
    let first = s.odometry(0).unwrap();
    let last = s.odometry(s.frames().len() - 1).unwrap();
    assert!((2.3..2.9).contains(&first.linear_velocity.x), "{first:?}");
    assert!((4.6..5.1).contains(&last.linear_velocity.x), "{last:?}");
    for i in 0..s.frames().len() {
        let o = s.odometry(i).unwrap();
        assert!(
            o.linear_velocity.y.abs() < 0.1 && o.yaw_rate().abs() < 0.05,
            "{o:?}"
        );
        assert_eq!(o.pose, Some(s.vehicle_pose(i)));
    }
    // Speed integrates to the distance travelled between the first and last sweep.
    let travelled = (s.vehicle_pose(19).translation.vector - s.vehicle_pose(0).translation.vector)
        .xy()
        .norm();
    let mean_speed: f64 = (0..20)
        .map(|i| s.odometry(i).unwrap().linear_velocity.x)
        .sum::<f64>()
        / 20.0;
    assert!(
        (travelled / 1.9 - mean_speed).abs() < 0.2,
        "{travelled} {mean_speed}"
    );
}

#[test]
fn labels_have_track_ids_velocities_and_lidar_support() {
    let s = open();
    let a = s.labels(0).unwrap();
    let b = s.labels(1).unwrap();
    assert_eq!(a.frame, "vehicle");
    assert_eq!(a.timestamp, s.frames()[0].lidar_time);
    // One box per object: the motorcycle also labelled as a bicycle for the second LiDAR
    // appears once.
    let two_wheelers: Vec<_> = a
        .objects
        .iter()
        .filter(|o| matches!(o.class, ObjectClass::Motorcycle | ObjectClass::Bicycle))
        .collect();
    assert_eq!(two_wheelers.len(), 1);
    let pedestrians = a
        .objects
        .iter()
        .filter(|o| o.class == ObjectClass::Pedestrian)
        .count();
    assert!(pedestrians >= 5, "{pedestrians}");
    // The same ids in consecutive frames; a parked car keeps its place in the world.
    let near_parked = a
        .objects
        .iter()
        .filter(|o| o.class == ObjectClass::Car && o.bbox.center.coords.xy().norm() < 15.0)
        .find(|o| o.velocity.is_some_and(|v| v.norm() < 0.05))
        .expect("a parked car nearby");
    let again = b
        .objects
        .iter()
        .find(|o| o.track_id == near_parked.track_id)
        .unwrap();
    let world = |i: usize, p: &Point3<f64>| s.vehicle_pose(i) * p;
    let moved = (world(0, &near_parked.bbox.center) - world(1, &again.bbox.center)).norm();
    assert!(moved < 0.05, "{moved}");
    // Near labels hold LiDAR points (all but occluded ones); velocities are finite.
    let near: Vec<_> = a
        .objects
        .iter()
        .filter(|o| o.bbox.center.coords.xy().norm() < 20.0)
        .collect();
    let supported = near
        .iter()
        .filter(|o| o.num_lidar_points.unwrap() > 10)
        .count();
    assert!(
        supported * 10 >= near.len() * 9,
        "{supported} of {}",
        near.len()
    );
    assert!(
        near.iter()
            .all(|o| o.velocity.unwrap().iter().all(|v| v.is_finite()))
    );
    // The world labels are the same boxes in the dataset's frame.
    let w = s.world_labels(0).unwrap();
    let p = world(0, &a.objects[3].bbox.center);
    assert!((p - w.objects[3].bbox.center).norm() < 1e-9);
}

#[test]
fn cameras_expose_between_their_sweep_and_the_previous_one() {
    let s = open();
    for (i, f) in s.frames().iter().enumerate() {
        for cam in s.camera_names() {
            let img = s.camera(i, cam).unwrap();
            assert!(img.timestamp < f.lidar_time);
            if i > 0 {
                assert!(img.timestamp > s.frames()[i - 1].lidar_time, "{cam} {i}");
            }
        }
    }
}

/// A copy of the slice's first two frames in a temporary folder, for damaging.
fn copy_two_frames(name: &str) -> PathBuf {
    let dst = std::env::temp_dir().join(format!("kestrel-pandaset-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dst);
    let src = slice();
    std::fs::create_dir_all(dst.join("lidar")).unwrap();
    std::fs::create_dir_all(dst.join("cuboids")).unwrap();
    std::fs::copy(src.join("sequence.json"), dst.join("sequence.json")).unwrap();
    for id in ["36", "37"] {
        for (dir, ext) in [("lidar", "pcd"), ("cuboids", "jsonl")] {
            std::fs::copy(
                src.join(dir).join(format!("{id}.{ext}")),
                dst.join(dir).join(format!("{id}.{ext}")),
            )
            .unwrap();
        }
    }
    dst
}

#[test]
fn bad_files_are_typed_errors() {
    let dir = copy_two_frames("bad");
    let s = PandasetSequence::open(&dir).unwrap();
    assert!(
        s.camera_names().is_empty(),
        "no camera folders: LiDAR-only rig"
    );
    // Truncated sweep.
    let pcd = dir.join("lidar/37.pcd");
    let bytes = std::fs::read(&pcd).unwrap();
    std::fs::write(&pcd, &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(s.lidar(1), Err(SensorError::Truncated { .. })));
    assert!(s.lidar(0).is_ok());
    // A corrupt label line names the file and line.
    std::fs::write(dir.join("cuboids/36.jsonl"), "{\"uuid\": \"x\"}\n").unwrap();
    let e = s.labels(0).unwrap_err().to_string();
    assert!(e.contains("36.jsonl"), "{e}");
    // A sweep without a pose in sequence.json.
    std::fs::copy(dir.join("lidar/36.pcd"), dir.join("lidar/99.pcd")).unwrap();
    let e = PandasetSequence::open(&dir).unwrap_err().to_string();
    assert!(e.contains("99.pcd"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(PandasetSequence::open(Path::new("/nonexistent")).is_err());
}

#[test]
fn image_labels_put_the_nearby_objects_into_the_cameras() {
    use kestrel_sensors::image_labels::ImageLabelSettings;
    let s = open();
    let settings = ImageLabelSettings::default();
    let mut total = 0;
    for cam in s.camera_names() {
        let labels = s.image_labels(0, cam, &settings).unwrap();
        for l in &labels {
            let (w, h) = (960.0, 540.0);
            assert!(l.bbox[0] >= 0.0 && l.bbox[2] <= w && l.bbox[1] >= 0.0 && l.bbox[3] <= h);
            assert!(l.bbox[3] - l.bbox[1] >= 20.0 && l.visible_points >= 5);
        }
        total += labels.len();
    }
    // Dozens of parked cars and several pedestrians around the vehicle.
    assert!(total > 40, "{total}");
    // Frame 45: a pedestrian 25 m away, in the open (about 100 LiDAR points).
    let people: usize = s
        .camera_names()
        .iter()
        .map(|c| {
            s.image_labels(9, c, &settings)
                .unwrap()
                .iter()
                .filter(|l| l.class == ObjectClass::Pedestrian)
                .count()
        })
        .sum();
    assert!(people >= 1, "{people}");
}

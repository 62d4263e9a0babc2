//! nuScenes keyframe (6 cameras, LIDAR_TOP, 69 boxes) and an ARS408 radar sweep.

use kestrel_sensors::nuscenes::{LIDAR, NuscenesSample, radar::read_radar_pcd};
use kestrel_sensors::pcd::PcdFile;
use kestrel_sensors::projection::{points_in_cameras, project_cloud};
use kestrel_sensors::{ObjectClass, Timestamp};
use nalgebra::Point3;
use std::path::{Path, PathBuf};

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/nuscenes/sample-n015-2018-07-24")
}

fn radar_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/nuscenes/radar/n015-2018-07-25-16-15-50+0800__RADAR_BACK_LEFT__1532506682462345.pcd")
}

#[test]
fn lidar_sweep_and_rig_match_the_file() {
    let s = NuscenesSample::load(&sample_dir()).unwrap();
    assert_eq!(s.timestamp, Timestamp::from_micros(1_532_402_927_647_951));
    let lidar = s.lidar().unwrap();
    let size = std::fs::metadata(sample_dir().join(&s.info.lidar_points.lidar_path))
        .unwrap()
        .len() as usize;
    assert_eq!(lidar.cloud.len() + lidar.skipped, size / 20);
    assert_eq!(lidar.skipped, 0);
    assert!(lidar.cloud.ring.as_ref().unwrap().iter().all(|&r| r < 32));
    assert_eq!(s.rig.cameras().count(), 6);
    // The rig's LiDAR -> camera transform (lidar2ego, cam2ego: static calibration) agrees with
    // the file's lidar2cam, which also folds in the ego motion between the LiDAR and camera
    // times (via the global frame). Measured: the offset is ~9.3 m/s times the time gap for
    // every camera (CAM_FRONT 35.5 ms -> 0.330 m, CAM_BACK_LEFT 0.5 ms -> 0.005 m), < 0.06°.
    for cam in s.camera_names() {
        let ours = s.rig.transform(LIDAR, cam).unwrap();
        let theirs = s.lidar_to_camera_from_file(cam).unwrap();
        let dx = (ours.translation.vector - theirs.translation.vector).norm();
        let da = ours.rotation.angle_to(&theirs.rotation).to_degrees();
        let gap = s
            .timestamp
            .seconds_since(s.camera(cam).unwrap().timestamp)
            .abs();
        eprintln!(
            "{cam}: lidar2cam differs by {dx:.3} m over {:.1} ms, {da:.3} deg",
            gap * 1e3
        );
        assert!(
            dx < 10.0 * gap + 0.005 && dx > 8.5 * gap - 0.005 && da < 0.1,
            "{cam}: {dx} m {da} deg"
        );
    }
}

/// Measured: of 34 688 points, CAM_FRONT 2 879 (8.3 %), CAM_FRONT_LEFT 3 558 (10.3 %),
/// CAM_FRONT_RIGHT 3 009 (8.7 %), CAM_BACK 4 925 (14.2 %), CAM_BACK_LEFT 4 100 (11.8 %),
/// CAM_BACK_RIGHT 3 422 (9.9 %) land in the image — each camera gets 5-20 % of the sweep.
#[test]
fn every_camera_sees_a_plausible_share_of_points() {
    let s = NuscenesSample::load(&sample_dir()).unwrap();
    let cloud = s.lidar().unwrap().cloud;
    for (cam, n) in points_in_cameras(&s.rig, &cloud).unwrap() {
        let share = n as f64 / cloud.len() as f64;
        eprintln!("{cam}: {n} ({:.1} %)", share * 100.0);
        assert!((0.05..0.20).contains(&share), "{cam}: {share}");
    }
    // CAM_FRONT's points are ahead of the vehicle (ego x > 0).
    let lidar_to_ego = s.rig.sensor(LIDAR).unwrap().extrinsics;
    let uv = project_cloud(&s.rig, &cloud, "CAM_FRONT").unwrap();
    let ahead = cloud
        .iter_xyz()
        .zip(&uv)
        .filter(|(_, uv)| uv.is_some())
        .all(|(p, _)| (lidar_to_ego * Point3::new(p[0] as f64, p[1] as f64, p[2] as f64)).x > 0.0);
    assert!(ahead);
    let frame = s.camera("CAM_FRONT").unwrap();
    assert_eq!((frame.width, frame.height), (1600, 900));
}

#[test]
fn sixty_nine_boxes_with_classes_and_geometric_centres() {
    let s = NuscenesSample::load(&sample_dir()).unwrap();
    assert_eq!(s.ground_truth.len(), 69);
    let cloud = s.lidar().unwrap().cloud;
    let first = &s.ground_truth[0];
    assert_eq!(
        (first.source_label.as_str(), first.class),
        ("pedestrian", ObjectClass::Pedestrian)
    );
    assert_eq!(
        first.bbox.center.z, 0.7696345744362297,
        "z is the geometric centre already"
    );
    // Boxes with >= 20 annotated LiDAR points contain about that many of ours (measured: 46 vs
    // 45, 79 vs 77, 479 vs 495, ...); reading z as the bottom centre would give about half.
    let mut checked = 0;
    for gt in s
        .ground_truth
        .iter()
        .filter(|g| g.num_lidar_points.unwrap_or(0) >= 20)
    {
        let inside = cloud
            .iter_xyz()
            .filter(|p| {
                gt.bbox
                    .contains(&Point3::new(p[0] as f64, p[1] as f64, p[2] as f64), 0.0)
            })
            .count() as f64;
        let expected = gt.num_lidar_points.unwrap() as f64;
        assert!(
            (inside - expected).abs() <= 0.15 * expected + 2.0,
            "{}: {inside} vs {expected}",
            gt.source_label
        );
        checked += 1;
    }
    assert!(checked >= 6, "{checked}");
    assert!(
        s.ground_truth.iter().any(|g| g.velocity.is_none()),
        "NaN velocities map to None"
    );
}

/// The ARS408 sweep: 125 detections, 3 726 bytes after the points; measured ranges
/// 10.5-93.2 m, 70 detections valid (`invalid_state == 0`), speeds below 70 m/s.
#[test]
fn radar_sweep_decodes() {
    let pcd = PcdFile::load(&radar_path()).unwrap();
    assert_eq!(pcd.header.points, 125);
    assert_eq!(pcd.header.record_size(), 43);
    assert_eq!(pcd.trailing_bytes, 3726);
    let r = read_radar_pcd(&radar_path()).unwrap();
    assert_eq!(r.scan.sensor, "RADAR_BACK_LEFT");
    assert_eq!(
        r.scan.timestamp,
        Timestamp::from_micros(1_532_506_682_462_345)
    );
    assert_eq!((r.scan.detections.len(), r.skipped), (125, 0));
    let ranges: Vec<f32> = r.scan.detections.iter().map(|d| d.range()).collect();
    let (min, max) = ranges
        .iter()
        .fold((f32::MAX, 0f32), |(a, b), &x| (a.min(x), b.max(x)));
    eprintln!(
        "range {min:.1}..{max:.1} m, valid {}",
        r.scan.valid().count()
    );
    assert!(min > 0.2 && max < 260.0, "{min} {max}");
    for d in &r.scan.detections {
        let v = d.compensated_velocity.unwrap();
        assert!(d.radial_velocity.abs() < 70.0 && v.norm() < 70.0);
        assert!(d.position.z.abs() < 1e-6, "ARS408 is 2D");
    }
    assert!(
        r.scan.valid().count() > 60,
        "most of a nuScenes sweep is valid"
    );
}

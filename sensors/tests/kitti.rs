//! KITTI object frames 000000/000001 (real HDL-64E scans, images, calib, labels).

use kestrel_sensors::kitti::{calib, KittiObjectFrame};
use kestrel_sensors::projection::project_cloud;
use nalgebra::Point3;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/kitti/object")
}

#[test]
fn point_count_is_file_size_over_16() {
    for id in ["000000", "000001"] {
        let f = KittiObjectFrame::load(&root(), id).unwrap();
        let size = std::fs::metadata(root().join(format!("velodyne/{id}.bin"))).unwrap().len() as usize;
        assert_eq!(f.cloud.len() + f.skipped_points, size / 16);
        assert_eq!(f.skipped_points, 0);
        assert_eq!((f.image.width, f.image.height), (1242, 375));
    }
}

/// Rig projection == P2 · R0_rect · Tr_velo_to_cam on every real point, to 1e-3 px.
#[test]
fn rig_projection_equals_kitti_matrices() {
    let f = KittiObjectFrame::load(&root(), "000000").unwrap();
    let t = f.rig.transform(calib::LIDAR, "cam2").unwrap();
    let intr = *f.rig.sensor("cam2").unwrap().intrinsics().unwrap();
    let mut compared = 0;
    for p in f.cloud.iter_xyz() {
        let x = Point3::new(p[0] as f64, p[1] as f64, p[2] as f64);
        let reference = f.calib.project_velo(2, &x);
        let ours = intr.project(&(t * x));
        match (reference, ours) {
            (Some(a), Some(b)) => {
                assert!((a - b).norm() < 1e-3, "{a} vs {b} for {x}");
                compared += 1;
            }
            (None, None) => {}
            // Points within a hair of the 1 cm depth cut-off may fall on either side.
            (a, b) => assert!((t * x).z.abs() < 0.02, "{a:?} vs {b:?}"),
        }
    }
    assert!(compared > 50_000, "{compared}");
}

/// Measured: 000000 has 115 384 points, 19 009 (16.5 %) land in the cam2 image;
/// 000001 has 118 375 points, 20 262 (17.1 %). The camera sees ~90° of the 360° sweep, so
/// 10-30 % is the plausible band.
#[test]
fn plausible_share_of_points_lands_in_image() {
    for id in ["000000", "000001"] {
        let f = KittiObjectFrame::load(&root(), id).unwrap();
        let inside = project_cloud(&f.rig, &f.cloud, "cam2").unwrap().iter().flatten().count();
        let share = inside as f64 / f.cloud.len() as f64;
        eprintln!("{id}: {} points, {inside} in image ({:.1} %)", f.cloud.len(), share * 100.0);
        assert!((0.10..0.30).contains(&share), "{id}: {share}");
    }
}

/// Every labelled Car/Pedestrian/Cyclist/Truck box of 000001 contains LiDAR points once the
/// label is moved from rectified camera coordinates to the Velodyne frame; the nearest car
/// (58 m) still gets a handful, the pedestrian at 8 m many.
#[test]
fn labelled_boxes_contain_points() {
    let f = KittiObjectFrame::load(&root(), "000001").unwrap();
    assert_eq!(f.labels.len(), 8);
    assert_eq!(f.ground_truth.len(), 4, "DontCare lines have no box");
    for gt in &f.ground_truth {
        let n = f
            .cloud
            .iter_xyz()
            .filter(|p| gt.bbox.contains(&Point3::new(p[0] as f64, p[1] as f64, p[2] as f64), 0.0))
            .count();
        eprintln!("{} at {:.1} m: {n} points", gt.source_label, gt.bbox.center.coords.norm());
        assert!(n >= 3, "{} box has {n} points", gt.source_label);
        // Boxes stand on the ground: bottom near the Velodyne's -1.73 m.
        let bottom = gt.bbox.center.z - gt.bbox.height / 2.0;
        assert!((bottom + 1.73).abs() < 0.5, "{} bottom at {bottom}", gt.source_label);
    }
    let car = f.ground_truth.iter().find(|g| g.source_label == "Car").unwrap();
    assert_eq!(car.class, kestrel_sensors::ObjectClass::Car);
}

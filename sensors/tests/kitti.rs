//! KITTI object frames 000000/000001 (real HDL-64E scans, images, calib, labels).

use kestrel_sensors::kitti::{KittiObjectFrame, calib};
use kestrel_sensors::projection::project_cloud;
use nalgebra::Point3;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/kitti/object")
}

/// Points of the frame's scan that land in the cam2 image: `(count, share of the scan)`.
fn points_in_cam2(f: &KittiObjectFrame) -> (usize, f64) {
    let inside = project_cloud(&f.rig, &f.cloud, "cam2")
        .unwrap()
        .iter()
        .flatten()
        .count();
    (inside, inside as f64 / f.cloud.len() as f64)
}

#[test]
fn point_count_is_file_size_over_16() {
    for id in ["000000", "000001"] {
        let f = KittiObjectFrame::load(&root(), id).unwrap();
        let size = std::fs::metadata(root().join(format!("velodyne/{id}.bin")))
            .unwrap()
            .len() as usize;
        assert_eq!(f.cloud.len() + f.skipped_points, size / 16);
        assert_eq!(f.skipped_points, 0);
        // KITTI images differ slightly in size per drive: 000000 is 1224x370, 000001 1242x375.
        let cam2 = f.rig.sensor("cam2").unwrap().intrinsics().unwrap();
        assert_eq!((f.image.width, f.image.height), (cam2.width, cam2.height));
        assert!(f.image.width >= 1224 && f.image.height >= 370);
    }
}

/// Rig projection == P2 · R0_rect · Tr_velo_to_cam on every real point (to 1e-3 px for the
/// points that land in the image).
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
            // Compare where it matters: points that land in the image (points beside the
            // camera plane project thousands of pixels away, amplifying rounding).
            (Some(a), Some(b)) if intr.contains(&a) => {
                assert!((a - b).norm() < 1e-3, "{a} vs {b} for {x}");
                compared += 1;
            }
            (Some(_), Some(_)) | (None, None) => {}
            // Points within a hair of the 1 cm depth cut-off may fall on either side.
            (a, b) => assert!((t * x).z.abs() < 0.02, "{a:?} vs {b:?}"),
        }
    }
    assert!(compared > 15_000, "{compared}");
}

/// Measured: 000000 has 115 384 points, 20 285 (17.6 %) land in the cam2 image;
/// 000001 has 120 268 points, 18 630 (15.5 %). The camera sees ~90° of the 360° sweep, so
/// 10-30 % is the plausible band.
#[test]
fn plausible_share_of_points_lands_in_image() {
    for id in ["000000", "000001"] {
        let f = KittiObjectFrame::load(&root(), id).unwrap();
        let (inside, share) = points_in_cam2(&f);
        eprintln!(
            "{id}: {} points, {inside} in image ({:.1} %)",
            f.cloud.len(),
            share * 100.0
        );
        assert!((0.10..0.30).contains(&share), "{id}: {share}");
    }
}

/// Every labelled box of 000001 (Truck at 69 m, Car at 61 m, Cyclist at 46 m) contains LiDAR
/// points once the label is moved from rectified camera coordinates to the Velodyne frame.
#[test]
fn labelled_boxes_contain_points() {
    let f = KittiObjectFrame::load(&root(), "000001").unwrap();
    assert_eq!(f.labels.len(), 7);
    assert_eq!(f.ground_truth.len(), 3, "DontCare lines have no box");
    for gt in &f.ground_truth {
        let n = f
            .cloud
            .iter_xyz()
            .filter(|p| {
                gt.bbox
                    .contains(&Point3::new(p[0] as f64, p[1] as f64, p[2] as f64), 0.0)
            })
            .count();
        eprintln!(
            "{} at {:.1} m: {n} points",
            gt.source_label,
            gt.bbox.center.coords.norm()
        );
        assert!(n >= 3, "{} box has {n} points", gt.source_label);
        // Boxes stand on the ground, below the Velodyne (1.73 m up; the road rises ~1 m
        // towards the truck 69 m ahead: its bottom is at -0.84 m).
        let bottom = gt.bbox.center.z - gt.bbox.height / 2.0;
        assert!(
            (-2.5..-0.5).contains(&bottom),
            "{} bottom at {bottom}",
            gt.source_label
        );
    }
    let car = f
        .ground_truth
        .iter()
        .find(|g| g.source_label == "Car")
        .unwrap();
    assert_eq!(car.class, kestrel_sensors::ObjectClass::Car);
}

/// The mmdetection3d demo frame 000008: its scan is cropped to the camera's view, so nearly
/// every point projects into the image through the rig built from `info.json` (measured:
/// 17 238 of 17 238), and every car box holds LiDAR points (54-1 933 measured).
#[test]
fn demo_000008_scan_lies_in_the_image_and_boxes_hold_points() {
    let info =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/kitti/demo-000008/000008.info.json");
    let f = KittiObjectFrame::load_demo(&info).unwrap();
    assert_eq!(f.cloud.len(), 275_808 / 16);
    let (inside, share) = points_in_cam2(&f);
    eprintln!(
        "000008: {inside} of {} points in image ({:.1} %)",
        f.cloud.len(),
        share * 100.0
    );
    assert!(share > 0.99, "{share}");
    // The txt file's P2 is the info's CAM2 cam2img.
    let p2: Vec<f64> = std::fs::read_to_string(info.with_file_name("000008.txt"))
        .unwrap()
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    for r in 0..3 {
        for c in 0..4 {
            assert_eq!(f.calib.p[2][(r, c)], p2[r * 4 + c]);
        }
    }
    assert!(!f.ground_truth.is_empty());
    for gt in f.ground_truth.iter().filter(|g| g.source_label == "Car") {
        let n = f
            .cloud
            .iter_xyz()
            .filter(|p| {
                gt.bbox
                    .contains(&Point3::new(p[0] as f64, p[1] as f64, p[2] as f64), 0.0)
            })
            .count();
        eprintln!("Car at {:.1} m: {n} points", gt.bbox.center.coords.norm());
        assert!(n >= 5, "{n}");
    }
}

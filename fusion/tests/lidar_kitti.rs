//! The LiDAR branch on full 64-beam KITTI scans (~120k points): labelled objects are found,
//! and the time per scan is printed (the criterion bench `lidar` measures it properly).

use kestrel_fusion::lidar::{LidarBranch, LidarConfig};
use kestrel_sensors::kitti::KittiObjectFrame;
use kestrel_sensors::kitti::calib::LIDAR;
use std::path::PathBuf;
use std::time::Instant;

#[test]
fn full_scans_find_labelled_objects() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sensors/testdata/kitti/object");
    let branch = LidarBranch::new(LidarConfig::default()).unwrap();
    for id in ["000000", "000001"] {
        let f = KittiObjectFrame::load(&root, id).unwrap();
        let clouds = std::slice::from_ref(&f.cloud);
        let mut times = Vec::new();
        let mut det = branch.detect(clouds, &f.rig).unwrap();
        for _ in 0..5 {
            let t0 = Instant::now();
            det = branch.detect(clouds, &f.rig).unwrap();
            times.push(t0.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "KITTI {id}: {} points -> {} kept, {} ground, {} clusters; median {:.1} ms per scan (dev profile)",
            f.cloud.len(),
            det.stats.crop.input
                - det.stats.crop.outside_roi
                - det.stats.crop.ego
                - det.stats.crop.non_finite,
            det.stats.ground,
            det.clusters.len(),
            times[2]
        );
        let to_vehicle = f.rig.sensor(LIDAR).unwrap().extrinsics;
        for g in &f.ground_truth {
            let g = g.transformed(&to_vehicle, "vehicle");
            let d = det
                .clusters
                .iter()
                .map(|c| (c.bbox.center.coords.xy() - g.bbox.center.coords.xy()).norm())
                .fold(f64::INFINITY, f64::min);
            let range = g.bbox.center.coords.xy().norm();
            println!(
                "  {} at {range:.1} m: nearest cluster centre {d:.2} m away",
                g.source_label
            );
            if range <= 60.0 {
                assert!(
                    d < 2.0,
                    "{id}: {} not found (nearest cluster {d:.2} m)",
                    g.source_label
                );
            }
        }
    }
}

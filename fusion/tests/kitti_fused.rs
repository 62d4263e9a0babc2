//! The whole fusion stage with the real camera branch (the NanoDet COCO teacher through
//! `kestrel_models::Detector`) on real KITTI frames: the fused objects next to labelled cars
//! must be classified as cars and lie within a stated distance of the label.

use kestrel_fusion::camera::{CameraBranch, CameraConfig};
use kestrel_fusion::{FusedFrame, FusionConfig, FusionStage, SensorFrameSet};
use kestrel_sensors::image_file::read_image_file;
use kestrel_sensors::kitti::KittiObjectFrame;
use kestrel_sensors::kitti::calib::{CAMERAS, KittiCalib, LIDAR};
use kestrel_sensors::kitti::labels::parse_labels;
use kestrel_sensors::lidar_bin::{FloatRecordLayout, read_float_records};
use kestrel_sensors::{GroundTruthObject, ObjectClass, Rig, Timestamp};
use std::path::PathBuf;

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sensors/testdata/kitti")
}

fn stage(rig: Rig) -> FusionStage {
    let camera = CameraBranch::load(
        &kestrel_models::zoo::teacher_manifest(),
        CameraConfig::default(),
    )
    .unwrap();
    FusionStage::new(rig, FusionConfig::default(), Some(camera)).unwrap()
}

/// KITTI demo frame 000008 (mmdetection3d demo data): calibration and 3D boxes come from its
/// `info.json`; they are rewritten into KITTI calib / label text and read by the KITTI adapter.
fn demo_000008() -> (SensorFrameSet, Rig, Vec<GroundTruthObject>) {
    let dir = testdata().join("demo-000008");
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("000008.info.json")).unwrap())
            .unwrap();
    let d = &info["data_list"][0];
    let rows = |v: &serde_json::Value, r: usize, c: usize| -> String {
        (0..r)
            .flat_map(|i| (0..c).map(move |j| (i, j)))
            .map(|(i, j)| v[i][j].as_f64().unwrap().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut calib = String::new();
    for (i, cam) in ["CAM0", "CAM1", "CAM2", "CAM3"].iter().enumerate() {
        calib += &format!("P{i}: {}\n", rows(&d["images"][cam]["cam2img"], 3, 4));
    }
    calib += &format!("R0_rect: {}\n", rows(&d["images"]["R0_rect"], 3, 3));
    calib += &format!(
        "Tr_velo_to_cam: {}\n",
        rows(&d["lidar_points"]["Tr_velo_to_cam"], 3, 4)
    );
    let calib = KittiCalib::parse(&calib, "000008.info.json").unwrap();
    let mut labels = String::new();
    for inst in d["instances"].as_array().unwrap() {
        let b: Vec<f64> = inst["bbox_3d"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let bb: Vec<f64> = inst["bbox"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        // mmdetection3d KITTI labels: 0 Pedestrian, 1 Cyclist, 2 Car; boxes (x, y, z, l, h, w, ry).
        let kind = match inst["bbox_label_3d"].as_i64().unwrap() {
            0 => "Pedestrian",
            1 => "Cyclist",
            2 => "Car",
            _ => "DontCare",
        };
        labels += &format!(
            "{kind} 0 0 0 {} {} {} {} {} {} {} {} {} {} {}\n",
            bb[0], bb[1], bb[2], bb[3], b[4], b[5], b[3], b[0], b[1], b[2], b[6]
        );
    }
    let rect_to_velo = calib.velo_to_rect().unwrap().inverse();
    let gt = parse_labels(&labels, "000008.info.json")
        .unwrap()
        .iter()
        .filter_map(|l| l.to_ground_truth(&rect_to_velo, LIDAR))
        .collect();
    let image = read_image_file(&dir.join("000008.png"), CAMERAS[2], Timestamp(0)).unwrap();
    let rig = calib.rig(image.width, image.height).unwrap();
    let cloud = read_float_records(
        &dir.join("000008.bin"),
        FloatRecordLayout::Kitti,
        LIDAR,
        Timestamp(0),
    )
    .unwrap()
    .cloud;
    let set = SensorFrameSet {
        lidars: vec![cloud],
        cameras: vec![image],
        ..SensorFrameSet::default()
    };
    (set, rig, gt)
}

fn object_frame(id: &str) -> (SensorFrameSet, Rig, Vec<GroundTruthObject>) {
    let f = KittiObjectFrame::load(&testdata().join("object"), id).unwrap();
    let set = SensorFrameSet {
        lidars: vec![f.cloud],
        cameras: vec![f.image],
        ..SensorFrameSet::default()
    };
    (set, f.rig, f.ground_truth)
}

/// One labelled object: its class, the class of and distance (m, ground plane) to the nearest
/// fused object within the search radius, and the label's range (m).
type LabelMatch = (ObjectClass, Option<(ObjectClass, f64)>, f64);

/// For each labelled object, its [`LabelMatch`] within `radius` metres.
fn evaluate(
    frame: &FusedFrame,
    rig: &Rig,
    gt: &[GroundTruthObject],
    radius: f64,
) -> Vec<LabelMatch> {
    let to_vehicle = rig.sensor(LIDAR).unwrap().extrinsics;
    gt.iter()
        .map(|g| {
            let g = g.transformed(&to_vehicle, "vehicle");
            let nearest = frame
                .objects
                .iter()
                .map(|o| {
                    (
                        o.class,
                        (o.bbox.center.coords.xy() - g.bbox.center.coords.xy()).norm(),
                    )
                })
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .filter(|(_, d)| *d <= radius);
            (g.class, nearest, g.bbox.center.coords.xy().norm())
        })
        .collect()
}

#[test]
fn demo_000008_labelled_cars_are_fused_as_cars() {
    let (set, rig, gt) = demo_000008();
    let stage = stage(rig.clone());
    let frame = stage.process(&set).unwrap();
    let result = evaluate(&frame, &rig, &gt, 2.5);
    for r in &result {
        println!("label {:?} at {:.1} m -> {:?}", r.0, r.2, r.1);
    }
    println!(
        "{} objects, association {:?}",
        frame.objects.len(),
        frame.association
    );
    let cars: Vec<_> = result.iter().filter(|r| r.0 == ObjectClass::Car).collect();
    assert_eq!(cars.len(), 6);
    let right: Vec<f64> = cars
        .iter()
        .filter_map(|r| r.1.filter(|(c, _)| *c == ObjectClass::Car).map(|(_, d)| d))
        .collect();
    println!(
        "cars fused as Car: {}/{}, centre errors {right:.2?}",
        right.len(),
        cars.len()
    );
    // Measured with the NanoDet teacher: all six found; the four within 15 m named Car with
    // centre errors 0.09-0.48 m (the car at 4.8 m is 88 % truncated at the image's left edge
    // and half hidden from the LiDAR: its box is completed from the visible part). The cars
    // at 21.9 m and 34.3 m show the LiDAR bodies shorter than 1.6 m
    // (`association.claims.vehicle_min_extent`) and stay `unknown`, found within 1.5 m: a
    // short body named only `car` is not grown to a car's size (on PandaSet 002 that check
    // raises MOTA with a class from 0.30 to 0.41; EVALUATION.md).
    assert!(
        right.len() >= 4,
        "only {} of 6 labelled cars fused as Car",
        right.len()
    );
    assert!(right.iter().all(|&d| d <= 1.1), "centre errors {right:?}");
    assert!(
        cars.iter().all(|r| r.1.is_some_and(|(_, d)| d <= 1.5)),
        "every labelled car is found within 1.5 m"
    );
}

#[test]
fn object_frames_000000_000001() {
    // 000000: a pedestrian at 8.9 m must be fused as a pedestrian at its label.
    let (set, rig, gt) = object_frame("000000");
    let frame = stage(rig.clone()).process(&set).unwrap();
    let r = evaluate(&frame, &rig, &gt, 3.0);
    println!("000000: {r:?}");
    let (class, dist) = r[0].1.expect("pedestrian found");
    assert_eq!(
        (r[0].0, class),
        (ObjectClass::Pedestrian, ObjectClass::Pedestrian)
    );
    assert!(dist <= 0.5, "pedestrian centre error {dist}");
    // 000001: a car at 61 m and a cyclist at 46 m are 36 and 12 pixels wide; the detector
    // (416 px input for a 1242 px image) does not name them, but the LiDAR still places them.
    // (The 12 m truck centred at 69.7 m has no cluster centre within 3 m of its centre; trucks
    // are not checked here.)
    let (set, rig, gt) = object_frame("000001");
    let frame = stage(rig.clone()).process(&set).unwrap();
    for r in evaluate(&frame, &rig, &gt, 3.0) {
        println!("000001: label {:?} at {:.1} m -> {:?}", r.0, r.2, r.1);
        if r.0 != ObjectClass::Truck {
            assert!(
                r.1.is_some_and(|(_, d)| d <= 2.0),
                "{:?} at {:.1} m not found",
                r.0,
                r.2
            );
        }
    }
}

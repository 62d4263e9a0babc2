//! `kestrel eval` reads labels back from an MCAP log written with the ground-truth codec
//! (`kestrel_log::ground_truth_msg` on `/kestrel/ground_truth/objects`), moves labels recorded
//! in a sensor frame to the vehicle frame through the log's rig, and scores outputs against
//! them.

use kestrel_log::LogWriter;
use kestrel_log::mcap_writer::GROUND_TRUTH_TOPIC;
use kestrel_perception::evaluation::output_frames::FrameOutputs;
use kestrel_perception::evaluation::{EvalSettings, Evaluation, LabelSequence, OutputFrames};
use kestrel_perception::object_messages::ObjectRecord;
use kestrel_sensors::{
    GroundTruthObject, LabelledFrame, ObjectClass, OrientedBox3, Rig, SensorKind, SensorSpec,
    Timestamp,
};
use nalgebra::{Isometry3, Point3};

fn label(id: &str, class: ObjectClass, x: f64, y: f64, frame: &str) -> GroundTruthObject {
    GroundTruthObject {
        class,
        source_label: class.name().into(),
        frame: frame.into(),
        bbox: OrientedBox3 {
            center: Point3::new(x, y, 0.8),
            length: 4.0,
            width: 1.8,
            height: 1.6,
            yaw: 0.0,
        },
        velocity: None,
        num_lidar_points: None,
        track_id: Some(id.into()),
    }
}

fn output(stamp: u64, id: u64, class: ObjectClass, x: f64, y: f64) -> ObjectRecord {
    ObjectRecord {
        stamp_ns: stamp,
        track_id: Some(id),
        class,
        class_probability: 0.8,
        existence_probability: 0.9,
        position: [x, y, 0.8],
        velocity: None,
        size: [4.0, 1.8, 1.6],
        yaw: 0.0,
    }
}

#[test]
fn labels_round_trip_through_an_mcap_and_score() {
    let dir = std::env::temp_dir().join(format!("kestrel-eval-mcap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("labels.mcap");
    // The LiDAR sits 1 m ahead of the rear axle, 2 m up.
    let rig = Rig {
        name: "test".into(),
        sensors: vec![SensorSpec {
            name: "lidar".into(),
            kind: SensorKind::Lidar { beams: Some(32) },
            topic: None,
            rate_hz: Some(10.0),
            sync_offset_s: 0.0,
            extrinsics: Isometry3::translation(1.0, 0.0, 2.0),
        }],
    };
    let mut w = LogWriter::create(&path, Some(&rig)).unwrap();
    let stamps = [100_000_000u64, 200_000_000, 300_000_000];
    for (i, &t) in stamps.iter().enumerate() {
        // Frame 1 is written in the LiDAR frame, the others in the vehicle frame.
        let (frame, dx) = if i == 1 {
            ("lidar", -1.0)
        } else {
            ("vehicle", 0.0)
        };
        w.write_labels(
            GROUND_TRUTH_TOPIC,
            &LabelledFrame {
                timestamp: Timestamp::from_nanos(t),
                frame: frame.into(),
                objects: vec![
                    label("car-a", ObjectClass::Car, 20.0 + dx, 3.0, frame),
                    label("car-b", ObjectClass::Car, 35.0 + dx, -4.0, frame),
                ],
            },
        )
        .unwrap();
    }
    w.finish().unwrap();

    let labels = LabelSequence::open(&path).unwrap();
    assert_eq!(labels.dataset, "mcap");
    assert_eq!(labels.frames.len(), 3);
    assert!(labels.has_track_ids);
    for f in &labels.frames {
        assert_eq!(f.labels.frame, "vehicle");
        let c = f.labels.objects[0].bbox.center;
        assert!(
            (c.x - 20.0).abs() < 1e-9 && (c.y - 3.0).abs() < 1e-9,
            "{c:?}"
        );
    }
    assert!((labels.frames[1].labels.objects[0].bbox.center.z - 2.8).abs() < 1e-9);

    // Outputs: car-a tracked by 1, then by 2 (a switch); car-b found as unknown, then missed.
    let mut outputs = OutputFrames::default();
    let frames = [
        vec![
            output(stamps[0], 1, ObjectClass::Car, 20.5, 3.0),
            output(stamps[0], 5, ObjectClass::Unknown, 35.0, -4.0),
        ],
        vec![output(stamps[1], 1, ObjectClass::Car, 20.5, 3.0)],
        vec![output(stamps[2], 2, ObjectClass::Car, 20.0, 3.0)],
    ];
    for (t, tracked) in stamps.iter().zip(frames) {
        outputs.frames.insert(
            *t,
            FrameOutputs {
                tracked,
                detected: vec![],
            },
        );
    }
    let evaluation = Evaluation {
        labels: &labels,
        outputs: &outputs,
        settings: EvalSettings::default(),
    };
    let report = evaluation
        .report("labels.mcap", "labels.mcap", "test")
        .unwrap();
    let all = &report.blocks[0];
    assert_eq!(all.frame_count, 3);
    assert_eq!(all.frames, "0000-0002");
    let v = &all.tracked.groups[2];
    assert_eq!(v.band.label(), "0-50 m");
    assert_eq!((v.labels, v.matched, v.named), (6, 4, 3));
    let classed = &all.tracking[1];
    assert_eq!(classed.clear_mot.objects, 6);
    assert_eq!(classed.clear_mot.id_switches, 1);
    assert_eq!(classed.clear_mot.misses, 3);
    // Same bytes twice.
    assert_eq!(
        report.to_json(),
        evaluation
            .report("labels.mcap", "labels.mcap", "test")
            .unwrap()
            .to_json()
    );
    std::fs::remove_dir_all(&dir).ok();
}

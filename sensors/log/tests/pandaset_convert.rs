//! `pandaset_to_mcap` on three frames of the shipped PandaSet slice: the log replays the exact
//! sensor and odometry messages of the folder adapter, in time order, with the rig stored, and
//! carries the human labels on the ground-truth topic.

use kestrel_log::camera_image::ImageFormat;
use kestrel_log::convert::pandaset_to_mcap;
use kestrel_log::ground_truth_msg::msg_to_labels;
use kestrel_log::mcap_writer::GROUND_TRUTH_TOPIC;
use kestrel_log::ros2_msg::RosMessage;
use kestrel_log::ros2_msg::autoware_perception_msgs::TrackedObjects;
use kestrel_log::{RawLogReader, SensorLogReader};
use kestrel_sensors::SensorMessage;
use kestrel_sensors::pandaset::PandasetSequence;
use std::path::{Path, PathBuf};

/// The slice's frames 36-38 (all sensors) in a temporary folder.
fn three_frames(dir: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/pandaset/seq002-36-55");
    let dst = dir.join("pandaset-3");
    let _ = std::fs::remove_dir_all(&dst);
    std::fs::create_dir_all(&dst).unwrap();
    std::fs::copy(src.join("sequence.json"), dst.join("sequence.json")).unwrap();
    for sub in ["lidar", "cuboids"] {
        std::fs::create_dir_all(dst.join(sub)).unwrap();
    }
    for id in ["36", "37", "38"] {
        for (dir, ext) in [("lidar", "pcd"), ("cuboids", "jsonl")] {
            let f = format!("{id}.{ext}");
            std::fs::copy(src.join(dir).join(&f), dst.join(dir).join(&f)).unwrap();
        }
        for cam in std::fs::read_dir(src.join("camera")).unwrap() {
            let cam = cam.unwrap().file_name();
            let to = dst.join("camera").join(&cam);
            std::fs::create_dir_all(&to).unwrap();
            let f = format!("{id}.jpg");
            std::fs::copy(src.join("camera").join(&cam).join(&f), to.join(&f)).unwrap();
        }
    }
    dst
}

#[test]
fn converted_log_holds_the_adapters_messages_and_labels() {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let folder = three_frames(&tmp);
    let out = tmp.join("pandaset-3.mcap");
    let summary = pandaset_to_mcap(&folder, &out, ImageFormat::Png).unwrap();
    assert!(summary.notes.is_empty(), "{:?}", summary.notes);
    assert_eq!(summary.messages_per_topic[GROUND_TRUTH_TOPIC], 3);
    assert_eq!(summary.messages_per_topic["/kestrel/ego/odom"], 3);

    let seq = PandasetSequence::open(&folder).unwrap();
    let mut expected = Vec::new();
    for i in 0..3 {
        expected.push(SensorMessage::Lidar(seq.lidar(i).unwrap().cloud));
        expected.push(SensorMessage::Odometry(seq.odometry(i).unwrap()));
        for cam in seq.camera_names() {
            expected.push(SensorMessage::Camera(seq.camera(i, cam).unwrap()));
        }
    }
    expected.sort_by(|a, b| (a.timestamp(), a.sensor()).cmp(&(b.timestamp(), b.sensor())));
    let reader = SensorLogReader::open(&out, None).unwrap();
    let mut stored = reader.rig().unwrap().clone();
    for s in &mut stored.sensors {
        s.topic = None;
    }
    assert_eq!(&stored, seq.rig(), "the rig is stored (topics aside)");
    let got: Vec<SensorMessage> = reader.map(|e| e.unwrap().message).collect();
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g, e, "{} at {}", e.sensor(), e.timestamp());
    }

    let mut labels = Vec::new();
    for m in RawLogReader::open(&out).unwrap() {
        let m = m.unwrap();
        if m.channel.topic == GROUND_TRUTH_TOPIC {
            labels.push(msg_to_labels(&TrackedObjects::from_cdr(&m.data).unwrap()));
        }
    }
    for (i, l) in labels.iter().enumerate() {
        let want = seq.labels(i).unwrap();
        assert_eq!((l.timestamp, l.frame.as_str()), (want.timestamp, "vehicle"));
        assert_eq!(l.objects.len(), want.objects.len());
        for (a, b) in l.objects.iter().zip(&want.objects) {
            assert_eq!((a.class, &a.track_id), (b.class, &b.track_id));
            assert!((a.bbox.center - b.bbox.center).norm() < 1e-9);
        }
    }
}

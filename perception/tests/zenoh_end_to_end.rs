//! End to end over zenoh: the pipeline replays a scene and publishes on rmw_zenoh topics; a
//! subscriber session in the same test (a separate zenoh peer over loopback TCP) receives every
//! message, decodes the CDR and gets exactly the objects the pipeline produced, on the exact
//! key expressions, with the exact attachment layout and liveliness tokens.

mod common;

use common::{BoxOfPointsStage, CollectSink, free_port, scene};
use kestrel_perception::config::KestrelConfig;
use kestrel_perception::object_messages::{detected_records, tracked_records};
use kestrel_perception::output::EncodedFrame;
use kestrel_perception::planner_client::{
    ObjectTopic, ObjectsMessage, PlannerClient, ReceivedObjects,
};
use kestrel_perception::replay::replay;
use kestrel_perception::rmw_zenoh::{ATTACHMENT_SIZE, RosMessageType, gid_of_token};
use kestrel_perception::ros_qos::History;
use kestrel_perception::sensor_source::SensorSource;
use kestrel_perception::stage::PerceptionStage;
use kestrel_perception::stage_factory::production_stage;
use kestrel_perception::zenoh_output::{RosOutputSettings, ZenohOutput};
use kestrel_perception::zenoh_session::ZenohSettings;
use kestrel_sensors::pandaset::PandasetSequence;
use nalgebra::Point3;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;
use zenoh::Wait;
use zenoh::sample::SampleKind;

fn receive_all(client: &PlannerClient, n: usize) -> Vec<ReceivedObjects> {
    let mut got = Vec::new();
    while got.len() < n {
        match client.recv_timeout(Duration::from_secs(10)).unwrap() {
            Some(m) => got.push(m),
            None => panic!("timed out after {} of {n} messages", got.len()),
        }
    }
    got
}

/// What one end-to-end run gave.
struct Exchange {
    zid: String,
    produced: Vec<EncodedFrame>,
    tracked: Vec<ReceivedObjects>,
    detected: Vec<ReceivedObjects>,
    tokens: Vec<String>,
    health: Vec<serde_json::Value>,
    tracked_objects: u64,
}

/// Replays `source` through `stage`, publishing on zenoh (objects in the frame `frame_id`) to a
/// subscriber peer on another loopback port, and collects both sides.
fn exchange(source: SensorSource, stage: Box<dyn PerceptionStage>, frame_id: &str) -> Exchange {
    let port = free_port();
    let subscriber_session = ZenohSettings {
        listen: vec![format!("tcp/127.0.0.1:{port}")],
        ..ZenohSettings::default()
    }
    .open()
    .unwrap();
    // KEEP_ALL: the exactness checked here is what a reliable KEEP_ALL publisher promises (a
    // KEEP_LAST one may drop a frame when the loopback link is congested, e.g. on a loaded CI).
    let ros = RosOutputSettings {
        wait_for_subscribers_s: 10.0,
        history: History::KeepAll,
        ..RosOutputSettings::default()
    };
    let tracked_client = PlannerClient::subscribe(
        &subscriber_session,
        ros.domain_id,
        &ros.tracked_topic,
        ObjectTopic::Tracked,
    )
    .unwrap();
    let detected_client = PlannerClient::subscribe(
        &subscriber_session,
        ros.domain_id,
        &ros.detected_topic,
        ObjectTopic::Detected,
    )
    .unwrap();
    let liveliness = subscriber_session
        .liveliness()
        .declare_subscriber("@ros2_lv/0/**")
        .wait()
        .unwrap();
    let health = subscriber_session
        .declare_subscriber(ros.health_key.as_str())
        .wait()
        .unwrap();

    let pipeline_session = ZenohSettings {
        listen: vec![],
        connect: vec![format!("tcp/127.0.0.1:{port}")],
        ..ZenohSettings::default()
    }
    .open()
    .unwrap();
    let zid = pipeline_session.zid().to_string();
    let output = ZenohOutput::new(&pipeline_session, &ros).unwrap();
    // Both subscriptions must be known to the publishing peer before the run starts.
    let start = std::time::Instant::now();
    while output.has_subscribers() != (true, true) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "subscribers never matched"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(kestrel_perception::zenoh_output::SUBSCRIBER_SETTLE);
    let expected_key = tracked_key();
    assert_eq!(output.tracked_key_expr(), expected_key);
    assert_eq!(tracked_client.key_expr(), expected_key);

    let collect = CollectSink::default();
    let settings =
        KestrelConfig::from_toml_str(&format!("[ros]\nframe_id = \"{frame_id}\"\n"), "test")
            .unwrap()
            .runtime_settings(BTreeSet::new())
            .unwrap();
    let summary = replay(
        vec![source],
        stage,
        vec![Box::new(collect.clone()), Box::new(output)],
        settings,
        |_| {},
    )
    .unwrap();
    let produced = collect.0.lock().unwrap().clone();
    assert_eq!(produced.len() as u64, summary.counters.frames);
    let tracked = receive_all(&tracked_client, produced.len());
    let detected = receive_all(&detected_client, produced.len());
    let mut tokens = Vec::new();
    while let Ok(Some(s)) = liveliness.recv_timeout(Duration::from_millis(500)) {
        if s.kind() == SampleKind::Put {
            tokens.push(s.key_expr().as_str().to_owned());
        }
    }
    let mut reports = Vec::new();
    while let Ok(Some(s)) = health.recv_timeout(Duration::from_millis(500)) {
        reports.push(serde_json::from_slice(&s.payload().to_bytes()).unwrap());
    }
    Exchange {
        zid,
        produced,
        tracked,
        detected,
        tokens,
        health: reports,
        tracked_objects: summary.counters.tracked_objects,
    }
}

fn tracked_key() -> String {
    format!(
        "0/perception/object_recognition/tracking/objects/\
         autoware_perception_msgs::msg::dds_::TrackedObjects_/{}",
        RosMessageType::tracked_objects().hash
    )
}

/// Every produced message arrived, byte for byte, with rmw_zenoh's key, attachment and tokens.
fn check_exact(x: &Exchange) {
    let tracked_type = RosMessageType::tracked_objects();
    let expected_token = format!(
        "@ros2_lv/0/{}/0/1/MP/%/%/kestrel_perception/\
         %perception%object_recognition%tracking%objects/\
         autoware_perception_msgs::msg::dds_::TrackedObjects_/{}/::2,1:,:,:,,",
        x.zid, tracked_type.hash
    );
    let gid = gid_of_token(&expected_token);
    let mut total_tracks = 0;
    for (i, (frame, got)) in x.produced.iter().zip(&x.tracked).enumerate() {
        assert_eq!(got.key_expr, tracked_key());
        assert_eq!(got.cdr, frame.tracked_cdr, "frame {i}: bytes differ");
        assert_eq!(
            &got.cdr[..4],
            &[0, 1, 0, 0],
            "CDR little-endian encapsulation"
        );
        assert_eq!(got.records(), tracked_records(&frame.tracked));
        assert_eq!(got.attachment.sequence_number, i as i64 + 1);
        assert_eq!(
            got.attachment.source_timestamp as u64,
            frame.stamp.as_nanos()
        );
        assert_eq!(got.attachment.source_gid, gid);
        let bytes = got.attachment.to_bytes();
        assert_eq!(bytes.len(), ATTACHMENT_SIZE);
        assert_eq!(bytes[16], 16);
        total_tracks += got.records().len();
    }
    assert_eq!(total_tracks as u64, x.tracked_objects);
    for (i, (frame, got)) in x.produced.iter().zip(&x.detected).enumerate() {
        assert_eq!(got.cdr, frame.detected_cdr);
        assert_eq!(got.records(), detected_records(&frame.detected));
        assert_eq!(got.attachment.sequence_number, i as i64 + 1);
        assert!(got.key_expr.contains("::DetectedObjects_/RIHS01_"));
    }
    assert!(x.tokens.contains(&expected_token), "{:#?}", x.tokens);
    assert!(
        x.tokens.contains(&format!(
            "@ros2_lv/0/{}/0/0/NN/%/%/kestrel_perception",
            x.zid
        )),
        "{:#?}",
        x.tokens
    );
    assert!(
        x.tokens
            .iter()
            .any(|t| t.contains("/0/2/MP/") && t.contains("DetectedObjects_"))
    );
    // The final health report went out as JSON on the health key.
    let last = x.health.last().expect("a health report");
    assert_eq!(last["outputs"].as_u64(), Some(x.produced.len() as u64));
    assert!(last["sensors"].as_array().is_some_and(|s| !s.is_empty()));
    assert!(last["stages"].as_array().is_some_and(|s| !s.is_empty()));
}

#[test]
fn shipped_kitti_frames_through_the_fusion_pipeline_arrive_exactly() {
    let kitti = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sensors/testdata/kitti/object");
    let source = SensorSource::open_path(&kitti).unwrap();
    let stage = production_stage(
        source.rig(),
        None,
        &KestrelConfig::builtin().unwrap().pipeline(),
    )
    .unwrap();
    let x = exchange(source, stage, "base_link");
    assert_eq!(x.produced.len(), 2, "one frame per KITTI sweep");
    let detections: usize = x.detected.iter().map(|m| m.records().len()).sum();
    assert!(detections > 0, "the KITTI sweeps hold obstacles");
    check_exact(&x);
}

#[test]
fn tracked_scene_arrives_exactly() {
    let x = exchange(
        SensorSource::from_messages("scene", scene(15)),
        Box::new(BoxOfPointsStage::new(Duration::ZERO)),
        "base_link",
    );
    assert_eq!(x.produced.len(), 30);
    assert!(x.tracked_objects > 0);
    check_exact(&x);
}

/// `[ros] frame_id = "map"`: the shipped PandaSet slice's objects go out in the world frame of
/// its poses, under `map` (where they lie is checked against the world-frame labels in
/// `replay_world_frame.rs`, through the same encoding).
#[test]
fn pandaset_slice_objects_arrive_in_map() {
    let slice =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sensors/testdata/pandaset/seq002-36-55");
    let source = SensorSource::open_path(&slice).unwrap();
    let stage = production_stage(
        source.rig(),
        None,
        &KestrelConfig::builtin().unwrap().pipeline(),
    )
    .unwrap();
    let x = exchange(source, stage, "map");
    assert_eq!(
        x.produced.len(),
        20,
        "one frame per sweep, every one placed"
    );
    check_exact(&x);
    for got in x.tracked.iter().chain(&x.detected) {
        let frame_id = match &got.message {
            ObjectsMessage::Tracked(m) => &m.header.frame_id,
            ObjectsMessage::Detected(m) => &m.header.frame_id,
        };
        assert_eq!(frame_id, "map");
    }
    // Each track is where the vehicle-frame run put it, carried by the vehicle's pose.
    let vehicle_run = CollectSink::default();
    let vehicle_source = SensorSource::open_path(&slice).unwrap();
    let stage = production_stage(
        vehicle_source.rig(),
        None,
        &KestrelConfig::builtin().unwrap().pipeline(),
    )
    .unwrap();
    let settings = KestrelConfig::builtin()
        .unwrap()
        .runtime_settings(BTreeSet::new())
        .unwrap();
    replay(
        vec![vehicle_source],
        stage,
        vec![Box::new(vehicle_run.clone())],
        settings,
        |_| {},
    )
    .unwrap();
    let sequence = PandasetSequence::open(&slice).unwrap();
    let vehicle_frames = vehicle_run.0.lock().unwrap().clone();
    assert_eq!(vehicle_frames.len(), x.tracked.len());
    let mut compared = 0;
    for (v, w) in vehicle_frames.iter().zip(&x.tracked) {
        let index = sequence
            .frames()
            .iter()
            .position(|f| f.lidar_time == v.stamp)
            .unwrap();
        let pose = sequence.vehicle_pose(index);
        for (a, b) in tracked_records(&v.tracked).iter().zip(w.records()) {
            let p = pose * Point3::new(a.position[0], a.position[1], a.position[2]);
            let d = (p - Point3::new(b.position[0], b.position[1], b.position[2])).norm();
            assert!(d < 1e-6, "track {:?}: {d} m off", a.track_id);
            assert_eq!((a.track_id, a.class, a.size), (b.track_id, b.class, b.size));
            compared += 1;
        }
    }
    assert!(compared > 100, "{compared} tracks compared");
}

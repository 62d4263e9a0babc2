//! End to end over zenoh: the pipeline replays a scene and publishes on rmw_zenoh topics; a
//! subscriber session in the same test (a separate zenoh peer over loopback TCP) receives every
//! message, decodes the CDR and gets exactly the objects the pipeline produced, on the exact
//! key expressions, with the exact attachment layout and liveliness tokens.

mod common;

use common::{BoxOfPointsStage, CollectSink, free_port, scene};
use kestrel_perception::config::KestrelConfig;
use kestrel_perception::object_messages::{detected_records, tracked_records};
use kestrel_perception::planner_client::{ObjectTopic, PlannerClient, ReceivedObjects};
use kestrel_perception::replay::replay;
use kestrel_perception::rmw_zenoh::{ATTACHMENT_SIZE, RosMessageType, gid_of_token};
use kestrel_perception::sensor_source::SensorSource;
use kestrel_perception::zenoh_output::{RosOutputSettings, ZenohOutput};
use kestrel_perception::zenoh_session::ZenohSettings;
use std::collections::BTreeSet;
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

#[test]
fn subscriber_receives_every_fused_object_message_exactly() {
    let port = free_port();
    let subscriber_session = ZenohSettings {
        listen: vec![format!("tcp/127.0.0.1:{port}")],
        ..ZenohSettings::default()
    }
    .open()
    .unwrap();
    let ros = RosOutputSettings {
        domain_id: 0,
        wait_for_subscribers_s: 10.0,
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

    let pipeline_session = ZenohSettings {
        listen: vec![],
        connect: vec![format!("tcp/127.0.0.1:{port}")],
        ..ZenohSettings::default()
    }
    .open()
    .unwrap();
    let zid = pipeline_session.zid().to_string();
    let output = ZenohOutput::new(&pipeline_session, &ros).unwrap();
    let tracked_type = RosMessageType::tracked_objects();
    let expected_key = format!(
        "0/perception/object_recognition/tracking/objects/\
         autoware_perception_msgs::msg::dds_::TrackedObjects_/{}",
        tracked_type.hash
    );
    assert_eq!(output.tracked_key_expr(), expected_key);
    assert_eq!(tracked_client.key_expr(), expected_key);

    let collect = CollectSink::default();
    let settings = KestrelConfig::builtin()
        .unwrap()
        .runtime_settings(BTreeSet::new())
        .unwrap();
    let summary = replay(
        vec![SensorSource::from_messages("scene", scene(15))],
        Box::new(BoxOfPointsStage::new(Duration::ZERO)),
        vec![Box::new(collect.clone()), Box::new(output)],
        settings,
        |_| {},
    )
    .unwrap();
    let produced = collect.0.lock().unwrap().clone();
    assert_eq!(produced.len() as u64, summary.counters.frames);
    assert_eq!(produced.len(), 30);

    let tracked = receive_all(&tracked_client, produced.len());
    let detected = receive_all(&detected_client, produced.len());
    let expected_token = format!(
        "@ros2_lv/0/{zid}/0/1/MP/%/%/kestrel_perception/\
         %perception%object_recognition%tracking%objects/\
         autoware_perception_msgs::msg::dds_::TrackedObjects_/{}/::,1:,:,:,,",
        tracked_type.hash
    );
    let gid = gid_of_token(&expected_token);
    let mut total_tracks = 0;
    for (i, (frame, got)) in produced.iter().zip(&tracked).enumerate() {
        assert_eq!(got.key_expr, expected_key);
        assert_eq!(got.cdr, frame.tracked_cdr, "frame {i}: bytes differ");
        assert_eq!(&got.cdr[..4], &[0, 1, 0, 0], "CDR little-endian encapsulation");
        assert_eq!(got.records(), tracked_records(&frame.tracked));
        assert_eq!(got.attachment.sequence_number, i as i64 + 1);
        assert_eq!(got.attachment.source_timestamp as u64, frame.stamp.as_nanos());
        assert_eq!(got.attachment.source_gid, gid);
        let bytes = got.attachment.to_bytes();
        assert_eq!(bytes.len(), ATTACHMENT_SIZE);
        assert_eq!(bytes[16], 16);
        total_tracks += got.records().len();
    }
    assert_eq!(total_tracks as u64, summary.counters.tracked_objects);
    assert!(total_tracks > 0);
    for (frame, got) in produced.iter().zip(&detected) {
        assert_eq!(got.cdr, frame.detected_cdr);
        assert_eq!(got.records(), detected_records(&frame.detected));
        assert!(got.key_expr.contains("::DetectedObjects_/RIHS01_"));
    }

    // Liveliness: the node and both publishers were announced with rmw_zenoh's token layout.
    let mut tokens = Vec::new();
    while let Ok(Some(s)) = liveliness.recv_timeout(Duration::from_millis(500)) {
        if s.kind() == SampleKind::Put {
            tokens.push(s.key_expr().as_str().to_owned());
        }
    }
    assert!(tokens.contains(&expected_token), "{tokens:#?}");
    assert!(
        tokens.contains(&format!("@ros2_lv/0/{zid}/0/0/NN/%/%/kestrel_perception")),
        "{tokens:#?}"
    );
    assert!(tokens.iter().any(|t| t.contains("/0/2/MP/") && t.contains("DetectedObjects_")));
}

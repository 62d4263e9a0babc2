//! `/diagnostics` decodes as `diagnostic_msgs/msg/DiagnosticArray` in an independent CDR
//! decoder: the Python `rosbags` package (its ROS 2 Jazzy type store). The payloads are the
//! bytes a subscriber receives over zenoh from a replay publishing its health; the key
//! expression's type hash is the one `rosbags` computes.
//!
//! Needs `python3` with `rosbags` (`pip install rosbags`), so it is `#[ignore]`d in a plain
//! `cargo test`; CI installs rosbags and runs it:
//! `cargo test -p kestrel-perception --test diagnostics_rosbags -- --ignored`.

mod common;

use common::{BoxOfPointsStage, free_port, scene};
use kestrel_log::ros2_msg::RosMessage;
use kestrel_log::ros2_msg::diagnostic_msgs::DiagnosticArray;
use kestrel_perception::config::KestrelConfig;
use kestrel_perception::replay::replay;
use kestrel_perception::rmw_zenoh::{RosMessageType, topic_key_expr};
use kestrel_perception::sensor_source::SensorSource;
use kestrel_perception::zenoh_output::{RosOutputSettings, ZenohOutput};
use kestrel_perception::zenoh_session::ZenohSettings;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;
use zenoh::Wait;

#[test]
#[ignore = "needs python3 with rosbags; run by CI with --ignored"]
fn diagnostics_decode_in_rosbags() {
    let port = free_port();
    let sub_session = ZenohSettings {
        listen: vec![format!("tcp/127.0.0.1:{port}")],
        ..ZenohSettings::default()
    }
    .open()
    .unwrap();
    let ros = RosOutputSettings::default();
    let ty = RosMessageType::of::<DiagnosticArray>().unwrap();
    let key = topic_key_expr(ros.domain_id, &ros.diagnostics_topic, &ty);
    let subscriber = sub_session.declare_subscriber(key.as_str()).wait().unwrap();
    let pub_session = ZenohSettings {
        listen: vec![],
        connect: vec![format!("tcp/127.0.0.1:{port}")],
        ..ZenohSettings::default()
    }
    .open()
    .unwrap();
    let output = ZenohOutput::new(&pub_session, &ros).unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let mut settings = KestrelConfig::builtin()
        .unwrap()
        .runtime_settings(BTreeSet::new())
        .unwrap();
    settings.health_period_s = 0.5;
    // Expect a sensor that never comes, so that the report holds every level but STALE.
    let mut scene = scene(20);
    scene.retain(|m| m.sensor() != "lidar_rear");
    let source = SensorSource::new(
        "scene",
        vec!["lidar_top".into(), "lidar_rear".into()],
        Box::new(scene.into_iter().map(Ok)),
    );
    replay(
        vec![source],
        Box::new(BoxOfPointsStage::new(Duration::ZERO)),
        vec![Box::new(output)],
        settings,
        |_| {},
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("kestrel-diag-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    let mut ours = Vec::new();
    while let Ok(Some(s)) = subscriber.recv_timeout(Duration::from_secs(2)) {
        let bytes = s.payload().to_bytes().into_owned();
        ours.push(DiagnosticArray::from_cdr(&bytes).unwrap());
        let f = dir.join(format!("diag-{}.cdr", files.len()));
        std::fs::write(&f, &bytes).unwrap();
        files.push(f);
    }
    assert!(files.len() >= 2, "{} reports", files.len());
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/decode_diagnostics.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .args(&files)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decoded: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(decoded.len(), ours.len());
    for (py, rs) in decoded.iter().zip(&ours) {
        assert_eq!(py["hash"], ty.hash.as_str(), "rosbags' RIHS01 of the type");
        assert_eq!(py["stamp"][0], rs.header.stamp.sec);
        assert_eq!(py["stamp"][1], rs.header.stamp.nanosec);
        let statuses = py["status"].as_array().unwrap();
        assert_eq!(statuses.len(), rs.status.len());
        for (p, r) in statuses.iter().zip(&rs.status) {
            assert_eq!(p["level"], r.level);
            assert_eq!(p["name"], r.name.as_str());
            assert_eq!(p["message"], r.message.as_str());
            assert_eq!(p["hardware_id"], r.hardware_id.as_str());
            let values: Vec<(String, String)> = r
                .values
                .iter()
                .map(|v| (v.key.clone(), v.value.clone()))
                .collect();
            let py_values: Vec<(String, String)> = p["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|kv| {
                    (
                        kv[0].as_str().unwrap().to_owned(),
                        kv[1].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            assert_eq!(py_values, values);
        }
    }
    let last = decoded.last().unwrap()["status"]
        .as_array()
        .unwrap()
        .clone();
    let level_of = |name: &str| {
        last.iter()
            .find(|s| s["name"] == name)
            .map(|s| s["level"].as_u64().unwrap())
    };
    assert_eq!(level_of("kestrel_perception: sensor lidar_top"), Some(0));
    assert_eq!(level_of("kestrel_perception: sensor lidar_rear"), Some(2));
    assert_eq!(level_of("kestrel_perception: output"), Some(1));
    std::fs::remove_dir_all(&dir).ok();
}

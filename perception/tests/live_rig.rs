//! Where live input's rig comes from: `[inputs] rig` (a rig TOML, or a log / dataset folder
//! holding one), the rig `kestrel play` offers, and camera intrinsics from `CameraInfo` for
//! cameras the rig leaves uncalibrated (`fx = 0`).

use kestrel_log::camera_info::intrinsics_to_camera_info;
use kestrel_log::ros2_msg::RosMessage;
use kestrel_log::ros2_msg::sensor_msgs::CameraInfo;
use kestrel_perception::log_player::{LogPlayer, PlayOptions};
use kestrel_perception::rmw_zenoh::{RosMessageType, RosNode, RosNodeName};
use kestrel_perception::ros_input::{InputSettings, RosInput, fetch_rig, load_rig};
use kestrel_perception::ros_qos::RosQos;
use kestrel_perception::sensor_source::SensorSource;
use kestrel_perception::zenoh_session::ZenohSettings;
use kestrel_sensors::{CameraIntrinsics, SensorKind, Timestamp};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

fn kitti() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sensors/testdata/kitti/object")
}

fn sessions() -> (zenoh::Session, zenoh::Session) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let a = ZenohSettings {
        listen: vec![format!("tcp/127.0.0.1:{port}")],
        ..ZenohSettings::default()
    }
    .open()
    .unwrap();
    let b = ZenohSettings {
        listen: vec![],
        connect: vec![format!("tcp/127.0.0.1:{port}")],
        ..ZenohSettings::default()
    }
    .open()
    .unwrap();
    (a, b)
}

#[test]
fn rig_from_toml_folder_log_and_player() {
    let expected = SensorSource::open_path(&kitti())
        .unwrap()
        .rig()
        .cloned()
        .unwrap();
    assert_eq!(load_rig(&kitti()).unwrap(), expected);
    let dir = std::env::temp_dir().join(format!("kestrel-live-rig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let toml = dir.join("rig.toml");
    std::fs::write(&toml, expected.to_toml_string().unwrap()).unwrap();
    assert_eq!(load_rig(&toml).unwrap(), expected);
    assert!(load_rig(&dir.join("missing.toml")).is_err());
    // A converted log: its rig comes from the file, and from `kestrel play`'s queryable.
    let log = dir.join("kitti.mcap");
    kestrel_log::convert::kitti_to_mcap(
        &kitti(),
        &log,
        kestrel_log::camera_image::ImageFormat::Raw,
    )
    .unwrap();
    let stored = load_rig(&log).unwrap();
    assert_eq!(stored.sensors.len(), 2);
    let (kestrel, player) = sessions();
    let _player = LogPlayer::open(&player, &log, PlayOptions::default()).unwrap();
    assert_eq!(
        fetch_rig(&kestrel, Duration::from_secs(20)).unwrap(),
        stored
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn uncalibrated_camera_takes_intrinsics_from_camera_info() {
    let mut rig = load_rig(&kitti()).unwrap();
    let calibrated: CameraIntrinsics = *rig.sensor("cam2").unwrap().intrinsics().unwrap();
    for s in &mut rig.sensors {
        if let SensorKind::Camera { intrinsics } = &mut s.kind {
            intrinsics.fx = 0.0;
        }
    }
    let (kestrel, driver) = sessions();
    let stop = Arc::new(AtomicBool::new(false));
    let publisher = {
        let (driver, stop) = (driver.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut node = RosNode::declare(
                &driver,
                RosNodeName {
                    domain_id: 0,
                    namespace: "/".into(),
                    name: "camera_driver".into(),
                    enclave: "/".into(),
                },
            )
            .unwrap();
            let mut p = node
                .publisher(
                    "/kestrel/cam2/camera_info",
                    RosMessageType::of::<CameraInfo>().unwrap(),
                    RosQos::default(),
                )
                .unwrap();
            let cdr = intrinsics_to_camera_info(&calibrated, Timestamp(1), "cam2")
                .to_cdr()
                .unwrap();
            while !stop.load(Ordering::SeqCst) {
                p.publish(&cdr, Timestamp(1)).unwrap();
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let completed = RosInput::complete_rig(&kestrel, 0, &InputSettings::default(), rig).unwrap();
    stop.store(true, Ordering::SeqCst);
    publisher.join().unwrap();
    assert_eq!(
        completed.sensor("cam2").unwrap().intrinsics(),
        Some(&calibrated)
    );
    // Nobody publishes: a configuration error naming the camera, after the wait.
    let mut uncalibrated = completed.clone();
    if let SensorKind::Camera { intrinsics } = &mut uncalibrated.sensors[1].kind {
        intrinsics.fx = 0.0;
    }
    let settings = InputSettings {
        camera_info_wait_s: 0.3,
        ..InputSettings::default()
    };
    let e = RosInput::complete_rig(&kestrel, 0, &settings, uncalibrated).unwrap_err();
    assert!(e.to_string().contains("cam2"), "{e}");
}

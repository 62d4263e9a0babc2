//! The live input path (stage `live_input`): a ROS 2 sensor message published by an rmw_zenoh
//! publisher in one zenoh session, received over loopback TCP by Kestrel's ROS input in a
//! second session, checked (type, hash, size, attachment), CDR-decoded and converted into the
//! `SensorMessage` that goes into the input queue — publish to input queue, what the live
//! path adds before time alignment. Real messages: KITTI 000000's HDL-64E sweep (115,384
//! points, `sensor_msgs/PointCloud2`, 1.8 MB) and its 1224x370 rgb8 image
//! (`sensor_msgs/Image`, 1.4 MB). Group `live_input` (budgeted) holds the sweep; group
//! `live_input_parts` the image and the sweep's decoding alone.
//!
//! Run: `cargo bench --profile dev -p kestrel-benches --bench live_input`.

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use kestrel_log::camera_image::frame_to_image;
use kestrel_log::mcap_writer::default_topic;
use kestrel_log::point_cloud2::{lidar_to_point_cloud2, point_cloud2_to_lidar};
use kestrel_log::ros2_msg::RosMessage;
use kestrel_log::ros2_msg::sensor_msgs::{Image, PointCloud2};
use kestrel_perception::live_input::LiveControl;
use kestrel_perception::rmw_zenoh::{RosMessageType, RosNode, RosNodeName};
use kestrel_perception::ros_input::{InputSettings, RosInput};
use kestrel_perception::ros_qos::RosQos;
use kestrel_perception::sensor_source::SensorSource;
use kestrel_perception::zenoh_session::ZenohSettings;
use kestrel_sensors::{SensorMessage, Timestamp};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

fn free_loopback_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn live_input(c: &mut Criterion) {
    let kitti = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sensors/testdata/kitti/object");
    let mut fixture = SensorSource::open_path(&kitti).expect("KITTI fixture");
    let rig = fixture.rig().cloned().expect("rig");
    let (mut cloud, mut image) = (None, None);
    for m in fixture.by_ref().take(2) {
        match m.expect("frame") {
            SensorMessage::Lidar(c) => cloud = Some(c),
            SensorMessage::Camera(f) => image = Some(f),
            _ => {}
        }
    }
    let (cloud, image) = (cloud.expect("a sweep"), image.expect("an image"));
    let port = free_loopback_port();
    let kestrel_session = ZenohSettings {
        listen: vec![format!("tcp/127.0.0.1:{port}")],
        ..ZenohSettings::default()
    }
    .open()
    .expect("Kestrel session");
    let driver_session = ZenohSettings {
        listen: Vec::new(),
        connect: vec![format!("tcp/127.0.0.1:{port}")],
        ..ZenohSettings::default()
    }
    .open()
    .expect("driver session");
    // A lost sample would leave a measurement waiting: end the sources (and the bench, with a
    // panic) after 20 s without input instead.
    let control = LiveControl::new(
        Arc::new(AtomicBool::new(false)),
        Some(Duration::from_secs(20)),
    );
    let mut input = RosInput::open(
        &kestrel_session,
        0,
        "kestrel_perception",
        &InputSettings::default(),
        rig.clone(),
        control,
    )
    .expect("ROS input");
    let mut source = |name: &str| {
        let i = input
            .sources
            .iter()
            .position(|s| s.name() == format!("ros:{name}"))
            .expect("source");
        input.sources.remove(i)
    };
    let (mut lidar_in, mut camera_in) = (source(&cloud.sensor), source(&image.sensor));
    let mut driver = RosNode::declare(
        &driver_session,
        RosNodeName {
            domain_id: 0,
            namespace: "/".into(),
            name: "driver".into(),
            enclave: "/".into(),
        },
    )
    .expect("driver node");
    let mut publisher = |sensor: &str, kind: &str, ty: RosMessageType| {
        // As a driver that must not lose sweeps: a congested link makes `publish` wait.
        driver
            .blocking_publisher(&default_topic(sensor, kind), ty, RosQos::default())
            .expect("publisher")
    };
    let mut lidar_pub = publisher(
        &cloud.sensor,
        "lidar",
        RosMessageType::of::<PointCloud2>().expect("type"),
    );
    let mut camera_pub = publisher(
        &image.sensor,
        "camera",
        RosMessageType::of::<Image>().expect("type"),
    );
    let start = Instant::now();
    while !(lidar_pub.has_subscriber() && camera_pub.has_subscriber()) {
        assert!(start.elapsed() < Duration::from_secs(10), "no subscriber");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300));
    let lidar_cdr = lidar_to_point_cloud2(&cloud).to_cdr().expect("CDR");
    let image_cdr = frame_to_image(&image).to_cdr().expect("CDR");
    eprintln!(
        "live input: PointCloud2 {} B, Image {} B",
        lidar_cdr.len(),
        image_cdr.len()
    );

    let mut group = c.benchmark_group("live_input");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("ros_pointcloud2_kitti_000000", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                lidar_pub
                    .publish(&lidar_cdr, Timestamp(1))
                    .expect("publishes");
                let m = lidar_in.next().expect("a message").expect("decodes");
                total += t.elapsed();
                assert!(matches!(m, SensorMessage::Lidar(c) if c.len() == cloud.len()));
            }
            total
        })
    });
    group.finish();
    // The parts: the image path, and the decoding alone (what the PointCloud2 path spends
    // outside zenoh).
    let mut group = c.benchmark_group("live_input_parts");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("decode_pointcloud2_kitti_000000", |b| {
        b.iter(|| {
            let msg = PointCloud2::from_cdr(std::hint::black_box(&lidar_cdr)).expect("CDR");
            point_cloud2_to_lidar(&msg, &cloud.sensor).expect("cloud")
        })
    });
    group.bench_function("ros_image_kitti_000000", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                camera_pub
                    .publish(&image_cdr, Timestamp(1))
                    .expect("publishes");
                let m = camera_in.next().expect("a message").expect("decodes");
                total += t.elapsed();
                assert!(matches!(m, SensorMessage::Camera(f) if f.width == image.width));
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, live_input);
criterion_main!(benches);

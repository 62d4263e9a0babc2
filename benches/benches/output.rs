//! The output stage (stage `output`, timed by the runtime too): one fused frame's object lists
//! encoded as `autoware_perception_msgs` CDR and published on their rmw_zenoh key expressions
//! to a subscriber peer in a second zenoh session over loopback TCP. The objects are the real
//! output of the end-to-end frame (KITTI 000000 + radar) after ten frames of tracking.
//!
//! Run: `cargo bench --profile dev -p kestrel-benches --bench output`.

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use kestrel_benches::bench_inputs::warm_pipeline;
use kestrel_perception::output::{EncodedFrame, OutputSink};
use kestrel_perception::stage::OutputFrame;
use kestrel_perception::zenoh_output::{RosOutputSettings, ZenohOutput};
use kestrel_perception::zenoh_session::ZenohSettings;
use std::hint::black_box;
use std::time::{Duration, Instant};
use zenoh::Wait;

fn free_loopback_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn output(c: &mut Criterion) {
    let (fused, tracking) = warm_pipeline(10, 1).expect("pipeline").last;
    let frame = OutputFrame {
        stamp: fused.timestamp,
        tracked: tracking
            .tracks
            .into_iter()
            .filter(|t| t.is_confirmed())
            .collect(),
        detected: fused.objects,
        degraded: Vec::new(),
        vehicle_pose: None,
    };
    let port = free_loopback_port();
    let subscriber_session = ZenohSettings {
        listen: vec![format!("tcp/127.0.0.1:{port}")],
        ..ZenohSettings::default()
    }
    .open()
    .expect("subscriber session");
    let publisher_session = ZenohSettings {
        listen: Vec::new(),
        connect: vec![format!("tcp/127.0.0.1:{port}")],
        ..ZenohSettings::default()
    }
    .open()
    .expect("publisher session");
    let mut sink =
        ZenohOutput::new(&publisher_session, &RosOutputSettings::default()).expect("publishers");
    let _subscribers: Vec<_> = [sink.tracked_key_expr(), sink.detected_key_expr()]
        .into_iter()
        .map(|key| {
            subscriber_session
                .declare_subscriber(key.to_owned())
                .callback(|sample| drop(black_box(sample)))
                .wait()
                .expect("subscriber")
        })
        .collect();
    let start = Instant::now();
    while sink.has_subscribers() != (true, true) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "subscribers not matched within 10 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }

    let mut group = c.benchmark_group("output");
    group.sampling_mode(SamplingMode::Flat);
    eprintln!(
        "output frame: {} tracks, {} detections",
        frame.tracked.len(),
        frame.detected.len()
    );
    group.bench_function("cdr_zenoh_kitti_000000_objects", |b| {
        b.iter(|| {
            let encoded = EncodedFrame::encode(black_box(&frame)).expect("encodes");
            sink.on_frame(&encoded).expect("publishes");
            black_box(encoded)
        })
    });
    group.finish();
}

criterion_group!(benches, output);
criterion_main!(benches);

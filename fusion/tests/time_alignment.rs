//! Time alignment: complete sets, a late/missing camera, a missing LiDAR (fallback anchor),
//! and rejected duplicate / out-of-order / late / unknown messages.

use kestrel_fusion::{FusionError, SensorFrameSet, TimeAligner, TimeAlignmentConfig};
use kestrel_sensors::{
    CameraFrame, PixelEncoding, PointCloud, RadarScan, SensorMessage, Timestamp,
};

const MS: u64 = 1_000_000;

fn lidar(ms: u64) -> SensorMessage {
    SensorMessage::Lidar(PointCloud::with_capacity(
        "lidar",
        Timestamp(ms * MS),
        0,
        false,
        false,
    ))
}

fn camera(ms: u64) -> SensorMessage {
    SensorMessage::Camera(
        CameraFrame::new(
            "cam",
            Timestamp(ms * MS),
            1,
            1,
            PixelEncoding::Mono8,
            vec![0u8],
        )
        .unwrap(),
    )
}

fn radar(ms: u64) -> SensorMessage {
    SensorMessage::Radar(RadarScan {
        sensor: "radar".into(),
        timestamp: Timestamp(ms * MS),
        detections: vec![],
    })
}

fn aligner(fallback: bool) -> TimeAligner {
    TimeAligner::new(TimeAlignmentConfig::new(
        vec!["lidar".into(), "cam".into(), "radar".into()],
        "lidar",
        fallback.then(|| "cam".to_owned()),
    ))
    .unwrap()
}

fn push_all(a: &mut TimeAligner, msgs: Vec<SensorMessage>) -> Vec<SensorFrameSet> {
    let mut out = Vec::new();
    for m in msgs {
        out.extend(a.push(m).unwrap());
    }
    out
}

fn summary(s: &SensorFrameSet) -> (u64, Vec<u64>, Vec<String>) {
    let mut times: Vec<u64> = s.lidars.iter().map(|m| m.timestamp.0 / MS).collect();
    times.extend(s.cameras.iter().map(|m| m.timestamp.0 / MS));
    times.extend(s.radars.iter().map(|m| m.timestamp.0 / MS));
    (s.timestamp.0 / MS, times, s.missing.clone())
}

#[test]
fn groups_complete_sets_as_soon_as_all_sensors_are_settled() {
    let mut a = aligner(false);
    let sets = push_all(
        &mut a,
        vec![
            lidar(0),
            radar(5),
            camera(12),
            camera(45),
            lidar(100),
            radar(95),
            camera(110),
            radar(160),
            lidar(200),
            camera(190),
            radar(205),
        ],
    );
    let got: Vec<_> = sets.iter().map(summary).collect();
    assert_eq!(
        got,
        vec![
            (0, vec![0, 12, 5], vec![]),
            (100, vec![100, 110, 95], vec![])
        ]
    );
    // Set 200 waits: a camera frame nearer to 200 than 190 may still come.
    let last: Vec<_> = a.flush().iter().map(summary).collect();
    assert_eq!(last, vec![(200, vec![200, 190, 205], vec![])]);
    // camera 45 came after set 0 (which had a camera frame); radar 160 lost to radar 205.
    let st = a.stats();
    assert_eq!(
        (
            st.complete_sets,
            st.degraded_sets,
            st.superseded,
            st.unmatched
        ),
        (3, 0, 2, 0)
    );
}

#[test]
fn late_camera_gives_a_degraded_set_instead_of_stalling() {
    let mut a = aligner(false);
    let mut sets = push_all(&mut a, vec![lidar(0), radar(5), lidar(100), radar(104)]);
    assert!(sets.is_empty(), "still within the latency budget");
    // The stream runs on past 0 + 50 + 100 ms without the camera: set 0 goes out without it.
    sets.extend(push_all(&mut a, vec![lidar(200), radar(203)]));
    let got: Vec<_> = sets.iter().map(summary).collect();
    assert_eq!(got, vec![(0, vec![0, 5], vec!["cam".to_owned()])]);
    // The camera frame for t = 0 finally arrives: too late, rejected and counted.
    assert!(matches!(
        a.push(camera(2)),
        Err(FusionError::LateMessage { .. })
    ));
    // The camera comes back for t = 200.
    let rest: Vec<_> = push_all(&mut a, vec![camera(198)])
        .iter()
        .map(summary)
        .collect();
    assert_eq!(rest, vec![(100, vec![100, 104], vec!["cam".to_owned()])]);
    let flushed: Vec<_> = a.flush().iter().map(summary).collect();
    assert_eq!(flushed, vec![(200, vec![200, 198, 203], vec![])]);
    assert_eq!((a.stats().late, a.stats().degraded_sets), (1, 2));
}

#[test]
fn missing_lidar_falls_back_to_the_camera() {
    let mut a = aligner(true);
    let sets = push_all(
        &mut a,
        vec![
            camera(0),
            radar(5),
            camera(100),
            radar(103),
            camera(200),
            radar(207),
            camera(300),
        ],
    );
    let got: Vec<_> = sets.iter().map(summary).collect();
    assert_eq!(
        got,
        vec![
            (0, vec![0, 5], vec!["lidar".to_owned()]),
            (100, vec![100, 103], vec!["lidar".to_owned()])
        ]
    );
    // Without a fallback the same stream yields nothing and counts the dropped messages.
    let mut b = aligner(false);
    let none = push_all(
        &mut b,
        vec![
            camera(0),
            radar(5),
            camera(100),
            radar(103),
            camera(200),
            radar(207),
            camera(300),
        ],
    );
    assert!(none.is_empty());
    assert_eq!(b.stats().unmatched, 4);
}

#[test]
fn rejects_duplicates_out_of_order_and_unknown_sensors() {
    let mut a = aligner(false);
    a.push(lidar(100)).unwrap();
    assert!(matches!(
        a.push(lidar(100)),
        Err(FusionError::DuplicateTimestamp { .. })
    ));
    assert!(matches!(
        a.push(lidar(50)),
        Err(FusionError::OutOfOrder { .. })
    ));
    let stranger = SensorMessage::Radar(RadarScan {
        sensor: "rear".into(),
        timestamp: Timestamp(1),
        detections: vec![],
    });
    assert!(matches!(
        a.push(stranger),
        Err(FusionError::UnknownSensor { .. })
    ));
    let st = a.stats();
    assert_eq!(
        (
            st.accepted,
            st.duplicate,
            st.out_of_order,
            st.unknown_sensor
        ),
        (1, 1, 1, 1)
    );
    // The rejected messages left no trace: the set for 100 still forms normally.
    let sets = push_all(&mut a, vec![camera(101), radar(102)]);
    assert_eq!(
        sets.iter().map(summary).collect::<Vec<_>>(),
        vec![(100, vec![100, 101, 102], vec![])]
    );
}

#[test]
fn bad_configurations_are_errors() {
    let bad_ref = TimeAlignmentConfig::new(vec!["cam".into()], "lidar", None);
    assert!(matches!(
        TimeAligner::new(bad_ref),
        Err(FusionError::UnknownSensor { .. })
    ));
    let dup = TimeAlignmentConfig::new(vec!["lidar".into(), "lidar".into()], "lidar", None);
    assert!(matches!(
        TimeAligner::new(dup),
        Err(FusionError::InvalidConfig { .. })
    ));
}

#[test]
fn offsets_group_phase_locked_cameras_with_their_sweep() {
    // A camera that fires 90 ms before the sweep stamp (PandaSet's back camera): without the
    // offset it falls outside the +-50 ms window of its own sweep and next to the previous one.
    let msgs = || vec![lidar(100), camera(110), lidar(200), camera(210), lidar(300)];
    let mut plain = aligner(false);
    let sets = push_all(&mut plain, msgs());
    let mut a = plain.clone();
    let sets = [sets, a.flush()].concat();
    assert_eq!(
        summary(&sets[1]).1,
        vec![200, 210],
        "nearest camera without offset"
    );

    let mut config = TimeAlignmentConfig::new(
        vec!["lidar".into(), "cam".into(), "radar".into()],
        "lidar",
        None,
    );
    config.offsets_ns.insert("cam".into(), -90 * MS as i64);
    let mut shifted = TimeAligner::new(config.clone()).unwrap();
    let mut sets = push_all(&mut shifted, msgs());
    sets.extend(shifted.flush());
    let got: Vec<_> = sets.iter().map(|s| summary(s).1).collect();
    assert_eq!(got, vec![vec![100], vec![200, 110], vec![300, 210]]);

    config.offsets_ns.insert("nope".into(), 0);
    assert!(matches!(
        TimeAligner::new(config),
        Err(FusionError::UnknownSensor { .. })
    ));
}

#[test]
fn a_known_message_interval_settles_a_sensor_without_its_next_message() {
    // A camera stamped a hair before each sweep (as PandaSet's cameras are once their phase
    // offsets are rounded): with only "a message at or after the anchor" the set would wait a
    // whole camera period for the next frame.
    let config = || TimeAlignmentConfig::new(vec!["lidar".into(), "cam".into()], "lidar", None);
    let msgs = || vec![camera(99), lidar(100), camera(199), lidar(200)];
    // The sets, and how many each message completed.
    let push_counting = |a: &mut TimeAligner| {
        let mut sets = Vec::new();
        let mut emitted_after = Vec::new();
        for m in msgs() {
            let out = a.push(m).unwrap();
            emitted_after.push(out.len());
            sets.extend(out);
        }
        (sets, emitted_after)
    };
    let mut waiting = TimeAligner::new(config()).unwrap();
    let (mut sets, emitted_after) = push_counting(&mut waiting);
    assert_eq!(
        emitted_after,
        vec![0, 0, 1, 0],
        "set 100 waits for camera 199"
    );

    let mut with_interval = config();
    with_interval.min_intervals_ns.insert("cam".into(), 80 * MS);
    let mut settled = TimeAligner::new(with_interval.clone()).unwrap();
    let (quick, emitted_after) = push_counting(&mut settled);
    assert_eq!(emitted_after, vec![0, 1, 0, 1], "each set on its sweep");
    // The same sets, only sooner.
    sets.extend(waiting.flush());
    let got: Vec<_> = quick.iter().map(summary).collect();
    assert_eq!(got, sets.iter().map(summary).collect::<Vec<_>>());
    assert_eq!(got[0], (100, vec![100, 99], vec![]));

    // More than half the interval before the anchor, a nearer message could still come.
    let mut early = TimeAligner::new(with_interval.clone()).unwrap();
    assert!(early.push(camera(55)).unwrap().is_empty());
    assert!(early.push(lidar(100)).unwrap().is_empty());
    assert_eq!(early.push(camera(135)).unwrap().len(), 1);

    // A sensor faster than declared: its nearer message arrives after the set went out with
    // the older one, and is dropped and counted (superseded), not taken into a later set.
    let mut fast = TimeAligner::new(with_interval.clone()).unwrap();
    fast.push(camera(70)).unwrap();
    let set = fast.push(lidar(100)).unwrap();
    assert_eq!(summary(&set[0]), (100, vec![100, 70], vec![]));
    assert!(fast.push(camera(90)).unwrap().is_empty());
    assert_eq!(fast.stats().superseded, 1);

    with_interval.min_intervals_ns.insert("nope".into(), MS);
    assert!(matches!(
        TimeAligner::new(with_interval),
        Err(FusionError::UnknownSensor { .. })
    ));
}

//! The inputs the benches measure on are the real, complete ones their names claim: a
//! 100k+-point KITTI scan, the camera frame and a full ARS408 sweep in one frame set whose rig
//! knows all three sensors, a pipeline that fuses them without a degraded branch, and a
//! part-by-part timing that computes exactly what the fusion stage computes.

use kestrel_benches::bench_inputs::{end_to_end_frame, warm_pipeline};
use kestrel_benches::frame_breakdown::FrameBreakdown;
use kestrel_sensors::Timestamp;

#[test]
fn end_to_end_frame_holds_camera_lidar_and_radar_of_the_rig() {
    let (set, rig) = end_to_end_frame().unwrap();
    assert_eq!(
        (set.cameras.len(), set.lidars.len(), set.radars.len()),
        (1, 1, 1)
    );
    assert!(
        set.lidars[0].len() > 100_000,
        "{} points",
        set.lidars[0].len()
    );
    assert_eq!(set.radars[0].detections.len(), 125);
    assert_eq!((set.cameras[0].width, set.cameras[0].height), (1224, 370));
    for sensor in [
        &set.cameras[0].sensor,
        &set.lidars[0].sensor,
        &set.radars[0].sensor,
    ] {
        assert!(rig.sensor(sensor).is_some(), "rig lacks `{sensor}`");
    }
}

#[test]
fn warm_pipeline_fuses_every_branch_and_tracks_objects() {
    let pipeline = warm_pipeline(3, 1).unwrap();
    let (fused, tracking) = &pipeline.last;
    let d = &fused.degraded;
    assert!(
        !(d.camera_missing || d.lidar_missing || d.radar_missing),
        "{d:?}"
    );
    assert!(fused.lidar_stats.is_some() && fused.radar_stats.is_some());
    assert!(!fused.objects.is_empty());
    assert!(tracking.tracks.iter().any(|t| t.is_confirmed()));
    assert_eq!(fused.timestamp, Timestamp::from_nanos(200_000_000));
    assert_eq!(pipeline.next.timestamp, Timestamp::from_nanos(300_000_000));
}

#[test]
fn frame_breakdown_parts_give_the_fusion_stage_result() {
    let breakdown = FrameBreakdown::new(2).unwrap();
    let (times, fused) = breakdown.time_frame().unwrap();
    assert_eq!(fused, breakdown.stage_result().unwrap());
    assert!(times.network_ms > 0.0 && times.lidar_branch_ms > 0.0);
    assert!(times.frame_ms() > times.camera_branch_ms);
}

//! Test support: a small deterministic stage built on the real tracker, synthetic LiDAR
//! scenes with a known moving object, free loopback ports.

#![allow(dead_code)] // each test binary uses a subset

use kestrel_fusion::tracking::{Tracker, TrackerConfig};
use kestrel_fusion::{DetectedObject, SensorSources};
use kestrel_perception::PerceptionError;
use kestrel_perception::output::{EncodedFrame, OutputSink};
use kestrel_perception::stage::{OutputFrame, PerceptionStage};
use kestrel_sensors::{ObjectClass, OrientedBox3, PointCloud, SensorMessage, Timestamp};
use nalgebra::{Matrix2, Point3};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Per LiDAR, the axis-aligned box of its latest sweep's points is a detection; at each sweep
/// the latest box of every LiDAR goes to the real `kestrel_fusion` tracker and a frame is
/// emitted. Camera and radar messages produce nothing. `delay` makes the stage slow.
pub struct BoxOfPointsStage {
    tracker: Tracker,
    latest: BTreeMap<String, DetectedObject>,
    pub delay: Duration,
}

impl BoxOfPointsStage {
    pub fn new(delay: Duration) -> Self {
        Self {
            tracker: Tracker::new(TrackerConfig::default()).unwrap(),
            latest: BTreeMap::new(),
            delay,
        }
    }
}

impl PerceptionStage for BoxOfPointsStage {
    fn name(&self) -> &'static str {
        "fusion"
    }

    fn process(&mut self, msg: &SensorMessage) -> Result<Vec<OutputFrame>, PerceptionError> {
        std::thread::sleep(self.delay);
        let SensorMessage::Lidar(cloud) = msg else {
            return Ok(Vec::new());
        };
        let mut lo = [f64::INFINITY; 3];
        let mut hi = [f64::NEG_INFINITY; 3];
        for p in cloud.iter_xyz() {
            for k in 0..3 {
                lo[k] = lo[k].min(p[k] as f64);
                hi[k] = hi[k].max(p[k] as f64);
            }
        }
        if cloud.is_empty() {
            self.latest.remove(&cloud.sensor);
        } else {
            let d = DetectedObject {
                lidar_shape: None,
                bbox: OrientedBox3 {
                    center: Point3::new(
                        (lo[0] + hi[0]) / 2.0,
                        (lo[1] + hi[1]) / 2.0,
                        (lo[2] + hi[2]) / 2.0,
                    ),
                    length: (hi[0] - lo[0]).max(0.1),
                    width: (hi[1] - lo[1]).max(0.1),
                    height: (hi[2] - lo[2]).max(0.1),
                    yaw: 0.0,
                },
                class: ObjectClass::Car,
                class_confidence: 0.7,
                existence_confidence: 0.9,
                position_covariance: Matrix2::identity() * 0.05,
                velocity: None,
                velocity_covariance: None,
                sources: SensorSources {
                    lidar: true,
                    ..SensorSources::default()
                },
            };
            self.latest.insert(cloud.sensor.clone(), d);
        }
        let detected: Vec<DetectedObject> = self.latest.values().cloned().collect();
        let out = self
            .tracker
            .step(cloud.timestamp, &detected, None)
            .map_err(|e| PerceptionError::Stage {
                stage: "fusion".into(),
                message: e.to_string(),
            })?;
        Ok(vec![OutputFrame {
            stamp: cloud.timestamp,
            detected,
            tracked: out
                .tracks
                .into_iter()
                .filter(|t| t.is_confirmed())
                .collect(),
            degraded: Vec::new(),
            vehicle_pose: None,
        }])
    }
}

/// `n` sweeps at 10 Hz of `lidar_top` seeing a car-sized block of points moving at 5 m/s
/// along x, and `n` sweeps of `lidar_rear` seeing a static block, offset by 50 ms.
pub fn scene(n: u64) -> Vec<SensorMessage> {
    let t0 = 1_700_000_000_000_000_000u64;
    let mut out = Vec::new();
    for i in 0..n {
        let t = t0 + i * 100_000_000;
        let x0 = 10.0 + 0.5 * i as f32;
        out.push(block("lidar_top", t, x0, 2.0));
        // A slowly receding object: no real sensor repeats a sweep bit for bit.
        let x_rear = -15.0 - 0.01 * i as f32;
        out.push(block("lidar_rear", t + 50_000_000, x_rear, -4.0));
    }
    out
}

fn block(sensor: &str, t: u64, x0: f32, y0: f32) -> SensorMessage {
    let mut c = PointCloud::with_capacity(sensor, Timestamp(t), 64, false, false);
    for a in 0..4 {
        for b in 0..4 {
            for h in 0..4 {
                c.push(
                    x0 + a as f32 * 1.5,
                    y0 + b as f32 * 0.6,
                    0.2 + h as f32 * 0.5,
                    1.0,
                    0,
                    0,
                );
            }
        }
    }
    SensorMessage::Lidar(c)
}

/// A sink keeping every encoded frame, shared with the test.
#[derive(Clone, Default)]
pub struct CollectSink(pub Arc<Mutex<Vec<EncodedFrame>>>);

impl OutputSink for CollectSink {
    fn on_frame(&mut self, frame: &EncodedFrame) -> Result<(), PerceptionError> {
        self.0.lock().unwrap().push(frame.clone());
        Ok(())
    }
}

/// A loopback TCP port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The value of the `digest <hex>` line `kestrel replay --digest` prints.
pub fn digest_line(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("digest "))
        .unwrap_or_else(|| panic!("no digest line in:\n{stdout}"))
        .to_owned()
}

/// The number that follows `prefix` in a run summary (e.g. `frames ` -> the frame count,
/// `frames 20: ` -> the tracked-object count).
pub fn summary_number(stdout: &str, prefix: &str) -> u64 {
    let rest = &stdout[stdout
        .find(prefix)
        .unwrap_or_else(|| panic!("`{prefix}` not in summary:\n{stdout}"))
        + prefix.len()..];
    rest.chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("no number after `{prefix}`:\n{stdout}"))
}

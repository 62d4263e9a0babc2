//! Support for the live-input tests: `kestrel` child processes on loopback endpoints, a
//! looped multi-sensor log made from a shipped fixture, and waiting with generous timeouts.

#![allow(dead_code)] // each test binary uses a subset

use kestrel_log::LogWriter;
use kestrel_log::convert::nuscenes_messages;
use kestrel_log::mcap_writer::topic_for;
use kestrel_sensors::{SensorMessage, Timestamp};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `kestrel` child process whose output is collected (by reader threads, so that a chatty
/// process never blocks on a full pipe).
pub struct Kestrel {
    pub child: Child,
    pub what: String,
    out: Option<std::thread::JoinHandle<String>>,
    err: Option<std::thread::JoinHandle<String>>,
}

fn collect(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        r.read_to_string(&mut s).ok();
        s
    })
}

/// Starts `kestrel <args>` with stdout and stderr captured.
pub fn spawn(args: &[&str]) -> Kestrel {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args(args)
        .env("KESTREL_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().map(collect);
    let err = child.stderr.take().map(collect);
    Kestrel {
        child,
        what: args.join(" "),
        out,
        err,
    }
}

impl Kestrel {
    /// Waits up to `timeout` for the process to end; returns (success, stdout, stderr). Kills
    /// it (and fails the test) when it does not end in time.
    pub fn wait(mut self, timeout: Duration) -> (bool, String, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > timeout {
                self.child.kill().ok();
                let (out, err) = self.output();
                panic!(
                    "`kestrel {}` did not end in {timeout:?}\n{out}\n{err}",
                    self.what
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let (out, err) = self.output();
        (status.success(), out, err)
    }

    /// Kills the process (as a crash or `kill -9` would) and waits for it.
    pub fn kill(mut self) -> (String, String) {
        self.child.kill().ok();
        self.child.wait().ok();
        self.output()
    }

    fn output(&mut self) -> (String, String) {
        let join = |h: Option<std::thread::JoinHandle<String>>| {
            h.map(|h| h.join().unwrap_or_default()).unwrap_or_default()
        };
        (join(self.out.take()), join(self.err.take()))
    }
}

/// A loopback zenoh endpoint on a port that was free a moment ago.
pub fn endpoint() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("tcp/127.0.0.1:{port}")
}

/// A fresh scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kestrel-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `m` of pass `k`: `k` periods later, with its sensor noise: one pixel byte (camera) or the
/// first point's height (LiDAR, by `k` x 0.1 mm) differs from pass to pass, as no real sensor
/// repeats a frame bit for bit (an exact repeat is a frozen sensor to the runtime's health).
fn pass_of(mut m: SensorMessage, k: u64) -> SensorMessage {
    m.set_timestamp(Timestamp(m.timestamp().0 + k * LOOP_PERIOD_NS));
    match &mut m {
        SensorMessage::Camera(f) => {
            let mut data = f.data.to_vec();
            data[0] = data[0].wrapping_add(k as u8);
            f.data = data.into();
        }
        SensorMessage::Lidar(c) => c.z[0] += k as f32 * 1e-4,
        SensorMessage::Radar(_) | SensorMessage::Odometry(_) => {}
    }
    m
}

/// Period of the looped log, ns: the shipped nuScenes keyframe (LIDAR_TOP + 6 cameras within
/// about 40 ms) repeats every 100 ms, a 10 Hz drive past a static scene.
pub const LOOP_PERIOD_NS: u64 = 100_000_000;

/// Writes the shipped nuScenes keyframe `passes` times, `LOOP_PERIOD_NS` apart, as one MCAP
/// log with its rig (the multi-sensor log of the live tests: real LiDAR and 6 real cameras;
/// repeated so that the tracker confirms the real objects in it).
pub fn looped_nuscenes_log(out: &Path, passes: u64) {
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../sensors/testdata/nuscenes/sample-n015-2018-07-24");
    let (rig, msgs, _) = nuscenes_messages(&sample, &[]).unwrap();
    let mut all: Vec<SensorMessage> = (0..passes)
        .flat_map(|k| msgs.iter().map(move |m| pass_of(m.clone(), k)))
        .collect();
    all.sort_by(|a, b| (a.timestamp(), a.sensor()).cmp(&(b.timestamp(), b.sensor())));
    let mut w = LogWriter::create(out, Some(&rig)).unwrap();
    for m in &all {
        w.write_sensor(&topic_for(Some(&rig), m), m).unwrap();
    }
    w.finish().unwrap();
}

/// A configuration whose input queues hold every message of a slow play (the lossless
/// setting) and whose output waits for a subscriber (`kestrel echo`) before the run starts.
pub fn lossless_config(dir: &Path) -> PathBuf {
    let path = dir.join("lossless.toml");
    std::fs::write(
        &path,
        "[queues]\n\
         camera = { policy = \"drop_oldest\", capacity = 64 }\n\
         lidar = { policy = \"drop_oldest\", capacity = 64 }\n\
         radar = { policy = \"drop_oldest\", capacity = 64 }\n\
         [ros]\nwait_for_subscribers_s = 60.0\n",
    )
    .unwrap();
    path
}

/// The value after `output digest (sha256 of N CDR messages): ` in a run or replay summary.
pub fn summary_digest(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| {
            l.split_once("CDR messages): ")
                .map(|(_, d)| d.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no digest in:\n{stdout}"))
}

/// The `frames N:` count of a summary.
pub fn summary_frames(stdout: &str) -> u64 {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("frames "))
        .and_then(|l| l.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no frames line in:\n{stdout}"))
}

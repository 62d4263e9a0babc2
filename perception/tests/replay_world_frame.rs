//! `kestrel replay --frame world --json`: objects in the dataset's own world frame, checked
//! against the human labels of the shipped PandaSet slice in that frame (the cuboids as
//! published, no transform of ours in between).

use kestrel_sensors::pandaset::PandasetSequence;
use kestrel_sensors::{LabelledFrame, ObjectClass, Timestamp};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn slice() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sensors/testdata/pandaset/seq002-36-55")
}

/// The JSON lines of `kestrel replay <slice> --json` with `extra` arguments.
fn replay(out: &Path, extra: &[&str]) -> Vec<Value> {
    let status = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args(["replay", "--quiet", "--json"])
        .arg(out)
        .args(extra)
        .arg(slice())
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    std::fs::read_to_string(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// For each tracked vehicle of `lines`: the distance from its centre to the nearest vehicle
/// label of its frame (labels of frame index `i`: `labels(i)`), metres, and its axis error
/// against that label (degrees, modulo 180).
fn nearest_labels(
    lines: &[Value],
    sequence: &PandasetSequence,
    labels: impl Fn(usize) -> LabelledFrame,
) -> Vec<(f64, f64)> {
    let vehicle = |c: ObjectClass| {
        matches!(
            c,
            ObjectClass::Car | ObjectClass::Truck | ObjectClass::Bus | ObjectClass::Trailer
        )
    };
    let mut nearest = Vec::new();
    for l in lines.iter().filter(|l| l["topic"] == "tracked") {
        let class: ObjectClass = serde_json::from_value(l["class"].clone()).unwrap();
        if !vehicle(class) {
            continue;
        }
        let stamp = Timestamp(l["stamp_ns"].as_u64().unwrap());
        let index = sequence
            .frames()
            .iter()
            .position(|f| f.lidar_time == stamp)
            .expect("every output frame is a sweep of the slice");
        let labels = labels(index);
        let p: Vec<f64> = serde_json::from_value(l["position"].clone()).unwrap();
        let yaw = l["yaw"].as_f64().unwrap();
        let (d, label_yaw) = labels
            .objects
            .iter()
            .filter(|o| vehicle(o.class))
            .map(|o| {
                let c = o.bbox.center;
                ((c.x - p[0]).hypot(c.y - p[1]), o.bbox.yaw)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .unwrap_or((f64::INFINITY, 0.0));
        let e = (yaw - label_yaw)
            .rem_euclid(std::f64::consts::PI)
            .to_degrees();
        nearest.push((d, e.min(180.0 - e)));
    }
    assert!(!nearest.is_empty(), "no tracked vehicles");
    nearest
}

/// Share of `nearest` within 2 m of their label.
fn share_on_labels(nearest: &[(f64, f64)]) -> f64 {
    nearest.iter().filter(|(d, _)| *d <= 2.0).count() as f64 / nearest.len() as f64
}

#[test]
fn world_frame_objects_lie_on_the_world_labels() {
    let dir = std::env::temp_dir().join(format!("kestrel-world-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let vehicle = replay(&dir.join("vehicle.jsonl"), &[]);
    let world = replay(&dir.join("world.jsonl"), &["--frame", "world"]);
    // The same objects, only placed differently.
    assert_eq!(vehicle.len(), world.len());
    for (v, w) in vehicle.iter().zip(&world) {
        for key in ["topic", "stamp_ns", "track_id", "class", "size"] {
            assert_eq!(v[key], w[key], "{key}");
        }
    }
    let sequence = PandasetSequence::open(&slice()).unwrap();
    let world_labels = |i| sequence.world_labels(i).unwrap();
    let vehicle_labels = |i| sequence.labels(i).unwrap();
    // World outputs lie on world labels exactly as vehicle-frame outputs lie on vehicle-frame
    // labels: object by object, the same distance to the nearest label (within 1 cm: the world
    // frame goes through the poses) and the same axis error.
    let world_nearest = nearest_labels(&world, &sequence, world_labels);
    let vehicle_nearest = nearest_labels(&vehicle, &sequence, vehicle_labels);
    assert_eq!(world_nearest.len(), vehicle_nearest.len());
    for (w, v) in world_nearest.iter().zip(&vehicle_nearest) {
        let same_distance = (w.0 - v.0).abs() < 0.01 || (w.0.is_infinite() && v.0.is_infinite());
        assert!(
            same_distance && (w.1 - v.1).abs() < 0.1,
            "world {w:?} vs vehicle frame {v:?} (distance m, axis error deg)"
        );
    }
    let share = share_on_labels(&world_nearest);
    assert!(
        share >= 0.7,
        "world: {share:.2} of tracked vehicles on a label"
    );
    // Control: the vehicle-frame positions are nowhere near the world labels.
    let share_vehicle = share_on_labels(&nearest_labels(&vehicle, &sequence, world_labels));
    assert!(share_vehicle < 0.1, "vehicle frame: {share_vehicle:.2}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn world_frame_needs_poses() {
    let kitti = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sensors/testdata/kitti/object");
    let out =
        std::env::temp_dir().join(format!("kestrel-world-kitti-{}.jsonl", std::process::id()));
    let run = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args(["replay", "--quiet", "--frame", "world", "--json"])
        .arg(&out)
        .arg(&kitti)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("no vehicle pose"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    std::fs::remove_file(&out).ok();
}

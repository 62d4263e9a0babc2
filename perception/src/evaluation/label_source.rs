//! Where the human labels come from, as one [`LabelSequence`]: labelled frames in time order,
//! every box in the **vehicle frame** at the frame's instant (x forward, y left, z up, metres,
//! origin at the rear-axle centre on the ground).
//!
//! - **KITTI object folder** (`label_2/`, `calib/`): labels other than `DontCare`, moved from
//!   the Velodyne frame to the vehicle frame through the rig of the frame's calibration; frame
//!   `i` (in id order) at `i` x 100 ms, the time `SensorSource::open_kitti` gives its sweep.
//!   KITTI labels only what the left colour camera sees: the frame's [`LabelScope`] is that
//!   camera's horizontal field of view.
//! - **nuScenes sample folder**: the keyframe's boxes, moved from `LIDAR_TOP` to the vehicle
//!   frame through the rig, at the LiDAR keyframe time; boxes without a LiDAR point are marked
//!   as not evaluable (the nuScenes devkit filters them the same way).
//! - **PandaSet sequence folder**: every frame's cuboids (one box per object, with the
//!   object's uuid as track id) in the vehicle frame at the sweep stamp, through
//!   `kestrel_sensors::pandaset` (see there for its vehicle frame: origin on the road below the
//!   LiDAR, not at the rear axle); frame numbers and names as in the folder (`00`...). Boxes
//!   without a LiDAR point of the sweep inside them (objects hidden behind others) are marked
//!   as not evaluable, as for nuScenes: a LiDAR-camera stack cannot be asked to see them. (The
//!   issue's first measurements counted them; about 7% of the labels within 50 m.)
//! - **MCAP log**: the `autoware_perception_msgs/TrackedObjects` messages on
//!   [`GROUND_TRUTH_TOPIC`] (written by `kestrel_log::ground_truth_msg`); a message in a sensor
//!   frame of the log's rig is moved to the vehicle frame through the rig.

use super::error::EvalError;
use kestrel_log::ground_truth_msg::msg_to_labels;
use kestrel_log::mcap_reader::RawLogReader;
use kestrel_log::mcap_writer::GROUND_TRUTH_TOPIC;
use kestrel_log::ros2_msg::RosMessage;
use kestrel_log::ros2_msg::autoware_perception_msgs::TrackedObjects;
use kestrel_log::sensor_reader::SensorLogReader;
use kestrel_sensors::image_file::image_dimensions;
use kestrel_sensors::kitti::{self, KittiFramePaths, calib::KittiCalib, labels::parse_labels};
use kestrel_sensors::nuscenes::{self, NuscenesSample};
use kestrel_sensors::pandaset::PandasetSequence;
use kestrel_sensors::{GroundTruthObject, LabelledFrame, Rig, SensorKind, Timestamp};
use nalgebra::Vector3;
use std::path::Path;

/// Name of the vehicle frame in labelled frames.
pub const VEHICLE_FRAME: &str = "vehicle";

/// Frame names that mean the vehicle frame in logs (`base_link` is ROS's).
const VEHICLE_FRAME_NAMES: [&str; 2] = [VEHICLE_FRAME, "base_link"];

/// The part of the ground plane a dataset labels: a horizontal sector seen from `apex`
/// (vehicle frame, metres), between two azimuths (radians, counter-clockwise from x). Objects
/// whose centre lies outside are neither required nor held against the stack.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelScope {
    /// The sector's apex (the labelling camera's position), vehicle frame, metres.
    pub apex: [f64; 2],
    /// Azimuth of the sector's right edge, radians.
    pub azimuth_min: f64,
    /// Azimuth of the sector's left edge, radians (greater than `azimuth_min`).
    pub azimuth_max: f64,
}

impl LabelScope {
    /// True when the ground-plane point `(x, y)` (vehicle frame) lies in the sector.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        let a = (y - self.apex[1]).atan2(x - self.apex[0]);
        (self.azimuth_min..=self.azimuth_max).contains(&a)
    }

    /// The horizontal field of view of camera `camera` of `rig`, or `None` when the rig has no
    /// such camera.
    pub fn of_camera(rig: &Rig, camera: &str) -> Option<LabelScope> {
        let spec = rig.sensor(camera)?;
        let SensorKind::Camera { intrinsics: k } = &spec.kind else {
            return None;
        };
        let azimuth = |u: f64| {
            let ray = spec.extrinsics.rotation * Vector3::new((u - k.cx) / k.fx, 0.0, 1.0);
            ray.y.atan2(ray.x)
        };
        let (a, b) = (azimuth(0.0), azimuth(k.width as f64));
        let t = spec.extrinsics.translation.vector;
        Some(LabelScope {
            apex: [t.x, t.y],
            azimuth_min: a.min(b),
            azimuth_max: a.max(b),
        })
    }
}

/// One labelled frame of a sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceFrame {
    /// The frame's number in its sequence (PandaSet `00` -> 0; KITTI: position in id order).
    pub number: u32,
    /// The dataset's name for the frame (`000001`, `00`, or the index of a log's message).
    pub name: String,
    /// The labels, vehicle frame.
    pub labels: LabelledFrame,
    /// Labels not to evaluate, by index into `labels.objects` (e.g. nuScenes boxes without a
    /// LiDAR point): they are neither required nor held against the stack.
    pub not_evaluable: Vec<usize>,
}

/// The labels of an input.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelSequence {
    /// Where they came from: `kitti`, `nuscenes`, `pandaset` or `mcap`.
    pub dataset: String,
    /// The labelled region, when the dataset labels only part of the surroundings.
    pub scope: Option<LabelScope>,
    /// The frames, in time order.
    pub frames: Vec<SequenceFrame>,
    /// True when labels carry identities across frames (track ids), so that identity
    /// metrics (ID switches, IDF1) mean something.
    pub has_track_ids: bool,
}

fn labels_err(path: &Path, message: impl std::fmt::Display) -> EvalError {
    EvalError::Labels {
        path: path.to_owned(),
        message: message.to_string(),
    }
}

impl LabelSequence {
    /// Opens the labels of `path`: a KITTI object folder, a nuScenes sample folder or an MCAP
    /// log with a ground-truth topic (module docs).
    pub fn open(path: &Path) -> Result<LabelSequence, EvalError> {
        if path.is_file() && path.extension().is_some_and(|e| e == "mcap") {
            return Self::from_mcap(path);
        }
        if path.is_dir() && kitti::is_object_root(path) {
            return Self::from_kitti(path);
        }
        if path.is_dir() && NuscenesSample::is_sample_dir(path) {
            return Self::from_nuscenes(path);
        }
        if path.is_dir() && PandasetSequence::is_sequence_dir(path) {
            return Self::from_pandaset(path);
        }
        Err(labels_err(
            path,
            "not a labelled input (expected a KITTI object folder with label_2/, a nuScenes \
             sample folder, a PandaSet sequence folder, or an MCAP log with labels on \
             /kestrel/ground_truth/objects)",
        ))
    }

    /// The labels of a KITTI object folder (module docs).
    pub fn from_kitti(root: &Path) -> Result<LabelSequence, EvalError> {
        let err = |e: &dyn std::fmt::Display| labels_err(root, e);
        let ids = kitti::frame_ids(root).map_err(|e| err(&e))?;
        let mut frames = Vec::new();
        let mut scope = None;
        for (i, id) in ids.iter().enumerate() {
            let paths = KittiFramePaths::new(root, id);
            let text = std::fs::read_to_string(&paths.label)
                .map_err(|e| err(&format!("frame {id}: {}: {e}", paths.label.display())))?;
            let labels =
                parse_labels(&text, &paths.label.display().to_string()).map_err(|e| err(&e))?;
            let calib = KittiCalib::load(&paths.calib).map_err(|e| err(&e))?;
            let (w, h) = image_dimensions(&paths.image).map_err(|e| err(&e))?;
            let rig = calib.rig(w, h).map_err(|e| err(&e))?;
            let rect_to_velo = calib.velo_to_rect().map_err(|e| err(&e))?.inverse();
            let velo_to_vehicle = rig
                .sensor(kitti::calib::LIDAR)
                .map(|s| s.extrinsics)
                .ok_or_else(|| err(&"the KITTI rig has no Velodyne"))?;
            if i == 0 {
                scope = LabelScope::of_camera(&rig, kitti::calib::CAMERAS[2]);
            }
            let objects = labels
                .iter()
                .filter_map(|l| l.to_ground_truth(&rect_to_velo, kitti::calib::LIDAR))
                .map(|o| o.transformed(&velo_to_vehicle, VEHICLE_FRAME))
                .collect();
            frames.push(SequenceFrame {
                number: i as u32,
                name: id.clone(),
                labels: LabelledFrame {
                    timestamp: Timestamp::from_nanos(i as u64 * 100_000_000),
                    frame: VEHICLE_FRAME.into(),
                    objects,
                },
                not_evaluable: Vec::new(),
            });
        }
        Ok(LabelSequence {
            dataset: "kitti".into(),
            scope,
            frames,
            has_track_ids: false,
        })
    }

    /// The labels of a PandaSet sequence folder (module docs).
    pub fn from_pandaset(root: &Path) -> Result<LabelSequence, EvalError> {
        let sequence = PandasetSequence::open(root).map_err(|e| labels_err(root, e))?;
        let frames = sequence
            .frames()
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let labels = sequence.labels(i).map_err(|e| labels_err(root, e))?;
                let not_evaluable = labels
                    .objects
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| o.num_lidar_points == Some(0))
                    .map(|(k, _)| k)
                    .collect();
                Ok(SequenceFrame {
                    number: f.number,
                    name: f.id.clone(),
                    labels,
                    not_evaluable,
                })
            })
            .collect::<Result<Vec<_>, EvalError>>()?;
        Ok(LabelSequence {
            dataset: "pandaset".into(),
            scope: None,
            frames,
            has_track_ids: true,
        })
    }

    /// The labels of a nuScenes sample folder (module docs).
    pub fn from_nuscenes(dir: &Path) -> Result<LabelSequence, EvalError> {
        let sample = NuscenesSample::load(dir).map_err(|e| labels_err(dir, e))?;
        let lidar_to_vehicle = sample
            .rig
            .sensor(nuscenes::LIDAR)
            .map(|s| s.extrinsics)
            .ok_or_else(|| labels_err(dir, "the rig has no LIDAR_TOP"))?;
        let objects: Vec<GroundTruthObject> = sample
            .ground_truth
            .iter()
            .map(|o| o.transformed(&lidar_to_vehicle, VEHICLE_FRAME))
            .collect();
        let not_evaluable = objects
            .iter()
            .enumerate()
            .filter(|(_, o)| o.num_lidar_points == Some(0))
            .map(|(i, _)| i)
            .collect();
        Ok(LabelSequence {
            dataset: "nuscenes".into(),
            scope: None,
            frames: vec![SequenceFrame {
                number: 0,
                name: if sample.info.token.is_empty() {
                    dir.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                } else {
                    sample.info.token.clone()
                },
                labels: LabelledFrame {
                    timestamp: sample.timestamp,
                    frame: VEHICLE_FRAME.into(),
                    objects,
                },
                not_evaluable,
            }],
            has_track_ids: false,
        })
    }

    /// The labels on [`GROUND_TRUTH_TOPIC`] of an MCAP log (module docs).
    pub fn from_mcap(path: &Path) -> Result<LabelSequence, EvalError> {
        let rig = SensorLogReader::open(path, None)
            .map_err(|e| labels_err(path, e))?
            .rig()
            .cloned();
        let reader = RawLogReader::open(path).map_err(|e| labels_err(path, e))?;
        let mut frames = Vec::new();
        for message in reader {
            let m = message.map_err(|e| labels_err(path, e))?;
            if m.channel.topic != GROUND_TRUTH_TOPIC {
                continue;
            }
            let msg = TrackedObjects::from_cdr(&m.data).map_err(|e| {
                labels_err(path, format!("{GROUND_TRUTH_TOPIC} at {}: {e}", m.log_time))
            })?;
            let mut labels = msg_to_labels(&msg);
            if !VEHICLE_FRAME_NAMES.contains(&labels.frame.as_str()) {
                let to_vehicle = rig
                    .as_ref()
                    .and_then(|r| r.sensor(&labels.frame))
                    .map(|s| s.extrinsics)
                    .ok_or_else(|| {
                        labels_err(
                            path,
                            format!(
                                "labels at {} are in frame `{}`, which is neither the vehicle \
                                 frame nor a sensor of the log's rig",
                                labels.timestamp, labels.frame
                            ),
                        )
                    })?;
                labels.objects = labels
                    .objects
                    .iter()
                    .map(|o| o.transformed(&to_vehicle, VEHICLE_FRAME))
                    .collect();
            }
            labels.frame = VEHICLE_FRAME.into();
            let number = frames.len() as u32;
            frames.push(SequenceFrame {
                number,
                name: format!("{number:04}"),
                labels,
                not_evaluable: Vec::new(),
            });
        }
        if frames.is_empty() {
            return Err(labels_err(
                path,
                format!("no labels on {GROUND_TRUTH_TOPIC}"),
            ));
        }
        frames.sort_by_key(|f| f.labels.timestamp);
        for (i, f) in frames.iter_mut().enumerate() {
            f.number = i as u32;
            f.name = format!("{i:04}");
        }
        // The codec always writes an id; ids repeating across frames mean real track ids.
        let mut seen = std::collections::BTreeSet::new();
        let mut repeated = false;
        for f in &frames {
            let ids: std::collections::BTreeSet<&str> = f
                .labels
                .objects
                .iter()
                .filter_map(|o| o.track_id.as_deref())
                .collect();
            repeated |= ids.iter().any(|id| seen.contains(id));
            seen.extend(ids);
        }
        Ok(LabelSequence {
            dataset: "mcap".into(),
            scope: None,
            frames,
            has_track_ids: repeated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_sensors::{CameraIntrinsics, Distortion, SensorSpec};
    use nalgebra::{Isometry3, UnitQuaternion};

    #[test]
    fn camera_scope_is_the_horizontal_field_of_view() {
        // A forward camera (optical z = vehicle x, optical x = vehicle -y), 90 degrees wide.
        let optical_to_vehicle = UnitQuaternion::from_matrix(&nalgebra::Matrix3::new(
            0.0, 0.0, 1.0, -1.0, 0.0, 0.0, 0.0, -1.0, 0.0,
        ));
        let rig = Rig {
            name: "t".into(),
            sensors: vec![SensorSpec {
                name: "cam".into(),
                kind: SensorKind::Camera {
                    intrinsics: CameraIntrinsics {
                        width: 200,
                        height: 100,
                        fx: 100.0,
                        fy: 100.0,
                        cx: 100.0,
                        cy: 50.0,
                        distortion: Distortion::None,
                    },
                },
                topic: None,
                rate_hz: None,
                sync_offset_s: 0.0,
                extrinsics: Isometry3::from_parts(
                    Vector3::new(1.0, 0.0, 1.5).into(),
                    optical_to_vehicle,
                ),
            }],
        };
        let s = LabelScope::of_camera(&rig, "cam").unwrap();
        assert!((s.azimuth_min + std::f64::consts::FRAC_PI_4).abs() < 1e-9);
        assert!((s.azimuth_max - std::f64::consts::FRAC_PI_4).abs() < 1e-9);
        assert!(s.contains(10.0, 8.0));
        assert!(!s.contains(10.0, 10.0));
        assert!(!s.contains(-5.0, 0.0));
        assert!(LabelScope::of_camera(&rig, "nope").is_none());
    }
}

//! PandaSet sequence folders (Hesai Pandar64 360-degree LiDAR, six cameras, ego poses and
//! human-labelled 3D cuboids with track ids), in the layout of the devkit's export:
//!
//! ```text
//! <sequence>/sequence.json          LiDAR poses + timestamps; per camera: intrinsics, poses, timestamps
//! <sequence>/lidar/NN.pcd           binary PCD: x y z (world frame) intensity t; VIEWPOINT = LiDAR pose
//! <sequence>/camera/<name>/NN.jpg   front_camera, front_left_camera, ..., back_camera
//! <sequence>/cuboids/NN.jsonl       one labelled box per line, world frame
//! ```
//!
//! Any folder in this layout opens, whatever its frame numbers (`NN` is the frame number in
//! `sequence.json`; a slice of a sequence keeps the whole `sequence.json`).
//!
//! # Frames
//! - **World**: PandaSet's own fixed frame (z up, level), in which points, cuboids and poses
//!   are given.
//! - **LiDAR pose frame**: the `VIEWPOINT` / `sequence.json` LiDAR pose; its axes are x right,
//!   y forward, z up (the front camera looks along its +y), and its origin is
//!   [`POSE_HEIGHT_M`] above the road. It is tilted by about 1.5 degrees against the level
//!   world.
//! - **Vehicle frame** (REP-103, what Kestrel works in): attached to the body like the LiDAR
//!   pose, with x forward (the pose's +y), y left, z up, turned by the sequence's mean pose
//!   tilt so that it is level on average ([`PandasetSequence::mount_rotation`]); **origin on
//!   the road directly below the LiDAR pose origin** ([`POSE_HEIGHT_M`] below it). PandaSet
//!   publishes no rear-axle position, so the origin is not the rear axle. Being body-attached,
//!   the cameras' extrinsics in it stay constant while the body pitches (within 0.08 degrees
//!   and 2.5 cm over sequence 002, where a level frame would drift by 0.6 degrees).
//! - **`lidar_top`** (the rig's LiDAR): the vehicle frame raised by [`POSE_HEIGHT_M`] (axes
//!   of the vehicle frame at the LiDAR pose origin). Its points are the sweep's world points
//!   expressed in it.
//! - Cameras: optical frames (x right, y down, z forward) from their `sequence.json` poses; the
//!   rig's extrinsics are those of the first frame, relative to the vehicle frame at the
//!   camera's own exposure time.
//!
//! # Time and motion compensation
//! Each sweep is stamped with its `sequence.json` LiDAR time (the end of the rotation: the
//! per-point `t` runs from about -0.1 s to 0). The points are given in the world frame, each
//! placed with the ego pose at its own capture time — the dataset's world-frame sweeps are
//! already motion-compensated (they are not a rigid transform of the raw sensor sweeps; see
//! scaleapi/pandaset-devkit issue 84, and a static surface that crosses the start/end seam of
//! a sweep shows no step at 4.4 m/s). Compensating a sweep to its stamp is therefore the
//! transform of every point, whatever its `t`, into the vehicle frame at the stamp; the
//! vehicle pose at any time comes from the LiDAR poses ([`PoseTrajectory`], interpolated).
//! The cloud then describes one instant and carries no per-point times.
//!
//! Cameras fire as the LiDAR sweeps past them, so each camera's exposure precedes the sweep
//! stamp by a fixed phase (the back camera by about 0.1 s); the rig records it as the camera's
//! [`SensorSpec::sync_offset_s`] so that time alignment groups each image with its sweep.
//!
//! Ego odometry (velocity and yaw rate, vehicle frame) comes from central differences of the
//! vehicle poses ([`PoseTrajectory::velocities_at_sample`]); label velocities likewise from
//! the same object's boxes in the neighbouring frames.

pub mod cuboid_labels;
pub mod sequence_file;

use crate::image_file::read_image_file;
use crate::image_labels::{ImageLabel, ImageLabelSettings, project_labels};
use crate::lidar_bin::DecodedCloud;
use crate::pcd::PcdFile;
use crate::pose_trajectory::PoseTrajectory;
use crate::{
    CameraFrame, CameraIntrinsics, Distortion, GroundTruthObject, LabelledFrame, Odometry,
    PointCloud, Rig, SensorError, SensorKind, SensorSpec, Timestamp,
};
use cuboid_labels::{Cuboid, dedup_siblings, load_cuboids};
use nalgebra::{Isometry3, Point3, Translation3, UnitQuaternion, Vector2, Vector3};
use sequence_file::{CameraMeta, SequenceFile, entry_for};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// First frame number Kestrel reports as held out of a PandaSet sequence: frames before it tune
/// the stack and train the students, frames from it on are reported (frames 40-55 of sequence
/// 002: its last 1.6 s).
pub const HELDOUT_FROM: u32 = 40;

/// Rig name of the Pandar64.
pub const LIDAR: &str = "lidar_top";

/// Name of the ego-motion source (odometry messages).
pub const ODOMETRY_SOURCE: &str = "ego";

/// PandaSet's camera names, in the rig's order (the first is the front camera).
pub const CAMERAS: [&str; 6] = [
    "front_camera",
    "front_left_camera",
    "front_right_camera",
    "left_camera",
    "right_camera",
    "back_camera",
];

/// Height of the LiDAR pose origin above the road, metres: the level road surface around the
/// vehicle (a plane fitted to the ground returns 3-25 m away, world frame) lies 0.27-0.29 m
/// below the pose origin over sequence 002 (0.29 at frame 0, 0.28 at 30, 0.27 at 55).
pub const POSE_HEIGHT_M: f64 = 0.28;

/// One frame of the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PandasetFrame {
    /// File stem (`"00"`).
    pub id: String,
    /// Frame number in `sequence.json`.
    pub number: u32,
    /// Sweep time (the LiDAR timestamp), sensor clock.
    pub lidar_time: Timestamp,
}

/// An opened PandaSet sequence folder (files are read on request).
#[derive(Debug, Clone)]
pub struct PandasetSequence {
    root: PathBuf,
    frames: Vec<PandasetFrame>,
    /// Vehicle frame -> world over every pose of `sequence.json`.
    vehicle: PoseTrajectory,
    /// Index into `vehicle`'s samples of each frame.
    frame_sample: Vec<usize>,
    /// Camera name -> its metadata (only cameras with an image folder).
    cameras: BTreeMap<String, CameraMeta>,
    /// Vehicle axes -> LiDAR pose axes.
    mount: UnitQuaternion<f64>,
    rig: Rig,
}

/// A Unix time in seconds (as `sequence.json` writes it) as a timestamp, rounded to the
/// microsecond (the file's precision).
fn seconds_to_timestamp(seconds: f64, what: &str) -> Result<Timestamp, SensorError> {
    if !(0.0..1.8e10).contains(&seconds) {
        return Err(SensorError::malformed(
            what,
            0,
            format!("bad timestamp {seconds}"),
        ));
    }
    Ok(Timestamp::from_micros((seconds * 1e6).round() as u64))
}

/// The level frame of a LiDAR pose: x along the pose's forward (+y) axis projected on the
/// world's level plane, z up along the world's z.
fn level_rotation(lidar_pose: &Isometry3<f64>) -> UnitQuaternion<f64> {
    let forward = lidar_pose.rotation * Vector3::y();
    UnitQuaternion::from_euler_angles(0.0, 0.0, forward.y.atan2(forward.x))
}

/// The rotation from the vehicle axes to the LiDAR pose axes that makes the vehicle frame
/// level on average over `poses`: the mean (normalised quaternion sum) of each pose's
/// rotation to its level frame.
fn mount_rotation(poses: &[Isometry3<f64>]) -> UnitQuaternion<f64> {
    let mut sum = nalgebra::Quaternion::new(0.0, 0.0, 0.0, 0.0);
    for p in poses {
        let q = (p.rotation.inverse() * level_rotation(p)).into_inner();
        // Quaternions q and -q are the same rotation: add them on one side.
        sum += if sum.dot(&q) < 0.0 { -q } else { q };
    }
    UnitQuaternion::from_quaternion(sum)
}

/// The vehicle frame of a LiDAR pose (see the module docs): the pose turned by the
/// sequence's `mount` rotation ([`PandasetSequence::mount_rotation`]), origin
/// [`POSE_HEIGHT_M`] below the pose origin along the vehicle's z.
pub fn vehicle_from_lidar_pose(
    lidar_pose: &Isometry3<f64>,
    mount: &UnitQuaternion<f64>,
) -> Isometry3<f64> {
    lidar_pose
        * Isometry3::from_parts(Translation3::identity(), *mount)
        * Isometry3::translation(0.0, 0.0, -POSE_HEIGHT_M)
}

/// Frame numbers of the `*.pcd` files in `dir`, sorted, with their stems.
fn pcd_frames(dir: &Path) -> Result<Vec<(u32, String)>, SensorError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| SensorError::io(dir, e))? {
        let path = entry.map_err(|e| SensorError::io(dir, e))?.path();
        if path.extension().is_some_and(|e| e == "pcd")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            let n = stem.parse::<u32>().map_err(|_| {
                SensorError::malformed(
                    path.display().to_string(),
                    0,
                    "sweep file name is not a frame number",
                )
            })?;
            out.push((n, stem.to_owned()));
        }
    }
    out.sort();
    Ok(out)
}

impl PandasetSequence {
    /// True when `path` looks like a PandaSet sequence folder (`sequence.json` and `lidar/`).
    pub fn is_sequence_dir(path: &Path) -> bool {
        path.join("sequence.json").is_file() && path.join("lidar").is_dir()
    }

    /// Opens a sequence folder: reads `sequence.json`, lists the sweeps and cameras, builds
    /// the ego trajectory and the rig.
    pub fn open(root: &Path) -> Result<Self, SensorError> {
        let seq_path = root.join("sequence.json");
        let what = seq_path.display().to_string();
        let seq = SequenceFile::load(&seq_path)?;
        // The vehicle's trajectory over every pose in the file (a slice keeps them all, so
        // its first and last frames still interpolate).
        let mut lidar_poses = Vec::new();
        for pose in &seq.lidar.poses {
            let t = entry_for(&seq.lidar.timestamps, pose.frame, |e| e.frame).ok_or_else(|| {
                SensorError::malformed(&what, 0, format!("no LiDAR time for frame {}", pose.frame))
            })?;
            lidar_poses.push((
                pose.frame,
                seconds_to_timestamp(t.t, &what)?,
                pose.isometry(&what)?,
            ));
        }
        let mount = mount_rotation(&lidar_poses.iter().map(|p| p.2).collect::<Vec<_>>());
        let mut samples: Vec<_> = lidar_poses
            .iter()
            .map(|(n, t, p)| (*n, *t, vehicle_from_lidar_pose(p, &mount)))
            .collect();
        samples.sort_by_key(|s| s.1);
        let vehicle = PoseTrajectory::new(samples.iter().map(|s| (s.1, s.2)).collect(), &what)?;
        let mut frames = Vec::new();
        let mut frame_sample = Vec::new();
        for (number, id) in pcd_frames(&root.join("lidar"))? {
            let k = samples.iter().position(|s| s.0 == number).ok_or_else(|| {
                SensorError::malformed(
                    &what,
                    0,
                    format!("sweep {id}.pcd has no pose in sequence.json"),
                )
            })?;
            frames.push(PandasetFrame {
                id,
                number,
                lidar_time: samples[k].1,
            });
            frame_sample.push(k);
        }
        if frames.is_empty() {
            return Err(SensorError::malformed(
                root.join("lidar").display().to_string(),
                0,
                "no *.pcd sweeps",
            ));
        }
        let cameras: BTreeMap<String, CameraMeta> = seq
            .cameras
            .into_iter()
            .filter(|(name, _)| root.join("camera").join(name).is_dir())
            .collect();
        let mut sequence = Self {
            root: root.to_owned(),
            frames,
            vehicle,
            frame_sample,
            cameras,
            mount,
            rig: Rig::default(),
        };
        sequence.rig = sequence.build_rig()?;
        Ok(sequence)
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The frames that have a sweep, in time order.
    pub fn frames(&self) -> &[PandasetFrame] {
        &self.frames
    }

    /// The rig: `lidar_top` and the cameras that have an image folder (see the module docs).
    pub fn rig(&self) -> &Rig {
        &self.rig
    }

    /// Names of the cameras in the rig, in rig order.
    pub fn camera_names(&self) -> Vec<&str> {
        self.rig
            .cameras()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
    }

    /// Vehicle axes -> LiDAR pose axes: a quarter turn (the pose's forward is +y) and the
    /// correction of the pose frame's tilt (about 2 degrees of roll in sequence 002),
    /// averaged over the sequence so that the vehicle frame is level on average.
    pub fn mount_rotation(&self) -> UnitQuaternion<f64> {
        self.mount
    }

    /// The ego trajectory (vehicle frame -> world).
    pub fn trajectory(&self) -> &PoseTrajectory {
        &self.vehicle
    }

    /// Vehicle frame -> world at frame `index`'s sweep time.
    pub fn vehicle_pose(&self, index: usize) -> Isometry3<f64> {
        self.vehicle.samples()[self.frame_sample[index]].1
    }

    fn frame(&self, index: usize) -> Result<&PandasetFrame, SensorError> {
        self.frames.get(index).ok_or_else(|| {
            SensorError::malformed(
                self.root.display().to_string(),
                index,
                format!("frame index {index} out of range ({})", self.frames.len()),
            )
        })
    }

    /// The exposure time of camera `camera`'s image of frame number `number` (the stamp of
    /// [`Self::camera`]'s frame), from `sequence.json`.
    pub fn camera_time(&self, camera: &str, number: u32) -> Result<Timestamp, SensorError> {
        let what = format!("{}/sequence.json camera {camera}", self.root.display());
        let meta = self
            .cameras
            .get(camera)
            .ok_or_else(|| SensorError::UnknownSensor(camera.to_owned()))?;
        let t = entry_for(&meta.timestamps, number, |e| e.frame).ok_or_else(|| {
            SensorError::malformed(&what, 0, format!("no timestamp for frame {number}"))
        })?;
        seconds_to_timestamp(t.t, &what)
    }

    /// Camera `camera` (optical frame) -> world at its exposure of frame `index`: the
    /// dataset's own camera pose.
    pub fn camera_pose(&self, index: usize, camera: &str) -> Result<Isometry3<f64>, SensorError> {
        let number = self.frame(index)?.number;
        let what = format!("{}/sequence.json camera {camera}", self.root.display());
        let meta = self
            .cameras
            .get(camera)
            .ok_or_else(|| SensorError::UnknownSensor(camera.to_owned()))?;
        entry_for(&meta.poses, number, |e| e.frame)
            .ok_or_else(|| SensorError::malformed(&what, 0, format!("no pose for frame {number}")))?
            .isometry(&what)
    }

    /// The labels of frame `index` that camera `camera` sees, as 2D boxes in its image
    /// ([`crate::image_labels`]): the world-frame labels and sweep projected with the camera's
    /// own pose at its exposure, as the dataset's devkit does.
    pub fn image_labels(
        &self,
        index: usize,
        camera: &str,
        settings: &ImageLabelSettings,
    ) -> Result<Vec<ImageLabel>, SensorError> {
        let mut spec = self
            .rig
            .sensor(camera)
            .ok_or_else(|| SensorError::UnknownSensor(camera.to_owned()))?
            .clone();
        spec.extrinsics = self.camera_pose(index, camera)?;
        let labels = self.world_labels(index)?;
        let points = self.world_point_list(index)?;
        Ok(project_labels(&labels, &spec, &points, settings))
    }

    /// Camera `camera` (optical frame) -> vehicle frame at its exposure of frame `index`,
    /// from that frame's poses: the calibration the rig's extrinsics hold, measured again at
    /// any frame (a check of the poses and of their interpolation in time).
    pub fn camera_extrinsics_at(
        &self,
        camera: &str,
        index: usize,
    ) -> Result<Isometry3<f64>, SensorError> {
        self.camera_extrinsics(camera, self.frame(index)?.number)
    }

    fn camera_extrinsics(&self, camera: &str, number: u32) -> Result<Isometry3<f64>, SensorError> {
        let what = format!("{}/sequence.json camera {camera}", self.root.display());
        let meta = self
            .cameras
            .get(camera)
            .ok_or_else(|| SensorError::UnknownSensor(camera.to_owned()))?;
        let pose = entry_for(&meta.poses, number, |e| e.frame)
            .ok_or_else(|| SensorError::malformed(&what, 0, format!("no pose for frame {number}")))?
            .isometry(&what)?;
        let t = self.camera_time(camera, number)?;
        Ok(self.vehicle.pose_at(t).inverse() * pose)
    }

    fn build_rig(&self) -> Result<Rig, SensorError> {
        let first = self.frames[0].number;
        let mut sensors = vec![SensorSpec {
            name: LIDAR.into(),
            kind: SensorKind::Lidar { beams: Some(64) },
            topic: None,
            rate_hz: Some(10.0),
            sync_offset_s: 0.0,
            extrinsics: Isometry3::translation(0.0, 0.0, POSE_HEIGHT_M),
        }];
        for name in CAMERAS {
            let Some(meta) = self.cameras.get(name) else {
                continue;
            };
            let what = format!("{}/camera/{name}", self.root.display());
            let first_image = self.image_path(name, &self.frames[0].id);
            let (width, height) = crate::image_file::image_dimensions(&first_image)?;
            let k = meta.intrinsics;
            if ![k.fx, k.fy, k.cx, k.cy]
                .iter()
                .all(|v| v.is_finite() && *v > 0.0)
            {
                return Err(SensorError::malformed(what, 0, "bad intrinsics"));
            }
            // Median exposure offset from the sweep stamp, to the millisecond.
            let mut offsets = Vec::new();
            for f in &self.frames {
                let t = self.camera_time(name, f.number)?;
                offsets.push(if t >= f.lidar_time {
                    t.seconds_since(f.lidar_time)
                } else {
                    -f.lidar_time.seconds_since(t)
                });
            }
            offsets.sort_by(f64::total_cmp);
            let offset = (offsets[offsets.len() / 2] * 1000.0).round() / 1000.0;
            sensors.push(SensorSpec {
                name: name.into(),
                kind: SensorKind::Camera {
                    intrinsics: CameraIntrinsics {
                        width,
                        height,
                        fx: k.fx,
                        fy: k.fy,
                        cx: k.cx,
                        cy: k.cy,
                        distortion: Distortion::None,
                    },
                },
                topic: None,
                rate_hz: Some(10.0),
                sync_offset_s: offset,
                extrinsics: self.camera_extrinsics(name, first)?,
            });
        }
        Ok(Rig {
            name: "pandaset".into(),
            sensors,
        })
    }

    fn image_path(&self, camera: &str, id: &str) -> PathBuf {
        self.root
            .join("camera")
            .join(camera)
            .join(format!("{id}.jpg"))
    }

    fn world_points(&self, index: usize) -> Result<(PcdFile, String), SensorError> {
        let f = self.frame(index)?;
        let path = self.root.join("lidar").join(format!("{}.pcd", f.id));
        Ok((PcdFile::load(&path)?, path.display().to_string()))
    }

    /// Frame `index`'s finite sweep points in the world frame.
    fn world_point_list(&self, index: usize) -> Result<Vec<Point3<f64>>, SensorError> {
        let (pcd, what) = self.world_points(index)?;
        let (x, y, z) = (
            pcd.require("x", &what)?,
            pcd.require("y", &what)?,
            pcd.require("z", &what)?,
        );
        Ok((0..x.len())
            .map(|i| Point3::new(x[i], y[i], z[i]))
            .filter(|p| p.coords.iter().all(|v| v.is_finite()))
            .collect())
    }

    /// Frame `index`'s sweep, motion-compensated to its stamp and expressed in the rig's
    /// `lidar_top` frame (see the module docs). Non-finite points are skipped and counted.
    pub fn lidar(&self, index: usize) -> Result<DecodedCloud, SensorError> {
        let (pcd, what) = self.world_points(index)?;
        let (x, y, z) = (
            pcd.require("x", &what)?,
            pcd.require("y", &what)?,
            pcd.require("z", &what)?,
        );
        let intensity = pcd.field("intensity");
        let world_to_lidar =
            (self.vehicle_pose(index) * Isometry3::translation(0.0, 0.0, POSE_HEIGHT_M)).inverse();
        let m = world_to_lidar.to_homogeneous();
        let stamp = self.frames[index].lidar_time;
        let mut cloud = PointCloud::with_capacity(LIDAR, stamp, x.len(), false, false);
        let mut skipped = 0;
        for i in 0..x.len() {
            let v = intensity.map_or(0.0, |c| c[i]);
            if !(x[i].is_finite() && y[i].is_finite() && z[i].is_finite() && v.is_finite()) {
                skipped += 1;
                continue;
            }
            let p = m.transform_point(&Point3::new(x[i], y[i], z[i]));
            cloud.push(p.x as f32, p.y as f32, p.z as f32, v as f32, 0, 0);
        }
        Ok(DecodedCloud { cloud, skipped })
    }

    /// Camera `camera`'s image of frame `index`, stamped with its exposure time.
    pub fn camera(&self, index: usize, camera: &str) -> Result<CameraFrame, SensorError> {
        let f = self.frame(index)?;
        let t = self.camera_time(camera, f.number)?;
        read_image_file(&self.image_path(camera, &f.id), camera, t)
    }

    /// The ego motion at frame `index`'s sweep time: the vehicle pose in the world and its
    /// velocity and yaw rate in the vehicle frame.
    pub fn odometry(&self, index: usize) -> Result<Odometry, SensorError> {
        let f = self.frame(index)?;
        let (linear, angular) = self.vehicle.velocities_at_sample(self.frame_sample[index]);
        Ok(Odometry {
            sensor: ODOMETRY_SOURCE.into(),
            timestamp: f.lidar_time,
            frame_id: "world".into(),
            pose: Some(self.vehicle_pose(index)),
            linear_velocity: linear,
            angular_velocity: angular,
        })
    }

    fn cuboids(&self, number: u32) -> Result<Option<Vec<Cuboid>>, SensorError> {
        let Some(f) = self.frames.iter().find(|f| f.number == number) else {
            return Ok(None);
        };
        let path = self.root.join("cuboids").join(format!("{}.jsonl", f.id));
        Ok(Some(dedup_siblings(load_cuboids(&path)?)))
    }

    /// The labelled objects of frame `index` in the **world** frame, one box per object,
    /// with their uuid as track id, velocities from the neighbouring frames' boxes of the
    /// same object (central difference where both exist), and the number of the sweep's
    /// points inside each box.
    pub fn world_labels(&self, index: usize) -> Result<LabelledFrame, SensorError> {
        let f = self.frame(index)?.clone();
        let cuboids = self.cuboids(f.number)?.ok_or_else(|| {
            SensorError::malformed(self.root.display().to_string(), index, "no cuboids")
        })?;
        let neighbour =
            |n: Option<u32>| -> Result<BTreeMap<String, (Timestamp, Point3<f64>)>, SensorError> {
                let Some(n) = n else {
                    return Ok(BTreeMap::new());
                };
                let Some(frame) = self.frames.iter().find(|g| g.number == n) else {
                    return Ok(BTreeMap::new());
                };
                Ok(self
                    .cuboids(n)?
                    .unwrap_or_default()
                    .into_iter()
                    .map(|c| {
                        (
                            c.uuid.clone(),
                            (frame.lidar_time, Point3::new(c.x, c.y, c.z)),
                        )
                    })
                    .collect())
            };
        let before = neighbour(f.number.checked_sub(1))?;
        let after = neighbour(Some(f.number + 1))?;
        let points = self.world_point_list(index)?;
        let here = |c: &Cuboid| (f.lidar_time, Point3::new(c.x, c.y, c.z));
        let objects = cuboids
            .iter()
            .map(|c| {
                let (a, b) = match (before.get(&c.uuid), after.get(&c.uuid)) {
                    (Some(a), Some(b)) => (*a, *b),
                    (Some(a), None) => (*a, here(c)),
                    (None, Some(b)) => (here(c), *b),
                    (None, None) => (here(c), here(c)),
                };
                let velocity = (b.0 > a.0).then(|| {
                    let d = (b.1 - a.1) / b.0.seconds_since(a.0);
                    Vector2::new(d.x, d.y)
                });
                let bbox = c.world_box();
                let inside = points.iter().filter(|p| bbox.contains(p, 0.0)).count();
                GroundTruthObject {
                    class: c.class(),
                    source_label: c.label.clone(),
                    frame: "world".into(),
                    bbox,
                    velocity,
                    num_lidar_points: Some(inside as u32),
                    track_id: Some(c.uuid.clone()),
                }
            })
            .collect();
        Ok(LabelledFrame {
            timestamp: f.lidar_time,
            frame: "world".into(),
            objects,
        })
    }

    /// [`Self::world_labels`] in the vehicle frame at the sweep time (frame name `vehicle`).
    pub fn labels(&self, index: usize) -> Result<LabelledFrame, SensorError> {
        let world = self.world_labels(index)?;
        let to_vehicle = self.vehicle_pose(index).inverse();
        Ok(LabelledFrame {
            timestamp: world.timestamp,
            frame: "vehicle".into(),
            objects: world
                .objects
                .iter()
                .map(|o| o.transformed(&to_vehicle, "vehicle"))
                .collect(),
        })
    }
}

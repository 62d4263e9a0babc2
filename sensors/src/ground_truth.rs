//! Ground-truth objects from annotated datasets (KITTI `label_2`, nuScenes boxes, PandaSet
//! cuboids), and the labels of one instant ([`LabelledFrame`]).

use crate::{ObjectClass, OrientedBox3, Timestamp};
use nalgebra::{Isometry3, Vector2};

/// One annotated object.
///
/// The box is in the frame of the sensor named by `frame` (for KITTI and nuScenes: the LiDAR,
/// x forward, y left, z up, metres); [`GroundTruthObject::transformed`] moves it to another
/// frame (e.g. the vehicle frame through the rig's extrinsics).
#[derive(Debug, Clone, PartialEq)]
pub struct GroundTruthObject {
    /// Stack class the dataset label maps to.
    pub class: ObjectClass,
    /// The dataset's own label string (`Car`, `Cyclist`, `traffic_cone`, ...), kept verbatim.
    pub source_label: String,
    /// Name of the sensor whose frame `bbox` is expressed in (a sensor of the dataset's rig).
    pub frame: String,
    /// The 3D box, centre at the box's geometric centre, metres / radians.
    pub bbox: OrientedBox3,
    /// Velocity over ground in the x/y plane of `frame`, m/s, when annotated and finite.
    pub velocity: Option<Vector2<f64>>,
    /// Number of LiDAR points inside the box, when the dataset says so.
    pub num_lidar_points: Option<u32>,
    /// The dataset's identity of the object across frames (PandaSet `uuid`), when it has one.
    pub track_id: Option<String>,
}

impl GroundTruthObject {
    /// The object expressed in another frame called `frame`, given `to_other`
    /// (this object's frame -> the other frame). The velocity is rotated with the frame.
    pub fn transformed(&self, to_other: &Isometry3<f64>, frame: &str) -> GroundTruthObject {
        let velocity = self.velocity.map(|v| {
            let r = to_other.rotation * nalgebra::Vector3::new(v.x, v.y, 0.0);
            Vector2::new(r.x, r.y)
        });
        GroundTruthObject {
            bbox: self.bbox.transformed(to_other),
            frame: frame.to_owned(),
            velocity,
            ..self.clone()
        }
    }
}

/// The labelled objects of one instant, all in the frame named `frame`.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledFrame {
    /// The instant the labels describe (for LiDAR-labelled datasets: the sweep's timestamp),
    /// sensor clock.
    pub timestamp: Timestamp,
    /// Name of the frame the boxes are in (`vehicle` for the vehicle frame at `timestamp`, a
    /// sensor name, or a dataset's fixed frame such as `world`).
    pub frame: String,
    /// The objects.
    pub objects: Vec<GroundTruthObject>,
}

//! Projecting LiDAR points into camera images through a [`Rig`].

use crate::{PointCloud, Rig, SensorError};
use nalgebra::{Point2, Point3};

/// Projects every point of `cloud` (in the frame of the LiDAR named by `cloud.sensor`) into
/// the image of camera `camera`. Returns one entry per point: the pixel coordinate (u right,
/// v down, pixels) when the point is in front of the camera and lands inside the image,
/// `None` otherwise.
pub fn project_cloud(
    rig: &Rig,
    cloud: &PointCloud,
    camera: &str,
) -> Result<Vec<Option<Point2<f64>>>, SensorError> {
    let lidar_to_cam = rig.transform(&cloud.sensor, camera)?;
    let intrinsics = rig
        .sensor(camera)
        .and_then(|s| s.intrinsics())
        .ok_or_else(|| SensorError::Rig(format!("sensor `{camera}` is not a camera")))?;
    Ok(cloud
        .iter_xyz()
        .map(|[x, y, z]| {
            let p = lidar_to_cam * Point3::new(x as f64, y as f64, z as f64);
            intrinsics.project(&p).filter(|uv| intrinsics.contains(uv))
        })
        .collect())
}

/// Number of points of `cloud` that land inside the image of each camera of the rig, in the
/// rig's camera order: `(camera name, count)`.
pub fn points_in_cameras(
    rig: &Rig,
    cloud: &PointCloud,
) -> Result<Vec<(String, usize)>, SensorError> {
    rig.cameras()
        .map(|cam| {
            let n = project_cloud(rig, cloud, &cam.name)?
                .iter()
                .flatten()
                .count();
            Ok((cam.name.clone(), n))
        })
        .collect()
}

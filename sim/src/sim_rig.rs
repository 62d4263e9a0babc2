//! The simulated vehicle's rig: front camera, roof LiDAR, front radar.

use crate::scenario::LidarPattern;
use kestrel_sensors::{CameraIntrinsics, Distortion, Rig, SensorKind, SensorSpec};
use nalgebra::{Isometry3, Translation3, UnitQuaternion, Vector3};

/// Rig name of the front camera.
pub const CAMERA: &str = "cam_front";
/// Rig name of the roof LiDAR.
pub const LIDAR: &str = "lidar_top";
/// Rig name of the front radar.
pub const RADAR: &str = "radar_front";

/// Camera rate, Hz.
pub const CAMERA_RATE_HZ: f64 = 10.0;
/// LiDAR rotation rate, Hz.
pub const LIDAR_RATE_HZ: f64 = 10.0;
/// Radar cycle rate, Hz.
pub const RADAR_RATE_HZ: f64 = 20.0;
/// Radar horizontal field of view, radians (±50°).
pub const RADAR_FOV: f64 = 100.0 * std::f64::consts::PI / 180.0;
/// Radar maximum range for a 10 dBsm target, metres.
pub const RADAR_MAX_RANGE: f64 = 150.0;

/// Front camera intrinsics: 640x360, undistorted, ~67° horizontal field of view.
pub fn camera_intrinsics() -> CameraIntrinsics {
    CameraIntrinsics {
        width: 640,
        height: 360,
        fx: 480.0,
        fy: 480.0,
        cx: 320.0,
        cy: 180.0,
        distortion: Distortion::None,
    }
}

/// The simulated vehicle's rig. Extrinsics are sensor -> vehicle (vehicle frame: x forward,
/// y left, z up, origin at the rear-axle centre on the ground): camera at (1.6, 0, 1.35)
/// looking forward (optical z = vehicle x), LiDAR at (1.3, 0, 1.9), radar in the front bumper
/// at (3.75, 0, 0.5).
pub fn sim_rig(pattern: LidarPattern) -> Rig {
    let optical =
        UnitQuaternion::from_basis_unchecked(&[-Vector3::y(), -Vector3::z(), Vector3::x()]);
    Rig {
        name: "kestrel_sim".into(),
        sensors: vec![
            SensorSpec {
                name: CAMERA.into(),
                kind: SensorKind::Camera {
                    intrinsics: camera_intrinsics(),
                },
                topic: Some("/sensing/camera/front/image_raw".into()),
                rate_hz: Some(CAMERA_RATE_HZ),
                sync_offset_s: 0.0,
                extrinsics: Isometry3::from_parts(Translation3::new(1.6, 0.0, 1.35), optical),
            },
            SensorSpec {
                name: LIDAR.into(),
                kind: SensorKind::Lidar {
                    beams: Some(match pattern {
                        LidarPattern::Os1_32 => 32,
                        LidarPattern::Hdl64 => 64,
                    }),
                },
                topic: Some("/sensing/lidar/top/points".into()),
                rate_hz: Some(LIDAR_RATE_HZ),
                sync_offset_s: 0.0,
                extrinsics: Isometry3::translation(1.3, 0.0, 1.9),
            },
            SensorSpec {
                name: RADAR.into(),
                kind: SensorKind::Radar {
                    horizontal_fov: Some(RADAR_FOV),
                    max_range: Some(RADAR_MAX_RANGE),
                },
                topic: Some("/sensing/radar/front/objects".into()),
                rate_hz: Some(RADAR_RATE_HZ),
                sync_offset_s: 0.0,
                extrinsics: Isometry3::translation(3.75, 0.0, 0.5),
            },
        ],
    }
}

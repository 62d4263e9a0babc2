//! `sensor_msgs/CameraInfo` <-> Kestrel [`CameraIntrinsics`] (pixels, camera optical frame:
//! x right, y down, z forward).
//!
//! Written as ROS defines it for a monocular camera: `K = [fx 0 cx; 0 fy cy; 0 0 1]`,
//! `R` = identity, `P = [fx 0 cx 0; 0 fy cy 0; 0 0 1 0]` (the rig holds no separate
//! rectified projection, so `P` repeats `K`; KITTI's stereo baseline lives in the rig's
//! extrinsics, not in `P`), no binning, full-image ROI. Distortion:
//! - [`Distortion::None`] -> `plumb_bob`, `D = [0, 0, 0, 0, 0]` (what ROS drivers publish for
//!   rectified images);
//! - [`Distortion::PlumbBob`] -> `plumb_bob`, `D = [k1, k2, p1, p2, k3]`;
//! - [`Distortion::Equidistant`] -> `equidistant`, `D = [k1, k2, k3, k4]`.
//!
//! Read back: `plumb_bob` with all-zero (or empty) `D` is [`Distortion::None`];
//! `rational_polynomial` (`D = [k1, k2, p1, p2, k3, k4, k5, k6]`, the radial term being
//! `(1 + k1 r^2 + k2 r^4 + k3 r^6) / (1 + k4 r^2 + k5 r^4 + k6 r^6)`) is read when its
//! denominator coefficients are zero — then it is exactly plumb bob — and is reported as
//! unsupported otherwise, since [`Distortion`] has no rational model.

use crate::ros2_msg::sensor_msgs::{CameraInfo, RegionOfInterest};
use crate::ros2_msg::std_msgs::Header;
use kestrel_sensors::{CameraIntrinsics, Distortion, SensorError, Timestamp};

/// ROS name of the Brown-Conrady model.
pub const PLUMB_BOB: &str = "plumb_bob";
/// ROS name of the 8-coefficient rational model.
pub const RATIONAL_POLYNOMIAL: &str = "rational_polynomial";
/// ROS name of the Kannala-Brandt fisheye model.
pub const EQUIDISTANT: &str = "equidistant";

/// The topic of a camera's calibration next to its image topic, as ROS camera drivers lay it
/// out: `/kestrel/cam/image` -> `/kestrel/cam/camera_info`.
pub fn camera_info_topic(image_topic: &str) -> String {
    match image_topic.rsplit_once('/') {
        Some((parent, _)) => format!("{parent}/camera_info"),
        None => "camera_info".to_owned(),
    }
}

/// The `CameraInfo` of intrinsics `k` for an image taken at `stamp` by camera `frame_id`.
pub fn intrinsics_to_camera_info(
    k: &CameraIntrinsics,
    stamp: Timestamp,
    frame_id: &str,
) -> CameraInfo {
    let (model, d) = match k.distortion {
        Distortion::None => (PLUMB_BOB, vec![0.0; 5]),
        Distortion::PlumbBob { k1, k2, p1, p2, k3 } => (PLUMB_BOB, vec![k1, k2, p1, p2, k3]),
        Distortion::Equidistant { k1, k2, k3, k4 } => (EQUIDISTANT, vec![k1, k2, k3, k4]),
    };
    CameraInfo {
        header: Header::new(stamp, frame_id),
        height: k.height,
        width: k.width,
        distortion_model: model.to_owned(),
        d,
        k: [k.fx, 0.0, k.cx, 0.0, k.fy, k.cy, 0.0, 0.0, 1.0],
        r: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        p: [
            k.fx, 0.0, k.cx, 0.0, 0.0, k.fy, k.cy, 0.0, 0.0, 0.0, 1.0, 0.0,
        ],
        binning_x: 0,
        binning_y: 0,
        roi: RegionOfInterest {
            x_offset: 0,
            y_offset: 0,
            height: 0,
            width: 0,
            do_rectify: false,
        },
    }
}

/// The intrinsics in a `CameraInfo` (from `K`, size and `D`). Errors: an uncalibrated (zero)
/// or skewed `K`, a distortion model or coefficient count Kestrel cannot represent.
pub fn camera_info_to_intrinsics(msg: &CameraInfo) -> Result<CameraIntrinsics, SensorError> {
    let what = format!("sensor_msgs/CameraInfo ({})", msg.header.frame_id);
    let k = &msg.k;
    if k[0] <= 0.0 || k[4] <= 0.0 || k.iter().any(|v| !v.is_finite()) {
        return Err(SensorError::malformed(
            what,
            0,
            "K has no positive focal lengths (uncalibrated camera)",
        ));
    }
    if k[1] != 0.0 || k[3] != 0.0 || k[6] != 0.0 || k[7] != 0.0 || k[8] != 1.0 {
        return Err(SensorError::Unsupported {
            what,
            reason: format!("K {k:?} is not [fx 0 cx; 0 fy cy; 0 0 1] (skew)"),
        });
    }
    let d = &msg.d;
    let unsupported = |reason: String| SensorError::Unsupported {
        what: what.clone(),
        reason,
    };
    let distortion = match (msg.distortion_model.as_str(), d.len()) {
        (PLUMB_BOB, _) | (RATIONAL_POLYNOMIAL, _) if d.iter().all(|&v| v == 0.0) => {
            Distortion::None
        }
        (PLUMB_BOB, 4 | 5) => plumb_bob(d),
        (RATIONAL_POLYNOMIAL, 8) if d[5..].iter().all(|&v| v == 0.0) => plumb_bob(d),
        (RATIONAL_POLYNOMIAL, 8) => {
            return Err(unsupported(format!(
                "rational_polynomial denominator k4..k6 = {:?}",
                &d[5..]
            )));
        }
        (EQUIDISTANT, 4) => Distortion::Equidistant {
            k1: d[0],
            k2: d[1],
            k3: d[2],
            k4: d[3],
        },
        (model, n) => {
            return Err(unsupported(format!(
                "distortion model `{model}` with {n} coefficients"
            )));
        }
    };
    Ok(CameraIntrinsics {
        width: msg.width,
        height: msg.height,
        fx: k[0],
        fy: k[4],
        cx: k[2],
        cy: k[5],
        distortion,
    })
}

/// Plumb bob from `[k1, k2, p1, p2]` or `[k1, k2, p1, p2, k3, ...]`.
fn plumb_bob(d: &[f64]) -> Distortion {
    Distortion::PlumbBob {
        k1: d[0],
        k2: d[1],
        p1: d[2],
        p2: d[3],
        k3: d.get(4).copied().unwrap_or(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ros2_msg::RosMessage;

    fn intrinsics(distortion: Distortion) -> CameraIntrinsics {
        CameraIntrinsics {
            width: 1242,
            height: 375,
            fx: 721.5377,
            fy: 721.5377,
            cx: 609.5593,
            cy: 172.854,
            distortion,
        }
    }

    #[test]
    fn every_distortion_round_trips_through_cdr() {
        for d in [
            Distortion::None,
            Distortion::PlumbBob {
                k1: -0.28,
                k2: 0.07,
                p1: 1e-4,
                p2: -2e-4,
                k3: -0.01,
            },
            Distortion::Equidistant {
                k1: 0.1,
                k2: -0.02,
                k3: 3e-3,
                k4: -4e-4,
            },
        ] {
            let k = intrinsics(d);
            let msg = intrinsics_to_camera_info(&k, Timestamp(1_500_000_000_123), "cam2");
            let back = CameraInfo::from_cdr(&msg.to_cdr().unwrap()).unwrap();
            assert_eq!(back, msg);
            assert_eq!(camera_info_to_intrinsics(&back).unwrap(), k);
        }
    }

    #[test]
    fn matrices_follow_ros_layout() {
        let k = intrinsics(Distortion::None);
        let m = intrinsics_to_camera_info(&k, Timestamp(0), "cam2");
        assert_eq!((m.distortion_model.as_str(), m.d.len()), (PLUMB_BOB, 5));
        assert_eq!(
            (m.k[0], m.k[2], m.k[4], m.k[5], m.k[8]),
            (k.fx, k.cx, k.fy, k.cy, 1.0)
        );
        assert_eq!(
            (m.p[0], m.p[2], m.p[3], m.p[5], m.p[6], m.p[10]),
            (k.fx, k.cx, 0.0, k.fy, k.cy, 1.0)
        );
        assert_eq!(m.r, [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
        assert_eq!(
            (m.width, m.height, m.header.frame_id.as_str()),
            (1242, 375, "cam2")
        );
    }

    #[test]
    fn rational_polynomial_reads_when_it_is_plumb_bob() {
        let mut m = intrinsics_to_camera_info(&intrinsics(Distortion::None), Timestamp(0), "c");
        m.distortion_model = RATIONAL_POLYNOMIAL.into();
        m.d = vec![-0.3, 0.1, 1e-3, 2e-3, 0.05, 0.0, 0.0, 0.0];
        let expected = Distortion::PlumbBob {
            k1: -0.3,
            k2: 0.1,
            p1: 1e-3,
            p2: 2e-3,
            k3: 0.05,
        };
        assert_eq!(camera_info_to_intrinsics(&m).unwrap().distortion, expected);
        m.d[6] = 0.2;
        assert!(matches!(
            camera_info_to_intrinsics(&m),
            Err(SensorError::Unsupported { .. })
        ));
    }

    #[test]
    fn uncalibrated_skewed_or_unknown_models_are_errors() {
        let good = intrinsics_to_camera_info(&intrinsics(Distortion::None), Timestamp(0), "c");
        let mut zero = good.clone();
        zero.k = [0.0; 9];
        assert!(matches!(
            camera_info_to_intrinsics(&zero),
            Err(SensorError::Malformed { .. })
        ));
        let mut skew = good.clone();
        skew.k[1] = 0.5;
        assert!(camera_info_to_intrinsics(&skew).is_err());
        let mut model = good.clone();
        model.distortion_model = "fisheye624".into();
        model.d = vec![0.1; 12];
        assert!(camera_info_to_intrinsics(&model).is_err());
        let mut nan = good;
        nan.k[2] = f64::NAN;
        assert!(camera_info_to_intrinsics(&nan).is_err());
    }

    #[test]
    fn topics_sit_next_to_the_image_topic() {
        assert_eq!(
            camera_info_topic("/kestrel/cam2/image"),
            "/kestrel/cam2/camera_info"
        );
        assert_eq!(camera_info_topic("image_raw"), "camera_info");
    }
}

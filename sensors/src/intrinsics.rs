//! Camera intrinsics: pinhole model plus lens distortion.

use nalgebra::{Point2, Point3};
use serde::{Deserialize, Serialize};

/// Lens distortion applied after the pinhole projection's normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum Distortion {
    /// Rectified / undistorted images (KITTI rectified, nuScenes).
    #[default]
    None,
    /// Brown-Conrady "plumb bob" (OpenCV / ROS `plumb_bob`): radial k1, k2, k3; tangential p1, p2.
    PlumbBob {
        /// Radial coefficient r^2.
        k1: f64,
        /// Radial coefficient r^4.
        k2: f64,
        /// Tangential coefficient.
        p1: f64,
        /// Tangential coefficient.
        p2: f64,
        /// Radial coefficient r^6.
        k3: f64,
    },
    /// Kannala-Brandt equidistant fisheye (OpenCV fisheye / ROS `equidistant`).
    Equidistant {
        /// theta^3 coefficient.
        k1: f64,
        /// theta^5 coefficient.
        k2: f64,
        /// theta^7 coefficient.
        k3: f64,
        /// theta^9 coefficient.
        k4: f64,
    },
}

impl Distortion {
    /// Maps an undistorted normalised image point `(x, y) = (X/Z, Y/Z)` to its distorted position.
    pub fn distort(&self, x: f64, y: f64) -> (f64, f64) {
        match *self {
            Distortion::None => (x, y),
            Distortion::PlumbBob { k1, k2, p1, p2, k3 } => {
                let r2 = x * x + y * y;
                let radial = 1.0 + r2 * (k1 + r2 * (k2 + r2 * k3));
                (
                    x * radial + 2.0 * p1 * x * y + p2 * (r2 + 2.0 * x * x),
                    y * radial + p1 * (r2 + 2.0 * y * y) + 2.0 * p2 * x * y,
                )
            }
            Distortion::Equidistant { k1, k2, k3, k4 } => {
                let r = (x * x + y * y).sqrt();
                if r < 1e-12 {
                    return (x, y);
                }
                let t = r.atan();
                let t2 = t * t;
                let td = t * (1.0 + t2 * (k1 + t2 * (k2 + t2 * (k3 + t2 * k4))));
                (x * td / r, y * td / r)
            }
        }
    }
}

/// Pinhole camera intrinsics for images of `width` x `height` pixels.
///
/// Projects points in the camera **optical frame** (x right, y down, z forward, metres) to
/// pixel coordinates (u right, v down, pixels; the centre of the top-left pixel is (0.5, 0.5)
/// in continuous coordinates as used by OpenCV and KITTI's P matrices — i.e. pixel index
/// `floor(u)`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CameraIntrinsics {
    /// Image width, pixels.
    pub width: u32,
    /// Image height, pixels.
    pub height: u32,
    /// Focal length along u, pixels.
    pub fx: f64,
    /// Focal length along v, pixels.
    pub fy: f64,
    /// Principal point u, pixels.
    pub cx: f64,
    /// Principal point v, pixels.
    pub cy: f64,
    /// Lens distortion.
    #[serde(default)]
    pub distortion: Distortion,
}

impl CameraIntrinsics {
    /// Projects a point in the optical frame to pixels; `None` when it is behind the camera
    /// (z <= 1 cm) or not finite. The result may lie outside the image: see [`Self::contains`].
    pub fn project(&self, p: &Point3<f64>) -> Option<Point2<f64>> {
        if p.z.is_nan() || p.z <= 0.01 || !p.x.is_finite() || !p.y.is_finite() {
            return None;
        }
        let (x, y) = self.distortion.distort(p.x / p.z, p.y / p.z);
        Some(Point2::new(self.fx * x + self.cx, self.fy * y + self.cy))
    }

    /// True when pixel coordinate `uv` lies inside the image.
    pub fn contains(&self, uv: &Point2<f64>) -> bool {
        uv.x >= 0.0 && uv.y >= 0.0 && uv.x < self.width as f64 && uv.y < self.height as f64
    }

    /// The ray through pixel `uv` for an undistorted camera, as a direction in the optical frame
    /// with z = 1 (distortion is ignored: use on rectified images).
    pub fn ray(&self, uv: &Point2<f64>) -> nalgebra::Vector3<f64> {
        nalgebra::Vector3::new((uv.x - self.cx) / self.fx, (uv.y - self.cy) / self.fy, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cam() -> CameraIntrinsics {
        CameraIntrinsics {
            width: 1242,
            height: 375,
            fx: 721.5377,
            fy: 721.5377,
            cx: 609.5593,
            cy: 172.854,
            distortion: Distortion::None,
        }
    }

    #[test]
    fn projects_and_unprojects() {
        let c = cam();
        let p = Point3::new(2.0, -0.5, 20.0);
        let uv = c.project(&p).unwrap();
        assert!(c.contains(&uv));
        let r = c.ray(&uv) * p.z;
        assert!((r - p.coords).norm() < 1e-9);
        assert!(c.project(&Point3::new(0.0, 0.0, -5.0)).is_none());
        assert!(c.project(&Point3::new(f64::NAN, 0.0, 5.0)).is_none());
    }

    #[test]
    fn plumb_bob_matches_hand_computation() {
        let d = Distortion::PlumbBob {
            k1: 0.1,
            k2: 0.0,
            p1: 0.0,
            p2: 0.0,
            k3: 0.0,
        };
        let (x, y) = d.distort(0.5, 0.0);
        assert!((x - 0.5 * (1.0 + 0.1 * 0.25)).abs() < 1e-12);
        assert_eq!(y, 0.0);
    }
}

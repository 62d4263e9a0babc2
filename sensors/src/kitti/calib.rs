//! KITTI object-benchmark calibration files (`calib/NNNNNN.txt`) and the rig they describe.

use crate::pose_matrix::isometry_from_rt;
use crate::{CameraIntrinsics, Distortion, Rig, SensorError, SensorKind, SensorSpec};
use nalgebra::{Isometry3, Matrix3, Matrix3x4, Point2, Point3, Vector3};

/// Height of the Velodyne HDL-64E above the ground in the KITTI recording car, metres
/// (KITTI setup description). The KITTI vehicle frame is the Velodyne frame shifted down by
/// this, so that z = 0 is the ground.
pub const VELODYNE_HEIGHT_M: f64 = 1.73;

/// Rig name of the KITTI Velodyne.
pub const LIDAR: &str = "velodyne";

/// Rig names of the four KITTI cameras: 0/1 grey left/right, 2/3 colour left/right.
pub const CAMERAS: [&str; 4] = ["cam0", "cam1", "cam2", "cam3"];

/// The matrices of a KITTI object calibration file.
///
/// Frames: Velodyne (x forward, y left, z up), reference camera 0 (optical: x right, y down,
/// z forward) and rectified camera 0 (camera 0 rotated by `R0_rect`). Translations in metres.
#[derive(Debug, Clone, PartialEq)]
pub struct KittiCalib {
    /// Projection matrices `P0..P3`: rectified camera-0 coordinates -> pixels of camera i.
    pub p: [Matrix3x4<f64>; 4],
    /// Rectifying rotation: reference camera 0 -> rectified camera 0.
    pub r0_rect: Matrix3<f64>,
    /// Velodyne -> reference camera 0.
    pub tr_velo_to_cam: Matrix3x4<f64>,
    /// IMU/GPS -> Velodyne, when the file has it.
    pub tr_imu_to_velo: Option<Matrix3x4<f64>>,
}

fn parse_values<const N: usize>(
    text: &str,
    what: &str,
    line: usize,
) -> Result<[f64; N], SensorError> {
    let mut out = [0.0; N];
    let mut it = text.split_whitespace();
    for v in out.iter_mut() {
        let tok = it
            .next()
            .ok_or_else(|| SensorError::malformed(what, line, format!("expected {N} values")))?;
        *v = tok
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| SensorError::malformed(what, line, format!("bad number `{tok}`")))?;
    }
    if it.next().is_some() {
        return Err(SensorError::malformed(
            what,
            line,
            format!("more than {N} values"),
        ));
    }
    Ok(out)
}

impl KittiCalib {
    /// Parses the text of a calibration file; `what` (the file name) is used in errors, whose
    /// offset is the 1-based line number. Keys `P0`..`P3`, `R0_rect` and `Tr_velo_to_cam` are
    /// required (`R_rect`, `Tr_velo_cam` as in some copies are accepted), `Tr_imu_to_velo` is
    /// optional.
    pub fn parse(text: &str, what: &str) -> Result<Self, SensorError> {
        let mut p: [Option<Matrix3x4<f64>>; 4] = [None; 4];
        let (mut r0, mut velo, mut imu) = (None, None, None);
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let raw = raw.trim();
            if raw.is_empty() {
                continue;
            }
            let (key, values) = raw
                .split_once(':')
                .ok_or_else(|| SensorError::malformed(what, line, "expected `KEY: values`"))?;
            let m34 =
                || parse_values::<12>(values, what, line).map(|v| Matrix3x4::from_row_slice(&v));
            match key.trim() {
                "P0" | "P1" | "P2" | "P3" => {
                    let i = usize::from(key.trim().as_bytes()[1] - b'0');
                    p[i] = Some(m34()?);
                }
                "R0_rect" | "R_rect" => {
                    r0 = Some(Matrix3::from_row_slice(&parse_values::<9>(
                        values, what, line,
                    )?))
                }
                "Tr_velo_to_cam" | "Tr_velo_cam" => velo = Some(m34()?),
                "Tr_imu_to_velo" | "Tr_imu_velo" => imu = Some(m34()?),
                _ => {} // other keys (e.g. raw-data extras) carry nothing we use
            }
        }
        let missing = |k: &str| SensorError::malformed(what, 0, format!("missing `{k}`"));
        let [p0, p1, p2, p3] = p;
        Ok(Self {
            p: [
                p0.ok_or_else(|| missing("P0"))?,
                p1.ok_or_else(|| missing("P1"))?,
                p2.ok_or_else(|| missing("P2"))?,
                p3.ok_or_else(|| missing("P3"))?,
            ],
            r0_rect: r0.ok_or_else(|| missing("R0_rect"))?,
            tr_velo_to_cam: velo.ok_or_else(|| missing("Tr_velo_to_cam"))?,
            tr_imu_to_velo: imu,
        })
    }

    /// Reads and parses a calibration file.
    pub fn load(path: &std::path::Path) -> Result<Self, SensorError> {
        let text = std::fs::read_to_string(path).map_err(|e| SensorError::io(path, e))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Velodyne -> rectified camera 0 (`R0_rect * Tr_velo_to_cam`), as a rigid transform.
    pub fn velo_to_rect(&self) -> Result<Isometry3<f64>, SensorError> {
        let r = self.r0_rect * self.tr_velo_to_cam.fixed_view::<3, 3>(0, 0);
        let t = self.r0_rect * self.tr_velo_to_cam.column(3);
        isometry_from_rt(&r, &t, "KITTI R0_rect * Tr_velo_to_cam")
    }

    /// Pinhole intrinsics of camera `i` (0..4) from `P_i` for `width` x `height` images, and the
    /// offset of camera i's optical centre from rectified camera 0, expressed in camera i's
    /// optical frame (metres): `K⁻¹ · P_i[:, 3]` — for P2 mostly the stereo baseline
    /// `P2[0,3] / fx`.
    pub fn camera(
        &self,
        i: usize,
        width: u32,
        height: u32,
    ) -> Result<(CameraIntrinsics, Vector3<f64>), SensorError> {
        let what = format!("KITTI P{i}");
        let p = self
            .p
            .get(i)
            .ok_or_else(|| SensorError::malformed(&what, 0, "no such camera"))?;
        let k = p.fixed_view::<3, 3>(0, 0);
        let off_diag = k[(0, 1)].abs() + k[(1, 0)].abs() + k[(2, 0)].abs() + k[(2, 1)].abs();
        if off_diag > 1e-9
            || (k[(2, 2)] - 1.0).abs() > 1e-9
            || k[(0, 0)].is_nan()
            || k[(0, 0)] <= 0.0
            || k[(1, 1)].is_nan()
            || k[(1, 1)] <= 0.0
        {
            return Err(SensorError::malformed(
                &what,
                0,
                "left 3x3 block is not a pinhole matrix",
            ));
        }
        let intr = CameraIntrinsics {
            width,
            height,
            fx: k[(0, 0)],
            fy: k[(1, 1)],
            cx: k[(0, 2)],
            cy: k[(1, 2)],
            distortion: Distortion::None,
        };
        let tz = p[(2, 3)];
        let ty = (p[(1, 3)] - intr.cy * tz) / intr.fy;
        let tx = (p[(0, 3)] - intr.cx * tz) / intr.fx;
        Ok((intr, Vector3::new(tx, ty, tz)))
    }

    /// The KITTI rig: `velodyne` and `cam0`..`cam3` (all cameras rectified, `width` x `height`).
    ///
    /// Vehicle frame convention: the Velodyne frame shifted down by [`VELODYNE_HEIGHT_M`], i.e.
    /// origin on the ground directly below the Velodyne, x forward, y left, z up (KITTI gives
    /// no rear-axle position). Camera extrinsics include `R0_rect` and the `P_i` offset, so
    /// projecting a Velodyne point through the rig equals `P_i · R0_rect · Tr_velo_to_cam · X`.
    pub fn rig(&self, width: u32, height: u32) -> Result<Rig, SensorError> {
        let velo_to_vehicle = Isometry3::translation(0.0, 0.0, VELODYNE_HEIGHT_M);
        let velo_to_rect = self.velo_to_rect()?;
        let mut sensors = vec![SensorSpec {
            name: LIDAR.into(),
            kind: SensorKind::Lidar { beams: Some(64) },
            topic: None,
            rate_hz: Some(10.0),
            sync_offset_s: 0.0,
            extrinsics: velo_to_vehicle,
        }];
        for (i, name) in CAMERAS.iter().enumerate() {
            let (intrinsics, offset) = self.camera(i, width, height)?;
            let velo_to_cam = Isometry3::from_parts(
                (velo_to_rect.translation.vector + offset).into(),
                velo_to_rect.rotation,
            );
            sensors.push(SensorSpec {
                name: (*name).into(),
                kind: SensorKind::Camera { intrinsics },
                topic: None,
                rate_hz: Some(10.0),
                sync_offset_s: 0.0,
                extrinsics: velo_to_vehicle * velo_to_cam.inverse(),
            });
        }
        Ok(Rig {
            name: "kitti".into(),
            sensors,
        })
    }

    /// Reference projection straight from the file's matrices:
    /// `P_i · R0_rect · Tr_velo_to_cam · X` for a Velodyne point `X` (metres), in pixels;
    /// `None` when the point is behind the camera (depth <= 1 cm).
    pub fn project_velo(&self, i: usize, x: &Point3<f64>) -> Option<Point2<f64>> {
        let rect = self.r0_rect * (self.tr_velo_to_cam * x.to_homogeneous());
        let uvw = self.p.get(i)? * rect.push(1.0);
        (uvw.z > 0.01).then(|| Point2::new(uvw.x / uvw.z, uvw.y / uvw.z))
    }
}

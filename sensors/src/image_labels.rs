//! 2D labels for a camera from labelled 3D boxes: what a human-labelled LiDAR sequence says a
//! camera detector should find in each image.
//!
//! A 3D label becomes an image label when it is in front of the camera and enough of it is
//! *visible in that camera*, judged with the LiDAR sweep: the label's LiDAR points (inside the
//! box) are projected into the image, and a point counts as visible when no other LiDAR point
//! projects nearer to the camera at the same place of the image (a coarse depth buffer of
//! [`ImageLabelSettings::depth_cell_px`] pixels, with [`ImageLabelSettings::depth_slack_m`] of
//! tolerance). This covers occlusion by other objects, which a box-in-frustum test does not;
//! the LiDAR's viewpoint is not the camera's (about 1 m apart on a roof rig), so the test is
//! approximate for objects that peek out past an occluder by less than that.
//!
//! The 2D box: its **vertical** extent is that of the 3D box's projection (edges clipped at a
//! near plane 0.1 m in front of the camera), its **horizontal** extent that of the object's
//! visible LiDAR points, both clipped to the image. The full projection of a box is wider than
//! the object's silhouette (a pedestrian's 0.8 m square box seen at an angle, a car's corners),
//! and it covers parts hidden behind other objects; detectors trained on COCO draw tight boxes
//! around the visible part. The visible points trace that part horizontally, while the LiDAR's
//! vertical sampling (64 beams) is too sparse to do so vertically: the box's height is the
//! labelled one. Labels with too few visible points keep the full projection
//! ([`ImageLabel::projected_bbox`]) and are not scored.

use crate::{CameraIntrinsics, GroundTruthObject, LabelledFrame, ObjectClass, SensorSpec};
use nalgebra::{Isometry3, Point2, Point3};

/// When a projected label counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageLabelSettings {
    /// Smallest height of the clipped 2D box, pixels. Default 20.
    pub min_height_px: f64,
    /// Fewest visible LiDAR points. Default 5.
    pub min_visible_points: usize,
    /// Side of a depth-buffer cell, pixels. Default 8.
    pub depth_cell_px: f64,
    /// A point is visible when it is at most this much farther than the nearest point of its
    /// depth cell, metres. Default 0.5.
    pub depth_slack_m: f64,
}

impl Default for ImageLabelSettings {
    fn default() -> Self {
        Self {
            min_height_px: 20.0,
            min_visible_points: 5,
            depth_cell_px: 8.0,
            depth_slack_m: 0.5,
        }
    }
}

/// One label in one image.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageLabel {
    /// Index of the 3D label in its [`LabelledFrame`].
    pub index: usize,
    /// Stack class of the label.
    pub class: ObjectClass,
    /// The dataset's label (`Pedestrian with Object`, ...).
    pub source_label: String,
    /// The dataset's track id, if any.
    pub track_id: Option<String>,
    /// Box `[u1, v1, u2, v2]`, pixels, clipped to the image (see the module docs).
    pub bbox: [f64; 4],
    /// The whole projection of the 3D box, clipped to the image.
    pub projected_bbox: [f64; 4],
    /// Share of the unclipped projected box's area inside the image, 0..1.
    pub in_image_fraction: f64,
    /// The label's LiDAR points that land in the image.
    pub points_in_image: usize,
    /// ... of which visible from the camera (not behind another surface).
    pub visible_points: usize,
    /// Distance from the camera to the box centre, metres.
    pub depth_m: f64,
    /// Whether the label meets the settings (tall and visible enough) and is scored; the
    /// others are in the image too (too small, or hidden, or too far for the LiDAR to
    /// confirm) and serve as regions where a detection is neither right nor wrong.
    pub scored: bool,
}

/// The corners of a box, in its frame.
fn corners(o: &GroundTruthObject) -> [Point3<f64>; 8] {
    let b = &o.bbox;
    let (s, c) = b.yaw.sin_cos();
    let (l, w, h) = (b.length / 2.0, b.width / 2.0, b.height / 2.0);
    let mut out = [Point3::origin(); 8];
    for (i, p) in out.iter_mut().enumerate() {
        let (dx, dy, dz) = (
            if i & 1 == 0 { l } else { -l },
            if i & 2 == 0 { w } else { -w },
            if i & 4 == 0 { h } else { -h },
        );
        *p = Point3::new(
            b.center.x + c * dx - s * dy,
            b.center.y + s * dx + c * dy,
            b.center.z + dz,
        );
    }
    out
}

/// Near plane of the box projection, metres in front of the camera.
const NEAR_M: f64 = 0.1;

/// Bounding box of the projection of a box whose corners are given in the camera frame,
/// edges clipped at the near plane; `None` when the box is entirely behind it.
fn projected_bbox(cam: &[Point3<f64>; 8], k: &CameraIntrinsics) -> Option<[f64; 4]> {
    let mut pts: Vec<Point2<f64>> = Vec::with_capacity(24);
    let mut add = |p: &Point3<f64>| {
        if let Some(uv) = k.project(p) {
            pts.push(uv);
        }
    };
    for p in cam.iter().filter(|p| p.z >= NEAR_M) {
        add(p);
    }
    // The 12 edges: corners differing in one bit.
    for a in 0..8 {
        for bit in [1, 2, 4] {
            let b = a ^ bit;
            if b < a {
                continue;
            }
            let (p, q) = (cam[a], cam[b]);
            if (p.z >= NEAR_M) != (q.z >= NEAR_M) {
                let t = (NEAR_M - p.z) / (q.z - p.z);
                add(&(p + (q - p) * t));
            }
        }
    }
    if pts.is_empty() {
        return None;
    }
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for p in pts {
        b = [b[0].min(p.x), b[1].min(p.y), b[2].max(p.x), b[3].max(p.y)];
    }
    Some(b)
}

/// The labels of `frame` whose boxes project into the image of camera `camera`, given the
/// sweep's points in the same frame as the labels (`points`), in label order; those that meet
/// `settings` are [`ImageLabel::scored`].
pub fn project_labels(
    frame: &LabelledFrame,
    camera: &SensorSpec,
    points: &[Point3<f64>],
    settings: &ImageLabelSettings,
) -> Vec<ImageLabel> {
    let Some(k) = camera.intrinsics() else {
        return Vec::new();
    };
    let to_camera: Isometry3<f64> = camera.extrinsics.inverse();
    let (w, h) = (k.width as f64, k.height as f64);
    // Depth buffer over the image.
    let cell = settings.depth_cell_px.max(1.0);
    let (gw, gh) = ((w / cell).ceil() as usize, (h / cell).ceil() as usize);
    let mut depth = vec![f64::INFINITY; gw * gh];
    let projected: Vec<Option<(usize, f64)>> = points
        .iter()
        .map(|p| {
            let c = to_camera * p;
            let uv = k.project(&c).filter(|uv| k.contains(uv))?;
            let idx = (uv.y / cell) as usize * gw + (uv.x / cell) as usize;
            Some((idx.min(gw * gh - 1), c.z))
        })
        .collect();
    for (idx, z) in projected.iter().flatten() {
        depth[*idx] = depth[*idx].min(*z);
    }
    let mut out = Vec::new();
    for (index, o) in frame.objects.iter().enumerate() {
        let cam: [Point3<f64>; 8] = corners(o).map(|p| to_camera * p);
        let Some(full) = projected_bbox(&cam, k) else {
            continue;
        };
        let clipped = [
            full[0].clamp(0.0, w),
            full[1].clamp(0.0, h),
            full[2].clamp(0.0, w),
            full[3].clamp(0.0, h),
        ];
        let area = |b: &[f64; 4]| (b[2] - b[0]).max(0.0) * (b[3] - b[1]).max(0.0);
        if area(&clipped) <= 0.0 {
            continue;
        }
        let (mut in_image, mut visible) = (0, 0);
        let (mut u_min, mut u_max) = (f64::MAX, f64::MIN);
        for (p, proj) in points.iter().zip(&projected) {
            if let Some((idx, z)) = proj
                && o.bbox.contains(p, 0.0)
            {
                in_image += 1;
                if *z <= depth[*idx] + settings.depth_slack_m {
                    visible += 1;
                    if let Some(uv) = k.project(&(to_camera * p)) {
                        u_min = u_min.min(uv.x);
                        u_max = u_max.max(uv.x);
                    }
                }
            }
        }
        let scored = visible >= settings.min_visible_points
            && clipped[3] - clipped[1] >= settings.min_height_px;
        let bbox = if scored && u_max > u_min {
            [
                u_min.max(clipped[0]),
                clipped[1],
                u_max.min(clipped[2]),
                clipped[3],
            ]
        } else {
            clipped
        };
        out.push(ImageLabel {
            index,
            class: o.class,
            source_label: o.source_label.clone(),
            track_id: o.track_id.clone(),
            bbox,
            projected_bbox: clipped,
            in_image_fraction: area(&clipped) / area(&full).max(1e-9),
            points_in_image: in_image,
            visible_points: visible,
            depth_m: (to_camera * o.bbox.center).z,
            scored,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Distortion, OrientedBox3, SensorKind, Timestamp};
    use nalgebra::{Translation3, UnitQuaternion, Vector3};

    /// A forward camera at 1.5 m height (optical z = vehicle x).
    fn camera() -> SensorSpec {
        SensorSpec {
            name: "cam".into(),
            kind: SensorKind::Camera {
                intrinsics: CameraIntrinsics {
                    width: 800,
                    height: 400,
                    fx: 400.0,
                    fy: 400.0,
                    cx: 400.0,
                    cy: 200.0,
                    distortion: Distortion::None,
                },
            },
            topic: None,
            rate_hz: None,
            sync_offset_s: 0.0,
            extrinsics: Isometry3::from_parts(
                Translation3::new(0.0, 0.0, 1.5),
                UnitQuaternion::from_basis_unchecked(&[-Vector3::y(), -Vector3::z(), Vector3::x()]),
            ),
        }
    }

    fn car(x: f64, y: f64) -> GroundTruthObject {
        GroundTruthObject {
            class: ObjectClass::Car,
            source_label: "Car".into(),
            frame: "vehicle".into(),
            bbox: OrientedBox3 {
                center: Point3::new(x, y, 0.75),
                length: 4.0,
                width: 2.0,
                height: 1.5,
                yaw: 0.0,
            },
            velocity: None,
            num_lidar_points: None,
            track_id: Some(format!("car-{x}")),
        }
    }

    /// LiDAR returns on the rear face of a car at (x, y): a 5 cm grid of points.
    fn rear_face(x: f64, y: f64) -> Vec<Point3<f64>> {
        let mut out = Vec::new();
        for i in 0..37 {
            for j in 0..27 {
                out.push(Point3::new(
                    x - 1.95,
                    y - 0.9 + 0.05 * i as f64,
                    0.1 + 0.05 * j as f64,
                ));
            }
        }
        out
    }

    #[test]
    fn visible_cars_project_and_hidden_or_behind_ones_do_not() {
        let frame = LabelledFrame {
            timestamp: Timestamp(0),
            frame: "vehicle".into(),
            objects: vec![
                car(10.0, 0.0),
                car(20.0, 0.0),
                car(-10.0, 0.0),
                car(10.0, 30.0),
            ],
        };
        // Points on the near car and on the far car straight behind it (occluded), on the car
        // behind the camera, and none on the far-left car.
        let mut pts = rear_face(10.0, 0.0);
        pts.extend(rear_face(20.0, 0.0));
        pts.extend(rear_face(-10.0, 0.0));
        let all = project_labels(&frame, &camera(), &pts, &ImageLabelSettings::default());
        // The hidden car is in the image but not scored; the one behind the camera is not.
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(!all[1].scored && all[1].index == 1 && all[1].visible_points == 0);
        let labels: Vec<_> = all.into_iter().filter(|l| l.scored).collect();
        assert_eq!(labels.len(), 1, "{labels:?}");
        let l = &labels[0];
        assert_eq!(l.index, 0);
        assert_eq!(l.visible_points, 37 * 27);
        // Rear face 8 m ahead, 2 m wide: 100 px wide, centred; 1.5 m below the camera at the
        // ground, level with it at the roof. The visible points span 1.8 m of the width at
        // 8.05 m: 400 +- 44.7 px.
        assert_eq!(l.projected_bbox, [350.0, 200.0, 450.0, 275.0]);
        let half = 400.0 * 0.9 / 8.05;
        assert!((l.bbox[0] - (400.0 - half)).abs() < 1e-6, "{l:?}");
        assert!((l.bbox[2] - (400.0 + half)).abs() < 1e-6, "{l:?}");
        assert_eq!((l.bbox[1], l.bbox[3]), (200.0, 275.0));
        assert!((l.depth_m - 10.0).abs() < 1e-9);
        assert_eq!(l.in_image_fraction, 1.0);
    }

    #[test]
    fn boxes_straddling_the_camera_are_clipped_at_the_near_plane() {
        // A long truck alongside the camera: part behind it.
        let mut truck = car(1.0, -2.0);
        truck.bbox.length = 12.0;
        let frame = LabelledFrame {
            timestamp: Timestamp(0),
            frame: "vehicle".into(),
            objects: vec![truck],
        };
        let pts: Vec<Point3<f64>> = (0..40)
            .map(|i| Point3::new(0.5 + 0.1 * i as f64, -1.05, 1.0))
            .collect();
        let labels = project_labels(&frame, &camera(), &pts, &ImageLabelSettings::default());
        assert_eq!(labels.len(), 1);
        let (b, p) = (labels[0].bbox, labels[0].projected_bbox);
        assert!(b.iter().chain(&p).all(|v| v.is_finite()));
        assert_eq!(p[2], 800.0, "runs off the right edge: {p:?}");
        assert!(
            b[0] >= p[0] && b[2] <= p[2],
            "the visible part lies within: {b:?}"
        );
        assert!(labels[0].in_image_fraction < 1.0);
    }
}

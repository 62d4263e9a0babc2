//! The LiDAR obstacle points as one camera sees them: pixel and depth of every point in front
//! of the camera and inside its image, bucketed by image tile so that the points inside a
//! detection box are found without scanning them all.

use super::cluster_projection::CameraView;
use crate::lidar::roi_crop::VehiclePoints;
use nalgebra::Point3;

/// Side of an image tile, pixels.
const TILE: f32 = 32.0;

/// Obstacle points projected into one camera (parallel arrays, one entry per visible point,
/// in point order).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProjectedPoints {
    /// Index of the point in the obstacle points.
    pub index: Vec<u32>,
    /// Pixel column, pixels.
    pub u: Vec<f32>,
    /// Pixel row, pixels.
    pub v: Vec<f32>,
    /// Depth along the optical axis, metres.
    pub depth: Vec<f32>,
    /// Tiles across the image.
    cols: usize,
    /// Tiles down the image.
    rows: usize,
    /// Entries of tile `t` are `by_tile[start[t]..start[t + 1]]` (positions in the arrays).
    start: Vec<u32>,
    by_tile: Vec<u32>,
}

impl ProjectedPoints {
    /// Projects the first `count` points of `points` (vehicle frame, metres) into `view`,
    /// keeping those in front of the camera, inside the image and nearer than `max_depth`
    /// metres.
    pub fn project(
        view: &CameraView,
        points: &VehiclePoints,
        count: usize,
        max_depth: f32,
    ) -> Self {
        let k = &view.intrinsics;
        let m = view.vehicle_to_camera.to_homogeneous().cast::<f32>();
        let mut out = Self {
            cols: (k.width as f32 / TILE).ceil().max(1.0) as usize,
            rows: (k.height as f32 / TILE).ceil().max(1.0) as usize,
            ..Self::default()
        };
        for i in 0..count.min(points.len()) {
            let (x, y, z) = (points.x[i], points.y[i], points.z[i]);
            let cz = m[(2, 0)] * x + m[(2, 1)] * y + m[(2, 2)] * z + m[(2, 3)];
            if !(cz > 0.1 && cz <= max_depth) {
                continue;
            }
            let cx = m[(0, 0)] * x + m[(0, 1)] * y + m[(0, 2)] * z + m[(0, 3)];
            let cy = m[(1, 0)] * x + m[(1, 1)] * y + m[(1, 2)] * z + m[(1, 3)];
            // Far outside the field of view: skip before the (distorting) projection.
            if cx.abs() > 3.0 * cz || cy.abs() > 3.0 * cz {
                continue;
            }
            let Some(uv) = k.project(&Point3::new(cx as f64, cy as f64, cz as f64)) else {
                continue;
            };
            if !k.contains(&uv) {
                continue;
            }
            out.index.push(i as u32);
            out.u.push(uv.x as f32);
            out.v.push(uv.y as f32);
            out.depth.push(cz);
        }
        out.build_tiles();
        out
    }

    fn tile_of(&self, u: f32, v: f32) -> (usize, usize) {
        (
            ((u / TILE) as usize).min(self.cols - 1),
            ((v / TILE) as usize).min(self.rows - 1),
        )
    }

    fn build_tiles(&mut self) {
        let n_tiles = self.cols * self.rows;
        let tiles: Vec<usize> = (0..self.u.len())
            .map(|p| {
                let (c, r) = self.tile_of(self.u[p], self.v[p]);
                r * self.cols + c
            })
            .collect();
        let mut start = vec![0u32; n_tiles + 1];
        for &t in &tiles {
            start[t + 1] += 1;
        }
        for t in 0..n_tiles {
            start[t + 1] += start[t];
        }
        let mut fill = start.clone();
        let mut by_tile = vec![0u32; tiles.len()];
        for (p, &t) in tiles.iter().enumerate() {
            by_tile[fill[t] as usize] = p as u32;
            fill[t] += 1;
        }
        self.start = start;
        self.by_tile = by_tile;
    }

    /// Number of projected points.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when no point is visible.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Positions (into the arrays) of the points inside `bbox` (`[u1, v1, u2, v2]`, pixels),
    /// in increasing position order.
    pub fn in_box(&self, bbox: &[f32; 4]) -> Vec<usize> {
        let mut out = Vec::new();
        if self.is_empty() || !(bbox[2] >= bbox[0] && bbox[3] >= bbox[1]) {
            return out;
        }
        let (c0, r0) = self.tile_of(bbox[0].max(0.0), bbox[1].max(0.0));
        let (c1, r1) = self.tile_of(bbox[2].max(0.0), bbox[3].max(0.0));
        for r in r0..=r1 {
            for c in c0..=c1 {
                let t = r * self.cols + c;
                for &p in &self.by_tile[self.start[t] as usize..self.start[t + 1] as usize] {
                    let p = p as usize;
                    let (u, v) = (self.u[p], self.v[p]);
                    if u >= bbox[0] && u <= bbox[2] && v >= bbox[1] && v <= bbox[3] {
                        out.push(p);
                    }
                }
            }
        }
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use kestrel_sensors::{CameraIntrinsics, Distortion};
    use nalgebra::{Isometry3, Translation3, UnitQuaternion, Vector3};

    /// A forward-looking 640x480 camera at the origin (optical z = vehicle x).
    pub(crate) fn front_view() -> CameraView {
        let rot = UnitQuaternion::from_basis_unchecked(&[
            Vector3::new(0.0, -1.0, 0.0),
            Vector3::new(0.0, 0.0, -1.0),
            Vector3::new(1.0, 0.0, 0.0),
        ]);
        let camera_to_vehicle = Isometry3::from_parts(Translation3::new(0.0, 0.0, 1.5), rot);
        CameraView {
            name: "cam".into(),
            intrinsics: CameraIntrinsics {
                width: 640,
                height: 480,
                fx: 500.0,
                fy: 500.0,
                cx: 320.0,
                cy: 240.0,
                distortion: Distortion::None,
            },
            vehicle_to_camera: camera_to_vehicle.inverse(),
            camera_to_vehicle,
        }
    }

    #[test]
    fn points_in_a_box_are_found_through_the_tiles() {
        let mut pts = VehiclePoints::default();
        pts.push(10.0, 0.0, 1.5); // image centre, depth 10
        pts.push(10.0, 1.0, 1.5); // 50 px left of centre
        pts.push(-5.0, 0.0, 1.5); // behind
        pts.push(10.0, 30.0, 1.5); // outside the field of view
        pts.push(200.0, 0.0, 1.5); // beyond max depth
        let p = ProjectedPoints::project(&front_view(), &pts, pts.len(), 100.0);
        assert_eq!(p.index, vec![0, 1]);
        assert!((p.u[0] - 320.0).abs() < 1e-3 && (p.v[0] - 240.0).abs() < 1e-3);
        assert!((p.u[1] - 270.0).abs() < 1e-3 && (p.depth[1] - 10.0).abs() < 1e-5);
        assert_eq!(p.in_box(&[300.0, 200.0, 340.0, 260.0]), vec![0]);
        assert_eq!(p.in_box(&[0.0, 0.0, 640.0, 480.0]), vec![0, 1]);
        assert!(p.in_box(&[400.0, 0.0, 640.0, 480.0]).is_empty());
        assert!(p.in_box(&[f32::NAN, 0.0, 1.0, 1.0]).is_empty());
    }
}

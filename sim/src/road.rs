//! Road geometry: a reference line of constant-curvature segments with parallel lanes.
//!
//! Positions on the road are Frenet coordinates `(s, d)`: `s` is the arc length along the
//! reference line (metres), `d` the signed lateral offset, positive to the left (metres). The
//! reference line is the centre of lane 0 (the rightmost lane); lane `i` is centred at
//! `d = i * lane_width`. The road starts at the world origin heading along world +x.
//! World frame: x, y on the ground plane, z up, metres; headings counter-clockwise from +x.

use crate::error::SimError;
use nalgebra::{Point2, Vector2};
use serde::{Deserialize, Serialize};

/// One constant-curvature piece of the reference line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentSpec {
    /// Arc length, metres (> 0).
    pub length: f64,
    /// Curvature, 1/metres, positive turning left; 0 for a straight.
    #[serde(default)]
    pub curvature: f64,
}

/// Road description as written in a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoadSpec {
    /// Number of lanes (>= 1), all in the same direction.
    pub lanes: u32,
    /// Lane width, metres.
    #[serde(default = "default_lane_width")]
    pub lane_width: f64,
    /// Segments from the start of the road. Beyond the last one the road continues straight.
    pub segments: Vec<SegmentSpec>,
}

fn default_lane_width() -> f64 {
    3.5
}

/// Start pose of one segment on the reference line.
#[derive(Debug, Clone, Copy)]
struct SegmentStart {
    s: f64,
    x: f64,
    y: f64,
    heading: f64,
    curvature: f64,
    length: f64,
}

/// A checked road with precomputed segment start poses.
#[derive(Debug, Clone)]
pub struct Road {
    spec: RoadSpec,
    starts: Vec<SegmentStart>,
}

/// Pose reached after `ds` metres along an arc of curvature `k` from `(x, y, heading)`.
fn advance(x: f64, y: f64, heading: f64, k: f64, ds: f64) -> (f64, f64, f64) {
    if k.abs() < 1e-9 {
        let (s, c) = heading.sin_cos();
        (x + ds * c, y + ds * s, heading)
    } else {
        let h = heading + k * ds;
        (
            x + (h.sin() - heading.sin()) / k,
            y - (h.cos() - heading.cos()) / k,
            h,
        )
    }
}

impl Road {
    /// Checks the description and precomputes segment poses.
    pub fn new(spec: RoadSpec, scenario: &str) -> Result<Self, SimError> {
        let bad = |reason: String| SimError::InvalidScenario {
            scenario: scenario.to_owned(),
            reason,
        };
        if spec.lanes == 0 || !(spec.lane_width > 1.0 && spec.lane_width < 10.0) {
            return Err(bad(format!(
                "road needs >= 1 lane and a lane width in (1, 10) m, got {} lanes of {} m",
                spec.lanes, spec.lane_width
            )));
        }
        if spec.segments.is_empty() {
            return Err(bad("road has no segments".into()));
        }
        let mut starts = Vec::with_capacity(spec.segments.len());
        let (mut s, mut x, mut y, mut h) = (0.0, 0.0, 0.0, 0.0);
        for (i, seg) in spec.segments.iter().enumerate() {
            let length_ok = seg.length > 0.0 && seg.length.is_finite();
            if !length_ok || !seg.curvature.is_finite() || seg.curvature.abs() > 0.2 {
                return Err(bad(format!(
                    "road segment {i}: length {} m / curvature {} 1/m out of range (length > 0, |curvature| <= 0.2)",
                    seg.length, seg.curvature
                )));
            }
            starts.push(SegmentStart {
                s,
                x,
                y,
                heading: h,
                curvature: seg.curvature,
                length: seg.length,
            });
            (x, y, h) = advance(x, y, h, seg.curvature, seg.length);
            s += seg.length;
        }
        Ok(Self { spec, starts })
    }

    /// The description this road was built from.
    pub fn spec(&self) -> &RoadSpec {
        &self.spec
    }

    /// Lane width, metres.
    pub fn lane_width(&self) -> f64 {
        self.spec.lane_width
    }

    /// Total length of the declared segments, metres.
    pub fn length(&self) -> f64 {
        let last = self.starts[self.starts.len() - 1];
        last.s + last.length
    }

    /// The segment containing `s` (the first before 0, the last — extended straight — after
    /// the end).
    fn segment(&self, s: f64) -> (SegmentStart, f64) {
        let idx = self
            .starts
            .partition_point(|st| st.s <= s)
            .saturating_sub(1);
        let st = self.starts[idx];
        if s > st.s + st.length && idx + 1 == self.starts.len() {
            // Past the end: continue straight from the end pose.
            let (x, y, h) = advance(st.x, st.y, st.heading, st.curvature, st.length);
            let end = SegmentStart {
                s: st.s + st.length,
                x,
                y,
                heading: h,
                curvature: 0.0,
                length: f64::INFINITY,
            };
            return (end, s - end.s);
        }
        if s < 0.0 {
            return (
                SegmentStart {
                    curvature: 0.0,
                    ..st
                },
                s,
            );
        }
        (st, s - st.s)
    }

    /// Reference-line point and heading at arc length `s` (world frame, metres / radians).
    pub fn centre(&self, s: f64) -> (Point2<f64>, f64) {
        let (st, ds) = self.segment(s);
        let (x, y, h) = advance(st.x, st.y, st.heading, st.curvature, ds);
        (Point2::new(x, y), h)
    }

    /// Curvature of the reference line at `s`, 1/metres.
    pub fn curvature(&self, s: f64) -> f64 {
        self.segment(s).0.curvature
    }

    /// World point of Frenet coordinates `(s, d)`, and the road heading there.
    pub fn to_world(&self, s: f64, d: f64) -> (Point2<f64>, f64) {
        let (c, h) = self.centre(s);
        let n = Vector2::new(-h.sin(), h.cos());
        (c + n * d, h)
    }

    /// Frenet coordinates `(s, d)` of world point `p`, searching near `s_hint` (the previous
    /// `s` of whatever is being tracked; converges for |d| well below the curve radius).
    pub fn project(&self, p: &Point2<f64>, s_hint: f64) -> (f64, f64) {
        let mut s = s_hint;
        for _ in 0..12 {
            let (c, h) = self.centre(s);
            let t = Vector2::new(h.cos(), h.sin());
            let n = Vector2::new(-h.sin(), h.cos());
            let e = p - c;
            let k = self.curvature(s);
            let step = e.dot(&t) / (1.0 - k * e.dot(&n)).max(0.2);
            s += step;
            if step.abs() < 1e-6 {
                break;
            }
        }
        let (c, h) = self.centre(s);
        (s, (p - c).dot(&Vector2::new(-h.sin(), h.cos())))
    }

    /// Lateral offset of the centre of lane `lane`, metres.
    pub fn lane_centre(&self, lane: u32) -> f64 {
        lane as f64 * self.spec.lane_width
    }

    /// The lane whose centre is nearest to lateral offset `d` (clamped to the road's lanes).
    pub fn lane_at(&self, d: f64) -> u32 {
        let l = (d / self.spec.lane_width).round().max(0.0) as u32;
        l.min(self.spec.lanes - 1)
    }

    /// Lateral offsets of the right and left road edges, metres.
    pub fn edges(&self) -> (f64, f64) {
        let w = self.spec.lane_width;
        (-w / 2.0, (self.spec.lanes as f64 - 0.5) * w)
    }

    /// Lateral offsets of all lane markings from right edge to left edge, with `true` for the
    /// solid edge lines and `false` for dashed lane dividers.
    pub fn markings(&self) -> Vec<(f64, bool)> {
        let (right, _) = self.edges();
        (0..=self.spec.lanes)
            .map(|i| {
                (
                    right + i as f64 * self.spec.lane_width,
                    i == 0 || i == self.spec.lanes,
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn curved() -> Road {
        Road::new(
            RoadSpec {
                lanes: 2,
                lane_width: 3.5,
                segments: vec![
                    SegmentSpec {
                        length: 50.0,
                        curvature: 0.0,
                    },
                    SegmentSpec {
                        length: 100.0 * PI / 2.0,
                        curvature: 0.01,
                    },
                ],
            },
            "t",
        )
        .unwrap()
    }

    #[test]
    fn quarter_circle_ends_where_geometry_says() {
        let r = curved();
        let (p, h) = r.centre(r.length());
        assert!((p.x - 150.0).abs() < 1e-9 && (p.y - 100.0).abs() < 1e-9);
        assert!((h - PI / 2.0).abs() < 1e-12);
        // Past the end the road continues straight north.
        let (q, _) = r.centre(r.length() + 10.0);
        assert!((q.x - 150.0).abs() < 1e-9 && (q.y - 110.0).abs() < 1e-9);
    }

    #[test]
    fn projection_inverts_to_world() {
        let r = curved();
        for &(s, d) in &[(10.0, 0.0), (60.0, 3.5), (120.0, -1.0), (200.0, 2.0)] {
            let (p, _) = r.to_world(s, d);
            let (s2, d2) = r.project(&p, s - 5.0);
            assert!(
                (s2 - s).abs() < 1e-6 && (d2 - d).abs() < 1e-6,
                "{s} {d} -> {s2} {d2}"
            );
        }
        assert!(
            Road::new(
                RoadSpec {
                    lanes: 0,
                    lane_width: 3.5,
                    segments: vec![]
                },
                "t"
            )
            .is_err()
        );
    }
}

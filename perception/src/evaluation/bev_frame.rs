//! The bird's-eye-view picture of one scored frame: labels against the `tracked` outputs, in
//! the vehicle frame (x forward to the right of the picture, y left upwards, metres, equal
//! scale), in the shared figure frame of `kestrel_sim::bev_figure` (title, axes, legend, text
//! in the bundled font).
//!
//! Drawn: the range rings of the bands (30 m, 50 m) and the labelled region's edges (KITTI's
//! camera view); the ego vehicle at the origin; each label's footprint coloured by class group
//! with its class name (pale when it is not scored); each track's footprint (blue with a
//! class, grey `unknown`) with `#id class`, its centre dot blue when matched and red when it is
//! a false positive; a black line for every match; the single-frame detections as small
//! crosses.

use super::class_group::ClassGroup;
use super::error::EvalError;
use super::scored_frame::{EvalRegion, ScoredFrame};
use crate::object_messages::ObjectRecord;
use kestrel_sensors::{ObjectClass, OrientedBox3};
use kestrel_sim::SimError;
use kestrel_sim::bev_figure::{
    BevChart, BevFigure, LegendEntry, LegendMark, plot_error, text_style,
};
use plotters::prelude::*;

use super::matching::output_box;

/// Width and height of a frame picture, pixels.
pub const FRAME_PICTURE_SIZE: (u32, u32) = (1200, 900);

fn group_colour(g: ClassGroup) -> RGBColor {
    match g {
        ClassGroup::Vehicle => RGBColor(0, 140, 60),
        ClassGroup::Pedestrian => RGBColor(170, 40, 170),
        ClassGroup::Cyclist => RGBColor(0, 150, 170),
        ClassGroup::Other => RGBColor(150, 100, 40),
    }
}

const PALE: RGBColor = RGBColor(190, 190, 190);
const TRACK: RGBColor = RGBColor(30, 80, 220);
const TRACK_UNKNOWN: RGBColor = RGBColor(110, 110, 110);
const FALSE_POSITIVE: RGBColor = RGBColor(220, 30, 30);
const DETECTION: RGBColor = RGBColor(90, 90, 90);

/// The closed ground-plane outline of a box.
fn outline(b: &OrientedBox3) -> Vec<(f64, f64)> {
    let (s, c) = b.yaw.sin_cos();
    let (l, w) = (b.length / 2.0, b.width / 2.0);
    let mut pts: Vec<(f64, f64)> = [(l, w), (-l, w), (-l, -w), (l, -w), (l, w)]
        .iter()
        .map(|&(a, d)| (b.center.x + c * a - s * d, b.center.y + s * a + c * d))
        .collect();
    // Heading tick: from the centre to the front edge.
    pts.push((b.center.x + c * l, b.center.y + s * l));
    pts
}

/// The visible extent: the range disc, or the labelled sector's bounding box.
fn extent(region: &EvalRegion) -> (std::ops::Range<f64>, std::ops::Range<f64>) {
    let r = region.max_range + 5.0;
    match region.scope {
        None => (-r..r, -r..r),
        Some(s) => {
            let mut xs = vec![s.apex[0], -5.0];
            let mut ys = vec![s.apex[1]];
            for k in 0..=16 {
                let a = s.azimuth_min + (s.azimuth_max - s.azimuth_min) * k as f64 / 16.0;
                xs.push(s.apex[0] + r * a.cos());
                ys.push(s.apex[1] + r * a.sin());
            }
            let lo = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (lo(&xs)..hi(&xs), lo(&ys) - 2.0..hi(&ys) + 2.0)
        }
    }
}

/// The legend of a frame picture.
fn legend() -> Vec<LegendEntry> {
    let line = |colour, label: &str| LegendEntry::new(LegendMark::Line { colour, width: 2 }, label);
    let mut out = vec![line(BLACK, "ego vehicle (outline approximate)")];
    for g in ClassGroup::ALL {
        out.push(line(
            group_colour(g),
            &format!("label: {} (dataset name)", g.name()),
        ));
    }
    out.extend([
        line(PALE, "label not scored (range, view)"),
        line(TRACK, "track with a class: #id class"),
        line(TRACK_UNKNOWN, "track of class unknown"),
        LegendEntry::new(LegendMark::Dot(TRACK), "track matched to a label"),
        LegendEntry::new(LegendMark::Dot(FALSE_POSITIVE), "track matched to no label"),
        LegendEntry::new(
            LegendMark::Line {
                colour: BLACK,
                width: 1,
            },
            "match: label - track",
        ),
        LegendEntry::new(LegendMark::Cross(DETECTION), "single-frame detection"),
    ]);
    out
}

fn draw_frame(
    chart: &mut BevChart<'_, '_>,
    f: &ScoredFrame<'_>,
    detected: &[ObjectRecord],
    region: &EvalRegion,
) -> Result<(), SimError> {
    let ring = RGBColor(160, 160, 160);
    for r in [region.near_band_edge, region.max_range] {
        let pts: Vec<(f64, f64)> = (0..=180)
            .map(|k| {
                let a = k as f64 * std::f64::consts::TAU / 180.0;
                (r * a.cos(), r * a.sin())
            })
            .collect();
        chart
            .draw_series(LineSeries::new(pts, ring.stroke_width(1)))
            .map_err(plot_error)?;
        chart
            .draw_series([Text::new(
                format!("{r:.0} m"),
                (
                    r * std::f64::consts::FRAC_1_SQRT_2,
                    r * std::f64::consts::FRAC_1_SQRT_2,
                ),
                text_style(12.0, ring),
            )])
            .map_err(plot_error)?;
    }
    if let Some(s) = region.scope {
        let r = region.max_range;
        for a in [s.azimuth_min, s.azimuth_max] {
            chart
                .draw_series(LineSeries::new(
                    [
                        (s.apex[0], s.apex[1]),
                        (s.apex[0] + r * a.cos(), s.apex[1] + r * a.sin()),
                    ],
                    ring.stroke_width(1),
                ))
                .map_err(plot_error)?;
        }
    }
    let ego = OrientedBox3 {
        center: nalgebra::Point3::new(1.25, 0.0, 0.8),
        length: 4.5,
        width: 1.9,
        height: 1.6,
        yaw: 0.0,
    };
    chart
        .draw_series(LineSeries::new(outline(&ego), BLACK.stroke_width(2)))
        .map_err(plot_error)?;
    let (xr, yr) = (chart.x_range(), chart.y_range());
    let visible = |x: f64, y: f64| xr.contains(&x) && yr.contains(&y);

    for (i, l) in f.labels.iter().enumerate() {
        if !visible(l.bbox.center.x, l.bbox.center.y) {
            continue;
        }
        let colour = if f.label_band[i].is_some() {
            group_colour(f.label_group(i))
        } else {
            PALE
        };
        chart
            .draw_series(LineSeries::new(outline(&l.bbox), colour.stroke_width(2)))
            .map_err(plot_error)?;
        chart
            .draw_series([Text::new(
                l.source_label.clone(),
                (l.bbox.center.x + 0.6, l.bbox.center.y - 0.6),
                text_style(11.0, colour),
            )])
            .map_err(plot_error)?;
    }
    for d in detected
        .iter()
        .filter(|d| visible(d.position[0], d.position[1]))
    {
        chart
            .draw_series([Cross::new(
                (d.position[0], d.position[1]),
                4,
                DETECTION.stroke_width(1),
            )])
            .map_err(plot_error)?;
    }
    for (j, o) in f.outputs.iter().enumerate() {
        if !visible(o.position[0], o.position[1]) {
            continue;
        }
        let colour = if o.class == ObjectClass::Unknown {
            TRACK_UNKNOWN
        } else {
            TRACK
        };
        let (x, y) = (o.position[0], o.position[1]);
        chart
            .draw_series(LineSeries::new(
                outline(&output_box(o)),
                colour.stroke_width(2),
            ))
            .map_err(plot_error)?;
        if let Some(i) = f.matching.output_to_label[j] {
            let c = f.labels[i].bbox.center;
            chart
                .draw_series(LineSeries::new([(c.x, c.y), (x, y)], BLACK.stroke_width(1)))
                .map_err(plot_error)?;
        }
        let dot = if f.matching.output_to_label[j].is_some() {
            TRACK
        } else {
            FALSE_POSITIVE
        };
        chart
            .draw_series([Circle::new((x, y), 3, dot.filled())])
            .map_err(plot_error)?;
        let id = o
            .track_id
            .map_or_else(|| "-".to_owned(), |id| id.to_string());
        chart
            .draw_series([Text::new(
                format!("#{id} {}", o.class.name()),
                (x + 0.6, y + 1.8),
                text_style(12.0, colour),
            )])
            .map_err(plot_error)?;
    }
    Ok(())
}

/// Renders one frame's picture ([`FRAME_PICTURE_SIZE`] pixels) titled `title`: `scored` holds the
/// labels and the tracks, `detected` the frame's single-frame detections.
pub fn render_frame(
    title: &str,
    scored: &ScoredFrame<'_>,
    detected: &[ObjectRecord],
    region: &EvalRegion,
) -> Result<image::RgbImage, EvalError> {
    let (x, y) = extent(region);
    let figure = BevFigure {
        width: FRAME_PICTURE_SIZE.0,
        height: FRAME_PICTURE_SIZE.1,
        title: title.to_owned(),
        x_label: "x forward (m), vehicle frame".into(),
        y_label: "y left (m)".into(),
        x,
        y,
        legend: legend(),
    };
    Ok(figure.render(|chart| draw_frame(chart, scored, detected, region))?)
}

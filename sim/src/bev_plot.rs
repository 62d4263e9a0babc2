//! Bird's-eye-view picture of a closed-loop run (PNG), in the shared frame of
//! [`crate::bev_figure`] (title, axes in metres, legend): ego path in blue (start marked by a
//! dot), actor paths in orange with each actor's name at its start, stack objects as small
//! green dots, the collision point as a red circle. World frame, equal scale on both axes.

use crate::bev_figure::{BevFigure, LegendEntry, LegendMark, plot_error, text_style};
use crate::closed_loop::RunTrace;
use crate::error::SimError;
use plotters::prelude::*;
use std::path::Path;

/// Space left around the content, metres.
const MARGIN_M: f64 = 5.0;
/// Colour of the actor paths.
const ORANGE: RGBColor = RGBColor(230, 120, 20);
/// Colour of the stack's objects.
const DETECTION: RGBColor = RGBColor(40, 160, 60);

/// Renders the trace as PNG bytes of `width` x `height` pixels, titled `title` (e.g. the
/// scenario name and seed).
pub fn bev_png(
    trace: &RunTrace,
    title: &str,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, SimError> {
    let pts = trace
        .ego
        .iter()
        .chain(trace.actors.values().flatten())
        .chain(&trace.detections);
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if !x0.is_finite() {
        (x0, x1, y0, y1) = (0.0, 10.0, 0.0, 10.0);
    }
    let figure = BevFigure {
        width,
        height,
        title: title.to_owned(),
        x_label: "x, world frame (m)".into(),
        y_label: "y, world frame (m)".into(),
        x: x0 - MARGIN_M..x1 + MARGIN_M,
        y: y0 - MARGIN_M..y1 + MARGIN_M,
        legend: [
            (
                LegendMark::Line {
                    colour: BLUE,
                    width: 3,
                },
                "ego path (start: dot)",
            ),
            (
                LegendMark::Line {
                    colour: ORANGE,
                    width: 2,
                },
                "actor paths (start: dot, name)",
            ),
            (LegendMark::Dot(DETECTION), "stack objects"),
            (LegendMark::Ring(RED), "collision"),
        ]
        .into_iter()
        .filter(|(m, _)| trace.collision_at.is_some() || *m != LegendMark::Ring(RED))
        .map(|(m, l)| LegendEntry::new(m, l))
        .collect(),
    };
    figure.png(|chart| {
        chart
            .draw_series(
                trace
                    .detections
                    .iter()
                    .map(|&p| Circle::new(p, 1, DETECTION.filled())),
            )
            .map_err(plot_error)?;
        for (name, path) in &trace.actors {
            chart
                .draw_series(LineSeries::new(
                    path.iter().copied(),
                    ORANGE.stroke_width(2),
                ))
                .map_err(plot_error)?;
            if let Some(&p) = path.first() {
                chart
                    .draw_series([Circle::new(p, 4, ORANGE.filled())])
                    .map_err(plot_error)?;
                chart
                    .draw_series([Text::new(
                        name.clone(),
                        p,
                        text_style(13.0, RGBColor(120, 60, 0)),
                    )])
                    .map_err(plot_error)?;
            }
        }
        chart
            .draw_series(LineSeries::new(
                trace.ego.iter().copied(),
                BLUE.stroke_width(3),
            ))
            .map_err(plot_error)?;
        if let Some(&p) = trace.ego.first() {
            chart
                .draw_series([Circle::new(p, 5, BLUE.filled())])
                .map_err(plot_error)?;
        }
        if let Some(p) = trace.collision_at {
            chart
                .draw_series([Circle::new(p, 10, RED.stroke_width(3))])
                .map_err(plot_error)?;
        }
        Ok(())
    })
}

/// Writes the trace as a PNG file (see [`bev_png`]).
pub fn write_bev_png(
    trace: &RunTrace,
    title: &str,
    path: &Path,
    width: u32,
    height: u32,
) -> Result<(), SimError> {
    let png = bev_png(trace, title, width, height)?;
    std::fs::write(path, png).map_err(|source| SimError::Io {
        path: path.to_owned(),
        source,
    })
}

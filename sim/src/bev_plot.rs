//! Bird's-eye-view picture of a run (PNG, no text so no fonts are needed): ego path in blue,
//! actor paths in orange (start marked by a dot), stack detections as small green dots, the
//! collision point as a red circle. World frame, equal scale on both axes, 10 m grid.

use crate::closed_loop::RunTrace;
use crate::error::SimError;
use plotters::prelude::*;
use std::path::Path;

/// Renders the trace as PNG bytes of `width` x `height` pixels.
pub fn bev_png(trace: &RunTrace, width: u32, height: u32) -> Result<Vec<u8>, SimError> {
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
    // Equal scale: grow the shorter side around its centre.
    let (margin, aspect) = (5.0, width as f64 / height as f64);
    let (mut w, mut h) = (x1 - x0 + 2.0 * margin, y1 - y0 + 2.0 * margin);
    if w / h > aspect {
        h = w / aspect
    } else {
        w = h * aspect
    }
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let (xr, yr) = (cx - w / 2.0..cx + w / 2.0, cy - h / 2.0..cy + h / 2.0);
    let mut buf = vec![0u8; width as usize * height as usize * 3];
    {
        let plot_err = |e: &dyn std::fmt::Display| SimError::Plot(e.to_string());
        let root = BitMapBackend::with_buffer(&mut buf, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .build_cartesian_2d(xr.clone(), yr.clone())
            .map_err(|e| plot_err(&e))?;
        let grid = RGBColor(225, 225, 225);
        let gx = (xr.start / 10.0).ceil() as i64..=(xr.end / 10.0).floor() as i64;
        let gy = (yr.start / 10.0).ceil() as i64..=(yr.end / 10.0).floor() as i64;
        for i in gx {
            let x = i as f64 * 10.0;
            chart
                .draw_series(LineSeries::new([(x, yr.start), (x, yr.end)], grid))
                .map_err(|e| plot_err(&e))?;
        }
        for i in gy {
            let y = i as f64 * 10.0;
            chart
                .draw_series(LineSeries::new([(xr.start, y), (xr.end, y)], grid))
                .map_err(|e| plot_err(&e))?;
        }
        let det = RGBColor(40, 160, 60);
        chart
            .draw_series(
                trace
                    .detections
                    .iter()
                    .map(|&p| Circle::new(p, 1, det.filled())),
            )
            .map_err(|e| plot_err(&e))?;
        let orange = RGBColor(230, 120, 20);
        for path in trace.actors.values() {
            chart
                .draw_series(LineSeries::new(
                    path.iter().copied(),
                    orange.stroke_width(2),
                ))
                .map_err(|e| plot_err(&e))?;
            if let Some(&p) = path.first() {
                chart
                    .draw_series([Circle::new(p, 4, orange.filled())])
                    .map_err(|e| plot_err(&e))?;
            }
        }
        chart
            .draw_series(LineSeries::new(
                trace.ego.iter().copied(),
                BLUE.stroke_width(3),
            ))
            .map_err(|e| plot_err(&e))?;
        if let Some(&p) = trace.ego.first() {
            chart
                .draw_series([Circle::new(p, 5, BLUE.filled())])
                .map_err(|e| plot_err(&e))?;
        }
        if let Some(p) = trace.collision_at {
            chart
                .draw_series([Circle::new(p, 10, RED.stroke_width(3))])
                .map_err(|e| plot_err(&e))?;
        }
        root.present().map_err(|e| plot_err(&e))?;
    }
    let img = image::RgbImage::from_raw(width, height, buf)
        .ok_or_else(|| SimError::Plot("buffer size".into()))?;
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| SimError::Plot(e.to_string()))?;
    Ok(png)
}

/// Writes the trace as a PNG file.
pub fn write_bev_png(
    trace: &RunTrace,
    path: &Path,
    width: u32,
    height: u32,
) -> Result<(), SimError> {
    let png = bev_png(trace, width, height)?;
    std::fs::write(path, png).map_err(|source| SimError::Io {
        path: path.to_owned(),
        source,
    })
}

//! Pictures of where a detector looked: the camera image, dimmed, under a heat overlay of
//! the occlusion saliency of its detections (`kestrel_models::occlusion_saliency`), with the
//! boxes numbered as `kestrel explain` lists them.

use crate::error::PerceptionError;
use image::{Rgb, RgbImage, imageops};
use kestrel_models::occlusion_saliency::ImageExplanation;
use kestrel_sensors::CameraFrame;
use kestrel_sim::bev_figure::{ensure_font, text_style};
use plotters::prelude::*;

/// Height of the caption strip above each panel, pixels.
const CAPTION_HEIGHT: u32 = 36;

/// Box colours, cycled by detection number.
const BOX_COLOURS: [RGBColor; 6] = [
    RGBColor(0, 220, 255),
    RGBColor(120, 255, 80),
    RGBColor(255, 80, 255),
    RGBColor(255, 255, 255),
    RGBColor(80, 140, 255),
    RGBColor(255, 160, 0),
];

fn picture_error(e: impl std::fmt::Display) -> PerceptionError {
    PerceptionError::Picture(e.to_string())
}

/// "Hot" colour ramp: black, red, yellow, white over `t` in 0..1.
fn hot(t: f32) -> [f32; 3] {
    let t = t.clamp(0.0, 1.0) * 3.0;
    [
        t.min(1.0),
        (t - 1.0).clamp(0.0, 1.0),
        (t - 2.0).clamp(0.0, 1.0),
    ]
}

/// One panel: `frame` dimmed to 45 %, each detection's saliency scaled to its own maximum and
/// the per-pixel maximum over detections blended in with the hot ramp (opacity follows the
/// heat), the boxes drawn and numbered from 1, and `caption` above.
pub fn render_panel(
    frame: &CameraFrame,
    explained: &ImageExplanation,
    caption: &str,
) -> Result<RgbImage, PerceptionError> {
    ensure_font().map_err(picture_error)?;
    let (w, h) = (frame.width, frame.height);
    // Each map scaled to its own maximum (maps without a positive value are not drawn).
    let maps: Vec<_> = explained
        .explanations
        .iter()
        .map(|e| (&e.saliency, e.saliency.max()))
        .filter(|&(_, max)| max > 0.0)
        .collect();
    let mut picture = RgbImage::from_pixel(w, h + CAPTION_HEIGHT, Rgb([255, 255, 255]));
    for y in 0..h {
        for x in 0..w {
            let rgb = frame.rgb_at(x, y).unwrap_or([0, 0, 0]);
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            let heat = maps
                .iter()
                .map(|(map, max)| map.at_image(px, py) / max)
                .fold(0.0f32, f32::max);
            let colour = hot(heat);
            let alpha = 0.75 * heat.clamp(0.0, 1.0);
            let out: [u8; 3] = std::array::from_fn(|c| {
                let base = 0.45 * rgb[c] as f32;
                ((1.0 - alpha) * base + alpha * 255.0 * colour[c]).round() as u8
            });
            picture.put_pixel(x, y + CAPTION_HEIGHT, Rgb(out));
        }
    }
    {
        let root =
            BitMapBackend::with_buffer(&mut picture, (w, h + CAPTION_HEIGHT)).into_drawing_area();
        root.draw(&Text::new(
            caption.to_owned(),
            (8, 8),
            text_style(20.0, BLACK),
        ))
        .map_err(picture_error)?;
        for (i, e) in explained.explanations.iter().enumerate() {
            let colour = BOX_COLOURS[i % BOX_COLOURS.len()];
            let [x1, y1, x2, y2] = e.detection.bbox;
            let top = CAPTION_HEIGHT as i32;
            let corners = [
                (x1.round() as i32, y1.round() as i32 + top),
                (x2.round() as i32, y2.round() as i32 + top),
            ];
            root.draw(&Rectangle::new(corners, colour.stroke_width(2)))
                .map_err(picture_error)?;
            root.draw(&Text::new(
                format!("{}", i + 1),
                (corners[0].0 + 3, corners[0].1 + 2),
                text_style(16.0, colour),
            ))
            .map_err(picture_error)?;
        }
        root.present().map_err(picture_error)?;
    }
    Ok(picture)
}

/// Panels side by side, top-aligned, 8 white pixels apart.
pub fn side_by_side(panels: &[RgbImage]) -> RgbImage {
    let gap = 8;
    let width =
        panels.iter().map(|p| p.width()).sum::<u32>() + gap * panels.len().saturating_sub(1) as u32;
    let height = panels.iter().map(|p| p.height()).max().unwrap_or(1);
    let mut out = RgbImage::from_pixel(width.max(1), height, Rgb([255, 255, 255]));
    let mut x = 0i64;
    for p in panels {
        imageops::replace(&mut out, p, x, 0);
        x += (p.width() + gap) as i64;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hot_ramp_runs_black_red_yellow_white() {
        assert_eq!(hot(0.0), [0.0, 0.0, 0.0]);
        assert_eq!(hot(0.25), [0.75, 0.0, 0.0]);
        assert_eq!(hot(0.5), [1.0, 0.5, 0.0]);
        assert_eq!(hot(0.75), [1.0, 1.0, 0.25]);
        assert_eq!(hot(1.0), [1.0, 1.0, 1.0]);
        assert_eq!(hot(7.0), [1.0, 1.0, 1.0]);
    }

    #[test]
    fn panels_are_placed_left_to_right() {
        let a = RgbImage::from_pixel(3, 2, Rgb([1, 1, 1]));
        let b = RgbImage::from_pixel(2, 4, Rgb([2, 2, 2]));
        let out = side_by_side(&[a, b]);
        assert_eq!(out.dimensions(), (13, 4));
        assert_eq!(out.get_pixel(0, 0), &Rgb([1, 1, 1]));
        assert_eq!(out.get_pixel(11, 3), &Rgb([2, 2, 2]));
        assert_eq!(out.get_pixel(5, 0), &Rgb([255, 255, 255]));
    }
}

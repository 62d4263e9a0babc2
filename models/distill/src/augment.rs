//! Strong augmentation of training views: random scale and crop, horizontal flip and
//! photometric jitter. A view is a recipe ([`ViewParams`]) that re-renders bit-identically,
//! so the teacher cache stores recipes and targets, not pixels.

use crate::seeded_rng::SeededRng;
use kestrel_models::image_resample::{PixelView, Region, resample_rgb};

/// How one augmented view is cut out of an image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewParams {
    /// Index of the source image in the training set.
    pub image: usize,
    /// Source region, image pixels.
    pub region: Region,
    /// Rendered content size (width, height) in canvas pixels, placed at the top-left.
    pub content: (usize, usize),
    /// Mirror left-right.
    pub flip: bool,
    /// Brightness gain.
    pub brightness: f32,
    /// Contrast gain around mid-grey.
    pub contrast: f32,
    /// Saturation gain around each pixel's luma.
    pub saturation: f32,
}

/// Draws a view of an image of `width x height` pixels for a canvas of
/// `canvas_w x canvas_h` pixels. One view in five is the plain letterboxed image (as at
/// inference) with flip and jitter only; the others zoom by 0.75..2.5 around a random point.
pub fn sample_view(
    rng: &mut SeededRng,
    image: usize,
    width: usize,
    height: usize,
    canvas_w: usize,
    canvas_h: usize,
) -> ViewParams {
    let (w, h) = (width as f32, height as f32);
    let fit = (canvas_w as f32 / w).min(canvas_h as f32 / h);
    let plain = rng.chance(0.2);
    let zoom = if plain {
        1.0
    } else {
        (rng.uniform(0.75f32.ln(), 2.5f32.ln())).exp()
    };
    let s = fit * zoom;
    let rw = w.min(canvas_w as f32 / s);
    let rh = h.min(canvas_h as f32 / s);
    let (x, y) = if plain {
        (0.0, 0.0)
    } else {
        (rng.uniform(0.0, w - rw), rng.uniform(0.0, h - rh))
    };
    let content = (
        ((rw * s).round() as usize).clamp(1, canvas_w),
        ((rh * s).round() as usize).clamp(1, canvas_h),
    );
    ViewParams {
        image,
        region: Region {
            x,
            y,
            width: rw,
            height: rh,
        },
        content,
        flip: rng.chance(0.5),
        brightness: rng.uniform(0.65, 1.35),
        contrast: rng.uniform(0.7, 1.3),
        saturation: rng.uniform(0.5, 1.5),
    }
}

/// Renders a view: interleaved RGB 0..255 of `view.content` size.
pub fn render_view(view: &ViewParams, image: &PixelView<'_>) -> Vec<f32> {
    let (cw, ch) = view.content;
    let mut rgb = resample_rgb(image, view.region, cw, ch);
    if view.flip {
        for row in rgb.chunks_exact_mut(cw * 3) {
            for x in 0..cw / 2 {
                for c in 0..3 {
                    row.swap(x * 3 + c, (cw - 1 - x) * 3 + c);
                }
            }
        }
    }
    for px in rgb.chunks_exact_mut(3) {
        let luma = 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2];
        for v in px.iter_mut() {
            let sat = luma + (*v - luma) * view.saturation;
            let con = 128.0 + (sat - 128.0) * view.contrast;
            *v = (con * view.brightness).clamp(0.0, 255.0);
        }
    }
    rgb
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_sensors::PixelEncoding;

    #[test]
    fn views_fit_the_canvas_and_stay_inside_the_image() {
        let mut rng = SeededRng::new(3);
        for _ in 0..200 {
            let v = sample_view(&mut rng, 0, 640, 360, 320, 192);
            assert!(v.content.0 <= 320 && v.content.1 <= 192);
            assert!(v.region.x >= 0.0 && v.region.x + v.region.width <= 640.01);
            assert!(v.region.y >= 0.0 && v.region.y + v.region.height <= 360.01);
        }
    }

    #[test]
    fn flip_mirrors_and_neutral_jitter_keeps_pixels() {
        let data = [10u8, 20, 30, 40, 50, 60];
        let img = PixelView::new("t", 2, 1, PixelEncoding::Rgb8, &data).unwrap();
        let v = ViewParams {
            image: 0,
            region: Region::full(&img),
            content: (2, 1),
            flip: true,
            brightness: 1.0,
            contrast: 1.0,
            saturation: 1.0,
        };
        let out = render_view(&v, &img);
        let want = [40.0, 50.0, 60.0, 10.0, 20.0, 30.0];
        assert!(
            out.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-3),
            "{out:?}"
        );
    }
}

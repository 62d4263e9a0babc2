//! Turning an image into the model input tensor the manifest declares (resize or letterbox,
//! channel order, normalisation), and mapping model-input boxes back to image pixels.

use crate::image_resample::{PixelView, Region, resample_rgb};
use crate::manifest::{ChannelOrder, InputSpec, ResizeMode};
use ndarray::{Array4, Axis};

/// How an image was mapped onto the model input: model-input pixel `(x, y)` shows image
/// pixel `(x / scale_x, y / scale_y)` (the content sits at the input's top-left corner).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputTransform {
    /// Model-input pixels per image pixel along x.
    pub scale_x: f32,
    /// Model-input pixels per image pixel along y.
    pub scale_y: f32,
    /// Image width in pixels.
    pub image_width: f32,
    /// Image height in pixels.
    pub image_height: f32,
}

impl InputTransform {
    /// The transform for an image of `width x height` pixels under `spec`, and the size
    /// (width, height) in model-input pixels that the image content covers.
    pub fn for_image(spec: &InputSpec, width: usize, height: usize) -> (Self, (usize, usize)) {
        let (iw, ih) = (spec.width() as f32, spec.height() as f32);
        let (w, h) = (width as f32, height as f32);
        let (sx, sy) = match spec.resize {
            ResizeMode::Stretch => (iw / w, ih / h),
            ResizeMode::Letterbox => {
                let s = (iw / w).min(ih / h);
                (s, s)
            }
        };
        let content = (
            ((w * sx).round() as usize).clamp(1, spec.width()),
            ((h * sy).round() as usize).clamp(1, spec.height()),
        );
        let transform = Self {
            scale_x: sx,
            scale_y: sy,
            image_width: w,
            image_height: h,
        };
        (transform, content)
    }

    /// Maps a box `[x1, y1, x2, y2]` from model-input pixels to image pixels, clipped to the
    /// image.
    pub fn to_image(&self, b: [f32; 4]) -> [f32; 4] {
        [
            (b[0] / self.scale_x).clamp(0.0, self.image_width),
            (b[1] / self.scale_y).clamp(0.0, self.image_height),
            (b[2] / self.scale_x).clamp(0.0, self.image_width),
            (b[3] / self.scale_y).clamp(0.0, self.image_height),
        ]
    }
}

/// Builds the `[1, 3, h, w]` input from interleaved RGB `content` (0..255, `content_height`
/// rows of `content_width` pixels) placed at the top-left corner; the rest is `pad_value`.
/// Applies the manifest's channel order and `(x - mean) / std`.
pub fn input_from_rgb(
    spec: &InputSpec,
    content: &[f32],
    content_width: usize,
    content_height: usize,
) -> Array4<f32> {
    let (h, w) = (spec.height(), spec.width());
    let planes: [usize; 3] = match spec.channel_order {
        ChannelOrder::Rgb => [0, 1, 2],
        ChannelOrder::Bgr => [2, 1, 0],
    };
    let pads: [f32; 3] =
        std::array::from_fn(|c| (spec.pad_value[planes[c]] as f32 - spec.mean[c]) / spec.std[c]);
    let (rows, cols) = (content_height.min(h), content_width.min(w));
    let mut input = Array4::zeros((1, 3, h, w));
    for (c, mut plane) in input
        .index_axis_mut(Axis(0), 0)
        .outer_iter_mut()
        .enumerate()
    {
        let (p, mean, std) = (planes[c], spec.mean[c], spec.std[c]);
        for (y, row) in plane.outer_iter_mut().enumerate() {
            let (src, n): (&[f32], usize) = if y < rows {
                let start = y * content_width * 3;
                (&content[start..start + cols * 3], cols)
            } else {
                (&[], 0)
            };
            let (mut pixels, mut pad) = row.split_at(Axis(0), n);
            for (d, px) in pixels.iter_mut().zip(src.chunks_exact(3)) {
                *d = (px[p] - mean) / std;
            }
            pad.fill(pads[c]);
        }
    }
    input
}

/// Prepares a whole image as model input.
pub fn prepare(spec: &InputSpec, image: &PixelView<'_>) -> (Array4<f32>, InputTransform) {
    let (transform, (cw, ch)) = InputTransform::for_image(spec, image.width(), image.height());
    let rgb = resample_rgb(image, Region::full(image), cw, ch);
    (input_from_rgb(spec, &rgb, cw, ch), transform)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kestrel_sensors::PixelEncoding;

    fn spec(resize: ResizeMode) -> InputSpec {
        InputSpec {
            name: "x".into(),
            shape: [1, 3, 4, 8],
            channel_order: ChannelOrder::Bgr,
            mean: [10.0, 20.0, 30.0],
            std: [2.0, 4.0, 5.0],
            resize,
            pad_value: [0, 0, 0],
        }
    }

    #[test]
    fn letterbox_keeps_aspect_pads_and_normalises_in_bgr() {
        // 4x4 red image into an 8x4 input: content 4x4 at the left, padding on the right.
        let data = [200u8, 0, 0].repeat(16);
        let view = PixelView::new("t", 4, 4, PixelEncoding::Rgb8, &data).unwrap();
        let (x, t) = prepare(&spec(ResizeMode::Letterbox), &view);
        assert_eq!((t.scale_x, t.scale_y), (1.0, 1.0));
        // plane 0 = blue: (0 - 10) / 2 everywhere (content blue is 0, pad is 0).
        assert_eq!(x[[0, 0, 1, 1]], -5.0);
        // plane 2 = red: (200 - 30) / 5 in the content, (0 - 30) / 5 in the padding.
        assert_eq!(x[[0, 2, 1, 1]], 34.0);
        assert_eq!(x[[0, 2, 1, 6]], -6.0);
        assert_eq!(t.to_image([1.0, 1.0, 7.0, 3.0]), [1.0, 1.0, 4.0, 3.0]);
        // 16x4 into 8x4: content 8x2 at the top, padding rows below it.
        let data = [200u8, 0, 0].repeat(64);
        let view = PixelView::new("t", 16, 4, PixelEncoding::Rgb8, &data).unwrap();
        let (x, _) = prepare(&spec(ResizeMode::Letterbox), &view);
        assert_eq!(x[[0, 2, 1, 7]], 34.0);
        assert_eq!(x[[0, 2, 2, 0]], -6.0);
        assert_eq!(x[[0, 2, 3, 7]], -6.0);
    }

    #[test]
    fn stretch_scales_axes_independently() {
        let (t, content) = InputTransform::for_image(&spec(ResizeMode::Stretch), 16, 16);
        assert_eq!(content, (8, 4));
        assert_eq!(t.to_image([8.0, 4.0, 8.0, 4.0]), [16.0, 16.0, 16.0, 16.0]);
    }
}

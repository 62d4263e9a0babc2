//! Resampling a region of an 8-bit image into an RGB float buffer with a separable triangle
//! (bilinear, widened when shrinking) filter. Shared by model preprocessing and the training
//! augmentation so that both see pixels prepared the same way.

use crate::ModelError;
use kestrel_sensors::{CameraFrame, PixelEncoding};

/// A borrowed 8-bit image: `height` rows of `width * encoding.bytes_per_pixel()` bytes.
/// Pixel `(u, v)`: `u` to the right, `v` down, origin at the top-left corner.
#[derive(Debug, Clone, Copy)]
pub struct PixelView<'a> {
    width: usize,
    height: usize,
    encoding: PixelEncoding,
    data: &'a [u8],
}

impl<'a> PixelView<'a> {
    /// Wraps a pixel buffer, checking its size; `what` names the image in errors.
    pub fn new(
        what: &str,
        width: usize,
        height: usize,
        encoding: PixelEncoding,
        data: &'a [u8],
    ) -> Result<Self, ModelError> {
        if width == 0 || height == 0 || data.len() != width * height * encoding.bytes_per_pixel() {
            return Err(ModelError::Image {
                what: what.to_string(),
                reason: format!(
                    "{width}x{height} {} needs {} bytes, got {}",
                    encoding.ros_name(),
                    width * height * encoding.bytes_per_pixel(),
                    data.len()
                ),
            });
        }
        Ok(Self {
            width,
            height,
            encoding,
            data,
        })
    }

    /// A view of a camera frame (its size is already checked by [`CameraFrame::new`]).
    pub fn from_frame(frame: &'a CameraFrame) -> Self {
        Self {
            width: frame.width as usize,
            height: frame.height as usize,
            encoding: frame.encoding,
            data: &frame.data,
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Row `v` of the image, bytes.
    fn row(&self, v: usize) -> &[u8] {
        let stride = self.width * self.encoding.bytes_per_pixel();
        &self.data[v * stride..(v + 1) * stride]
    }
}

/// A source region in pixels: left, top, width, height (may extend past the image; outside
/// pixels repeat the nearest edge pixel).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Region {
    /// Left edge, pixels.
    pub x: f32,
    /// Top edge, pixels.
    pub y: f32,
    /// Width, pixels (> 0).
    pub width: f32,
    /// Height, pixels (> 0).
    pub height: f32,
}

impl Region {
    /// The whole image.
    pub fn full(view: &PixelView<'_>) -> Self {
        Self {
            x: 0.0,
            y: 0.0,
            width: view.width as f32,
            height: view.height as f32,
        }
    }
}

/// Source taps and weights of every output sample along one axis: sample `i` reads source
/// samples `first[i]..first[i] + len` with the weights `weights[start[i]..start[i + 1]]`.
struct Taps {
    first: Vec<usize>,
    start: Vec<usize>,
    weights: Vec<f32>,
}

impl Taps {
    /// Output sample `i`: its first source sample and its weights.
    fn of(&self, i: usize) -> (usize, &[f32]) {
        (
            self.first[i],
            &self.weights[self.start[i]..self.start[i + 1]],
        )
    }

    /// One past the last source sample any output sample reads.
    fn end(&self) -> usize {
        (0..self.first.len())
            .map(|i| self.first[i] + self.start[i + 1] - self.start[i])
            .max()
            .unwrap_or(0)
    }
}

fn taps(start: f32, extent: f32, out_len: usize, src_len: usize) -> Taps {
    let scale = out_len as f32 / extent;
    let radius = (1.0 / scale).max(1.0);
    let mut taps = Taps {
        first: Vec::with_capacity(out_len),
        start: Vec::with_capacity(out_len + 1),
        weights: Vec::new(),
    };
    let mut w = Vec::new();
    taps.start.push(0);
    for i in 0..out_len {
        let centre = start + (i as f32 + 0.5) / scale - 0.5;
        let lo = (centre - radius).floor() as i64 + 1;
        let hi = (centre + radius).ceil() as i64 - 1;
        let clamp = |j: i64| j.clamp(0, src_len as i64 - 1) as usize;
        w.clear();
        w.extend((lo..=hi).map(|j| (1.0 - (j as f32 - centre).abs() / radius).max(0.0)));
        let sum: f32 = w.iter().sum();
        w.iter_mut().for_each(|x| *x /= sum);
        // Edge clamping: fold taps that fall outside the image onto the edge pixel.
        let lo_c = clamp(lo);
        let base = taps.weights.len();
        taps.weights.resize(base + clamp(hi) - lo_c + 1, 0.0);
        for (k, wk) in w.iter().enumerate() {
            taps.weights[base + clamp(lo + k as i64) - lo_c] += wk;
        }
        taps.first.push(lo_c);
        taps.start.push(taps.weights.len());
    }
    taps
}

/// Source rows the horizontal pass filters together, one per lane of a small vector.
const LANES: usize = 8;

/// The horizontal pass over `n <= LANES` consecutive source rows from `v0`, written to the
/// first `n` rows (`row_len` values each) of `out`: each output pixel's taps summed in order
/// into R, G, B (`R`, `G`, `B` = their byte offsets in a `BPP`-byte pixel). The rows' pixels
/// from `u_lo` are first spread into `columns` (`columns[u - u_lo][c * LANES + lane]`), so
/// that one tap's multiply-add runs on all the rows at once as vector arithmetic; every lane
/// still sums its own row's taps in the same order, so the result is the same as filtering
/// the rows one by one.
fn horizontal_rows<const BPP: usize, const R: usize, const G: usize, const B: usize>(
    src: &PixelView<'_>,
    v0: usize,
    n: usize,
    tx: &Taps,
    u_lo: usize,
    columns: &mut [[f32; 3 * LANES]],
    out: &mut [f32],
) {
    // Lanes past the `n` rows repeat the last row; their sums are not written out.
    let rows: [&[u8]; LANES] = std::array::from_fn(|lane| {
        &src.row(v0 + lane.min(n - 1))[u_lo * BPP..(u_lo + columns.len()) * BPP]
    });
    for (u, column) in columns.iter_mut().enumerate() {
        for (lane, row) in rows.iter().enumerate() {
            let p = &row[u * BPP..(u + 1) * BPP];
            column[lane] = p[R] as f32;
            column[LANES + lane] = p[G] as f32;
            column[2 * LANES + lane] = p[B] as f32;
        }
    }
    let row_len = out.len() / n;
    for i in 0..row_len / 3 {
        let (f, w) = tx.of(i);
        let mut acc = [0.0f32; 3 * LANES];
        for (wk, column) in w.iter().zip(&columns[f - u_lo..f - u_lo + w.len()]) {
            for j in 0..3 * LANES {
                acc[j] += wk * column[j];
            }
        }
        for (lane, row) in out.chunks_exact_mut(row_len).enumerate() {
            for c in 0..3 {
                row[i * 3 + c] = acc[c * LANES + lane];
            }
        }
    }
}

/// Resamples `region` of `src` to `out_width x out_height` pixels, returned as interleaved RGB
/// `f32` in 0..255 (row-major, `out_height * out_width * 3` values).
pub fn resample_rgb(
    src: &PixelView<'_>,
    region: Region,
    out_width: usize,
    out_height: usize,
) -> Vec<f32> {
    let tx = taps(region.x, region.width, out_width, src.width);
    let ty = taps(region.y, region.height, out_height, src.height);
    let v_lo = ty.first.iter().copied().min().unwrap_or(0);
    let v_hi = ty.end();
    // Horizontal pass over the rows the vertical pass needs, LANES rows at a time (taps
    // summed in order, so the result does not depend on how the loop is written).
    let row_len = out_width * 3;
    let u_lo = tx.first.iter().copied().min().unwrap_or(0);
    let mut columns = vec![[0.0f32; 3 * LANES]; tx.end() - u_lo];
    let mut rows = vec![0.0f32; (v_hi - v_lo) * row_len];
    for (b, block) in rows.chunks_mut(LANES * row_len).enumerate() {
        let (v0, n) = (v_lo + b * LANES, block.len() / row_len);
        let columns = &mut columns;
        match src.encoding {
            PixelEncoding::Mono8 => {
                horizontal_rows::<1, 0, 0, 0>(src, v0, n, &tx, u_lo, columns, block)
            }
            PixelEncoding::Rgb8 => {
                horizontal_rows::<3, 0, 1, 2>(src, v0, n, &tx, u_lo, columns, block)
            }
            PixelEncoding::Bgr8 => {
                horizontal_rows::<3, 2, 1, 0>(src, v0, n, &tx, u_lo, columns, block)
            }
        }
    }
    let mut out = vec![0.0f32; out_height * row_len];
    for (j, dst) in out.chunks_exact_mut(row_len).enumerate() {
        let (f, w) = ty.of(j);
        for (k, wk) in w.iter().enumerate() {
            let src_row = &rows[(f + k - v_lo) * row_len..(f + k - v_lo + 1) * row_len];
            dst.iter_mut().zip(src_row).for_each(|(d, s)| *d += wk * s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinking_keeps_constants_and_linear_ramps() {
        // 8x4 mono ramp p(u, v) = 10 u + 1 -> 4x2: an interior sample lands on the source
        // position 2 i + 0.5 and the symmetric filter keeps the ramp linear there.
        let data: Vec<u8> = (0..4).flat_map(|_| (0..8).map(|u| 10 * u + 1)).collect();
        let view = PixelView::new("t", 8, 4, PixelEncoding::Mono8, &data).unwrap();
        let out = resample_rgb(&view, Region::full(&view), 4, 2);
        for row in 0..2 {
            for i in 1..3 {
                let want = 10.0 * (2.0 * i as f32 + 0.5) + 1.0;
                assert!((out[(row * 4 + i) * 3] - want).abs() < 1e-3, "{out:?}");
            }
        }
        let flat = vec![77u8; 8 * 4 * 3];
        let view = PixelView::new("t", 8, 4, PixelEncoding::Rgb8, &flat).unwrap();
        let out = resample_rgb(&view, Region::full(&view), 3, 2);
        assert!(out.iter().all(|v| (v - 77.0).abs() < 1e-3));
    }

    #[test]
    fn identity_size_copies_pixels_and_swaps_bgr() {
        let data = [1u8, 2, 3, 4, 5, 6];
        let view = PixelView::new("t", 2, 1, PixelEncoding::Bgr8, &data).unwrap();
        let out = resample_rgb(&view, Region::full(&view), 2, 1);
        assert_eq!(out, vec![3.0, 2.0, 1.0, 6.0, 5.0, 4.0]);
    }

    /// The horizontal pass one row at a time, each output pixel's taps summed in order: what
    /// the blocked pass must reproduce bit for bit.
    fn resample_row_by_row(src: &PixelView<'_>, region: Region, ow: usize, oh: usize) -> Vec<f32> {
        let tx = taps(region.x, region.width, ow, src.width);
        let ty = taps(region.y, region.height, oh, src.height);
        let bpp = src.encoding.bytes_per_pixel();
        let rgb = match src.encoding {
            PixelEncoding::Rgb8 => [0, 1, 2],
            PixelEncoding::Bgr8 => [2, 1, 0],
            PixelEncoding::Mono8 => [0, 0, 0],
        };
        let horizontal = |v: usize| -> Vec<f32> {
            let row = src.row(v);
            (0..ow)
                .flat_map(|i| {
                    let (f, w) = tx.of(i);
                    let mut acc = [0.0f32; 3];
                    for (k, wk) in w.iter().enumerate() {
                        for c in 0..3 {
                            acc[c] += wk * row[(f + k) * bpp + rgb[c]] as f32;
                        }
                    }
                    acc
                })
                .collect()
        };
        let mut out = vec![0.0f32; oh * ow * 3];
        for (j, dst) in out.chunks_exact_mut(ow * 3).enumerate() {
            let (f, w) = ty.of(j);
            for (k, wk) in w.iter().enumerate() {
                let row = horizontal(f + k);
                dst.iter_mut().zip(&row).for_each(|(d, s)| *d += wk * s);
            }
        }
        out
    }

    #[test]
    fn filtering_rows_together_gives_the_row_by_row_result_bit_for_bit() {
        let (w, h) = (37, 29);
        for encoding in [
            PixelEncoding::Mono8,
            PixelEncoding::Rgb8,
            PixelEncoding::Bgr8,
        ] {
            let data: Vec<u8> = (0..w * h * encoding.bytes_per_pixel())
                .map(|i| ((i * 2654435761usize) >> 7) as u8)
                .collect();
            let view = PixelView::new("t", w, h, encoding, &data).unwrap();
            let outside = Region {
                x: -3.5,
                y: 2.25,
                width: 40.0,
                height: 30.0,
            };
            // Shrinking (row counts not a multiple of the block), enlarging, a region past
            // the edges.
            for (region, ow, oh) in [
                (Region::full(&view), 11, 9),
                (Region::full(&view), 5, 3),
                (Region::full(&view), 50, 41),
                (outside, 13, 17),
            ] {
                let want = resample_row_by_row(&view, region, ow, oh);
                let got = resample_rgb(&view, region, ow, oh);
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&got), bits(&want), "{encoding:?} {region:?} {ow}x{oh}");
            }
        }
    }

    #[test]
    fn wrong_buffer_size_is_an_error() {
        assert!(PixelView::new("t", 2, 2, PixelEncoding::Rgb8, &[0u8; 11]).is_err());
    }
}

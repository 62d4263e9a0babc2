//! A contact sheet: every frame picture of a sequence, scaled down into one PNG grid in frame
//! order (left to right, top to bottom) under a title strip, to see a whole sequence at once.

use super::error::EvalError;
use image::{RgbImage, imageops};
use kestrel_sim::bev_figure::{ensure_font, plot_error, text_style};
use plotters::prelude::*;

/// Height of the title strip, pixels.
const TITLE_HEIGHT: u32 = 40;

/// A grid of `count` tiles of `tile` (width, height) pixels, filled one picture at a time.
#[derive(Debug, Clone)]
pub struct ContactSheet {
    sheet: RgbImage,
    tile: (u32, u32),
    columns: u32,
    placed: u32,
    count: u32,
}

impl ContactSheet {
    /// An empty sheet for `count` pictures, `columns` per row (at least 1), tiles of `tile`
    /// (width, height) pixels, titled `title`.
    pub fn new(title: &str, count: u32, columns: u32, tile: (u32, u32)) -> Result<Self, EvalError> {
        ensure_font()?;
        let columns = columns.clamp(1, count.max(1));
        let rows = count.div_ceil(columns).max(1);
        let (w, h) = (columns * tile.0, rows * tile.1 + TITLE_HEIGHT);
        let mut sheet = RgbImage::from_pixel(w, h, image::Rgb([255, 255, 255]));
        {
            let root = BitMapBackend::with_buffer(&mut sheet, (w, h)).into_drawing_area();
            root.draw(&Text::new(
                title.to_owned(),
                (10, (TITLE_HEIGHT / 2) as i32),
                text_style(22.0, BLACK),
            ))
            .map_err(plot_error)?;
            root.present().map_err(plot_error)?;
        }
        Ok(Self {
            sheet,
            tile,
            columns,
            placed: 0,
            count,
        })
    }

    /// Places the next picture, scaled to the tile size (a picture beyond `count` is an error).
    pub fn push(&mut self, picture: &RgbImage) -> Result<(), EvalError> {
        if self.placed >= self.count {
            return Err(EvalError::Picture(format!(
                "contact sheet holds {} pictures",
                self.count
            )));
        }
        let small = imageops::resize(
            picture,
            self.tile.0,
            self.tile.1,
            imageops::FilterType::Triangle,
        );
        let (col, row) = (self.placed % self.columns, self.placed / self.columns);
        imageops::replace(
            &mut self.sheet,
            &small,
            (col * self.tile.0) as i64,
            (row * self.tile.1 + TITLE_HEIGHT) as i64,
        );
        self.placed += 1;
        Ok(())
    }

    /// The sheet.
    pub fn image(&self) -> &RgbImage {
        &self.sheet
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_go_left_to_right_then_down() {
        let mut s = ContactSheet::new("t", 3, 2, (10, 10)).unwrap();
        assert_eq!(s.image().dimensions(), (20, 20 + TITLE_HEIGHT));
        for v in [10u8, 20, 30] {
            s.push(&RgbImage::from_pixel(40, 40, image::Rgb([v, v, v])))
                .unwrap();
        }
        assert!(s.push(&RgbImage::new(1, 1)).is_err());
        let px = |x, y| s.image().get_pixel(x, y + TITLE_HEIGHT).0[0];
        assert_eq!(
            (px(5, 5), px(15, 5), px(5, 15), px(15, 15)),
            (10, 20, 30, 255)
        );
    }
}

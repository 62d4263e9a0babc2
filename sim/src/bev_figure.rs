//! The frame shared by every bird's-eye-view picture of the workspace (the simulator's run plot
//! in [`crate::bev_plot`], `kestrel eval`'s per-frame pictures): a title, axes in metres at
//! equal scale with a grid, a legend in a panel right of the chart (so it never hides
//! content), and text drawn with the bundled font, so a picture reads without the code that
//! made it.
//!
//! Text uses DejaVu Sans Mono (`assets/fonts/DejaVuSansMono.ttf`, Bitstream Vera licence with
//! public-domain DejaVu changes: `assets/fonts/LICENSE-DejaVu`), compiled in with
//! `include_bytes!` and registered with plotters' `ab_glyph` renderer under [`FONT`]; no system
//! font is read. Rendering is pure computation on an in-memory bitmap, so the same inputs give
//! the same pixels.

use crate::error::SimError;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::ops::Range;
use std::sync::OnceLock;

/// The font family name every picture's text uses.
pub const FONT: &str = "kestrel-sans-mono";

/// The bundled font file.
const FONT_BYTES: &[u8] = include_bytes!("../assets/fonts/DejaVuSansMono.ttf");

/// Pixels between the figure edge and the chart.
const MARGIN: u32 = 12;
/// Height of the area under the chart for the x tick labels and axis name, pixels.
const X_LABEL_AREA: u32 = 48;
/// Width of the area left of the chart for the y tick labels and axis name, pixels.
const Y_LABEL_AREA: u32 = 64;

/// A chart in metres on an in-memory bitmap, as handed to a figure's drawing closure.
pub type BevChart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A plotting or encoding failure as the crate's error.
pub fn plot_error(e: impl std::fmt::Display) -> SimError {
    SimError::Plot(e.to_string())
}

/// Registers the bundled font with plotters under [`FONT`] (once per process; later calls
/// only report the first result). Needed before drawing text outside [`BevFigure::render`].
pub fn ensure_font() -> Result<(), SimError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(SimError::Plot("the bundled font does not parse".into()))
    }
}

/// A text style of the bundled font: `size` pixels, `color`.
pub fn text_style(size: f64, color: RGBColor) -> TextStyle<'static> {
    (FONT, size).into_font().color(&color)
}

/// The mark drawn next to a legend entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LegendMark {
    /// A line segment.
    Line {
        /// Its colour.
        colour: RGBColor,
        /// Its width, pixels.
        width: u32,
    },
    /// A filled dot.
    Dot(RGBColor),
    /// A ring (unfilled circle).
    Ring(RGBColor),
    /// A small cross.
    Cross(RGBColor),
}

/// One legend entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// The mark.
    pub mark: LegendMark,
    /// What it stands for.
    pub label: String,
}

impl LegendEntry {
    /// An entry.
    pub fn new(mark: LegendMark, label: impl Into<String>) -> Self {
        Self {
            mark,
            label: label.into(),
        }
    }
}

/// Size of legend text, pixels.
const LEGEND_TEXT: f64 = 14.0;
/// Vertical distance between legend entries, pixels.
const LEGEND_ROW: i32 = 22;

/// Draws the legend entries top-down into `area`.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[LegendEntry],
) -> Result<(), SimError> {
    let y0 = 2 * MARGIN as i32 + 8;
    for (i, e) in entries.iter().enumerate() {
        let y = y0 + i as i32 * LEGEND_ROW;
        match e.mark {
            LegendMark::Line { colour, width } => area
                .draw(&PathElement::new(
                    vec![(6, y), (30, y)],
                    colour.stroke_width(width),
                ))
                .map_err(plot_error)?,
            LegendMark::Dot(colour) => area
                .draw(&Circle::new((18, y), 5, colour.filled()))
                .map_err(plot_error)?,
            LegendMark::Ring(colour) => area
                .draw(&Circle::new((18, y), 6, colour.stroke_width(2)))
                .map_err(plot_error)?,
            LegendMark::Cross(colour) => area
                .draw(&Cross::new((18, y), 5, colour.stroke_width(1)))
                .map_err(plot_error)?,
        }
        area.draw(&Text::new(
            e.label.clone(),
            (38, y - (LEGEND_TEXT as i32) / 2),
            text_style(LEGEND_TEXT, BLACK),
        ))
        .map_err(plot_error)?;
    }
    Ok(())
}

/// What a bird's-eye-view figure shows around its content.
#[derive(Debug, Clone, PartialEq)]
pub struct BevFigure {
    /// Picture width, pixels.
    pub width: u32,
    /// Picture height, pixels.
    pub height: u32,
    /// Title, drawn above the chart (one line).
    pub title: String,
    /// Name of the horizontal axis, with its unit (e.g. `x forward (m)`).
    pub x_label: String,
    /// Name of the vertical axis, with its unit.
    pub y_label: String,
    /// Horizontal extent that must be visible, metres; grown to keep equal scale.
    pub x: Range<f64>,
    /// Vertical extent that must be visible, metres; grown to keep equal scale.
    pub y: Range<f64>,
    /// The legend, drawn in a panel right of the chart (none: no panel).
    pub legend: Vec<LegendEntry>,
}

/// Grows `x` and `y` about their centres so that metres per pixel are the same on both axes
/// of a `plot_w` x `plot_h` pixel plotting area.
fn equal_scale(x: &Range<f64>, y: &Range<f64>, plot_w: f64, plot_h: f64) -> [Range<f64>; 2] {
    let (mut w, mut h) = ((x.end - x.start).max(1.0), (y.end - y.start).max(1.0));
    let aspect = plot_w.max(1.0) / plot_h.max(1.0);
    if w / h > aspect {
        h = w / aspect;
    } else {
        w = h * aspect;
    }
    let (cx, cy) = ((x.start + x.end) / 2.0, (y.start + y.end) / 2.0);
    [cx - w / 2.0..cx + w / 2.0, cy - h / 2.0..cy + h / 2.0]
}

impl BevFigure {
    /// Draws the figure: title, legend panel, axes and grid, then `draw`'s content (elements
    /// whose position lies outside the chart's ranges should be left out: plotters pins them
    /// to the border). Returns the RGB picture.
    pub fn render(
        &self,
        draw: impl FnOnce(&mut BevChart<'_, '_>) -> Result<(), SimError>,
    ) -> Result<image::RgbImage, SimError> {
        ensure_font()?;
        let (width, height) = (self.width.max(64), self.height.max(64));
        let mut buf = vec![0u8; width as usize * height as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (width, height)).into_drawing_area();
            root.fill(&WHITE).map_err(plot_error)?;
            let area = root
                .titled(&self.title, text_style(20.0, BLACK))
                .map_err(plot_error)?;
            let (full_w, _) = area.dim_in_pixel();
            let longest = self
                .legend
                .iter()
                .map(|e| e.label.chars().count())
                .max()
                .unwrap_or(0) as u32;
            // DejaVu Sans Mono advances 0.6 em per character.
            let panel = if self.legend.is_empty() {
                0
            } else {
                (longest * (LEGEND_TEXT * 0.6).ceil() as u32 + 50).min(full_w / 2)
            };
            let (area, legend_area) = area.split_horizontally(full_w - panel);
            draw_legend(&legend_area, &self.legend)?;
            let (aw, ah) = area.dim_in_pixel();
            let plot_w = aw.saturating_sub(2 * MARGIN + Y_LABEL_AREA) as f64;
            let plot_h = ah.saturating_sub(2 * MARGIN + X_LABEL_AREA) as f64;
            let [xr, yr] = equal_scale(&self.x, &self.y, plot_w, plot_h);
            let mut chart = ChartBuilder::on(&area)
                .margin(MARGIN)
                .x_label_area_size(X_LABEL_AREA)
                .y_label_area_size(Y_LABEL_AREA)
                .build_cartesian_2d(xr, yr)
                .map_err(plot_error)?;
            let ticks = |px: f64| ((px / 90.0).round() as usize).clamp(2, 20);
            chart
                .configure_mesh()
                .x_desc(self.x_label.as_str())
                .y_desc(self.y_label.as_str())
                .x_labels(ticks(plot_w))
                .y_labels(ticks(plot_h))
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_label_formatter(&|v| format!("{v:.0}"))
                .label_style(text_style(14.0, BLACK))
                .axis_desc_style(text_style(15.0, BLACK))
                .bold_line_style(RGBColor(215, 215, 215))
                .light_line_style(RGBColor(240, 240, 240))
                .draw()
                .map_err(plot_error)?;
            draw(&mut chart)?;
            root.present().map_err(plot_error)?;
        }
        image::RgbImage::from_raw(width, height, buf)
            .ok_or_else(|| SimError::Plot("bitmap size".into()))
    }

    /// [`BevFigure::render`] encoded as PNG bytes.
    pub fn png(
        &self,
        draw: impl FnOnce(&mut BevChart<'_, '_>) -> Result<(), SimError>,
    ) -> Result<Vec<u8>, SimError> {
        png_bytes(&self.render(draw)?)
    }
}

/// An RGB picture as PNG bytes.
pub fn png_bytes(img: &image::RgbImage) -> Result<Vec<u8>, SimError> {
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(plot_error)?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_scale_grows_the_short_side() {
        let [x, y] = equal_scale(&(0.0..10.0), &(0.0..10.0), 200.0, 100.0);
        assert_eq!(x, -5.0..15.0);
        assert_eq!(y, 0.0..10.0);
        let [x, y] = equal_scale(&(0.0..40.0), &(-5.0..5.0), 100.0, 100.0);
        assert_eq!(x, 0.0..40.0);
        assert_eq!(y, -20.0..20.0);
    }

    #[test]
    fn figure_draws_text_in_the_bundled_font() {
        let fig = BevFigure {
            width: 320,
            height: 240,
            title: "Test title".into(),
            x_label: "x (m)".into(),
            y_label: "y (m)".into(),
            x: 0.0..10.0,
            y: 0.0..10.0,
            legend: vec![LegendEntry::new(LegendMark::Dot(BLUE), "a dot")],
        };
        let img = fig
            .render(|chart| {
                chart
                    .draw_series([Circle::new((5.0, 5.0), 3, BLUE.filled())])
                    .map_err(plot_error)?;
                Ok(())
            })
            .unwrap();
        // The title row holds dark anti-aliased glyph pixels: text was rendered.
        let dark_in_title = (0..320)
            .flat_map(|x| (0..24).map(move |y| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0[0] < 100)
            .count();
        assert!(dark_in_title > 50, "{dark_in_title} dark title pixels");
        // The legend's dot is drawn in the panel right of the chart.
        assert!((240..320).any(|x| (0..240).any(|y| img.get_pixel(x, y).0 == [0, 0, 255])));
        assert!(png_bytes(&img).unwrap().starts_with(b"\x89PNG"));
    }
}

//! Pictures: each figure is drawn once per backend, giving a PNG and an SVG of the same thing.
//!
//! Text in the PNG is rasterised with `ab_glyph` from a font compiled into the binary (DejaVu Sans Mono, see
//! `assets/`), so no system font, fontconfig or freetype is needed; [`text`] fixes plotters' glyph placement.

mod bench;
mod heatmap;
mod text;
mod timeline;

pub use bench::{LatencyFigure, LatencySeries, ThroughputBar, ThroughputFigure};
pub use heatmap::HeatmapFigure;
pub use timeline::{TimelineFigure, TimelinePoint, Window};

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use self::text::GlyphFix;
use crate::error::Error;

/// DejaVu Sans Mono (Bitstream Vera license, see `assets/LICENSE-DejaVu.txt`), used for every label.
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSansMono.ttf");

/// The font family every figure asks for.
pub(crate) const FAMILY: &str = "sans-serif";

/// What drawing code returns; plotters' errors are boxed because their type depends on the backend.
pub(crate) type DrawResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// A picture that can be drawn on any plotters backend.
pub trait Figure {
    /// Width and height in pixels (SVG user units).
    fn size(&self) -> (u32, u32);

    /// Draws the picture on `root`, which is already filled white.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

/// One figure, encoded both ways.
#[derive(Debug)]
pub struct Rendered {
    /// PNG file contents.
    pub png: Vec<u8>,
    /// SVG file contents.
    pub svg: String,
}

/// Draws `figure` to a PNG and an SVG in memory (the caller writes them, atomically).
pub fn render(figure: &impl Figure) -> Result<Rendered, Error> {
    register_fonts()?;
    let (w, h) = figure.size();
    let mut pixels = vec![0u8; w as usize * h as usize * 3];
    {
        let root = GlyphFix(BitMapBackend::with_buffer(&mut pixels, (w, h))).into_drawing_area();
        draw_on(figure, &root)?;
    }
    let png = encode_png(&pixels, w, h)?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        draw_on(figure, &root)?;
    }
    Ok(Rendered { png, svg })
}

fn draw_on<DB: DrawingBackend>(
    figure: &impl Figure,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), Error>
where
    DB::ErrorType: 'static,
{
    let plot_error = |e: &dyn std::fmt::Display| Error::Plot(e.to_string());
    root.fill(&WHITE).map_err(|e| plot_error(&e))?;
    figure.draw(root).map_err(|e| plot_error(&e))?;
    root.present().map_err(|e| plot_error(&e))
}

fn register_fonts() -> Result<(), Error> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = REGISTERED.get_or_init(|| {
        [FontStyle::Normal, FontStyle::Bold]
            .into_iter()
            .all(|style| register_font(FAMILY, style, FONT).is_ok())
    });
    if *ok {
        Ok(())
    } else {
        Err(Error::Plot(
            "the embedded font is not a valid TrueType font".to_owned(),
        ))
    }
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Balanced);
    let png_error = |e: png::EncodingError| Error::Plot(format!("PNG encoding: {e}"));
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(rgb).map_err(png_error)?;
    writer.finish().map_err(png_error)?;
    Ok(out)
}

/// Colour-blind-safe colours (Okabe and Ito), one per series, in registry order.
pub(crate) fn series_colour(i: usize) -> RGBColor {
    const PALETTE: [RGBColor; 7] = [
        RGBColor(0, 114, 178),   // blue: glassmap
        RGBColor(213, 94, 0),    // vermillion: hashbrown
        RGBColor(0, 158, 115),   // green: std
        RGBColor(204, 121, 167), // pink: griddle
        RGBColor(230, 159, 0),
        RGBColor(86, 180, 233),
        RGBColor(0, 0, 0),
    ];
    PALETTE[i % PALETTE.len()]
}

/// A text style in the embedded font.
pub(crate) fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, f64::from(size)).into_font().into()
}

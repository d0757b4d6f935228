//! Shared drawing machinery: the embedded font, the [`Figure`] trait that each
//! plot implements once for both backends, rendering to PNG bytes and an SVG
//! string, the palette, legend strips and the "nothing to draw" panel.

use std::sync::OnceLock;

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

pub use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::png;

/// DejaVu Sans, embedded so that text renders identically on a machine without fonts.
pub(super) const FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
/// The family name the embedded font is registered under.
pub const FAMILY: &str = "sans-serif";

/// Registers the embedded font with plotters (once per process).
pub fn ensure_font() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        // The font is a fixed, valid TTF compiled into the binary; a failure here is a build mistake.
        assert!(
            register_font(FAMILY, FontStyle::Normal, FONT).is_ok(),
            "the embedded DejaVu Sans font does not parse"
        );
    });
}

/// Why a figure could not be drawn (a backend or layout error, as text).
#[derive(Debug, Clone)]
pub struct PlotError(pub String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for PlotError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        PlotError(e.to_string())
    }
}

/// What a drawing function returns.
pub type DrawResult = Result<(), PlotError>;

/// A plot that can draw itself on any plotters backend.
pub trait Figure: Sync {
    /// Size in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws the whole figure (background, title and content) on `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult;
}

/// Renders a figure to PNG bytes and an SVG document. A figure whose drawing
/// fails is replaced by a panel that says so, so a plot file is always written.
pub fn render<F: Figure>(figure: &F, title: &str) -> (Vec<u8>, String) {
    ensure_font();
    let size = figure.size();
    match (render_png(figure, size), render_svg(figure, size)) {
        (Ok(png), Ok(svg)) => (png, svg),
        (Err(e), _) | (_, Err(e)) => {
            let fallback = Message {
                size,
                title: title.to_string(),
                lines: vec!["This plot could not be drawn:".to_string(), e.0],
            };
            let png = render_png(&fallback, size).unwrap_or_else(|_| blank_png(size));
            let svg = render_svg(&fallback, size).unwrap_or_default();
            (png, svg)
        }
    }
}

fn render_png<F: Figure>(figure: &F, (w, h): (u32, u32)) -> Result<Vec<u8>, PlotError> {
    let mut buffer = vec![255u8; 3 * w as usize * h as usize];
    {
        // Text through GlyphBackend: plotters' own glyph renderer misspaces it.
        let root = super::glyphs::GlyphBackend(BitMapBackend::with_buffer(&mut buffer, (w, h))).into_drawing_area();
        figure.draw(&root)?;
        root.present()?;
    }
    Ok(png::encode_rgb(w, h, &buffer))
}

fn render_svg<F: Figure>(figure: &F, size: (u32, u32)) -> Result<String, PlotError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        figure.draw(&root)?;
        root.present()?;
    }
    Ok(svg)
}

fn blank_png((w, h): (u32, u32)) -> Vec<u8> {
    png::encode_rgb(w, h, &vec![255u8; 3 * w as usize * h as usize])
}

/// Series colours (Tableau 10, readable on white and distinguishable in print).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];
/// Main series colour.
pub const BLUE: RGBColor = PALETTE[0];
/// Text and axes.
pub const INK: RGBColor = RGBColor(33, 37, 41);
/// Secondary text.
pub const MUTED: RGBColor = RGBColor(108, 117, 125);
/// Light grid lines.
pub const GRID: RGBColor = RGBColor(233, 236, 239);

/// The house style of a chart's mesh: axis descriptions and tick labels in
/// the embedded font, light grey grid lines.
pub trait HouseMesh {
    /// Applies the house style; returns the mesh for further settings.
    fn house_style(&mut self) -> &mut Self;
}

impl<'a, 'b, X, Y, XT, YT, DB> HouseMesh for MeshStyle<'a, 'b, X, Y, DB>
where
    X: Ranged<ValueType = XT> + ValueFormatter<XT>,
    Y: Ranged<ValueType = YT> + ValueFormatter<YT>,
    DB: DrawingBackend,
{
    fn house_style(&mut self) -> &mut Self {
        self.axis_desc_style(font(size::AXIS))
            .label_style(font(size::LABEL))
            .light_line_style(GRID.mix(0.6))
            .bold_line_style(GRID)
    }
}

/// Draws the legend of a chart's labelled series in its upper right corner,
/// in the house style (white box, light border).
pub fn series_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
) -> DrawResult {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .margin(12)
        .label_font(font(size::LABEL))
        .background_style(WHITE.mix(0.9))
        .border_style(GRID.stroke_width(1))
        .draw()?;
    Ok(())
}

/// Colours of the macro factors, in factor order: hues far apart (orange,
/// purple, teal, brown, pink, red), none of them the blue of the loss
/// quantities drawn above the factors.
pub const FACTOR_PALETTE: [RGBColor; 6] = [PALETTE[1], PALETTE[4], PALETTE[7], PALETTE[5], PALETTE[6], PALETTE[3]];

/// Colour of macro factor `i`, cycling through [`FACTOR_PALETTE`].
pub fn factor_colour(i: usize) -> RGBColor {
    FACTOR_PALETTE[i % FACTOR_PALETTE.len()]
}

/// Colour of series `i`, cycling through the palette.
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Font sizes in pixels.
pub mod size {
    /// Figure title.
    pub const TITLE: u32 = 26;
    /// Subtitle under the title and panel captions.
    pub const SUBTITLE: u32 = 17;
    /// Axis descriptions.
    pub const AXIS: u32 = 17;
    /// Tick labels, legends and annotations.
    pub const LABEL: u32 = 15;
}

/// Text style of the embedded font.
pub fn font(px: u32) -> TextStyle<'static> {
    (FAMILY, px).into_font().color(&INK)
}

/// Fills the background and draws the title (and a muted subtitle) at the top;
/// returns the area below them.
pub fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    root.fill(&WHITE)?;
    let (w, _) = root.dim_in_pixel();
    let centre = Pos::new(HPos::Center, VPos::Top);
    root.draw(&Text::new(
        title.to_string(),
        (w as i32 / 2, 12),
        font(size::TITLE).pos(centre),
    ))?;
    let mut top = 12 + size::TITLE as i32 + 8;
    if !subtitle.is_empty() {
        root.draw(&Text::new(
            subtitle.to_string(),
            (w as i32 / 2, top),
            font(size::SUBTITLE).color(&MUTED).pos(centre),
        ))?;
        top += size::SUBTITLE as i32 + 8;
    }
    Ok(root.split_vertically(top).1)
}

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy)]
pub enum Mark {
    /// A line of the colour, `width` pixels thick.
    Line(RGBColor, u32),
    /// A dashed line.
    Dashed(RGBColor, u32),
    /// A filled swatch of the colour at an opacity.
    Fill(RGBColor, f64),
    /// A filled circle.
    Dot(RGBColor),
    /// A swatch filled at an opacity with a solid edge of the colour.
    Outlined(RGBColor, f64),
}

/// Legend layout: the width of each entry and the entries of each row.
fn legend_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[(Mark, String)],
) -> (Vec<i32>, Vec<Vec<usize>>) {
    let style = font(size::LABEL);
    let (w, _) = area.dim_in_pixel();
    let widths: Vec<i32> = items
        .iter()
        .map(|(_, label)| {
            let (tw, _) = area
                .estimate_text_size(label, &style)
                .unwrap_or((8 * label.len() as u32, 15));
            LEGEND_SWATCH + 6 + tw as i32
        })
        .collect();
    let mut rows: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 0;
    for (i, &iw) in widths.iter().enumerate() {
        let row = rows.last_mut().expect("rows is never empty");
        if !row.is_empty() && used + LEGEND_GAP + iw > w as i32 - 20 {
            rows.push(vec![i]);
            used = iw;
        } else {
            used += if row.is_empty() { iw } else { LEGEND_GAP + iw };
            row.push(i);
        }
    }
    (widths, rows)
}

const LEGEND_SWATCH: i32 = 28;
const LEGEND_GAP: i32 = 26;

/// Rows a legend strip of `items` needs in an area as wide as `area`.
pub fn legend_rows<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, items: &[(Mark, String)]) -> u32 {
    legend_layout(area, items).1.len() as u32
}

/// Draws legend entries left to right, centred in `area`, wrapping onto further rows when needed.
pub fn legend_strip<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, items: &[(Mark, String)]) -> DrawResult {
    let style = font(size::LABEL);
    let (w, _) = area.dim_in_pixel();
    let (widths, rows) = legend_layout(area, items);
    let row_h = size::LABEL as i32 + 10;
    for (r, row) in rows.iter().enumerate() {
        let total: i32 = row.iter().map(|&i| widths[i]).sum::<i32>() + LEGEND_GAP * (row.len() as i32 - 1);
        let mut x = (w as i32 - total) / 2;
        let y = 4 + r as i32 * row_h + row_h / 2;
        for &i in row {
            let (mark, label) = &items[i];
            legend_mark(area, *mark, x, y, LEGEND_SWATCH)?;
            area.draw(&Text::new(
                label.clone(),
                (x + LEGEND_SWATCH + 6, y),
                style.clone().pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            x += widths[i] + LEGEND_GAP;
        }
    }
    Ok(())
}

/// Height in pixels a legend strip needs for its rows (an estimate for layout).
pub fn legend_height(rows: u32) -> u32 {
    rows * (size::LABEL + 10) + 8
}

/// Draws a legend mark `w` pixels wide with its left end at `(x, y)` (vertical centre).
pub fn legend_mark<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    mark: Mark,
    x: i32,
    y: i32,
    w: i32,
) -> DrawResult {
    match mark {
        Mark::Line(c, width) => area.draw(&PathElement::new(vec![(x, y), (x + w, y)], c.stroke_width(width)))?,
        Mark::Dashed(c, width) => {
            for k in 0..3 {
                let x0 = x + k * 11;
                area.draw(&PathElement::new(vec![(x0, y), (x0 + 6, y)], c.stroke_width(width)))?;
            }
        }
        Mark::Fill(c, alpha) => area.draw(&Rectangle::new([(x, y - 7), (x + w, y + 7)], c.mix(alpha).filled()))?,
        Mark::Dot(c) => area.draw(&Circle::new((x + w / 2, y), 5, c.filled()))?,
        Mark::Outlined(c, alpha) => {
            area.draw(&Rectangle::new([(x, y - 7), (x + w, y + 7)], c.mix(alpha).filled()))?;
            area.draw(&Rectangle::new([(x, y - 7), (x + w, y + 7)], c.stroke_width(1)))?;
        }
    }
    Ok(())
}

/// A figure that only says something: used when the data cannot be plotted
/// (no losses, a single path) and when drawing fails.
#[derive(Debug, Clone)]
pub struct Message {
    /// Size in pixels.
    pub size: (u32, u32),
    /// Title, as the real plot would have.
    pub title: String,
    /// Lines of text, centred.
    pub lines: Vec<String>,
}

impl Figure for Message {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = titled(root, &self.title, "")?;
        message_panel(&body, &self.lines)
    }
}

/// Draws a light framed panel with centred lines of text.
pub fn message_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, lines: &[String]) -> DrawResult {
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    area.draw(&Rectangle::new(
        [(20, 10), (w - 20, h - 20)],
        RGBColor(248, 249, 250).filled(),
    ))?;
    area.draw(&Rectangle::new([(20, 10), (w - 20, h - 20)], GRID.stroke_width(2)))?;
    let line_h = size::SUBTITLE as i32 + 12;
    let first = (h - 10) / 2 - line_h * (lines.len() as i32 - 1) / 2;
    for (i, line) in lines.iter().enumerate() {
        let px = if i == 0 { size::SUBTITLE + 3 } else { size::SUBTITLE };
        area.draw(&Text::new(
            line.clone(),
            (w / 2, first + i as i32 * line_h),
            font(px)
                .color(if i == 0 { &INK } else { &MUTED })
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    Ok(())
}

/// Draws `text` centred in a chart's plotting area over a translucent white box
/// (a note such as "no defaults on any path").
pub fn note_in_plot<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str) -> DrawResult {
    let (w, h) = area.dim_in_pixel();
    let style = font(size::SUBTITLE).color(&MUTED);
    let (tw, th) = area.estimate_text_size(text, &style)?;
    let (cx, cy) = (w as i32 / 2, h as i32 / 2);
    let (hw, hh) = (tw as i32 / 2 + 12, th as i32 / 2 + 8);
    area.draw(&Rectangle::new(
        [(cx - hw, cy - hh), (cx + hw, cy + hh)],
        WHITE.mix(0.9).filled(),
    ))?;
    area.draw(&Text::new(
        text.to_string(),
        (cx, cy),
        style.pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    Ok(())
}

/// A `[lo, hi]` range padded by `pad` of its width on each side, widened when empty.
pub fn padded(lo: f64, hi: f64, pad: f64, min_width: f64) -> (f64, f64) {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo.min(hi), lo.max(hi))
    } else {
        (0.0, 1.0)
    };
    let width = (hi - lo).max(min_width);
    let mid = (lo + hi) / 2.0;
    let (lo, hi) = if hi - lo < min_width {
        (mid - width / 2.0, mid + width / 2.0)
    } else {
        (lo, hi)
    };
    (lo - pad * width, hi + pad * width)
}

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

/// How much wider text is drawn than plotters estimates it: plotters scales
/// the font so that its ascent-to-descent height is the text size, while an
/// SVG's `font-size` (what browsers and resvg draw) is the em. For DejaVu
/// Sans that is (ascender 1901 + descender 483) / 2048 units per em.
pub const EM_PER_PLOTTERS_SIZE: f64 = (1901.0 + 483.0) / 2048.0;

/// The size `text` is drawn at in `style` (plotters' estimate, widened to
/// the em the SVG and PNG are drawn with): the one measure of text for layout.
pub fn text_size<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
) -> Result<(u32, u32), PlotError> {
    let (w, h) = area.estimate_text_size(text, style)?;
    Ok(((f64::from(w) * EM_PER_PLOTTERS_SIZE).ceil() as u32, h))
}

/// Draws the legend `items` in as many rows as they need at the top of
/// `area`; returns the area below it.
pub fn legend_above<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[(Mark, String)],
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    let (legend, rest) = area.split_vertically(legend_height(legend_rows(area, items)));
    legend_strip(&legend, items)?;
    Ok(rest)
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

/// Renders a figure to an SVG document and PNG bytes rasterised from that
/// document (so the two are the same picture, text included). A figure
/// whose drawing fails is replaced by a panel that says so, so a plot file
/// is always written.
pub fn render<F: Figure>(figure: &F, title: &str) -> (Vec<u8>, String) {
    ensure_font();
    let size = figure.size();
    let drawn = render_svg(figure, size).and_then(|svg| Ok((svg_to_png(&svg, size)?, svg)));
    match drawn {
        Ok((png, svg)) => (png, svg),
        Err(e) => {
            let fallback = Message {
                size,
                title: title.to_string(),
                lines: vec!["This plot could not be drawn:".to_string(), e.0],
            };
            let svg = render_svg(&fallback, size).unwrap_or_default();
            let png = svg_to_png(&svg, size).unwrap_or_else(|_| blank_png(size));
            (png, svg)
        }
    }
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

/// The options of the SVG rasteriser: the embedded font as the only font
/// (every family the SVGs name resolves to it), so a PNG is the same on any machine.
fn svg_options() -> &'static resvg::usvg::Options<'static> {
    static OPTIONS: OnceLock<resvg::usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut db = resvg::usvg::fontdb::Database::new();
        db.load_font_data(FONT.to_vec());
        db.set_sans_serif_family(EMBEDDED_FAMILY);
        db.set_serif_family(EMBEDDED_FAMILY);
        db.set_monospace_family(EMBEDDED_FAMILY);
        resvg::usvg::Options {
            font_family: EMBEDDED_FAMILY.to_string(),
            fontdb: std::sync::Arc::new(db),
            ..Default::default()
        }
    })
}

/// The family name inside the embedded font file.
const EMBEDDED_FAMILY: &str = "DejaVu Sans";

/// Rasterises an SVG document of `size` pixels onto white with resvg and
/// encodes it as an RGB PNG. Deterministic: the same document gives the same bytes.
pub fn svg_to_png(svg: &str, (w, h): (u32, u32)) -> Result<Vec<u8>, PlotError> {
    let tree = resvg::usvg::Tree::from_str(svg, svg_options()).map_err(|e| PlotError(format!("SVG: {e}")))?;
    let mut pixmap =
        resvg::tiny_skia::Pixmap::new(w, h).ok_or_else(|| PlotError(format!("an image of {w}x{h} pixels")))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(&tree, resvg::tiny_skia::Transform::identity(), &mut pixmap.as_mut());
    // Opaque after the white fill, so the premultiplied channels are the colour.
    let rgb: Vec<u8> = pixmap.data().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    Ok(png::encode_rgb(w, h, &rgb))
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
            let (tw, _) = text_size(area, label, &style).unwrap_or((8 * label.len() as u32, 15));
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
    let (tw, th) = text_size(area, text, &style)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes one of [`svg_to_png`]'s RGB PNGs.
    fn pixels(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = ::png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .expect("a PNG");
        let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
        let info = reader.next_frame(&mut buf).expect("a frame");
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    /// The columns and rows of the non-white pixels: `(x0, x1, y0, y1)`.
    fn ink_box(w: u32, rgb: &[u8]) -> Option<(u32, u32, u32, u32)> {
        let mut b: Option<(u32, u32, u32, u32)> = None;
        for (i, p) in rgb.chunks(3).enumerate() {
            if p.iter().any(|&c| c < 200) {
                let (x, y) = (i as u32 % w, i as u32 / w);
                b = Some(b.map_or((x, x, y, y), |(x0, x1, y0, y1)| {
                    (x0.min(x), x1.max(x), y0.min(y), y1.max(y))
                }));
            }
        }
        b
    }

    /// Text in the family plotters writes (`sans-serif`) is drawn with the
    /// embedded font where the SVG puts it, as wide as plotters' own layout
    /// estimate (which places legends, labels and ellipses): the PNG's text
    /// is the SVG's. Without a font the text would silently vanish.
    #[test]
    fn svg_text_is_rasterised_with_the_embedded_font_where_the_layout_expects_it() {
        ensure_font();
        let text = "Loss 1,234,567.89 (yuan)";
        let px = 20;
        let svg = format!(
            "<svg width=\"400\" height=\"60\" viewBox=\"0 0 400 60\" xmlns=\"http://www.w3.org/2000/svg\">\
             <text x=\"30\" y=\"40\" font-family=\"{FAMILY}\" font-size=\"{px}\" fill=\"#000000\">{text}</text></svg>"
        );
        let (w, h, rgb) = pixels(&svg_to_png(&svg, (400, 60)).expect("renders"));
        assert_eq!((w, h), (400, 60));
        let (x0, x1, y0, y1) = ink_box(w, &rgb).expect("the text is drawn");
        // The pen starts at x = 30; the first glyph's left bearing is a pixel or two.
        assert!((30..=33).contains(&x0), "text starts at {x0}");
        // Baseline at y = 40: capitals rise about 0.73 em above it, the comma and parentheses drop below.
        assert!(y0 >= 40 - px && y1 <= 40 + px / 3 + 1, "text spans rows {y0}..{y1}");
        let (estimate, _) = {
            let mut svg_out = String::new();
            let area = SVGBackend::with_string(&mut svg_out, (400, 60)).into_drawing_area();
            text_size(&area, text, &font(px)).expect("estimates")
        };
        let drawn = x1 - x0 + 1;
        assert!(
            drawn.abs_diff(estimate) <= 4,
            "drawn {drawn} px wide, plotters lays it out as {estimate} px"
        );
    }

    /// A figure's PNG is its SVG rasterised: the same picture, and the same bytes every time.
    #[test]
    fn a_figures_png_is_its_svg_rasterised() {
        let m = Message {
            size: (600, 300),
            title: "A title".to_string(),
            lines: vec!["A line of text".to_string()],
        };
        let (png, svg) = render(&m, "A title");
        assert_eq!(png, svg_to_png(&svg, (600, 300)).expect("renders"));
        assert_eq!(render(&m, "A title").0, png, "rendering is deterministic");
        let (w, _, rgb) = pixels(&png);
        let (_, _, y0, _) = ink_box(w, &rgb).expect("the title is drawn");
        assert!(y0 < 40, "the title is at the top (row {y0})");
    }
}

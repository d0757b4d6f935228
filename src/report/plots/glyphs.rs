//! PNG text with its glyphs where the font puts them. plotters 0.3.7's
//! ab_glyph text renderer draws each glyph at the pen position without its
//! left side bearing, so PNG text is unevenly spaced ("seed 2 0250101",
//! "th e h ori zon"); the SVGs are laid out by the viewer and are right.
//! [`GlyphBackend`] wraps the bitmap backend and draws text itself, each
//! glyph outlined at its own sub-pixel pen position (bearing and kerning
//! included), with plotters' own layout box, anchors, rotation and vertical
//! placement, so that labels stay exactly where they were; every other
//! drawing call goes to the wrapped backend unchanged.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, ScaleFont, point};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind};

/// The embedded font, parsed once.
fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| {
        // The font is a fixed, valid TTF compiled into the binary; a failure here is a build mistake.
        FontRef::try_from_slice(super::canvas::FONT).expect("the embedded DejaVu Sans font parses")
    })
}

/// A drawing backend that draws text with [`font`] correctly spaced and
/// passes everything else to `B`.
pub struct GlyphBackend<B>(pub B);

/// Calls `pixel(x, y, coverage)` for every pixel of `text` set at `size`
/// pixels, relative to the top-left of its line as plotters places it
/// (the baseline at `size / 2` below the glyphs' tops, as its renderer did).
fn rasterise(text: &str, size: f64, mut pixel: impl FnMut(i32, i32, f32)) {
    let font = font().as_scaled(size as f32);
    let mut pen = 0f32;
    let mut previous = None;
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = previous {
            pen += font.kern(p, id);
        }
        previous = Some(id);
        let mut glyph = font.scaled_glyph(c);
        glyph.position = point(pen, 0.0);
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            let (left, top) = (bounds.min.x as i32, ((size as f32) / 2.0 + bounds.min.y) as i32);
            outline.draw(|x, y, coverage| pixel(left + x as i32, top + y as i32, coverage));
        }
        pen += font.h_advance(id);
    }
}

impl<B: DrawingBackend> DrawingBackend for GlyphBackend<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.0.estimate_text_size(text, style)
    }

    /// plotters' own `draw_text` (layout box, anchor, rotation, clipping to
    /// the canvas) with [`rasterise`] in place of its glyph renderer.
    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let ((min_x, min_y), (max_x, max_y)) = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let (w, h) = self.get_size();
        let mut result = Ok(());
        rasterise(text, style.size(), |x, y, coverage| {
            if result.is_err() {
                return;
            }
            let (x, y) = transform.transform(x + dx - min_x, y + dy - min_y);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                result = self.0.draw_pixel((x, y), color.mix(coverage as f64));
            }
        });
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns `text` inks at `size` pixels.
    fn inked_columns(text: &str, size: f64) -> Vec<i32> {
        let mut columns = std::collections::BTreeSet::new();
        rasterise(text, size, |x, _, coverage| {
            if coverage > 0.25 {
                columns.insert(x);
            }
        });
        columns.into_iter().collect()
    }

    /// The blank columns between the inked runs of `text`.
    fn gaps(text: &str, size: f64) -> Vec<i32> {
        inked_columns(text, size)
            .windows(2)
            .map(|w| w[1] - w[0] - 1)
            .filter(|&g| g > 0)
            .collect()
    }

    /// In "20250101" every pair of neighbouring digits is set with the same
    /// advance in DejaVu Sans (tabular figures), so the blank gaps between
    /// them differ by at most a pixel of anti-aliasing, where plotters'
    /// renderer, dropping the side bearings, left a gap of several pixels
    /// after the first "2" and let the "1"s crowd their neighbours.
    #[test]
    fn digits_are_evenly_spaced() {
        let g = gaps("20250101", 15.0);
        assert!(g.len() >= 6, "{g:?}");
        let (lo, hi) = (g.iter().min().unwrap(), g.iter().max().unwrap());
        assert!(hi - lo <= 2, "uneven gaps between digits: {g:?}");
    }

    /// A glyph is drawn at its own left side bearing: the ink of "1" (a
    /// wide bearing) starts further right than that of "0" at the same pen.
    #[test]
    fn a_glyph_starts_at_its_left_side_bearing() {
        // DejaVu Sans: "one" has a bearing of 225/2048 em, "zero" 135/2048: 11 and 6.6 pixels at 100.
        let first = |t: &str| inked_columns(t, 100.0)[0];
        assert!(first("1") >= first("0") + 4, "1 at {}, 0 at {}", first("1"), first("0"));
    }
}

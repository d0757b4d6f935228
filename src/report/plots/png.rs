//! PNG encoding of the plots' RGB buffers with the `png` crate (the 0.18
//! that resvg's tiny-skia already builds). The output is a pure function of
//! the pixels, which keeps `run` and `report` byte-identical.

/// The eight bytes every PNG file starts with.
pub const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// The zlib level of the plots' PNGs. Measured on a downturn run's plots
/// (2026-12-03): level 6 (zlib's default) took 104 ms for 597 KB, level 2
/// 64 ms for 623 KB (+4%), level 1 28 ms for 813 KB (+36%), fdeflate 15 ms
/// for 1.12 MB. Level 2 keeps the files about as small for 40% less time,
/// which on a short run is several percent of the whole process.
const DEFLATE_LEVEL: u8 = 2;

/// Encodes an 8-bit RGB image (`rgb.len() == 3 * width * height`, rows top to bottom) as PNG.
///
/// # Panics
/// If the buffer length does not match the dimensions (a programming error:
/// the buffers come from plotters with the figure's own size).
pub fn encode_rgb(width: u32, height: u32, rgb: &[u8]) -> Vec<u8> {
    assert_eq!(
        rgb.len(),
        3 * width as usize * height as usize,
        "RGB buffer does not match {width}x{height}"
    );
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_deflate_compression(png::DeflateCompression::Level(DEFLATE_LEVEL));
        encoder.set_filter(png::Filter::Adaptive);
        // Writing to memory cannot fail for a buffer of the declared size.
        let mut writer = encoder.write_header().expect("PNG header to memory");
        writer.write_image_data(rgb).expect("PNG data to memory");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a_decodable_image() {
        let (w, h) = (3u32, 2u32);
        let rgb: Vec<u8> = (0..(3 * w * h) as u8).collect();
        let bytes = encode_rgb(w, h, &rgb);
        assert_eq!(bytes[..8], SIGNATURE);
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes.as_slice()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (w, h));
        assert_eq!(&buf[..info.buffer_size()], rgb.as_slice());
    }
}

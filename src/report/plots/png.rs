//! A small PNG encoder for the plots: 8-bit RGB, adaptive row filters and a
//! zlib stream compressed with LZ77 and dynamic Huffman codes (RFC 1950/1951,
//! PNG spec section 9).
//!
//! plotters draws into an RGB buffer; its own encoder (the `image` crate) only
//! writes to a file path, and `image`/`png` are not direct dependencies of this
//! crate, so the bytes are produced here. The output is a pure function of the
//! pixels, which keeps `run` and `report` byte-identical.

/// The eight bytes every PNG file starts with.
pub const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Encodes an 8-bit RGB image (`rgb.len() == 3 * width * height`, rows top to bottom) as PNG.
///
/// # Panics
/// If the buffer length does not match the dimensions.
pub fn encode_rgb(width: u32, height: u32, rgb: &[u8]) -> Vec<u8> {
    let stride = 3 * width as usize;
    assert_eq!(
        rgb.len(),
        stride * height as usize,
        "RGB buffer does not match {width}x{height}"
    );
    let filtered = filter_rows(rgb, stride);
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    // Bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace.
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = SIGNATURE.to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib(&filtered));
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Appends one chunk: length, type, data, CRC-32 of type and data.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(crc32_update(0xFFFF_FFFF, kind), data);
    out.extend_from_slice(&crc.to_be_bytes());
}

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

fn crc32_update(mut crc: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        crc = CRC_TABLE[((crc ^ b as u32) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc
}

/// CRC-32 (ISO 3309) continuing from a running register `crc`.
fn crc32(crc: u32, bytes: &[u8]) -> u32 {
    crc32_update(crc, bytes) ^ 0xFFFF_FFFF
}

/// Adler-32 checksum of the uncompressed zlib payload.
fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 is the largest block for which b cannot overflow before the modulo.
    for block in bytes.chunks(5552) {
        for &x in block {
            a += x as u32;
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

/// Applies to each row the PNG filter (None, Sub, Up, Average, Paeth) with the
/// smallest sum of absolute signed bytes, the heuristic the PNG spec recommends.
fn filter_rows(rgb: &[u8], stride: usize) -> Vec<u8> {
    const BPP: usize = 3;
    let rows = rgb.len().checked_div(stride).unwrap_or(0);
    let mut out = Vec::with_capacity(rows * (stride + 1));
    let zero = vec![0u8; stride];
    let mut candidates = vec![vec![0u8; stride]; 5];
    for r in 0..rows {
        let row = &rgb[r * stride..(r + 1) * stride];
        let up = if r == 0 {
            &zero[..]
        } else {
            &rgb[(r - 1) * stride..r * stride]
        };
        for i in 0..stride {
            let a = if i >= BPP { row[i - BPP] } else { 0 };
            let b = up[i];
            let c = if i >= BPP { up[i - BPP] } else { 0 };
            let x = row[i];
            candidates[0][i] = x;
            candidates[1][i] = x.wrapping_sub(a);
            candidates[2][i] = x.wrapping_sub(b);
            candidates[3][i] = x.wrapping_sub(((a as u16 + b as u16) / 2) as u8);
            candidates[4][i] = x.wrapping_sub(paeth(a, b, c));
        }
        let best = (0..5)
            .min_by_key(|&f| {
                candidates[f]
                    .iter()
                    .map(|&v| (v as i8).unsigned_abs() as u64)
                    .sum::<u64>()
            })
            .unwrap_or(0);
        out.push(best as u8);
        out.extend_from_slice(&candidates[best]);
    }
    out
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = a as i16 + b as i16 - c as i16;
    let (pa, pb, pc) = ((p - a as i16).abs(), (p - b as i16).abs(), (p - c as i16).abs());
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// A zlib stream (RFC 1950): header, deflate data, Adler-32.
fn zlib(data: &[u8]) -> Vec<u8> {
    let mut w = BitWriter::default();
    // CMF: deflate with a 32 KiB window; FLG: default compression level, check bits.
    w.bytes.extend_from_slice(&[0x78, 0x9C]);
    let tokens = lz77(data);
    if tokens.is_empty() {
        write_block(&mut w, &[], true);
    }
    let blocks = tokens.chunks(1 << 16).count();
    for (i, block) in tokens.chunks(1 << 16).enumerate() {
        write_block(&mut w, block, i + 1 == blocks);
    }
    w.align();
    let mut out = w.bytes;
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    acc: u64,
    filled: u32,
}

impl BitWriter {
    /// Writes the low `count` bits of `bits`, least significant first.
    fn put(&mut self, bits: u32, count: u32) {
        self.acc |= (bits as u64) << self.filled;
        self.filled += count;
        while self.filled >= 8 {
            self.bytes.push(self.acc as u8);
            self.acc >>= 8;
            self.filled -= 8;
        }
    }

    /// Writes a Huffman code (stored most significant bit first).
    fn code(&mut self, code: u16, len: u8) {
        let reversed = (code.reverse_bits() >> (16 - len as u32)) as u32;
        self.put(reversed, len as u32);
    }

    fn align(&mut self) {
        if self.filled > 0 {
            self.bytes.push(self.acc as u8);
            self.acc = 0;
            self.filled = 0;
        }
    }
}

/// An LZ77 token: a literal byte (< 256) or `MATCH | (length - 3) << 16 | (distance - 1)`.
type Token = u32;
const MATCH: u32 = 1 << 31;

const WINDOW: usize = 1 << 15;
const HASH_BITS: u32 = 15;
const MAX_CHAIN: usize = 48;
const MAX_MATCH: usize = 258;

fn hash3(data: &[u8], i: usize) -> usize {
    let v = (data[i] as u32) << 16 | (data[i + 1] as u32) << 8 | data[i + 2] as u32;
    (v.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
}

/// Greedy LZ77 with hash chains over a 32 KiB window.
fn lz77(data: &[u8]) -> Vec<Token> {
    let n = data.len();
    let mut tokens = Vec::with_capacity(n / 8);
    let mut head = vec![usize::MAX; 1 << HASH_BITS];
    let mut prev = vec![usize::MAX; WINDOW];
    let insert = |head: &mut [usize], prev: &mut [usize], i: usize| {
        if i + 3 <= n {
            let h = hash3(data, i);
            prev[i % WINDOW] = head[h];
            head[h] = i;
        }
    };
    let mut i = 0;
    while i < n {
        let mut best_len = 0;
        let mut best_dist = 0;
        if i + 3 <= n {
            let max_len = MAX_MATCH.min(n - i);
            let mut candidate = head[hash3(data, i)];
            let mut chain = 0;
            while candidate != usize::MAX && chain < MAX_CHAIN {
                let dist = i - candidate;
                if dist > WINDOW - 1 {
                    break;
                }
                let len = data[candidate..candidate + max_len]
                    .iter()
                    .zip(&data[i..i + max_len])
                    .take_while(|(a, b)| a == b)
                    .count();
                if len > best_len {
                    best_len = len;
                    best_dist = dist;
                    if len == max_len {
                        break;
                    }
                }
                let next = prev[candidate % WINDOW];
                if next == usize::MAX || next >= candidate {
                    break;
                }
                candidate = next;
                chain += 1;
            }
        }
        if best_len >= 3 {
            tokens.push(MATCH | ((best_len as u32 - 3) << 16) | (best_dist as u32 - 1));
            for k in i..i + best_len {
                insert(&mut head, &mut prev, k);
            }
            i += best_len;
        } else {
            tokens.push(data[i] as u32);
            insert(&mut head, &mut prev, i);
            i += 1;
        }
    }
    tokens
}

const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
    8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
];
/// Order in which the code-length code lengths are sent.
const CL_ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/// Symbol index into `LENGTH_BASE` for a match length (3..=258).
fn length_index(len: u16) -> usize {
    LENGTH_BASE.partition_point(|&b| b <= len) - 1
}

/// Symbol index into `DIST_BASE` for a distance (1..=32768).
fn dist_index(dist: u16) -> usize {
    DIST_BASE.partition_point(|&b| b <= dist) - 1
}

fn split(token: Token) -> Option<(u16, u16)> {
    (token & MATCH != 0).then(|| (((token >> 16) & 0xFF) as u16 + 3, (token & 0xFFFF) as u16 + 1))
}

/// One deflate block with dynamic Huffman codes.
fn write_block(w: &mut BitWriter, tokens: &[Token], last: bool) {
    let mut lit_freq = [0u32; 286];
    let mut dist_freq = [0u32; 30];
    for &t in tokens {
        match split(t) {
            Some((len, dist)) => {
                lit_freq[257 + length_index(len)] += 1;
                dist_freq[dist_index(dist)] += 1;
            }
            None => lit_freq[t as usize] += 1,
        }
    }
    lit_freq[256] += 1;
    let lit_len = code_lengths(&lit_freq, 15);
    let dist_len = code_lengths(&dist_freq, 15);
    let hlit = 257.max(lit_len.iter().rposition(|&l| l > 0).map_or(0, |p| p + 1));
    let hdist = 1.max(dist_len.iter().rposition(|&l| l > 0).map_or(0, |p| p + 1));
    let mut all = lit_len[..hlit].to_vec();
    all.extend_from_slice(&dist_len[..hdist]);
    let rle = run_lengths(&all);
    let mut cl_freq = [0u32; 19];
    for &(sym, _, _) in &rle {
        cl_freq[sym as usize] += 1;
    }
    let cl_len = code_lengths(&cl_freq, 7);
    let hclen = 4.max(CL_ORDER.iter().rposition(|&s| cl_len[s] > 0).map_or(0, |p| p + 1));

    w.put(u32::from(last), 1);
    w.put(2, 2);
    w.put((hlit - 257) as u32, 5);
    w.put((hdist - 1) as u32, 5);
    w.put((hclen - 4) as u32, 4);
    for &s in &CL_ORDER[..hclen] {
        w.put(cl_len[s] as u32, 3);
    }
    let cl_code = canonical_codes(&cl_len);
    for &(sym, extra, extra_bits) in &rle {
        w.code(cl_code[sym as usize], cl_len[sym as usize]);
        if extra_bits > 0 {
            w.put(extra as u32, extra_bits as u32);
        }
    }
    let lit_code = canonical_codes(&lit_len);
    let dist_code = canonical_codes(&dist_len);
    for &t in tokens {
        match split(t) {
            Some((len, dist)) => {
                let li = length_index(len);
                w.code(lit_code[257 + li], lit_len[257 + li]);
                w.put((len - LENGTH_BASE[li]) as u32, LENGTH_EXTRA[li] as u32);
                let di = dist_index(dist);
                w.code(dist_code[di], dist_len[di]);
                w.put((dist - DIST_BASE[di]) as u32, DIST_EXTRA[di] as u32);
            }
            None => w.code(lit_code[t as usize], lit_len[t as usize]),
        }
    }
    w.code(lit_code[256], lit_len[256]);
}

/// Run-length codes of a sequence of code lengths: `(symbol, extra value, extra bits)`
/// with 16 = repeat previous 3-6 times, 17 = 3-10 zeros, 18 = 11-138 zeros.
fn run_lengths(lengths: &[u8]) -> Vec<(u8, u8, u8)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lengths.len() {
        let v = lengths[i];
        let mut run = lengths[i..].iter().take_while(|&&x| x == v).count();
        i += run;
        if v == 0 {
            while run >= 11 {
                let n = run.min(138);
                out.push((18, (n - 11) as u8, 7));
                run -= n;
            }
            if run >= 3 {
                out.push((17, (run - 3) as u8, 3));
                run = 0;
            }
        } else {
            out.push((v, 0, 0));
            run -= 1;
            while run >= 3 {
                let n = run.min(6);
                out.push((16, (n - 3) as u8, 2));
                run -= n;
            }
        }
        out.extend(std::iter::repeat_n((v, 0, 0), run));
    }
    out
}

/// Huffman code lengths for `freq`, none longer than `limit`. At least two
/// symbols get a code so that every tree is complete; when the optimal tree
/// is too deep the frequencies are halved (keeping them positive) and the tree rebuilt.
fn code_lengths(freq: &[u32], limit: u8) -> Vec<u8> {
    let mut f: Vec<u64> = freq.iter().map(|&x| x as u64).collect();
    let mut used = f.iter().filter(|&&x| x > 0).count();
    for x in f.iter_mut() {
        if used >= 2 {
            break;
        }
        if *x == 0 {
            *x = 1;
            used += 1;
        }
    }
    loop {
        let lengths = huffman_depths(&f);
        if lengths.iter().all(|&l| l <= limit) {
            return lengths;
        }
        for x in f.iter_mut().filter(|x| **x > 0) {
            *x = (*x >> 1).max(1);
        }
    }
}

/// Depth of each symbol in a Huffman tree of the positive frequencies (0 for unused symbols).
fn huffman_depths(freq: &[u64]) -> Vec<u8> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut parent: Vec<usize> = Vec::with_capacity(2 * freq.len());
    let mut heap = BinaryHeap::new();
    let mut leaf_node = vec![usize::MAX; freq.len()];
    for (s, &w) in freq.iter().enumerate() {
        if w > 0 {
            leaf_node[s] = parent.len();
            heap.push(Reverse((w, parent.len())));
            parent.push(usize::MAX);
        }
    }
    while heap.len() > 1 {
        let (Some(Reverse((wa, a))), Some(Reverse((wb, b)))) = (heap.pop(), heap.pop()) else {
            break;
        };
        let node = parent.len();
        parent.push(usize::MAX);
        parent[a] = node;
        parent[b] = node;
        heap.push(Reverse((wa + wb, node)));
    }
    leaf_node
        .iter()
        .map(|&leaf| {
            if leaf == usize::MAX {
                return 0;
            }
            let mut depth = 0u32;
            let mut n = leaf;
            while parent[n] != usize::MAX {
                n = parent[n];
                depth += 1;
            }
            depth.min(255) as u8
        })
        .collect()
}

/// Canonical Huffman codes for code lengths (RFC 1951 section 3.2.2).
fn canonical_codes(lengths: &[u8]) -> Vec<u16> {
    let mut bl_count = [0u16; 16];
    for &l in lengths {
        if l > 0 {
            bl_count[l as usize] += 1;
        }
    }
    let mut next = [0u16; 16];
    let mut code = 0u16;
    for bits in 1..16 {
        code = (code + bl_count[bits - 1]) << 1;
        next[bits] = code;
    }
    lengths
        .iter()
        .map(|&l| {
            if l == 0 {
                0
            } else {
                let c = next[l as usize];
                next[l as usize] += 1;
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_reference_values() {
        // Reference values from zlib: crc32(b"123456789") and adler32(b"Wikipedia").
        assert_eq!(crc32(0xFFFF_FFFF, b"123456789"), 0xCBF4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn huffman_lengths_respect_the_limit_and_form_a_complete_code() {
        // Fibonacci frequencies give the deepest possible tree.
        let mut freq = vec![1u32, 1];
        while freq.len() < 40 {
            let n = freq[freq.len() - 1] + freq[freq.len() - 2];
            freq.push(n);
        }
        let lengths = code_lengths(&freq, 15);
        assert!(lengths.iter().all(|&l| (1..=15).contains(&l)));
        let kraft: f64 = lengths.iter().map(|&l| 0.5f64.powi(l as i32)).sum();
        assert!((kraft - 1.0).abs() < 1e-12, "Kraft sum {kraft}");
        let single = code_lengths(&[0, 5, 0], 7);
        assert_eq!(single.iter().filter(|&&l| l > 0).count(), 2);
    }

    #[test]
    fn run_lengths_expand_back_to_the_input() {
        let input: Vec<u8> = [vec![0; 140], vec![8; 9], vec![0; 5], vec![3, 4, 4], vec![0; 2]].concat();
        let mut out = Vec::new();
        for (sym, extra, _) in run_lengths(&input) {
            match sym {
                16 => {
                    let last = *out.last().unwrap();
                    out.extend(std::iter::repeat_n(last, 3 + extra as usize));
                }
                17 => out.extend(std::iter::repeat_n(0, 3 + extra as usize)),
                18 => out.extend(std::iter::repeat_n(0, 11 + extra as usize)),
                v => out.push(v),
            }
        }
        assert_eq!(out, input);
    }

    #[test]
    fn a_white_image_compresses_well() {
        let rgb = vec![255u8; 3 * 400 * 300];
        let png = encode_rgb(400, 300, &rgb);
        assert_eq!(&png[..8], &SIGNATURE);
        assert!(png.len() < 2_000, "{} bytes", png.len());
    }
}

//! End-to-end tests of the plots, `report.html`, `creditstress report` and
//! `creditstress init`: every plot is written as a PNG that decodes (checked
//! with the small independent decoder below) and as an SVG carrying its title;
//! the page is self-contained and shows the summary's figures; `report`
//! redraws a finished run byte for byte; degenerate runs (no losses, one path)
//! still give every image; bad folders and files fail with exit code 2 and a
//! message naming the file.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;
use tempfile::TempDir;

use creditstress::report::ReportInput;
use creditstress::report::plots::format::money;
use creditstress::report::plots::{DELINQUENCY_PLOT_NAMES, PLOT_NAMES, plot_names};

/// A word of each plot's title (the scenario name follows it).
const TITLES: [(&str, &str); 9] = [
    ("loss_distribution", "Portfolio loss distribution"),
    ("exceedance", "Tail of the loss distribution"),
    ("fan_chart", "Monthly defaults, delinquency and losses"),
    ("segments", "Losses by segment and defaults by score band"),
    ("heatmap", "Default rate by segment and score band"),
    ("segment_series", "Segments over time"),
    ("roll_rates", "Roll rates of the delinquency buckets"),
    ("waterfalls", "Loss and income waterfalls"),
    ("convergence", "Monte Carlo convergence"),
];

fn creditstress() -> Command {
    let mut cmd = cargo_bin_cmd!("creditstress");
    cmd.env_remove("RUST_BACKTRACE").env("NO_COLOR", "1");
    cmd
}

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs a scenario into a fresh temporary folder and returns the folder (kept alive by the TempDir).
fn run(scenario: &Path, paths: u64) -> (TempDir, PathBuf) {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("run");
    creditstress()
        .arg("run")
        .arg(scenario)
        .args(["--paths", &paths.to_string(), "--threads", "2", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    (tmp, out)
}

/// The baseline scenario with 300 paths, run once for all tests that only read it.
fn baseline_run() -> &'static Path {
    static RUN: OnceLock<(TempDir, PathBuf)> = OnceLock::new();
    &RUN.get_or_init(|| run(&repo_file("scenarios/baseline.toml"), 300)).1
}

/// The Vasicek validation scenario with a PD of zero: no path loses anything.
fn zero_loss_scenario(dir: &Path) -> PathBuf {
    let text = fs::read_to_string(repo_file("scenarios/validation/vasicek.toml")).expect("vasicek.toml");
    assert!(
        text.contains("value = 0.02"),
        "vasicek.toml no longer has a constant PD of 0.02"
    );
    let path = dir.join("zero_loss.toml");
    assert!(text.contains("name = \"vasicek\""), "vasicek.toml was renamed");
    let text = text
        .replace("value = 0.02", "value = 0.0")
        .replace("name = \"vasicek\"", "name = \"zero_loss\"");
    fs::write(&path, text).expect("write scenario");
    path
}

// ---------------------------------------------------------------------------
// A small PNG reader, independent of the encoder: chunk CRCs, zlib (stored,
// fixed and dynamic Huffman blocks), Adler-32 and the five row filters.

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    bit: u32,
}

impl BitReader<'_> {
    fn bit(&mut self) -> u32 {
        let byte = *self.data.get(self.pos).expect("deflate stream ends early");
        let b = (byte >> self.bit) & 1;
        self.bit += 1;
        if self.bit == 8 {
            self.bit = 0;
            self.pos += 1;
        }
        b as u32
    }

    fn bits(&mut self, n: u32) -> u32 {
        (0..n).fold(0, |acc, i| acc | (self.bit() << i))
    }
}

/// A canonical Huffman decoder: counts per length and symbols in code order (as in zlib's puff.c).
struct Huffman {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Self {
        let mut counts = [0u16; 16];
        for &l in lengths {
            counts[l as usize] += 1;
        }
        counts[0] = 0;
        let mut offs = [0u16; 16];
        for len in 1..15 {
            offs[len + 1] = offs[len] + counts[len];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (s, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbols[offs[l as usize] as usize] = s as u16;
                offs[l as usize] += 1;
            }
        }
        Huffman { counts, symbols }
    }

    fn decode(&self, r: &mut BitReader) -> u16 {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= r.bit() as i32;
            let count = self.counts[len] as i32;
            if code - first < count {
                return self.symbols[(index + code - first) as usize];
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        panic!("invalid Huffman code");
    }
}

fn inflate(data: &[u8]) -> Vec<u8> {
    const LBASE: [u16; 29] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227,
        258,
    ];
    const LEXT: [u32; 29] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ];
    const DBASE: [u16; 30] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
        6145, 8193, 12289, 16385, 24577,
    ];
    const DEXT: [u32; 30] = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
    ];
    const ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
    let mut r = BitReader { data, pos: 0, bit: 0 };
    let mut out = Vec::new();
    loop {
        let last = r.bit();
        match r.bits(2) {
            0 => {
                if r.bit != 0 {
                    r.bit = 0;
                    r.pos += 1;
                }
                let len = u16::from_le_bytes([data[r.pos], data[r.pos + 1]]) as usize;
                let nlen = u16::from_le_bytes([data[r.pos + 2], data[r.pos + 3]]) as usize;
                assert_eq!(len, !nlen & 0xFFFF, "stored block length check");
                out.extend_from_slice(&data[r.pos + 4..r.pos + 4 + len]);
                r.pos += 4 + len;
            }
            kind @ (1 | 2) => {
                let (lit, dist) = if kind == 1 {
                    let mut l = [8u8; 288];
                    l[144..256].fill(9);
                    l[256..280].fill(7);
                    (Huffman::new(&l), Huffman::new(&[5u8; 30]))
                } else {
                    let hlit = r.bits(5) as usize + 257;
                    let hdist = r.bits(5) as usize + 1;
                    let hclen = r.bits(4) as usize + 4;
                    let mut cl = [0u8; 19];
                    for &i in &ORDER[..hclen] {
                        cl[i] = r.bits(3) as u8;
                    }
                    let cl = Huffman::new(&cl);
                    let mut lengths = Vec::with_capacity(hlit + hdist);
                    while lengths.len() < hlit + hdist {
                        match cl.decode(&mut r) {
                            s @ 0..=15 => lengths.push(s as u8),
                            16 => {
                                let prev = *lengths.last().expect("repeat with no previous length");
                                let n = 3 + r.bits(2) as usize;
                                lengths.extend(std::iter::repeat_n(prev, n));
                            }
                            17 => {
                                let n = 3 + r.bits(3) as usize;
                                lengths.extend(std::iter::repeat_n(0, n));
                            }
                            _ => {
                                let n = 11 + r.bits(7) as usize;
                                lengths.extend(std::iter::repeat_n(0, n));
                            }
                        }
                    }
                    assert_eq!(lengths.len(), hlit + hdist, "code lengths overrun");
                    (Huffman::new(&lengths[..hlit]), Huffman::new(&lengths[hlit..]))
                };
                loop {
                    let sym = lit.decode(&mut r) as usize;
                    if sym < 256 {
                        out.push(sym as u8);
                    } else if sym == 256 {
                        break;
                    } else {
                        let i = sym - 257;
                        let len = LBASE[i] as usize + r.bits(LEXT[i]) as usize;
                        let d = dist.decode(&mut r) as usize;
                        let back = DBASE[d] as usize + r.bits(DEXT[d]) as usize;
                        assert!(back <= out.len(), "distance beyond the output");
                        for _ in 0..len {
                            out.push(out[out.len() - back]);
                        }
                    }
                }
            }
            _ => panic!("invalid deflate block type"),
        }
        if last == 1 {
            break;
        }
    }
    out
}

/// Decodes an 8-bit RGB PNG into `(width, height, pixels)`, checking every checksum.
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let (mut pos, mut idat, mut size, mut ended) = (8, Vec::new(), None, false);
    while pos < bytes.len() {
        let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        let kind = &bytes[pos + 4..pos + 8];
        let body = &bytes[pos + 8..pos + 8 + len];
        let crc = u32::from_be_bytes(bytes[pos + 8 + len..pos + 12 + len].try_into().unwrap());
        assert_eq!(
            crc32(&bytes[pos + 4..pos + 8 + len]),
            crc,
            "CRC of chunk {}",
            String::from_utf8_lossy(kind)
        );
        match kind {
            b"IHDR" => {
                let w = u32::from_be_bytes(body[0..4].try_into().unwrap());
                let h = u32::from_be_bytes(body[4..8].try_into().unwrap());
                assert_eq!(&body[8..], &[8, 2, 0, 0, 0], "8-bit RGB, deflate, no interlace");
                size = Some((w, h));
            }
            b"IDAT" => idat.extend_from_slice(body),
            b"IEND" => ended = true,
            _ => {}
        }
        pos += 12 + len;
    }
    assert!(ended, "no IEND chunk");
    let (w, h) = size.expect("no IHDR chunk");
    assert_eq!(idat[0] & 0x0F, 8, "zlib stream uses deflate");
    assert_eq!(u16::from_be_bytes([idat[0], idat[1]]) % 31, 0, "zlib header check");
    let raw = inflate(&idat[2..idat.len() - 4]);
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + x as u32) % 65521;
        b = (b + a) % 65521;
    }
    assert_eq!(
        (b << 16) | a,
        u32::from_be_bytes(idat[idat.len() - 4..].try_into().unwrap()),
        "Adler-32"
    );
    let stride = 3 * w as usize;
    assert_eq!(raw.len(), h as usize * (stride + 1), "decompressed size");
    let mut pixels = vec![0u8; stride * h as usize];
    for y in 0..h as usize {
        let filter = raw[y * (stride + 1)];
        let src = &raw[y * (stride + 1) + 1..(y + 1) * (stride + 1)];
        for x in 0..stride {
            let left = if x >= 3 { pixels[y * stride + x - 3] } else { 0 };
            let up = if y > 0 { pixels[(y - 1) * stride + x] } else { 0 };
            let ul = if x >= 3 && y > 0 {
                pixels[(y - 1) * stride + x - 3]
            } else {
                0
            };
            let pred = match filter {
                0 => 0,
                1 => left,
                2 => up,
                3 => ((left as u16 + up as u16) / 2) as u8,
                4 => {
                    let p = left as i16 + up as i16 - ul as i16;
                    let (pa, pb, pc) = ((p - left as i16).abs(), (p - up as i16).abs(), (p - ul as i16).abs());
                    if pa <= pb && pa <= pc {
                        left
                    } else if pb <= pc {
                        up
                    } else {
                        ul
                    }
                }
                f => panic!("row {y}: unknown filter {f}"),
            };
            pixels[y * stride + x] = src[x].wrapping_add(pred);
        }
    }
    (w, h, pixels)
}

/// The plots of the run in `dir`, in report order.
fn plots_of(dir: &Path) -> Vec<&'static str> {
    plot_names(&ReportInput::load(dir).expect("the run's files load"))
}

/// Checks a plot's PNG and SVG files and returns the SVG text.
fn check_plot(dir: &Path, name: &str, scenario: &str) -> String {
    let png = read(&dir.join("plots").join(format!("{name}.png")));
    let (w, h, pixels) = decode_png(&png);
    assert!(w >= 800 && h >= 500, "{name}.png is {w}x{h}");
    let inked = pixels.chunks(3).filter(|p| p != &[255, 255, 255]).count();
    assert!(inked > 5_000, "{name}.png is nearly blank ({inked} pixels drawn)");
    let colours: std::collections::BTreeSet<&[u8]> = pixels.chunks(3).collect();
    assert!(colours.len() > 10, "{name}.png has only {} colours", colours.len());

    let svg = String::from_utf8(read(&dir.join("plots").join(format!("{name}.svg")))).expect("SVG is UTF-8");
    let head = svg.trim_start();
    assert!(
        head.starts_with("<svg") || head.starts_with("<?xml"),
        "{name}.svg starts with {:?}",
        &head[..20]
    );
    assert!(svg.trim_end().ends_with("</svg>"), "{name}.svg is not closed");
    assert_eq!(svg.matches("<svg").count(), 1, "{name}.svg nests SVG documents");
    // One picture: the PNG is the SVG rasterised (text included), pixel for pixel.
    let rasterised = creditstress::report::plots::canvas::svg_to_png(&svg, (w, h)).expect("the SVG rasterises");
    assert!(rasterised == png, "{name}.png is not its SVG's picture");
    let title = TITLES.iter().find(|t| t.0 == name).expect("known plot").1;
    assert!(svg.contains(title), "{name}.svg lacks its title {title:?}");
    assert!(svg.contains(scenario), "{name}.svg lacks the scenario name");
    svg
}

#[test]
fn run_draws_every_plot_as_png_and_svg() {
    let dir = baseline_run();
    assert_eq!(PLOT_NAMES.len() + DELINQUENCY_PLOT_NAMES.len(), TITLES.len());
    let names = plots_of(dir);
    assert_eq!(
        names.len(),
        TITLES.len(),
        "baseline has delinquency buckets: every plot"
    );
    for name in names {
        let svg = check_plot(dir, name, "baseline");
        assert!(!svg.contains("could not be drawn"), "{name} failed to draw");
    }
    let mut files: Vec<String> = fs::read_dir(dir.join("plots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2 * TITLES.len(), "unexpected files in plots/: {files:?}");
    // Axis labels with units, legends.
    let loss = read(&dir.join("plots/loss_distribution.svg"));
    let loss = String::from_utf8_lossy(&loss);
    for text in [
        "Loss rate over the horizon (% of initial exposure)",
        "Share of paths (%)",
        "VaR 99%",
        "ES 99.9%",
        "EL",
    ] {
        assert!(loss.contains(text), "loss_distribution.svg lacks {text:?}");
    }
    let fan = String::from_utf8_lossy(&read(&dir.join("plots/fan_chart.svg"))).into_owned();
    for text in ["Month", "median across paths", "national", "regional", "% of loans"] {
        assert!(fan.contains(text), "fan_chart.svg lacks {text:?}");
    }
}

#[test]
fn report_html_is_self_contained_and_shows_the_summary() {
    let dir = baseline_run();
    let html = String::from_utf8(read(&dir.join("report.html"))).expect("report.html is UTF-8");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    assert_eq!(
        html.matches("<svg").count(),
        plots_of(dir).len(),
        "one inline SVG per plot"
    );
    let outside: Vec<&str> = html
        .match_indices("http")
        .map(|(i, _)| &html[i..(i + 40).min(html.len())])
        .filter(|s| !s.starts_with("http://www.w3.org/2000/svg"))
        .collect();
    assert!(outside.is_empty(), "references outside the page: {outside:?}");
    for tag in ["<script", "<link", "<img", "<iframe", "@import", "url("] {
        assert!(!html.contains(tag), "report.html contains {tag}");
    }
    let input = ReportInput::load(dir).expect("the run's files load");
    let s = &input.summary;
    let var99 = money(s.loss.var["0.99"]);
    assert!(html.contains(&format!("<td>{var99}</td>")), "VaR 99% {var99} not shown");
    assert!(
        var99.contains(',') || s.loss.var["0.99"] < 1000.0,
        "no thousands separator in {var99}"
    );
    for text in [
        money(s.loss.mean),
        money(s.interest_income.mean),
        money(s.net_income.mean),
    ] {
        assert!(html.contains(&text), "report.html lacks {text}");
    }
    for name in [
        "prime_salaried",
        "young_students",
        "micro_business",
        "Stress test report: baseline",
    ] {
        assert!(html.contains(name), "report.html lacks {name}");
    }
}

#[test]
fn report_redraws_a_finished_run_byte_for_byte() {
    let original = baseline_run();
    let tmp = TempDir::new().unwrap();
    let copy = tmp.path().join("copy");
    fs::create_dir_all(&copy).unwrap();
    for name in ["summary.json", "paths.csv", "timeseries.csv", "manifest.json"] {
        fs::copy(original.join(name), copy.join(name)).unwrap();
    }
    let out = creditstress().arg("report").arg(&copy).output().unwrap();
    assert!(out.status.success(), "report failed: {}", stderr_of(&out));
    let mut compared = vec![PathBuf::from("report.html")];
    for name in plots_of(original) {
        compared.push(Path::new("plots").join(format!("{name}.png")));
        compared.push(Path::new("plots").join(format!("{name}.svg")));
    }
    for rel in &compared {
        assert!(
            read(&original.join(rel)) == read(&copy.join(rel)),
            "{} differs from the run's",
            rel.display()
        );
    }
    let leftovers: Vec<_> = fs::read_dir(copy.join("plots"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn a_run_without_losses_still_draws_every_image() {
    let tmp = TempDir::new().unwrap();
    let scenario = zero_loss_scenario(tmp.path());
    let (_keep, dir) = run(&scenario, 200);
    let input = ReportInput::load(&dir).unwrap();
    assert_eq!(input.summary.loss.mean, 0.0, "the zero-PD scenario lost money");
    for name in plot_names(&input) {
        check_plot(&dir, name, "zero_loss");
    }
    for name in ["loss_distribution", "exceedance", "convergence"] {
        let svg = String::from_utf8_lossy(&read(&dir.join("plots").join(format!("{name}.svg")))).into_owned();
        assert!(
            svg.contains("No losses on any path"),
            "{name}.svg does not say there are no losses"
        );
    }
    let html = String::from_utf8(read(&dir.join("report.html"))).unwrap();
    assert!(html.contains("No losses on any path"));
    assert_eq!(html.matches("<svg").count(), plot_names(&input).len());
}

#[test]
fn a_single_path_run_says_there_is_no_distribution() {
    let (_keep, dir) = run(&repo_file("scenarios/baseline.toml"), 1);
    for name in plots_of(&dir) {
        check_plot(&dir, name, "baseline");
    }
    let svg = String::from_utf8_lossy(&read(&dir.join("plots/loss_distribution.svg"))).into_owned();
    assert!(
        svg.contains("Only 1 path"),
        "loss_distribution.svg: {}",
        &svg[..svg.len().min(300)]
    );
}

#[test]
fn report_refuses_missing_and_corrupt_inputs_naming_the_file() {
    let tmp = TempDir::new().unwrap();
    let missing = tmp.path().join("no_such_run");
    let out = creditstress().arg("report").arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("no_such_run"), "{}", stderr_of(&out));

    let original = baseline_run();
    let cases: [(&str, Option<&[u8]>); 4] = [
        ("paths.csv", None),
        ("summary.json", Some(b"{ not json")),
        ("timeseries.csv", Some(b"month,default_rate_mean\n1,0.1\n")),
        ("manifest.json", Some(b"[]")),
    ];
    for (i, (file, contents)) in cases.into_iter().enumerate() {
        // The folder's name must not contain the file's, or the message would name it anyway.
        let dir = tmp.path().join(format!("broken_{i}"));
        fs::create_dir_all(&dir).unwrap();
        for name in ["summary.json", "paths.csv", "timeseries.csv", "manifest.json"] {
            fs::copy(original.join(name), dir.join(name)).unwrap();
        }
        match contents {
            None => fs::remove_file(dir.join(file)).unwrap(),
            Some(bytes) => fs::write(dir.join(file), bytes).unwrap(),
        }
        let out = creditstress().arg("report").arg(&dir).output().unwrap();
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains(file), "the message does not name {file}: {err}");
        assert!(!err.contains("panicked"), "{file}: {err}");
        assert!(!dir.join("report.html").exists(), "{file}: a report was written anyway");
    }
}

#[test]
fn init_writes_a_valid_commented_scenario_and_never_overwrites() {
    let tmp = TempDir::new().unwrap();
    creditstress().current_dir(tmp.path()).arg("init").assert().success();
    let file = tmp.path().join("my_scenario.toml");
    let text = fs::read_to_string(&file).expect("init wrote my_scenario.toml");
    assert!(text.contains("name = \"my_scenario\""));
    for section in [
        "[run]",
        "[population]",
        "[macro]",
        "[macro.noise]",
        "[dynamics]",
        "[[segments]]",
        "# [outage]",
        "[calibration]",
        "# [fraud_waves]",
    ] {
        assert!(text.contains(section), "the starter scenario lacks {section}");
    }
    assert!(
        text.lines().filter(|l| l.trim_start().starts_with('#')).count() > 30,
        "too few comments"
    );
    creditstress()
        .current_dir(tmp.path())
        .args(["validate", "my_scenario.toml"])
        .assert()
        .success();

    let out = creditstress().current_dir(tmp.path()).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("my_scenario.toml"), "{}", stderr_of(&out));
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        text,
        "init changed an existing file"
    );

    creditstress()
        .current_dir(tmp.path())
        .args(["init", "stress_2025"])
        .assert()
        .success();
    let named = fs::read_to_string(tmp.path().join("stress_2025.toml")).unwrap();
    assert!(named.contains("name = \"stress_2025\""));
    let out = creditstress()
        .current_dir(tmp.path())
        .args(["init", "bad name"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_shows_examples_for_the_new_commands() {
    for cmd in ["report", "init"] {
        let out = creditstress().args([cmd, "--help"]).output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Examples:"), "{cmd} --help has no examples:\n{text}");
        assert!(text.contains(&format!("creditstress {cmd}")), "{cmd} --help: {text}");
    }
}

#[test]
fn init_refuses_an_empty_name_instead_of_writing_a_hidden_file() {
    let tmp = TempDir::new().unwrap();
    let out = creditstress()
        .current_dir(tmp.path())
        .args(["init", ""])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a valid scenario name"));
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0, "nothing written");
}

/// Issue 17, item 2, for folders written before validation bounded the
/// factors, or edited: a figure no run writes (a factor of -1e308, a mean
/// loss of 1e300 in summary.json) is refused in bounded time, naming the
/// file and the row and column or field; figures up to the limit (1e17)
/// are drawn, also in bounded time.
#[test]
fn report_refuses_figures_no_run_writes_and_draws_the_largest_it_accepts() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    creditstress()
        .arg("run")
        .arg(repo_file("scenarios/downturn.toml"))
        .args(["--paths", "30", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let timeseries = fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let header: Vec<&str> = timeseries.lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == "factor_national_p05").unwrap();
    let with = |value: &str| -> String {
        let mut lines: Vec<String> = timeseries.lines().map(String::from).collect();
        let mut fields: Vec<String> = lines[2].split(',').map(String::from).collect();
        fields[column] = value.to_string();
        lines[2] = fields.join(",");
        lines.join("\n") + "\n"
    };
    let report = || {
        creditstress()
            .arg("report")
            .arg(&out)
            .arg("--quiet")
            .timeout(std::time::Duration::from_secs(120))
            .assert()
    };
    for bad in ["-1e308", "inf", "NaN", "2e17"] {
        fs::write(out.join("timeseries.csv"), with(bad)).unwrap();
        let assert = report().code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(
            stderr.contains("timeseries.csv: row 3, column factor_national_p05")
                && stderr.contains("not a figure a run writes"),
            "{bad}: {stderr}"
        );
    }
    fs::write(out.join("timeseries.csv"), with("-1e17")).unwrap();
    report().success();
    fs::write(out.join("timeseries.csv"), &timeseries).unwrap();
    let summary = fs::read_to_string(out.join("summary.json")).unwrap();
    let mean = summary.find("\"mean\": ").unwrap();
    let end = mean + summary[mean..].find(',').unwrap();
    fs::write(
        out.join("summary.json"),
        format!("{}\"mean\": 1e300{}", &summary[..mean], &summary[end..]),
    )
    .unwrap();
    let assert = report().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("summary.json: field") && stderr.contains("1e300 is not a figure a run writes"),
        "{stderr}"
    );
}

/// Issue 16: a run with a `[policy]` says so in report.html: its name, each
/// lever as resolved, what the levers did (collection cost and the rest, as
/// in summary.json) and, on a static synthetic book with a cutoff, the
/// applicants it declined (the scored applicants less the loans booked). A
/// run without a policy has no such section.
#[test]
fn the_report_shows_the_policy_its_levers_and_what_they_did() {
    let tmp = TempDir::new().unwrap();
    let scenario = tmp.path().join("with_policy.toml");
    let text = fs::read_to_string(repo_file("scenarios/baseline.toml")).unwrap()
        + "\n[policy]\nname = \"cutoff_600\"\n[policy.approval]\nmin_score = 600\n[policy.collections]\nstrategy = \"intensive\"\n";
    fs::write(&scenario, text).unwrap();
    let out = tmp.path().join("out");
    let run = creditstress()
        .arg("run")
        .arg(&scenario)
        .args(["--paths", "40", "--out"])
        .arg(&out)
        .assert()
        .success();
    // The terminal says it too.
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).into_owned();
    assert!(stdout.contains("Policy cutoff_600: collection cost "), "{stdout}");
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    let summary: serde_json::Value = serde_json::from_slice(&read(&out.join("summary.json"))).unwrap();
    let booked = summary["loans"].as_u64().unwrap();
    let cost = summary["policy"]["collection_cost"]["mean"].as_f64().unwrap();
    assert!(cost > 0.0, "intensive collections cost something");
    for expected in [
        "<h2 id=\"policy\">Policy: cutoff_600</h2>".to_string(),
        "<code>min_score = 600.0</code>".to_string(),
        "<code>strategy = &quot;intensive&quot;</code>".to_string(),
        format!("<td>{}</td>", money(cost)),
        format!(
            "{} of 12,000",
            creditstress::report::plots::format::count(12_000 - booked)
        ),
        "<a href=\"#policy\">Policy</a>".to_string(),
    ] {
        assert!(html.contains(&expected), "report.html lacks {expected}");
    }
    assert!(booked < 12_000, "the cutoff declined someone");
    let plain = tmp.path().join("plain");
    creditstress()
        .arg("run")
        .arg(repo_file("scenarios/baseline.toml"))
        .args(["--paths", "20", "--quiet", "--out"])
        .arg(&plain)
        .assert()
        .success();
    assert!(
        !fs::read_to_string(plain.join("report.html"))
            .unwrap()
            .contains("id=\"policy\"")
    );
}

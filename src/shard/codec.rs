//! The binary part of a shard (`shard.bin`): the book profile and every path
//! outcome of the shard, with the exact bits of every `f64`.
//!
//! # Format, version 8
//!
//! Little-endian throughout; `S` segments, `B` score bands, `H` months, `F`
//! macro factors, all given in the header.
//!
//! ```text
//! header   magic "CSSHARD\0" (8 bytes), format version u32 = 8,
//!          S u32, B u32, H u32, F u32, V u32 (vintages; 0 for a run-off book),
//!          vintage months u32, E u32 (path-level events), L u32 (P&L lines: 0
//!          without `[economics]`, else 11), A u32 (flags: 1 with `[economics.provisions]`,
//!          2 with the capital path of `[segments.capital]`; 0 without either),
//!          first path index u64, path count u64
//! profile  loans u64, exposure f64, segment_loans [u64; S],
//!          segment_exposure [f64; S], band_loans [u64; B],
//!          cell_loans [u64; S x B] (segment by segment, band by band),
//!          revolving_loans u64, fraud_loans u64
//! paths    path count times, in path order:
//!          index u64, exposure f64, weight f64, loss f64, defaults u64, interest i64,
//!          recoveries f64, recoveries_after_horizon f64, economic_loss f64,
//!          recovery_cost f64, fraud_loss f64, takeovers u64, segment_loss [f64; S], segment_defaults [u64; S],
//!          band_defaults [u64; B], band_loss [f64; B], product_loss [f64; 2],
//!          cell_defaults [u64; S x B], segment_monthly_defaults [u32; S x H],
//!          segment_monthly_loss [f64; S x H] (segment by segment, month by month),
//!          rolls: entered u64, cured [u64; 3], stayed [u64; 3], rolled [u64; 3],
//!          monthly_defaults [u32; H],
//!          monthly_delinquent [u32; H], monthly_loss [f64; H], loan_months u64,
//!          limit_cut i64, limit_raised i64, plans u64, penalty_interest i64, collection_cost f64,
//!          ledger (originated, repaid, prepaid, charged_off, outstanding) [i64; 5],
//!          factors [f64; F x H] (factor by factor, month by month),
//!          event_months [u32; E] (0: did not happen, else the 1-based month),
//!          and when V > 0 the book flow: applications [u32; H],
//!          booked_loans [u32; H], booked_balance [i64; H], renewed_loans [u32; H],
//!          active_accounts [u32; H], outstanding [i64; H],
//!          segment_loans [u32; S], segment_balance [i64; S], band_loans [u32; B],
//!          cell_loans [u32; S x B], segment_booked_loans [u32; S x H],
//!          segment_booked_balance [i64; S x H], vintage_defaults [u32; V x H], vintage_loss [f64; V x H],
//!          and when L > 0 the P&L: monthly [i64; H x L] (month by month,
//!          the lines in `accounting::LINES` order), segments [i64; S x L],
//!          and when A = 1 the provisions: opening allowance i64, then per
//!          month allowance i64, stage balances [i64; 3], stage accounts [u32; 3],
//!          and when A has 2 the capital: per month RWA i64, capital requirement i64
//! ```
//!
//! A run-off path takes `8 (35 + 2S + 2B + 2H + FH + SB) + 12 SH` bytes:
//! about 2 kB for the shipped scenarios (3 segments, 24 months, 2 factors);
//! a book flow adds `H (32 + 12 V) + 12 S + 4 B + 4 SB + 12 SH` bytes, events `4 E`, a P&L `8 L (H + S)` and
//! provisions `8 + 44 H`, capital `16 H`.

use thiserror::Error;

use crate::engine::{BookProfile, PathOutcome};
use crate::loan::{Ledger, PathTally};
use crate::scenario::Scenario;

/// First bytes of every shard file.
pub const MAGIC: [u8; 8] = *b"CSSHARD\0";
/// The version of the binary layout this program writes and reads.
pub const FORMAT_VERSION: u32 = 8;
/// Bytes of the header.
const HEADER_BYTES: usize = 8 + 4 * 10 + 8 * 2;
/// Lines of a P&L cell.
const PNL_LINES: usize = crate::accounting::LINES.len();

/// The shape every path outcome of a scenario has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    /// Segments.
    pub segments: usize,
    /// Score bands.
    pub bands: usize,
    /// Months.
    pub horizon: usize,
    /// Macro factors.
    pub factors: usize,
    /// Vintages of the book flow (0: a run-off book, no flow).
    pub vintages: usize,
    /// Origination months per vintage.
    pub vintage_months: usize,
    /// Path-level events (industry tightening and `[[events]]`).
    pub events: usize,
    /// Lines of the P&L per cell (0: no `[economics]`, no P&L).
    pub pnl_lines: usize,
    /// The P&L carries the loss allowance and stages (`[economics.provisions]`).
    pub provisions: bool,
    /// The P&L carries the book's capital by month (a segment with `[segments.capital]`).
    pub capital: bool,
}

impl Dims {
    /// The shape of the scenario's outcomes.
    pub fn of(scenario: &Scenario) -> Self {
        Dims {
            segments: scenario.segments.len(),
            bands: scenario.bands.len(),
            horizon: scenario.horizon_months,
            factors: scenario.macro_model.factor_names.len(),
            vintages: if scenario.originates() {
                crate::loan::flow::vintage_count(scenario.horizon_months, scenario.vintage_months)
            } else {
                0
            },
            vintage_months: scenario.vintage_months,
            events: scenario.event_names().len(),
            pnl_lines: if scenario.file.economics.is_some() {
                PNL_LINES
            } else {
                0
            },
            provisions: scenario.file.economics.as_ref().is_some_and(|e| e.provisions.is_some()),
            capital: scenario.file.economics.is_some() && scenario.segments.iter().any(|s| s.capital.is_some()),
        }
    }

    /// Bytes of one encoded path.
    pub fn path_bytes(self) -> usize {
        let flow = if self.vintages > 0 {
            self.horizon * (32 + 12 * self.vintages)
                + 12 * self.segments
                + 4 * self.bands
                + 4 * self.segments * self.bands
                + 12 * self.segments * self.horizon
        } else {
            0
        };
        8 * (25 + 2 * self.segments + 2 * self.bands + 2 * self.horizon + self.factors * self.horizon)
            + 8 * self.segments * self.bands
            + 12 * self.segments * self.horizon
            + 8 * (1 + 3 * crate::loan::BUCKETS)
            + 4 * self.events
            + flow
            + 8 * self.pnl_lines * (self.horizon + self.segments)
            + if self.provisions { 8 + 44 * self.horizon } else { 0 }
            + if self.capital { 16 * self.horizon } else { 0 }
    }

    fn profile_bytes(self) -> usize {
        8 * (4 + 2 * self.segments + self.bands + self.segments * self.bands)
    }
}

/// What a shard's binary file holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardData {
    /// Shape of every outcome.
    pub dims: Dims,
    /// Index of the first path (the shard's range start, also when it is empty).
    pub first_path: u64,
    /// Profile of the run-level book.
    pub profile: BookProfile,
    /// Outcomes in path order: `first_path, first_path + 1, ...`.
    pub paths: Vec<PathOutcome>,
}

/// Why shard bytes could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodecError {
    /// The bytes do not start with the shard magic.
    #[error("not a creditstress shard file (bad magic bytes)")]
    BadMagic,
    /// Written by a program with another layout.
    #[error("shard file format version {found}, this program reads version {FORMAT_VERSION}")]
    UnsupportedVersion {
        /// Version in the file.
        found: u32,
    },
    /// Fewer or more bytes than the header announces.
    #[error("shard file has {found} bytes, its header announces {expected} (truncated or corrupted)")]
    Length {
        /// Bytes the header implies.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// An outcome or the profile does not have the shape in the header.
    #[error("{what} does not have the shape of the scenario ({dims:?})")]
    Shape {
        /// What is off.
        what: String,
        /// The expected shape.
        dims: Dims,
    },
    /// Path indices are not consecutive from the first.
    #[error("path {position} of the shard has index {found}, expected {expected}")]
    Index {
        /// Position in the file.
        position: u64,
        /// Index found.
        found: u64,
        /// Index expected.
        expected: u64,
    },
}

/// Encodes a shard's profile and outcomes (see the module doc for the layout).
pub fn encode_paths(data: &ShardData) -> Result<Vec<u8>, CodecError> {
    let d = data.dims;
    check_shape(data)?;
    let mut w = Vec::with_capacity(HEADER_BYTES + d.profile_bytes() + data.paths.len() * d.path_bytes());
    w.extend_from_slice(&MAGIC);
    for v in [
        FORMAT_VERSION,
        as_u32(d.segments),
        as_u32(d.bands),
        as_u32(d.horizon),
        as_u32(d.factors),
        as_u32(d.vintages),
        as_u32(d.vintage_months),
        as_u32(d.events),
        as_u32(d.pnl_lines),
        u32::from(d.provisions) | u32::from(d.capital) << 1,
    ] {
        w.extend_from_slice(&v.to_le_bytes());
    }
    put_u64(&mut w, data.first_path);
    put_u64(&mut w, data.paths.len() as u64);

    // Destructuring without `..`: a field added to these structs is a compile
    // error here until the format (and FORMAT_VERSION) learns it.
    let BookProfile {
        loans,
        exposure,
        segment_loans,
        segment_exposure,
        band_loans,
        cell_loans,
        revolving_loans,
        fraud_loans,
    } = &data.profile;
    put_u64(&mut w, *loans);
    put_f64(&mut w, *exposure);
    segment_loans.iter().for_each(|&v| put_u64(&mut w, v));
    segment_exposure.iter().for_each(|&v| put_f64(&mut w, v));
    band_loans.iter().for_each(|&v| put_u64(&mut w, v));
    cell_loans.iter().for_each(|&v| put_u64(&mut w, v));
    put_u64(&mut w, *revolving_loans);
    put_u64(&mut w, *fraud_loans);

    for o in &data.paths {
        let PathOutcome {
            index,
            exposure,
            tally,
            factors,
            weight,
            pnl,
        } = o;
        let PathTally {
            loss,
            defaults,
            interest,
            recoveries,
            recoveries_after_horizon,
            economic_loss,
            recovery_cost,
            fraud_loss,
            takeovers,
            segment_loss,
            segment_defaults,
            band_defaults,
            band_loss,
            product_loss,
            cell_defaults,
            segment_monthly_defaults,
            segment_monthly_loss,
            rolls,
            monthly_defaults,
            monthly_delinquent,
            monthly_loss,
            loan_months,
            limit_cut,
            limit_raised,
            plans,
            penalty_interest,
            collection_cost,
            ledger,
            event_months,
            // Tapes are written by `run --emit-tape`, never carried in shards.
            tape: _,
            flow,
            // Only kept while the path is stepped: its P&L is `pnl`.
            monthly: _,
            // Follows from `flow` (and tapes are never carried).
            records: _,
            // Only set while a loan is stepped.
            matured_at: _,
        } = tally;
        let Ledger {
            originated,
            repaid,
            prepaid,
            charged_off,
            outstanding,
        } = *ledger;
        put_u64(&mut w, *index);
        put_f64(&mut w, *exposure);
        put_f64(&mut w, *weight);
        put_f64(&mut w, *loss);
        put_u64(&mut w, *defaults);
        put_i64(&mut w, *interest);
        put_f64(&mut w, *recoveries);
        put_f64(&mut w, *recoveries_after_horizon);
        put_f64(&mut w, *economic_loss);
        put_f64(&mut w, *recovery_cost);
        put_f64(&mut w, *fraud_loss);
        put_u64(&mut w, *takeovers);
        segment_loss.iter().for_each(|&v| put_f64(&mut w, v));
        segment_defaults.iter().for_each(|&v| put_u64(&mut w, v));
        band_defaults.iter().for_each(|&v| put_u64(&mut w, v));
        band_loss.iter().for_each(|&v| put_f64(&mut w, v));
        product_loss.iter().for_each(|&v| put_f64(&mut w, v));
        cell_defaults.iter().for_each(|&v| put_u64(&mut w, v));
        segment_monthly_defaults
            .iter()
            .for_each(|&v| w.extend_from_slice(&v.to_le_bytes()));
        segment_monthly_loss.iter().for_each(|&v| put_f64(&mut w, v));
        let crate::loan::RollCounts {
            entered,
            cured,
            stayed,
            rolled,
        } = rolls;
        put_u64(&mut w, *entered);
        cured
            .iter()
            .chain(stayed)
            .chain(rolled)
            .for_each(|&v| put_u64(&mut w, v));
        monthly_defaults
            .iter()
            .for_each(|&v| w.extend_from_slice(&v.to_le_bytes()));
        monthly_delinquent
            .iter()
            .for_each(|&v| w.extend_from_slice(&v.to_le_bytes()));
        monthly_loss.iter().for_each(|&v| put_f64(&mut w, v));
        put_u64(&mut w, *loan_months);
        put_i64(&mut w, *limit_cut);
        put_i64(&mut w, *limit_raised);
        put_u64(&mut w, *plans);
        put_i64(&mut w, *penalty_interest);
        put_f64(&mut w, *collection_cost);
        for v in [originated, repaid, prepaid, charged_off, outstanding] {
            put_i64(&mut w, v);
        }
        factors.iter().flatten().for_each(|&v| put_f64(&mut w, v));
        event_months.iter().for_each(|&v| w.extend_from_slice(&v.to_le_bytes()));
        if let Some(f) = flow.as_deref() {
            let crate::loan::BookFlow {
                horizon: _,
                vintage_months: _,
                applications,
                booked_loans,
                booked_balance,
                renewed_loans,
                active_accounts,
                outstanding,
                segment_loans,
                segment_balance,
                band_loans,
                cell_loans,
                segment_booked_loans,
                segment_booked_balance,
                vintage_defaults,
                vintage_loss,
                cursor: _,
            } = f;
            let u32s = |w: &mut Vec<u8>, v: &[u32]| v.iter().for_each(|&x| w.extend_from_slice(&x.to_le_bytes()));
            u32s(&mut w, applications);
            u32s(&mut w, booked_loans);
            booked_balance.iter().for_each(|&v| put_i64(&mut w, v));
            u32s(&mut w, renewed_loans);
            u32s(&mut w, active_accounts);
            outstanding.iter().for_each(|&v| put_i64(&mut w, v));
            u32s(&mut w, segment_loans);
            segment_balance.iter().for_each(|&v| put_i64(&mut w, v));
            u32s(&mut w, band_loans);
            u32s(&mut w, cell_loans);
            u32s(&mut w, segment_booked_loans);
            segment_booked_balance.iter().for_each(|&v| put_i64(&mut w, v));
            u32s(&mut w, vintage_defaults);
            vintage_loss.iter().for_each(|&v| put_f64(&mut w, v));
        }
        if let Some(p) = pnl.as_deref() {
            for lines in p.monthly.iter().chain(&p.segments) {
                lines.values().iter().for_each(|&v| put_i64(&mut w, v));
            }
            if let Some(a) = &p.provisions {
                put_i64(&mut w, a.opening);
                for m in &a.monthly {
                    put_i64(&mut w, m.allowance);
                    m.stage_balance.iter().for_each(|&v| put_i64(&mut w, v));
                    m.stage_accounts
                        .iter()
                        .for_each(|&v| w.extend_from_slice(&v.to_le_bytes()));
                }
            }
            for m in p.capital.iter().flatten() {
                put_i64(&mut w, m.rwa);
                put_i64(&mut w, m.requirement);
            }
        }
    }
    Ok(w)
}

/// Decodes what [`encode_paths`] wrote, checking magic, version, length and path indices.
pub fn decode_paths(bytes: &[u8]) -> Result<ShardData, CodecError> {
    let mut r = Reader { bytes, at: 0 };
    if bytes.len() < 8 || bytes[..8] != MAGIC {
        return Err(CodecError::BadMagic);
    }
    r.at = 8;
    let short = |needed: usize| CodecError::Length {
        expected: needed as u64,
        found: bytes.len() as u64,
    };
    if bytes.len() < 12 {
        return Err(short(HEADER_BYTES));
    }
    let version = r.u32();
    if version != FORMAT_VERSION {
        return Err(CodecError::UnsupportedVersion { found: version });
    }
    if bytes.len() < HEADER_BYTES {
        return Err(short(HEADER_BYTES));
    }
    let d = Dims {
        segments: r.u32() as usize,
        bands: r.u32() as usize,
        horizon: r.u32() as usize,
        factors: r.u32() as usize,
        vintages: r.u32() as usize,
        vintage_months: r.u32() as usize,
        events: r.u32() as usize,
        pnl_lines: r.u32() as usize,
        provisions: bytes[44] & 1 == 1,
        capital: bytes[44] & 2 == 2,
    };
    let flags = r.u32();
    if (d.pnl_lines != 0 && d.pnl_lines != PNL_LINES) || flags > 3 || ((d.provisions || d.capital) && d.pnl_lines == 0)
    {
        return Err(CodecError::Shape {
            what: "the header's P&L lines".into(),
            dims: d,
        });
    }
    if d.vintages > 0
        && (d.vintage_months == 0 || d.vintages != crate::loan::flow::vintage_count(d.horizon, d.vintage_months))
    {
        return Err(CodecError::Shape {
            what: "the header's vintages".into(),
            dims: d,
        });
    }
    let first_path = r.u64();
    let count = r.u64();
    let expected = (d.path_bytes() as u128) * u128::from(count) + (HEADER_BYTES + d.profile_bytes()) as u128;
    if expected != bytes.len() as u128 {
        return Err(CodecError::Length {
            expected: u64::try_from(expected).unwrap_or(u64::MAX),
            found: bytes.len() as u64,
        });
    }

    let profile = BookProfile {
        loans: r.u64(),
        exposure: r.f64(),
        segment_loans: r.u64s(d.segments),
        segment_exposure: r.f64s(d.segments),
        band_loans: r.u64s(d.bands),
        cell_loans: r.u64s(d.segments * d.bands),
        revolving_loans: r.u64(),
        fraud_loans: r.u64(),
    };
    let mut paths = Vec::with_capacity(count as usize);
    for position in 0..count {
        let index = r.u64();
        let expected = first_path + position;
        if index != expected {
            return Err(CodecError::Index {
                position,
                found: index,
                expected,
            });
        }
        let exposure = r.f64();
        let weight = r.f64();
        let tally = PathTally {
            loss: r.f64(),
            defaults: r.u64(),
            interest: r.i64(),
            recoveries: r.f64(),
            recoveries_after_horizon: r.f64(),
            economic_loss: r.f64(),
            recovery_cost: r.f64(),
            fraud_loss: r.f64(),
            takeovers: r.u64(),
            segment_loss: r.f64s(d.segments),
            segment_defaults: r.u64s(d.segments),
            band_defaults: r.u64s(d.bands),
            band_loss: r.f64s(d.bands),
            product_loss: [r.f64(), r.f64()],
            cell_defaults: r.u64s(d.segments * d.bands),
            segment_monthly_defaults: (0..d.segments * d.horizon).map(|_| r.u32()).collect(),
            segment_monthly_loss: r.f64s(d.segments * d.horizon),
            rolls: crate::loan::RollCounts {
                entered: r.u64(),
                cured: std::array::from_fn(|_| r.u64()),
                stayed: std::array::from_fn(|_| r.u64()),
                rolled: std::array::from_fn(|_| r.u64()),
            },
            monthly_defaults: (0..d.horizon).map(|_| r.u32()).collect(),
            monthly_delinquent: (0..d.horizon).map(|_| r.u32()).collect(),
            monthly_loss: r.f64s(d.horizon),
            loan_months: r.u64(),
            limit_cut: r.i64(),
            limit_raised: r.i64(),
            plans: r.u64(),
            penalty_interest: r.i64(),
            collection_cost: r.f64(),
            ledger: Ledger {
                originated: r.i64(),
                repaid: r.i64(),
                prepaid: r.i64(),
                charged_off: r.i64(),
                outstanding: r.i64(),
            },
            event_months: Vec::new(),
            tape: None,
            flow: None,
            monthly: None,
            records: false,
            matured_at: None,
        };
        let factors = (0..d.factors).map(|_| r.f64s(d.horizon)).collect();
        let mut tally = tally;
        tally.event_months = (0..d.events).map(|_| r.u32()).collect();
        if d.vintages > 0 {
            let mut f = crate::loan::BookFlow::new(d.horizon, d.vintage_months, d.segments, d.bands);
            let cells = d.vintages * d.horizon;
            f.applications = (0..d.horizon).map(|_| r.u32()).collect();
            f.booked_loans = (0..d.horizon).map(|_| r.u32()).collect();
            f.booked_balance = (0..d.horizon).map(|_| r.i64()).collect();
            f.renewed_loans = (0..d.horizon).map(|_| r.u32()).collect();
            f.active_accounts = (0..d.horizon).map(|_| r.u32()).collect();
            f.outstanding = (0..d.horizon).map(|_| r.i64()).collect();
            f.segment_loans = (0..d.segments).map(|_| r.u32()).collect();
            f.segment_balance = (0..d.segments).map(|_| r.i64()).collect();
            f.band_loans = (0..d.bands).map(|_| r.u32()).collect();
            f.cell_loans = (0..d.segments * d.bands).map(|_| r.u32()).collect();
            f.segment_booked_loans = (0..d.segments * d.horizon).map(|_| r.u32()).collect();
            f.segment_booked_balance = (0..d.segments * d.horizon).map(|_| r.i64()).collect();
            f.vintage_defaults = (0..cells).map(|_| r.u32()).collect();
            f.vintage_loss = r.f64s(cells);
            tally.record_flow(f);
        }
        let pnl = (d.pnl_lines > 0).then(|| {
            let mut lines = |n: usize| -> Vec<crate::accounting::PnlLines> {
                (0..n)
                    .map(|_| crate::accounting::PnlLines::from_values(std::array::from_fn(|_| r.i64())))
                    .collect()
            };
            let monthly = lines(d.horizon);
            let segments = lines(d.segments);
            let provisions = d.provisions.then(|| crate::accounting::PathProvisions {
                opening: r.i64(),
                monthly: (0..d.horizon)
                    .map(|_| crate::accounting::ProvisionMonth {
                        allowance: r.i64(),
                        stage_balance: [r.i64(), r.i64(), r.i64()],
                        stage_accounts: [r.u32(), r.u32(), r.u32()],
                    })
                    .collect(),
            });
            let capital = d.capital.then(|| {
                (0..d.horizon)
                    .map(|_| crate::accounting::CapitalMonth {
                        rwa: r.i64(),
                        requirement: r.i64(),
                    })
                    .collect()
            });
            Box::new(crate::accounting::PathPnl {
                monthly,
                segments,
                provisions,
                capital,
            })
        });
        paths.push(PathOutcome {
            index,
            exposure,
            tally,
            factors,
            weight,
            pnl,
        });
    }
    Ok(ShardData {
        dims: d,
        first_path,
        profile,
        paths,
    })
}

fn check_shape(data: &ShardData) -> Result<(), CodecError> {
    let d = data.dims;
    let shape = |what: String| Err(CodecError::Shape { what, dims: d });
    let p = &data.profile;
    if p.segment_loans.len() != d.segments
        || p.segment_exposure.len() != d.segments
        || p.band_loans.len() != d.bands
        || p.cell_loans.len() != d.segments * d.bands
    {
        return shape("the book profile".into());
    }
    for (position, o) in data.paths.iter().enumerate() {
        let expected = data.first_path + position as u64;
        if o.index != expected {
            return Err(CodecError::Index {
                position: position as u64,
                found: o.index,
                expected,
            });
        }
        let t = &o.tally;
        let ok = t.segment_loss.len() == d.segments
            && t.segment_defaults.len() == d.segments
            && t.band_defaults.len() == d.bands
            && t.band_loss.len() == d.bands
            && t.cell_defaults.len() == d.segments * d.bands
            && t.segment_monthly_defaults.len() == d.segments * d.horizon
            && t.segment_monthly_loss.len() == d.segments * d.horizon
            && t.monthly_defaults.len() == d.horizon
            && t.monthly_delinquent.len() == d.horizon
            && t.monthly_loss.len() == d.horizon
            && o.factors.len() == d.factors
            && o.factors.iter().all(|f| f.len() == d.horizon)
            && t.event_months.len() == d.events
            && match (&t.flow, d.vintages) {
                (None, 0) => true,
                (Some(f), v) if v > 0 => {
                    f.horizon == d.horizon
                        && f.vintage_months == d.vintage_months
                        && f.vintages() == v
                        && [&f.applications, &f.booked_loans, &f.renewed_loans, &f.active_accounts]
                            .iter()
                            .all(|x| x.len() == d.horizon)
                        && f.booked_balance.len() == d.horizon
                        && f.outstanding.len() == d.horizon
                        && f.segment_loans.len() == d.segments
                        && f.segment_balance.len() == d.segments
                        && f.band_loans.len() == d.bands
                        && f.cell_loans.len() == d.segments * d.bands
                        && f.segment_booked_loans.len() == d.segments * d.horizon
                        && f.segment_booked_balance.len() == d.segments * d.horizon
                        && f.vintage_defaults.len() == v * d.horizon
                        && f.vintage_loss.len() == v * d.horizon
                }
                _ => false,
            }
            && match (&o.pnl, d.pnl_lines) {
                (None, 0) => true,
                (Some(p), l) if l > 0 => {
                    p.monthly.len() == d.horizon
                        && p.segments.len() == d.segments
                        && match (&p.provisions, d.provisions) {
                            (None, false) => true,
                            (Some(a), true) => a.monthly.len() == d.horizon,
                            _ => false,
                        }
                        && match (&p.capital, d.capital) {
                            (None, false) => true,
                            (Some(c), true) => c.len() == d.horizon,
                            _ => false,
                        }
                }
                _ => false,
            };
        if !ok {
            return shape(format!("path {}", o.index));
        }
    }
    Ok(())
}

fn as_u32(v: usize) -> u32 {
    u32::try_from(v).expect("scenario dimensions fit in 32 bits")
}

fn put_u64(w: &mut Vec<u8>, v: u64) {
    w.extend_from_slice(&v.to_le_bytes());
}

fn put_i64(w: &mut Vec<u8>, v: i64) {
    w.extend_from_slice(&v.to_le_bytes());
}

fn put_f64(w: &mut Vec<u8>, v: f64) {
    w.extend_from_slice(&v.to_bits().to_le_bytes());
}

/// Reads fixed-width little-endian values; the caller has checked the length.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let out: [u8; N] = self.bytes[self.at..self.at + N].try_into().expect("length checked");
        self.at += N;
        out
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }
    fn i64(&mut self) -> i64 {
        i64::from_le_bytes(self.take())
    }
    fn f64(&mut self) -> f64 {
        f64::from_bits(self.u64())
    }
    fn u64s(&mut self, n: usize) -> Vec<u64> {
        (0..n).map(|_| self.u64()).collect()
    }
    fn f64s(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.f64()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims() -> Dims {
        Dims {
            segments: 2,
            bands: 3,
            horizon: 4,
            factors: 2,
            vintages: 0,
            vintage_months: 3,
            events: 0,
            pnl_lines: 0,
            provisions: false,
            capital: false,
        }
    }

    /// Outcomes with awkward values: negative zero, subnormals, NaN payloads, extremes.
    fn sample(first: u64, count: u64) -> ShardData {
        let d = dims();
        let odd = [
            -0.0,
            f64::MIN_POSITIVE / 3.0,
            f64::from_bits(0x7ff8_0000_dead_beef),
            f64::MAX,
            0.1 + 0.2,
        ];
        let paths = (first..first + count)
            .map(|i| {
                let x = |k: u64| odd[((i + k) % odd.len() as u64) as usize] * (1.0 + k as f64);
                let mut tally = PathTally::new(d.segments, d.bands, d.horizon);
                tally.loss = x(0);
                tally.defaults = i * 7 + u64::MAX / 2;
                tally.interest = -(i as i64) - 3;
                tally.recoveries = x(1);
                tally.segment_loss = vec![x(2), x(3)];
                tally.segment_defaults = vec![i, u64::MAX];
                tally.band_defaults = vec![1, 2, i];
                tally.band_loss = vec![x(8), x(9), x(10)];
                tally.product_loss = [x(11), -x(12)];
                tally.cell_defaults = vec![i, 1, u64::MAX, 0, 2, 3];
                tally.segment_monthly_defaults = vec![1, 2, 3, 4, u32::MAX, 0, 7, i as u32];
                tally.segment_monthly_loss = vec![x(1), x(2), x(3), x(4), x(5), x(6), -x(7), x(8)];
                tally.rolls = crate::loan::RollCounts {
                    entered: u64::MAX - 1,
                    cured: [1, 2, i],
                    stayed: [4, 5, 6],
                    rolled: [7, u64::MAX, 9],
                };
                tally.monthly_defaults = vec![u32::MAX, 0, 5, i as u32];
                tally.monthly_delinquent = vec![9, 8, 7, 6];
                tally.monthly_loss = vec![x(4), x(5), x(6), x(7)];
                tally.loan_months = 123_456_789 + i;
                tally.limit_cut = -5 - i as i64;
                tally.plans = 3 * i;
                tally.penalty_interest = i64::MIN + i as i64;
                tally.collection_cost = x(11);
                tally.recoveries_after_horizon = x(12);
                tally.economic_loss = x(13);
                tally.recovery_cost = x(14);
                tally.fraud_loss = x(15);
                tally.takeovers = u64::MAX - i;
                tally.ledger = Ledger {
                    originated: i64::MAX,
                    repaid: i64::MIN,
                    prepaid: 1,
                    charged_off: -1,
                    outstanding: i as i64,
                };
                PathOutcome {
                    index: i,
                    exposure: 1e6 + i as f64,
                    tally,
                    factors: vec![vec![x(8), x(9), -1.5, 2.5], vec![0.0, x(10), f64::MIN, 1e-300]],
                    weight: x(16),
                    pnl: None,
                }
            })
            .collect();
        ShardData {
            dims: d,
            first_path: first,
            profile: BookProfile {
                loans: 1000,
                exposure: 12345.678,
                segment_loans: vec![600, 400],
                segment_exposure: vec![0.1, 12345.578],
                band_loans: vec![100, 200, 700],
                cell_loans: vec![50, 150, 400, 50, 50, 300],
                revolving_loans: 300,
                fraud_loans: 4,
            },
            paths,
        }
    }

    /// [`sample`] with a book flow and a P&L on every path (2 vintages of 3 months over 4 months).
    fn sample_with_flow(first: u64, count: u64) -> ShardData {
        let mut data = sample(first, count);
        data.dims.vintages = 2;
        data.dims.events = 3;
        data.dims.pnl_lines = PNL_LINES;
        data.dims.provisions = true;
        data.dims.capital = true;
        for (k, p) in data.paths.iter_mut().enumerate() {
            let lines = |j: i64| {
                crate::accounting::PnlLines::from_values(std::array::from_fn(|i| {
                    [i64::MIN, i64::MAX, -1, 0][(i + j as usize) % 4] + k as i64 * i as i64
                }))
            };
            p.pnl = Some(Box::new(crate::accounting::PathPnl {
                monthly: (0..4).map(lines).collect(),
                segments: (5..7).map(lines).collect(),
                provisions: Some(crate::accounting::PathProvisions {
                    opening: i64::MIN + k as i64,
                    monthly: (0..4)
                        .map(|m| crate::accounting::ProvisionMonth {
                            allowance: -(m as i64),
                            stage_balance: [i64::MAX, m as i64, -1],
                            stage_accounts: [u32::MAX, k as u32, 0],
                        })
                        .collect(),
                }),
                capital: Some(
                    (0..4)
                        .map(|m| crate::accounting::CapitalMonth {
                            rwa: i64::MAX - m,
                            requirement: -(k as i64) - m,
                        })
                        .collect(),
                ),
            }));
            p.tally.event_months = vec![0, 4, k as u32 + 1];
            let mut f = crate::loan::BookFlow::new(4, 3, 2, 3);
            f.applications = vec![0, 7, u32::MAX, k as u32];
            f.booked_loans = vec![1000, 5, 6, 0];
            f.booked_balance = vec![i64::MAX, -1, 0, 3];
            f.renewed_loans = vec![0, 1, 2, k as u32];
            f.active_accounts = vec![9, 8, 7, 6];
            f.outstanding = vec![1, 2, 3, i64::MIN];
            f.segment_loans = vec![600, 411];
            f.segment_balance = vec![5, 6];
            f.band_loans = vec![1, 2, 1008];
            f.cell_loans = vec![1, 0, 599, 0, 2, 409];
            f.segment_booked_loans = vec![500, 5, 6, 0, 500, 0, 0, k as u32];
            f.segment_booked_balance = vec![i64::MAX, -1, 0, 3, 1, 2, i64::MIN, 4];
            f.vintage_defaults = (0..8).map(|i| i * 3 + k as u32).collect();
            f.vintage_loss = vec![-0.0, 0.1 + 0.2, f64::MIN_POSITIVE / 3.0, 1e300, 2.0, 3.0, 4.0, k as f64];
            p.tally.record_flow(f);
        }
        data
    }

    #[test]
    fn round_trip_keeps_every_bit_of_a_book_flow() {
        let data = sample_with_flow(3, 4);
        let bytes = encode_paths(&data).unwrap();
        assert_eq!(
            bytes.len(),
            HEADER_BYTES + data.dims.profile_bytes() + 4 * data.dims.path_bytes()
        );
        let back = decode_paths(&bytes).unwrap();
        assert_eq!(bits(&back), bits(&data));
        assert_eq!(encode_paths(&back).unwrap(), bytes);
        // A path without its flow or its P&L does not have the shape the header announces.
        let mut broken = data.clone();
        broken.paths[1].tally.flow = None;
        assert!(matches!(encode_paths(&broken), Err(CodecError::Shape { .. })));
        let mut broken = data.clone();
        broken.paths[2].pnl = None;
        assert!(matches!(encode_paths(&broken), Err(CodecError::Shape { .. })));
        let mut broken = data.clone();
        broken.paths[0].pnl.as_mut().unwrap().segments.pop();
        assert!(matches!(encode_paths(&broken), Err(CodecError::Shape { .. })));
    }

    /// Compares bit patterns, so that NaN payloads and -0.0 count.
    fn bits(data: &ShardData) -> Vec<u8> {
        format!("{data:?}").into_bytes()
    }

    #[test]
    fn round_trip_keeps_every_bit() {
        for (first, count) in [(0, 0), (0, 1), (17, 5), (u64::MAX - 3, 3)] {
            let data = sample(first, count);
            let bytes = encode_paths(&data).unwrap();
            assert_eq!(
                bytes.len(),
                HEADER_BYTES + dims().profile_bytes() + count as usize * dims().path_bytes()
            );
            let back = decode_paths(&bytes).unwrap();
            assert_eq!(bits(&back), bits(&data));
            for (a, b) in back.paths.iter().zip(&data.paths) {
                assert_eq!(a.tally.loss.to_bits(), b.tally.loss.to_bits());
                assert_eq!(a.tally.monthly_loss[0].to_bits(), b.tally.monthly_loss[0].to_bits());
                assert_eq!(a.factors[1][1].to_bits(), b.factors[1][1].to_bits());
            }
            assert_eq!(encode_paths(&back).unwrap(), bytes, "re-encoding is byte-identical");
        }
    }

    #[test]
    fn header_is_little_endian_and_versioned() {
        let bytes = encode_paths(&sample(5, 2)).unwrap();
        assert_eq!(&bytes[..8], b"CSSHARD\0");
        assert_eq!(bytes[8..12], FORMAT_VERSION.to_le_bytes());
        assert_eq!(bytes[12..16], 2u32.to_le_bytes());
        assert_eq!(bytes[28..32], 0u32.to_le_bytes(), "no vintages in a run-off book");
        assert_eq!(bytes[36..40], 0u32.to_le_bytes(), "no events");
        assert_eq!(bytes[40..44], 0u32.to_le_bytes(), "no P&L");
        assert_eq!(bytes[44..48], 0u32.to_le_bytes(), "no provisions");
        assert_eq!(bytes[48..56], 5u64.to_le_bytes());
        assert_eq!(bytes[56..64], 2u64.to_le_bytes());
    }

    #[test]
    fn damaged_bytes_are_refused() {
        let bytes = encode_paths(&sample(0, 3)).unwrap();
        assert_eq!(decode_paths(b"hello"), Err(CodecError::BadMagic));
        assert!(
            decode_paths(&bytes[..bytes.len() - 1])
                .unwrap_err()
                .to_string()
                .contains("truncated")
        );
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(decode_paths(&longer), Err(CodecError::Length { .. })));
        assert!(matches!(decode_paths(&bytes[..20]), Err(CodecError::Length { .. })));
        let mut other = bytes.clone();
        other[8] = 1;
        assert_eq!(decode_paths(&other), Err(CodecError::UnsupportedVersion { found: 1 }));
        let mut shuffled = bytes.clone();
        let at = HEADER_BYTES + dims().profile_bytes();
        shuffled[at] = 9;
        assert!(matches!(
            decode_paths(&shuffled),
            Err(CodecError::Index {
                position: 0,
                found: 9,
                ..
            })
        ));
    }

    #[test]
    fn outcomes_of_the_wrong_shape_are_refused() {
        let mut data = sample(0, 2);
        data.paths[1].factors[0].pop();
        assert!(matches!(encode_paths(&data), Err(CodecError::Shape { .. })));
        let mut data = sample(0, 2);
        data.paths[1].index = 7;
        assert!(matches!(encode_paths(&data), Err(CodecError::Index { .. })));
    }
}

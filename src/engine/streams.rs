//! Random streams derived from (seed, path, purpose, item) alone.
//!
//! No stream depends on thread identity or iteration order, which is what
//! makes a run bitwise identical on 1 or N threads, and what lets two policies
//! share the same draws for the same borrower (common random numbers).
//! Each purpose has its own stream so that adding a feature that draws more
//! numbers in one place does not shift the draws of another.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 finaliser: a bijective mix of 64 bits.
#[inline(always)]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What a stream is used for. The discriminants are part of the output
/// format: changing one changes every result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Drawing the borrower population.
    Population = 1,
    /// AR(1) noise of the macro factors.
    MacroNoise = 2,
    /// Markov regime chain.
    Regime = 3,
    /// Whether and when shocks happen.
    Shock = 4,
    /// Whether the outage happens.
    Outage = 5,
    /// One uniform per loan-month: missed payment, prepayment, roll, cure.
    LoanEvents = 6,
    /// LGD draws at charge-off.
    Lgd = 7,
    /// Policy draws (forbearance take-up), apart from the loan events.
    Policy = 8,
    /// Whether and when fraud attacks start.
    Fraud = 9,
    /// How many applicants arrive in a segment's month.
    Applications = 10,
    /// An applicant's attributes (score, income, product, amount).
    Applicants = 11,
    /// Loan events of a loan booked during the run.
    OriginatedEvents = 12,
    /// LGD draws of a loan booked during the run.
    OriginatedLgd = 13,
    /// Policy draws of a loan booked during the run.
    OriginatedPolicy = 14,
    /// Whether and when path-level events (industry tightening, seed-risk events) happen.
    Events = 15,
    /// Borrower attributes drawn at stepping time (debt on other platforms).
    Borrowers = 16,
    /// Whether importance sampling shifts a path's factor (the defensive mixture's choice).
    Sampling = 17,
}

/// Key of the stream for `(seed, path, purpose)`; `path = u64::MAX` marks
/// run-level streams such as the population drawn once.
pub fn stream_key(seed: u64, path: u64, purpose: Purpose) -> u64 {
    mix64(mix64(mix64(seed ^ 0x6372_6564_6974_7374) ^ path.wrapping_mul(GOLDEN_GAMMA)) ^ purpose as u64)
}

/// Path index used for streams that belong to the whole run.
pub const RUN_LEVEL: u64 = u64::MAX;

/// The key of item `index` within the stream whose key is `key` (the seed
/// [`item_rng`] starts from).
pub fn item_key(key: u64, index: u64) -> u64 {
    mix64(key ^ mix64(index.wrapping_add(GOLDEN_GAMMA)))
}

/// A general-purpose generator for item `index` of a stream (a segment, a
/// factor, a loan's LGD), for draws that need a full `rand` generator.
pub fn item_rng(key: u64, index: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(item_key(key, index))
}

/// A loan's stream of raw 64-bit uniforms for one path: SplitMix64 started
/// at a hash of (path key, loan id). One draw costs about a nanosecond.
///
/// A uniform `u` is compared with thresholds `p * 2^64`, so an event of
/// probability `p` happens when `u < threshold`.
#[derive(Debug, Clone)]
pub struct LoanStream {
    state: u64,
}

impl LoanStream {
    /// The stream of loan `loan_id` within the path whose key is `path_key`.
    #[inline(always)]
    pub fn new(path_key: u64, loan_id: u64) -> Self {
        Self::from_id_hash(path_key, Self::id_hash(loan_id))
    }

    /// The path-independent half of the seed of loan `loan_id`'s streams
    /// (computed once per run by the fast path).
    #[inline(always)]
    pub fn id_hash(loan_id: u64) -> u64 {
        mix64(loan_id.wrapping_add(GOLDEN_GAMMA))
    }

    /// [`LoanStream::new`] from the loan's [`LoanStream::id_hash`].
    #[inline(always)]
    pub fn from_id_hash(path_key: u64, id_hash: u64) -> Self {
        Self {
            state: mix64(path_key ^ id_hash),
        }
    }

    /// Next raw uniform on [0, 2^64).
    #[inline(always)]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix64(self.state)
    }
}

/// The first uniform of many loans' streams on one path:
/// `out[i] = LoanStream::from_id_hash(path_key, id_hashes[i]).next_u64()`,
/// the same numbers, computed several loans per vector instruction where the
/// CPU has 64-bit vector multiplies (AVX-512 DQ, detected at run time; the
/// portable loop otherwise). The fast path draws each loan's only uniform
/// this way.
pub fn first_uniforms(path_key: u64, id_hashes: &[u64], out: &mut [u64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512dq") {
        // SAFETY: the CPU has AVX-512 F and DQ (detected just above; DQ implies F).
        return unsafe { first_uniforms_avx512(path_key, id_hashes, out) };
    }
    first_uniforms_portable(path_key, id_hashes, out);
}

#[inline(always)]
fn first_uniforms_portable(path_key: u64, id_hashes: &[u64], out: &mut [u64]) {
    for (u, &hash) in out.iter_mut().zip(id_hashes) {
        *u = LoanStream::from_id_hash(path_key, hash).next_u64();
    }
}

/// The portable loop compiled for AVX-512 (LLVM vectorises it with `vpmullq`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
unsafe fn first_uniforms_avx512(path_key: u64, id_hashes: &[u64], out: &mut [u64]) {
    first_uniforms_portable(path_key, id_hashes, out);
}

/// The threshold `floor(p * 2^64)` (saturating at `u64::MAX` for `p >= 1`),
/// so that `u < threshold` has probability `p` for a uniform 64-bit `u`.
#[inline]
pub fn threshold(p: f64) -> u64 {
    // `as` saturates: p <= 0 (or NaN) gives 0, p >= 1 gives u64::MAX.
    (p * 18_446_744_073_709_551_616.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_values_pin_the_streams() {
        // A change here changes every published result: bump the version.
        let key = stream_key(7, 0, Purpose::LoanEvents);
        let mut s = LoanStream::new(key, 0);
        let first = [s.next_u64(), s.next_u64()];
        let mut again = LoanStream::new(key, 0);
        assert_eq!(first, [again.next_u64(), again.next_u64()]);
        assert_ne!(
            stream_key(7, 0, Purpose::LoanEvents),
            stream_key(7, 1, Purpose::LoanEvents)
        );
        assert_ne!(stream_key(7, 0, Purpose::LoanEvents), stream_key(7, 0, Purpose::Lgd));
        assert_ne!(
            stream_key(7, 0, Purpose::LoanEvents),
            stream_key(8, 0, Purpose::LoanEvents)
        );
        assert_eq!(mix64(0), 0);
        assert_eq!(mix64(1), 0x5692_161D_100B_05E5);
    }

    #[test]
    fn first_uniforms_are_the_streams_first_draws() {
        // Lengths around the vector widths, so remainders are covered; the
        // vector kernel runs where the CPU has it, the portable loop always.
        let key = stream_key(11, 3, Purpose::LoanEvents);
        for n in [0usize, 1, 7, 8, 9, 63, 64, 65, 1000] {
            let hashes: Vec<u64> = (0..n as u64).map(|id| LoanStream::id_hash(id * 7 + 1)).collect();
            let (mut out, mut portable) = (vec![0; n], vec![0; n]);
            first_uniforms(key, &hashes, &mut out);
            first_uniforms_portable(key, &hashes, &mut portable);
            for (id, (u, p)) in (0..n as u64).zip(out.iter().zip(&portable)) {
                let expected = LoanStream::new(key, id * 7 + 1).next_u64();
                assert_eq!((*u, *p), (expected, expected), "n {n}, loan {id}");
            }
        }
    }

    #[test]
    fn thresholds_are_exact_at_the_ends() {
        assert_eq!(threshold(0.0), 0);
        assert_eq!(threshold(-1.0), 0);
        assert_eq!(threshold(1.0), u64::MAX);
        assert_eq!(threshold(0.5), 1 << 63);
    }

    #[test]
    fn loan_stream_uniforms_have_the_right_mean() {
        // Mean of n uniforms on [0,1): 0.5 +- 4 sd with sd = sqrt(1/12/n).
        let n = 200_000;
        let mut sum = 0.0;
        for loan in 0..n {
            let mut s = LoanStream::new(stream_key(1, 0, Purpose::LoanEvents), loan);
            sum += s.next_u64() as f64 / 2f64.powi(64);
        }
        let mean = sum / n as f64;
        let sd = (1.0 / 12.0 / n as f64).sqrt();
        assert!((mean - 0.5).abs() < 4.0 * sd, "mean {mean}");
    }
}

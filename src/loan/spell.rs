//! A current loan's months until its next event, drawn by inversion.
//!
//! A current loan has, each month `t`, one chance `e_t` of an event (a
//! missed payment, a prepayment, a failed debit, an account takeover: the
//! any-event threshold of [`PathTables`](super::PathTables)). Month by
//! month, that is one uniform per month until one falls below its threshold.
//! The same law comes from one uniform per spell: with the survival curve
//! `S_t = prod_{s <= t} (1 - e_s)` (and `S_{-1} = 1`), a spell that starts
//! current in month `t0` has its first event in month `t` when
//! `S_t < r S_{t0-1} <= S_{t-1}` for `r` uniform on `(0, 1]`, and where
//! `r S_{t0-1}` falls inside that month's drop decides which event it is
//! (see [`SpellCurves::spell`]). A loan that stays current all its life then
//! costs one draw and one compare instead of one of each per month.
//!
//! A spell that stops without an event (a limit review, an early-warning
//! cut, a rate cap, the end of a liquidity shock: anything that changes the
//! account or the curve from a month on) hands on its residual uniform
//! `r S_{t0-1} / S_{end-1}`, which is uniform on `(0, 1]` again given no
//! event so far: the loan's months are decided by one uniform from its last
//! event to its next one whatever splits the spell. That keeps common random
//! numbers across policies: a lever that does not change a loan's hazard
//! leaves its event month where it was, and one that raises the hazard
//! moves the event earlier, never later, on the same uniform.

use crate::engine::streams::LoanStream;

/// `2^-64`: a threshold's probability.
const UNIT_OF_THRESHOLD: f64 = 1.0 / 18_446_744_073_709_551_616.0;

/// Below this, a spell's start cannot be rescaled without underflow (the
/// smallest `r` is `2^-53`): such a spell draws month by month.
const TINY_SURVIVAL: f64 = 1e-280;

/// Per-path survival curves of current spells: one row of `horizon + 1`
/// values `[S_{-1} = 1, S_0, ..., S_{horizon-1}]` per grade of each kind of
/// current spell the scenario has (an ordinary borrower's, a multi-platform
/// borrower's, one in a liquidity shock), and per segment for borrowers in a
/// forbearance plan (whose re-default rate is per segment).
#[derive(Debug, Clone, Default)]
pub struct SpellCurves {
    horizon: usize,
    grades: usize,
    survival: Vec<f64>,
    /// First row of each kind after the ordinary one (`usize::MAX`: none).
    contagion: usize,
    shocked: usize,
    plan: usize,
}

/// Which survival curve a spell follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpellKind {
    /// An ordinary current borrower.
    Current,
    /// A borrower with debt on other platforms (the contagion thresholds).
    MultiPlatform,
    /// A borrower in an early-warning cut's liquidity shock.
    Shocked,
    /// A borrower in a forbearance plan (per segment).
    Plan,
}

impl SpellCurves {
    /// The curves of a path from its any-event thresholds: `event`,
    /// `contagion_event` and `shocked_event` laid out `[t * grades + grade]`
    /// (the last two empty when the scenario has no such borrowers), filled
    /// for `used_grades` only; `plan(segment, t)` the threshold of a plan
    /// borrower's event, for `plan_segments` segments (0 without forbearance).
    pub fn new(
        horizon: usize,
        grades: usize,
        used_grades: &[u32],
        [event, contagion_event, shocked_event]: [&[u64]; 3],
        plan_segments: usize,
        plan: impl Fn(usize, usize) -> u64,
    ) -> Self {
        let width = horizon + 1;
        let blocks = [event, contagion_event, shocked_event];
        let mut first_row = [usize::MAX; 3];
        let mut rows = 0;
        for (first, block) in first_row.iter_mut().zip(blocks) {
            if !block.is_empty() {
                *first = rows;
                rows += grades;
            }
        }
        let plan_row = if plan_segments > 0 { rows } else { usize::MAX };
        rows += plan_segments;
        let mut survival = vec![1.0; rows * width];
        let curve = |row: &mut [f64], threshold: &dyn Fn(usize) -> u64| {
            let mut s = 1.0;
            for t in 0..horizon {
                s *= 1.0 - threshold(t) as f64 * UNIT_OF_THRESHOLD;
                row[t + 1] = s;
            }
        };
        for (&first, block) in first_row.iter().zip(blocks) {
            if first == usize::MAX {
                continue;
            }
            for &g in used_grades {
                let g = g as usize;
                let row = &mut survival[(first + g) * width..(first + g + 1) * width];
                curve(row, &|t| block[t * grades + g]);
            }
        }
        for s in 0..plan_segments {
            let row = &mut survival[(plan_row + s) * width..(plan_row + s + 1) * width];
            curve(row, &|t| plan(s, t));
        }
        SpellCurves {
            horizon,
            grades,
            survival,
            contagion: first_row[1],
            shocked: first_row[2],
            plan: plan_row,
        }
    }

    /// Every row, one after another (`[row * (horizon + 1) + t + 1]` is
    /// `S_t` of the row; a grade's ordinary row is its index).
    pub fn flat(&self) -> &[f64] {
        &self.survival
    }

    /// The survival row of a spell of `kind` for a loan of `grade` in `segment`.
    #[inline(always)]
    pub fn row(&self, kind: SpellKind, grade: usize, segment: usize) -> &[f64] {
        let row = match kind {
            SpellKind::Current => grade,
            SpellKind::MultiPlatform => self.contagion + grade,
            SpellKind::Shocked => self.shocked + grade,
            SpellKind::Plan => self.plan + segment,
        };
        debug_assert!(kind == SpellKind::Plan || grade < self.grades);
        let width = self.horizon + 1;
        &self.survival[row * width..(row + 1) * width]
    }
}

/// A loan's uniform for its current months, carried from spell to spell
/// until an event uses it (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
pub struct Residual(Option<f64>);

impl Residual {
    /// Draws the current months from `*t` to at most `end` on the survival
    /// row `survival` (from [`SpellCurves::row`]) whose monthly any-event
    /// thresholds are `threshold(t)`. Returns `None` with `*t == end` when
    /// the loan stays current (the residual uniform is kept for the next
    /// spell), or the event's month in `*t` and a uniform `u < threshold(*t)`
    /// that says which event it is, distributed on `[0, threshold(*t))` as
    /// the month's own draw would be given an event.
    ///
    /// A spell starting where the curve is already 0 or nearly (a month
    /// before it had an event for certain, so `S` cannot be rescaled) draws
    /// month by month.
    #[inline(always)]
    pub fn spell(
        &mut self,
        rng: &mut LoanStream,
        t: &mut usize,
        end: usize,
        survival: &[f64],
        threshold: impl Fn(usize) -> u64,
    ) -> Option<u64> {
        if *t >= end {
            return None;
        }
        let start = survival[*t];
        if start < TINY_SURVIVAL {
            self.0 = None;
            return month_by_month(rng, t, end, threshold);
        }
        let r = self.0.take().unwrap_or_else(|| open_unit(rng.next_u64()));
        let target = r * start;
        let months = &survival[*t + 1..end + 1];
        let last = months[months.len() - 1];
        if last >= target {
            // Current to the end: given that, target / S_{end-1} is uniform on (0, 1].
            self.0 = Some((target / last).min(1.0));
            *t = end;
            return None;
        }
        // S is non-increasing, so the months still current are those with
        // S >= target: counted without branches (the compiler vectorises the
        // count), where a binary search is a chain of dependent loads.
        let month = *t + months.iter().filter(|&&s| s >= target).count();
        let (before, after) = (survival[month], survival[month + 1]);
        // Where the target falls in the month's drop, uniform on [0, 1).
        let within = (before - target) / (before - after);
        let th = threshold(month);
        *t = month;
        Some(((within * th as f64) as u64).min(th.saturating_sub(1)))
    }
}

/// `1 - k 2^-53` for the top 53 bits `k` of `u`: uniform on `(0, 1]`.
#[inline(always)]
pub(super) fn open_unit(u: u64) -> f64 {
    1.0 - (u >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Draws months until `u < threshold(t)` (returns that `u`, with `t` at the
/// event month) or `t` reaches `end` (returns `None`).
#[cold]
fn month_by_month(rng: &mut LoanStream, t: &mut usize, end: usize, threshold: impl Fn(usize) -> u64) -> Option<u64> {
    while *t < end {
        let u = rng.next_u64();
        if u < threshold(*t) {
            return Some(u);
        }
        *t += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::streams::threshold;

    /// One grade, no other kinds, from monthly event probabilities.
    fn curves(p: &[f64]) -> (SpellCurves, Vec<u64>) {
        let th: Vec<u64> = p.iter().map(|&p| threshold(p)).collect();
        let c = SpellCurves::new(p.len(), 1, &[0], [&th, &[], &[]], 0, |_, _| 0);
        (c, th)
    }

    #[test]
    fn survival_rows_are_products_of_the_monthly_chances() {
        let (c, _) = curves(&[0.1, 0.2, 0.0, 1.0]);
        let row = c.row(SpellKind::Current, 0, 0);
        let want = [1.0, 0.9, 0.72, 0.72, 0.0];
        for (got, want) in row.iter().zip(want) {
            assert!((got - want).abs() < 1e-15, "{row:?}");
        }
    }

    /// The month and kind of the first event against the month-by-month law:
    /// counts of (event month, below the month's first split) over 200,000
    /// spells inside 4.5 binomial standard errors of their probabilities, and
    /// the residual carried over a split gives the same law as no split.
    #[test]
    fn inversion_has_the_law_of_one_draw_a_month() {
        let p = [0.05, 0.3, 0.0, 0.12, 0.5, 0.02];
        let split = [0.02, 0.1, 0.0, 0.05, 0.25, 0.0]; // the miss part of each month's chance
        let (c, th) = curves(&p);
        let row = c.row(SpellKind::Current, 0, 0);
        let n = 200_000u64;
        for split_at in [None, Some(2usize), Some(4)] {
            let mut counts = vec![[0u64; 2]; p.len() + 1];
            for i in 0..n {
                let mut rng = LoanStream::new(0x5eed, i);
                let mut residual = Residual::default();
                let mut t = 0;
                let mut event = None;
                let stops: Vec<usize> = split_at.into_iter().chain([p.len()]).collect();
                for end in stops {
                    event = residual.spell(&mut rng, &mut t, end, row, |t| th[t]);
                    if event.is_some() {
                        break;
                    }
                }
                match event {
                    Some(u) => counts[t][usize::from(u < threshold(split[t]))] += 1,
                    None => counts[p.len()][0] += 1,
                }
            }
            let mut alive = 1.0;
            for t in 0..=p.len() {
                let (miss, other) = if t < p.len() {
                    (alive * split[t], alive * (p[t] - split[t]))
                } else {
                    (0.0, alive)
                };
                for (prob, got) in [(other, counts[t][0]), (miss, counts[t][1])] {
                    let se = (n as f64 * prob * (1.0 - prob)).sqrt().max(1.0);
                    let z = (got as f64 - n as f64 * prob) / se;
                    assert!(
                        z.abs() < 4.5,
                        "split {split_at:?} month {t}: {got} vs {} (z {z:.2})",
                        n as f64 * prob
                    );
                }
                if t < p.len() {
                    alive *= 1.0 - p[t];
                }
            }
        }
    }

    #[test]
    fn a_spell_after_a_certain_event_draws_month_by_month() {
        let (c, th) = curves(&[1.0, 0.5, 0.5]);
        let row = c.row(SpellKind::Current, 0, 0);
        // Starting in month 1, after S has reached 0: still a valid draw.
        let (mut hits, n) = (0, 20_000);
        for i in 0..n {
            let mut rng = LoanStream::new(7, i);
            let mut t = 1;
            if Residual::default().spell(&mut rng, &mut t, 2, row, |t| th[t]).is_some() {
                hits += 1;
            }
        }
        let z = (hits as f64 - n as f64 * 0.5) / (n as f64 * 0.25).sqrt();
        assert!(z.abs() < 4.5, "{hits} of {n}");
    }
}

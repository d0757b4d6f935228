#!/usr/bin/env python3
"""The NumPy peer of issue 18: a monthly-stepping credit model an analyst
writes in an afternoon, run on the same book and model as
benches/peers/monthly_peer.toml so that both engines do the same work.

Model (one factor, one core):
  - 4 score bands with shares 30/35/25/10%, annual PD 1/3/6/12%,
    asset correlation rho 0.10/0.12/0.15/0.15, fixed LGD 0.45/0.55/0.65/0.75,
    APR 12/18/24/30% (monthly rate APR/12);
  - installment loans, terms uniform on {3, 6, 9, 12} months, principal
    log-normal (median 2,000, sigma 0.8), equal-installment amortisation;
  - the factor Z_t is a unit-variance AR(1) with phi = 0.8
    (Z_1 ~ N(0, 1), Z_t = phi Z_(t-1) + sqrt(1 - phi^2) e_t);
  - each month a live loan defaults with the Vasicek conditional probability
    p_t = Phi((Phi^-1(h) - sqrt(rho) Z_t) / sqrt(1 - rho)), h = 1 - (1 - PD)^(1/12)
    the monthly hazard; a loan defaults at most once, and a loan past its
    term is repaid;
  - the loss of a default in month t is EAD x LGD with EAD the annuity
    balance after the t - 1 payments made before it.

`book` writes the book as a creditstress book file (the engine then reads
exactly these loans); `run` simulates it and prints one JSON line: the
mean, standard deviation and 99% quantile of the path loss, the loan-months
stepped, and the seconds of the simulation loop alone.

Run only by benches/peers/run.sh, never by `cargo test`.
"""

import argparse
import json
import math
import statistics
import sys
import time

import numpy as np

BANDS = ["band_a", "band_b", "band_c", "band_d"]
SHARES = np.array([0.30, 0.35, 0.25, 0.10])
PD_ANNUAL = np.array([0.01, 0.03, 0.06, 0.12])
RHO = np.array([0.10, 0.12, 0.15, 0.15])
LGD = np.array([0.45, 0.55, 0.65, 0.75])
APR = np.array([0.12, 0.18, 0.24, 0.30])
TERMS = np.array([3, 6, 9, 12])
PHI = 0.8
HORIZON = 12


def monthly_hazard():
    return 1.0 - (1.0 - PD_ANNUAL) ** (1.0 / 12.0)


def draw_book(loans, seed):
    """The loans: band, principal (cents), monthly rate, term."""
    rng = np.random.default_rng(seed)
    band = rng.choice(4, size=loans, p=SHARES)
    principal = np.round(2000.0 * np.exp(0.8 * rng.standard_normal(loans)), 2)
    principal = np.maximum(principal, 1.0)
    term = rng.choice(TERMS, size=loans)
    rate = APR[band] / 12.0
    return band, principal, rate, term


def write_book(path, book):
    band, principal, rate, term = book
    with open(path, "w") as f:
        f.write("loan_id,segment,product,amortisation,balance,limit,rate_monthly,term_months,dpd,score\n")
        for i in range(len(band)):
            f.write(
                f"{i},{BANDS[band[i]]},installment,equal_installment,{principal[i]:.2f},"
                f"{principal[i]:.2f},{float(rate[i])!r},{term[i]},0,650\n"
            )


def annuity_balances(principal, rate, term):
    """Balance before the payment of month t (t = 0..HORIZON-1); 0 after the term."""
    growth = (1.0 + rate)[:, None] ** np.arange(HORIZON)[None, :]
    total = (1.0 + rate) ** term
    bal = principal[:, None] * (total[:, None] - growth) / (total - 1.0)[:, None]
    bal[np.arange(HORIZON)[None, :] >= term[:, None]] = 0.0
    return bal


def simulate(book, paths, seed, block):
    band, principal, rate, term = book
    n = len(band)
    rng = np.random.default_rng(seed + 1)
    probit = np.array([statistics.NormalDist().inv_cdf(h) for h in monthly_hazard()])
    sqrt_rho = np.sqrt(RHO)
    inv_sqrt_idio = 1.0 / np.sqrt(1.0 - RHO)
    # Loss of a default in month t: EAD x LGD, per loan.
    loss_if_default = annuity_balances(principal, rate, term) * LGD[band][:, None]
    active = (np.arange(HORIZON)[None, :] < term[:, None])  # (n, T)
    losses = np.empty(paths)
    loan_months = 0
    start = time.perf_counter()
    for first in range(0, paths, block):
        b = min(block, paths - first)
        z = np.empty((b, HORIZON))
        z[:, 0] = rng.standard_normal(b)
        for t in range(1, HORIZON):
            z[:, t] = PHI * z[:, t - 1] + math.sqrt(1.0 - PHI * PHI) * rng.standard_normal(b)
        # Conditional PD per (path, month, band), then per loan.
        x = (probit[None, None, :] - sqrt_rho[None, None, :] * z[:, :, None]) * inv_sqrt_idio
        p_band = 0.5 * np.vectorize(math.erfc)(-x / math.sqrt(2.0))  # (b, T, 4)
        alive = np.ones((b, n), dtype=bool)
        loss = np.zeros(b)
        for t in range(HORIZON):
            live = alive & active[None, :, t]
            loan_months += int(live.sum())
            p = p_band[:, t, :][:, band]  # (b, n)
            default = live & (rng.random((b, n)) < p)
            loss += default @ loss_if_default[:, t]
            alive &= ~default
        losses[first:first + b] = loss
    seconds = time.perf_counter() - start
    return losses, loan_months, seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("book", help="write the book as a creditstress book CSV")
    b.add_argument("--loans", type=int, default=10_000)
    b.add_argument("--seed", type=int, default=2026)
    b.add_argument("--out", required=True)
    r = sub.add_parser("run", help="simulate and print one JSON line")
    r.add_argument("--loans", type=int, default=10_000)
    r.add_argument("--paths", type=int, default=10_000)
    r.add_argument("--seed", type=int, default=2026)
    r.add_argument("--block", type=int, default=0, help="paths per vectorised block (0: about 10^6 cells)")
    args = ap.parse_args()
    book = draw_book(args.loans, args.seed)
    if args.cmd == "book":
        write_book(args.out, book)
        return
    block = args.block or max(1, 1_000_000 // args.loans)
    losses, loan_months, seconds = simulate(book, args.paths, args.seed, block)
    exposure = float(book[1].sum())
    json.dump(
        {
            "engine": "numpy",
            "loans": args.loans,
            "paths": args.paths,
            "exposure": exposure,
            "el": float(losses.mean()),
            "el_std_error": float(losses.std(ddof=1) / math.sqrt(len(losses))),
            "loss_std": float(losses.std(ddof=1)),
            "var_0.99": float(np.quantile(losses, 0.99)),
            "loan_months": loan_months,
            "loop_seconds": seconds,
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The one-period NumPy peer of issue 18: the Vasicek model of
scenarios/validation/vasicek.toml, loan by loan, as an analyst writes it.

n identical exposures of 10,000, PD 2%, asset correlation 0.15, LGD 45%:
per path a standard normal Z, each loan defaults when its uniform is below
p(Z) = Phi((Phi^-1(PD) - sqrt(rho) Z) / sqrt(1 - rho)), and the loss is
10,000 x 0.45 x the number of defaults. (Drawing the count as one binomial
per path would be faster and exact here; the peer draws per loan, as the
engine does, because a real book's loans differ.)

Prints one JSON line: the mean, standard deviation and 99% quantile of the
path loss and the seconds of the simulation loop alone. Run only by
benches/peers/run.sh, never by `cargo test`.
"""

import argparse
import json
import math
import statistics
import sys
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--loans", type=int, default=1000)
    ap.add_argument("--paths", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--pd", type=float, default=0.02)
    ap.add_argument("--rho", type=float, default=0.15)
    ap.add_argument("--lgd", type=float, default=0.45)
    ap.add_argument("--exposure", type=float, default=10_000.0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    a = statistics.NormalDist().inv_cdf(args.pd)
    block = max(1, 1_000_000 // args.loans)
    losses = np.empty(args.paths)
    start = time.perf_counter()
    for first in range(0, args.paths, block):
        b = min(block, args.paths - first)
        z = rng.standard_normal(b)
        x = (a - math.sqrt(args.rho) * z) / math.sqrt(1.0 - args.rho)
        p = 0.5 * np.vectorize(math.erfc)(-x / math.sqrt(2.0))
        defaults = (rng.random((b, args.loans)) < p[:, None]).sum(axis=1)
        losses[first:first + b] = defaults * args.exposure * args.lgd
    seconds = time.perf_counter() - start
    json.dump(
        {
            "engine": "numpy",
            "loans": args.loans,
            "paths": args.paths,
            "el": float(losses.mean()),
            "el_std_error": float(losses.std(ddof=1) / math.sqrt(len(losses))),
            "loss_std": float(losses.std(ddof=1)),
            "var_0.99": float(np.quantile(losses, 0.99)),
            "loop_seconds": seconds,
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()

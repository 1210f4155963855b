#!/usr/bin/env python3
"""A seeded synthetic binary-classification CSV of any size for the train.py memory benchmark:
numbers with gaps, a 5-label and a 200-label category, a yes/no flag, a timestamp and target y.

    python3 bench/python-export/generate.py ROWS OUT.csv [SEED]

Written in chunks of 100,000 rows, so the generator itself stays small.
"""
import sys

import numpy as np


def main():
    rows, out = int(sys.argv[1]), sys.argv[2]
    rng = np.random.default_rng(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
    colors = np.array(["red", "green", "blue", "teal", "plum"])
    with open(out, "w", encoding="utf-8") as f:
        f.write("id,x,n2,color,city,flag,when,y\n")
        for start in range(0, rows, 100_000):
            n = min(100_000, rows - start)
            x = rng.normal(40, 25, n)
            n2 = rng.exponential(2, n)
            color = colors[np.minimum((rng.random(n) ** 2 * 5).astype(int), 4)]
            city = rng.integers(0, 200, n)
            flag = rng.random(n) < 0.6
            when = np.datetime64("2023-01-01T00:00") + rng.integers(0, 365 * 24 * 60, n).astype("timedelta64[m]")
            logit = 0.04 * (x - 40) - 0.3 * n2 + 1.2 * (color == "red") + 0.5 * flag + 0.004 * (city - 100)
            y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
            x_text = np.where(rng.random(n) < 0.05, "", np.char.mod("%.3f", x))
            lines = [
                f"r{start + i},{x_text[i]},{n2[i]:.2f},{color[i]},c{city[i]},{'yes' if flag[i] else 'no'},"
                f"{str(when[i]).replace('T', ' ')}:00,{y[i]}\n"
                for i in range(n)
            ]
            f.writelines(lines)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes oracle.tsv: CVSS vectors and the scores an independent implementation gives them.

The scores come from the Python library `cvss` (Red Hat Product Security,
https://github.com/RedHatProductSecurity/cvss), version 3.6 when this file was last generated:

    pip install cvss==3.6
    python3 make_oracle.py          # from this directory; rewrites oracle.tsv

`tests/cvss_oracle.rs` parses every vector with `bulwark_vuln::cvss::parse` and requires the
score to be exactly the library's. The library computes v2 and v3 in `Decimal` arithmetic and
v4 by its port of FIRST's reference calculator, so it shares no code with ours.

What is written (fixed seed, so a rerun gives the same file):
- v3.1 and v3.0: every vector whose base metrics are all at their most or least severe value
  (256 each), and 400 random base vectors each, a third of them with random temporal and
  environmental metrics appended (the score is the base score: they must not change it);
- v2.0: the 64 extreme vectors and 300 random ones, a third with temporal/environmental
  metrics;
- v4.0: 64 of the 2,048 extreme base vectors, 600 random base vectors, and 150 random
  vectors with threat (E), environmental (CR/IR/AR and the modified metrics, X included)
  and supplemental metrics; the score is the library's `base_score`, which for v4 uses all
  of them (CVSS-BTE);
- v4.0 rounding ties: 40 base vectors (from all 104,976) and 20 vectors with threat and
  environmental metrics whose unrounded score the library computes a hair below an x.x5 tie
  (floating-point noise that both the library and FIRST's reference calculator round up). The
  unrounded score is read by wrapping the library's `cvss.cvss4.final_rounding`;
- v4.0 macro-vector coverage: for each of the 270 macro vectors (EQ1..EQ6, as the library's
  `macroVector()` classifies), two vectors with some impact that fall in it, so that every
  entry of the specification's lookup table is the starting score of some vector. They are
  found by a random walk from a random vector, changing one metric at a time and keeping
  changes that bring the library's macro vector no further from the target.
One vector in ten is written with its metrics shuffled, since either side must accept any order.
"""

import itertools
import math
import os
import random
from decimal import Decimal
from importlib.metadata import version as package_version

import cvss.cvss4
from cvss import CVSS2, CVSS3, CVSS4

SEED = 20240601
HERE = os.path.dirname(os.path.abspath(__file__))

V2_BASE = [
    ("AV", ["L", "A", "N"]),
    ("AC", ["H", "M", "L"]),
    ("Au", ["M", "S", "N"]),
    ("C", ["N", "P", "C"]),
    ("I", ["N", "P", "C"]),
    ("A", ["N", "P", "C"]),
]
V2_OPTIONAL = [
    ("E", ["U", "POC", "F", "H", "ND"]),
    ("RL", ["OF", "TF", "W", "U", "ND"]),
    ("RC", ["UC", "UR", "C", "ND"]),
    ("CDP", ["N", "L", "LM", "MH", "H", "ND"]),
    ("TD", ["N", "L", "M", "H", "ND"]),
    ("CR", ["L", "M", "H", "ND"]),
    ("IR", ["L", "M", "H", "ND"]),
    ("AR", ["L", "M", "H", "ND"]),
]
V3_BASE = [
    ("AV", ["N", "A", "L", "P"]),
    ("AC", ["L", "H"]),
    ("PR", ["N", "L", "H"]),
    ("UI", ["N", "R"]),
    ("S", ["U", "C"]),
    ("C", ["H", "L", "N"]),
    ("I", ["H", "L", "N"]),
    ("A", ["H", "L", "N"]),
]
V3_OPTIONAL = [
    ("E", ["X", "U", "P", "F", "H"]),
    ("RL", ["X", "O", "T", "W", "U"]),
    ("RC", ["X", "U", "R", "C"]),
    ("CR", ["X", "L", "M", "H"]),
    ("IR", ["X", "L", "M", "H"]),
    ("AR", ["X", "L", "M", "H"]),
    ("MAV", ["X", "N", "A", "L", "P"]),
    ("MAC", ["X", "L", "H"]),
    ("MPR", ["X", "N", "L", "H"]),
    ("MUI", ["X", "N", "R"]),
    ("MS", ["X", "U", "C"]),
    ("MC", ["X", "N", "L", "H"]),
    ("MI", ["X", "N", "L", "H"]),
    ("MA", ["X", "N", "L", "H"]),
]
V4_BASE = [
    ("AV", ["N", "A", "L", "P"]),
    ("AC", ["L", "H"]),
    ("AT", ["N", "P"]),
    ("PR", ["N", "L", "H"]),
    ("UI", ["N", "P", "A"]),
    ("VC", ["H", "L", "N"]),
    ("VI", ["H", "L", "N"]),
    ("VA", ["H", "L", "N"]),
    ("SC", ["H", "L", "N"]),
    ("SI", ["H", "L", "N"]),
    ("SA", ["H", "L", "N"]),
]
V4_OPTIONAL = [
    ("E", ["X", "A", "P", "U"]),
    ("CR", ["X", "H", "M", "L"]),
    ("IR", ["X", "H", "M", "L"]),
    ("AR", ["X", "H", "M", "L"]),
    ("MAV", ["X", "N", "A", "L", "P"]),
    ("MAC", ["X", "L", "H"]),
    ("MAT", ["X", "N", "P"]),
    ("MPR", ["X", "N", "L", "H"]),
    ("MUI", ["X", "N", "P", "A"]),
    ("MVC", ["X", "H", "L", "N"]),
    ("MVI", ["X", "H", "L", "N"]),
    ("MVA", ["X", "H", "L", "N"]),
    ("MSC", ["X", "H", "L", "N"]),
    ("MSI", ["X", "S", "H", "L", "N"]),
    ("MSA", ["X", "S", "H", "L", "N"]),
    ("S", ["X", "N", "P"]),
    ("AU", ["X", "N", "Y"]),
    ("R", ["X", "A", "U", "I"]),
    ("V", ["X", "D", "C"]),
    ("RE", ["X", "L", "M", "H"]),
    ("U", ["X", "Clear", "Green", "Amber", "Red"]),
]


def extremes(base):
    """Every choice of first or last value for each base metric."""
    for picks in itertools.product([0, -1], repeat=len(base)):
        yield [(name, values[pick]) for (name, values), pick in zip(base, picks)]


def random_base(rng, base):
    return [(name, rng.choice(values)) for name, values in base]


def random_optional(rng, optional, share):
    """A random subset (each metric with probability `share`) of the optional metrics."""
    return [(name, rng.choice(values)) for name, values in optional if rng.random() < share]


def join(prefix, metrics):
    body = "/".join(f"{name}:{value}" for name, value in metrics)
    return f"{prefix}/{body}" if prefix else body


def render(rng, prefix, metrics):
    """The vector, with its metrics shuffled one time in ten."""
    if rng.random() < 0.1:
        metrics = metrics[:]
        rng.shuffle(metrics)
    return join(prefix, metrics)


def unrounded(vector):
    """The library's v4 score before its final rounding, and the library's object; the score
    is None for a vector without impact, which the library scores 0 without rounding."""
    seen = []
    final_rounding = cvss.cvss4.final_rounding

    def spy(value):
        seen.append(value)
        return final_rounding(value)

    cvss.cvss4.final_rounding = spy
    try:
        parsed = CVSS4(vector)
    finally:
        cvss.cvss4.final_rounding = final_rounding
    return (seen[-1] if seen else None), parsed


def just_below_a_tie(vector):
    """Whether the library's unrounded v4 score lies within 1e-9 below an x.x5 tie."""
    value, _ = unrounded(vector)
    if value is None:
        return False
    tenths = Decimal(value) * 10
    below = Decimal("0.5") - (tenths - math.floor(tenths))
    return Decimal(0) < below < Decimal("1e-9")


def walk_to_macro(rng, target):
    """A vector with some impact whose macro vector (as the library computes it) is `target`."""
    metrics = V4_BASE + V4_OPTIONAL

    def distance(macro):
        return sum(abs(int(a) - int(b)) for a, b in zip(macro, target))

    for _ in range(100):  # restarts
        chosen = {name: rng.choice(values) for name, values in metrics}
        current = None
        for _ in range(2000):
            if current is not None:
                name, values = rng.choice(metrics)
                candidate = dict(chosen, **{name: rng.choice(values)})
            else:
                candidate = chosen
            listed = [(n, candidate[n]) for n, _ in metrics if candidate[n] != "X"]
            vector = render(rng, "CVSS:4.0", listed)
            value, parsed = unrounded(vector)
            macro = parsed.macroVector()
            if current is None or distance(macro) <= current:
                chosen, current = candidate, distance(macro)
                if current == 0 and value is not None:
                    return vector
    raise SystemExit(f"no vector found for macro vector {target}")


def main():
    rng = random.Random(SEED)
    vectors = []

    for prefix in ("CVSS:3.1", "CVSS:3.0"):
        for metrics in extremes(V3_BASE):
            vectors.append(render(rng, prefix, metrics))
        for n in range(400):
            metrics = random_base(rng, V3_BASE)
            if n % 3 == 0:
                metrics += random_optional(rng, V3_OPTIONAL, 0.5)
            vectors.append(render(rng, prefix, metrics))

    for metrics in extremes(V2_BASE):
        vectors.append(render(rng, "", metrics))
    for n in range(300):
        metrics = random_base(rng, V2_BASE)
        if n % 3 == 0:
            metrics += random_optional(rng, V2_OPTIONAL, 0.5)
        vectors.append(render(rng, "", metrics))

    all_v4_extremes = list(extremes(V4_BASE))
    for metrics in rng.sample(all_v4_extremes, 64):
        vectors.append(render(rng, "CVSS:4.0", metrics))
    for _ in range(600):
        vectors.append(render(rng, "CVSS:4.0", random_base(rng, V4_BASE)))
    for _ in range(150):
        metrics = random_base(rng, V4_BASE) + random_optional(rng, V4_OPTIONAL, 0.6)
        vectors.append(render(rng, "CVSS:4.0", metrics))

    base_ties = []
    for values in itertools.product(*(values for _, values in V4_BASE)):
        metrics = [(name, value) for (name, _), value in zip(V4_BASE, values)]
        vector = join("CVSS:4.0", metrics)
        if just_below_a_tie(vector):
            base_ties.append(vector)
    vectors += rng.sample(base_ties, 40)
    full_ties = []
    while len(full_ties) < 20:
        metrics = random_base(rng, V4_BASE) + random_optional(rng, V4_OPTIONAL, 0.6)
        vector = render(rng, "CVSS:4.0", metrics)
        if just_below_a_tie(vector):
            full_ties.append(vector)
    vectors += full_ties

    macros = sorted(
        "".join(digits)
        for digits in itertools.product("012", "01", "012", "012", "012", "01")
        if not (digits[2] == "2" and digits[5] == "0")
    )
    for macro in macros:
        for _ in range(2):
            vectors.append(walk_to_macro(rng, macro))

    seen = set()
    lines = []
    for vector in vectors:
        if vector in seen:
            continue
        seen.add(vector)
        if vector.startswith("CVSS:4.0/"):
            score = CVSS4(vector).base_score
        elif vector.startswith("CVSS:3."):
            score = CVSS3(vector).base_score
        else:
            score = CVSS2(vector).base_score
        lines.append(f"{vector}\t{float(score):.1f}\n")

    with open(os.path.join(HERE, "oracle.tsv"), "w", encoding="utf-8") as out:
        out.write(
            f"# vector<TAB>score, from the Python library cvss {package_version('cvss')} "
            f"(Red Hat Product Security); written by make_oracle.py (seed {SEED}); "
            "do not edit by hand.\n"
        )
        out.writelines(lines)
    print(f"wrote {len(lines)} vectors")


if __name__ == "__main__":
    main()

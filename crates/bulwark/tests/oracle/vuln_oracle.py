#!/usr/bin/python3
"""An independent oracle for Bulwark's vulnerability matching on the shared images.

It shares no code with Bulwark: versions are ordered by the real `dpkg --compare-versions`
(Debian), by the `packaging` library (PyPI, PEP 440) and by a small Semantic Versioning
comparison written here (crates.io, whose OSV ranges are SEMVER). It reads the image's
inventory from a CycloneDX SBOM (`bulwark sbom IMAGE`: the catalogers are tested against
the images' ground-truth inventories elsewhere; this checks matching) and the advisories
straight from ../shared/vulndata, and prints the expected (ecosystem, package, advisory)
triples as JSON.

Deliberate exclusions (each also stated in docs/vulnerabilities.md):
- withdrawn records;
- Python packages under /usr/lib/python3/dist-packages: Debian installed them (python3-pip
  …); the distribution's advisories cover them, never upstream PyPI ranges;
- RustSec informational records (`database_specific.informational`, e.g. "unmaintained"):
  they are not vulnerabilities.

Usage: vuln_oracle.py VULNDATA_DIR SBOM.json...
prints {"SBOM.json": [[ecosystem, package, advisory], ...], ...}
"""

import json
import os
import re
import subprocess
import sys
import zipfile

import yaml
from packaging.version import InvalidVersion, Version

_dpkg_cache = {}


def dpkg_lt(a, b):
    key = (a, b)
    if key not in _dpkg_cache:
        r = subprocess.run(["dpkg", "--compare-versions", a, "lt", b])
        _dpkg_cache[key] = r.returncode == 0
    return _dpkg_cache[key]


def semver_key(v):
    v = v.lstrip("v").split("+", 1)[0]
    core, _, pre = v.partition("-")
    nums = [int(x) for x in core.split(".")]
    while len(nums) < 3:
        nums.append(0)
    if not pre:
        return (nums, 1, [])
    ids = [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")]
    return (nums, 0, ids)


def semver_lt(a, b):
    return semver_key(a) < semver_key(b)


def pep440_lt(a, b):
    return Version(a) < Version(b)


def affected(events, version, lt):
    """OSV range evaluation for the shapes in the shared data: introduced/fixed/last_affected."""
    intro = [e["introduced"] for e in events if "introduced" in e]
    fixed = [e["fixed"] for e in events if "fixed" in e]
    last = [e["last_affected"] for e in events if "last_affected" in e]
    # Pair each introduced with the next fixed/last_affected above it (events as sorted).
    points = []
    for i in intro:
        points.append(("i", i))
    for f in fixed:
        points.append(("f", f))
    for l in last:
        points.append(("l", l))

    def key_lt(x, y):
        if x == "0":
            return y != "0"
        if y == "0":
            return False
        return lt(x, y)

    import functools

    def cmp(p, q):
        if key_lt(p[1], q[1]):
            return -1
        if key_lt(q[1], p[1]):
            return 1
        return 0

    points.sort(key=functools.cmp_to_key(cmp))
    state = False
    for kind, v in points:
        if kind == "i" and (v == "0" or not lt(version, v)):
            state = True
        elif kind == "f" and not lt(version, v):
            state = False
        elif kind == "l" and lt(v, version):
            state = False
    return state


def read_sbom(path):
    bom = json.load(open(path))
    packages = []
    for c in bom.get("components", []):
        props = {p["name"]: p["value"] for p in c.get("properties", [])}
        kind = c["purl"][4:].split("/", 1)[0]
        location = (c.get("evidence", {}).get("occurrences") or [{}])[0].get("location", "")
        packages.append((kind, c["name"], c["version"], props, location))
    return packages


def pypi_name(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def load_advisories(vulndata):
    debian, pypi, crates = {}, {}, {}
    with zipfile.ZipFile(os.path.join(vulndata, "osv-zip", "Debian-12-all.zip")) as z:
        for name in z.namelist():
            if not name.endswith(".json"):
                continue
            rec = json.loads(z.read(name))
            if rec.get("withdrawn"):
                continue
            for a in rec.get("affected", []):
                pkg = a.get("package", {})
                if pkg.get("ecosystem") == "Debian:12":
                    debian.setdefault(pkg["name"], []).append((rec["id"], a))
    root = os.path.join(vulndata, "osv-yaml", "PyPI")
    for dirpath, _, files in os.walk(root):
        for f in files:
            if not f.endswith(".yaml"):
                continue
            rec = yaml.load(open(os.path.join(dirpath, f)), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            if not rec or rec.get("withdrawn"):
                continue
            for a in rec.get("affected", []):
                pkg = a.get("package", {})
                if pkg.get("ecosystem") == "PyPI":
                    pypi.setdefault(pypi_name(pkg["name"]), []).append((rec["id"], a))
    root = os.path.join(vulndata, "osv", "crates.io")
    for f in os.listdir(root):
        if not f.endswith(".json"):
            continue
        rec = json.load(open(os.path.join(root, f)))
        if rec.get("withdrawn") or (rec.get("database_specific") or {}).get("informational"):
            continue
        for a in rec.get("affected", []):
            pkg = a.get("package", {})
            if pkg.get("ecosystem") == "crates.io":
                crates.setdefault(pkg["name"], []).append((rec["id"], a))
    return debian, pypi, crates


def in_ranges(a, kind, version, lt):
    return any(affected(r["events"], version, lt) for r in a.get("ranges", []) if r.get("type") == kind)


def expected_for(packages, debian, pypi, crates):
    expected = set()
    for kind, name, version, props, location in packages:
        if kind == "deb":
            # By source package and source version, never the binary's upstream version.
            source = props.get("bulwark:source-name", name)
            sversion = props.get("bulwark:source-version", version)
            for rid, a in debian.get(source, []):
                if in_ranges(a, "ECOSYSTEM", sversion, dpkg_lt) or sversion in a.get("versions", []):
                    expected.add(("deb", name, rid))
        elif kind == "pypi" and not location.startswith("/usr/lib/python3/dist-packages"):
            try:
                v = Version(version)
            except InvalidVersion:
                continue
            for rid, a in pypi.get(pypi_name(name), []):
                hit = in_ranges(a, "ECOSYSTEM", version, pep440_lt)
                for listed in a.get("versions", []):
                    try:
                        hit = hit or Version(listed) == v
                    except InvalidVersion:
                        pass
                if hit:
                    expected.add(("pypi", name, rid))
        elif kind == "cargo":
            for rid, a in crates.get(name, []):
                if in_ranges(a, "SEMVER", version, semver_lt) or version in a.get("versions", []):
                    expected.add(("cargo", name, rid))
    return sorted(expected)


def main():
    vulndata = sys.argv[1]
    debian, pypi, crates = load_advisories(vulndata)
    out = {path: expected_for(read_sbom(path), debian, pypi, crates) for path in sys.argv[2:]}
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


main()

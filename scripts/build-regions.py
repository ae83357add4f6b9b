#!/usr/bin/env python3
"""Rebuild data/regions/2023/ from the shared NBS 2023 division-code release.

Writes one gzip file per province, lines `code<TAB>level<TAB>name` sorted by
code, where code is the 12-digit statistical code and level is 1 (province)
to 5 (village). A county-level unit whose code equals its prefecture's
(东莞市, 中山市, 儋州市 have no county layer) is written once, at the
prefecture level. Usage: scripts/build-regions.py ../shared/data/regions
"""
import csv, gzip, io, os, sys

src = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/regions"
dst = os.path.join(os.path.dirname(__file__), "..", "data", "regions", "2023")
rows = {}
for level, name in enumerate(["provinces", "cities", "areas", "streets", "villages"], start=1):
    with gzip.open(os.path.join(src, name + ".csv.gz"), "rt", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            code = r["code"].ljust(12, "0")
            rows.setdefault(code, (level, r["name"].strip()))
by_province = {}
for code in sorted(rows):
    by_province.setdefault(code[:2], []).append(code)
os.makedirs(dst, exist_ok=True)
for p, codes in by_province.items():
    buf = io.StringIO()
    for c in codes:
        level, name = rows[c]
        buf.write(f"{c}\t{level}\t{name}\n")
    with open(os.path.join(dst, p + ".tsv.gz"), "wb") as out:
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0) as g:
            g.write(buf.getvalue().encode("utf-8"))
print(len(rows), "regions in", len(by_province), "provinces")

"""Check the pictogram catalogue pwa/pictograms.json (stdlib only).

    python3 scripts/check_pictograms.py [CATALOGUE] [--svg-dir DIR]

Checks the shape of every area and item, that area ids and item codes are unique, that every
item is in a known area, that each area has enough items, that an OpenMoji SVG exists for every
area and item code, and that search words are short lists that do not repeat the label.
Prints the number of items per area; exits 1 if anything is wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "pwa" / "pictograms.json"
SVG_DIR = ROOT / "node_modules" / "openmoji" / "color" / "svg"

MIN_ITEMS = 150
MIN_PER_AREA = 8
MAX_WORDS = 5
AREA_FIELDS = ("id", "code", "en", "zh")
ITEM_TEXT_FIELDS = ("code", "area", "en", "zh")
ITEM_LIST_FIELDS = ("words_en", "words_zh")


def is_text(value: object) -> bool:
    return isinstance(value, str) and value.strip() != "" and value == value.strip()


def check(data: object, svg_dir: Path) -> tuple[list[str], Counter]:
    problems: list[str] = []
    counts: Counter = Counter()
    if not isinstance(data, dict) or set(data) != {"areas", "items"}:
        return ['the top level must be an object with exactly "areas" and "items"'], counts
    areas, items = data["areas"], data["items"]
    if not isinstance(areas, list) or not areas:
        problems.append('"areas" must be a non-empty list')
        areas = []
    if not isinstance(items, list):
        problems.append('"items" must be a list')
        items = []

    area_ids: list[str] = []
    for n, area in enumerate(areas):
        where = f"area #{n}"
        if not isinstance(area, dict):
            problems.append(f"{where}: not an object")
            continue
        where = f"area {area.get('id', '#' + str(n))!r}"
        if set(area) != set(AREA_FIELDS):
            problems.append(f"{where}: fields must be exactly {', '.join(AREA_FIELDS)}")
        for field in AREA_FIELDS:
            if not is_text(area.get(field)):
                problems.append(f"{where}: {field} must be a non-empty string without outer spaces")
        if is_text(area.get("id")):
            area_ids.append(area["id"])
        if is_text(area.get("code")) and not (svg_dir / f"{area['code']}.svg").is_file():
            problems.append(f"{where}: no SVG for code {area['code']}")
    for area_id, times in Counter(area_ids).items():
        if times > 1:
            problems.append(f"area id {area_id!r} is used {times} times")
    known_areas = set(area_ids)

    codes: Counter = Counter()
    labels_en: Counter = Counter()
    labels_zh: Counter = Counter()
    for n, item in enumerate(items):
        where = f"item #{n}"
        if not isinstance(item, dict):
            problems.append(f"{where}: not an object")
            continue
        where = f"item #{n} ({item.get('code')!s} {item.get('en')!s})"
        expected = set(ITEM_TEXT_FIELDS) | set(ITEM_LIST_FIELDS)
        if set(item) != expected:
            problems.append(f"{where}: fields must be exactly {', '.join(sorted(expected))}")
        for field in ITEM_TEXT_FIELDS:
            if not is_text(item.get(field)):
                problems.append(f"{where}: {field} must be a non-empty string without outer spaces")
        for field in ITEM_LIST_FIELDS:
            words = item.get(field)
            if not isinstance(words, list) or not 1 <= len(words) <= MAX_WORDS:
                problems.append(f"{where}: {field} must be a list of 1 to {MAX_WORDS} words")
                continue
            if not all(is_text(w) for w in words):
                problems.append(f"{where}: {field} must hold only non-empty strings")
                continue
            if len(set(w.casefold() for w in words)) != len(words):
                problems.append(f"{where}: {field} repeats a word")
            label = item.get("en" if field == "words_en" else "zh")
            if isinstance(label, str) and label.casefold() in (w.casefold() for w in words):
                problems.append(f"{where}: {field} repeats the label {label!r}")
            if field == "words_en" and any(w != w.lower() for w in words):
                problems.append(f"{where}: words_en must be lowercase")

        code, area = item.get("code"), item.get("area")
        if is_text(code):
            codes[code] += 1
            if not (svg_dir / f"{code}.svg").is_file():
                problems.append(f"{where}: no SVG for code {code}")
        if is_text(area):
            if area in known_areas:
                counts[area] += 1
            else:
                problems.append(f"{where}: unknown area {area!r}")
        if is_text(item.get("en")):
            labels_en[item["en"].casefold()] += 1
        if is_text(item.get("zh")):
            labels_zh[item["zh"]] += 1

    for code, times in codes.items():
        if times > 1:
            problems.append(f"code {code} is used by {times} items")
    for label, times in list(labels_en.items()) + list(labels_zh.items()):
        if times > 1:
            problems.append(f"label {label!r} is used by {times} items")
    if len(items) < MIN_ITEMS:
        problems.append(f"only {len(items)} items; at least {MIN_ITEMS} are needed")
    for area_id in area_ids:
        if counts[area_id] < MIN_PER_AREA:
            problems.append(
                f"area {area_id!r} has {counts[area_id]} items; at least {MIN_PER_AREA} are needed"
            )
    return problems, counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("catalogue", nargs="?", type=Path, default=CATALOGUE)
    parser.add_argument("--svg-dir", type=Path, default=SVG_DIR)
    args = parser.parse_args(argv)

    if not args.svg_dir.is_dir():
        print(f"SVG folder {args.svg_dir} not found (run npm ci)", file=sys.stderr)
        return 1
    try:
        data = json.loads(args.catalogue.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(f"cannot read {args.catalogue}: {error}", file=sys.stderr)
        return 1

    problems, counts = check(data, args.svg_dir)
    for area in data.get("areas", []) if isinstance(data, dict) else []:
        if isinstance(area, dict):
            print(
                f"{str(area.get('id')):15} {counts[area.get('id')]:4}  {area.get('en')} / {area.get('zh')}"
            )
    print(f"{'total':15} {sum(counts.values()):4}")
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

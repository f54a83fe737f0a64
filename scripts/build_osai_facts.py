"""Regenerate src/hubecon/data/osai_facts.csv from the European Open Source AI Index YAML files.

Usage: python scripts/build_osai_facts.py [../shared/data/osai_index] [src/hubecon/data/osai_facts.csv]

One row per (family, Hub link). Hub links are taken only from `system.link`,
`weights_basemodel.link` and `weights_endmodel.link` (other links in a file
often point at other developers' models). A repo link gives namespace and
name; a collection or organisation link gives the namespace only. Each row
carries the family's licence and its openness criteria (open / partial /
closed), incl. base- and end-model training data.

Source: https://osai-index.eu/ (CC BY 4.0), Liesenfeld, A. and Dingemanse, M.
(2024). Rethinking open source generative AI: open-washing and the EU AI Act.
FAccT '24, pp. 1774-1787. doi:10.5281/zenodo.15386042
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

import yaml

CRITERIA = [
    "datasources_basemodel",
    "datasources_endmodel",
    "weights_basemodel",
    "weights_endmodel",
    "trainingcode",
    "code",
    "hardware_architecture",
    "preprint",
    "paper",
    "modelcard",
    "datasheet",
    "licenses",
]
LINK_SECTIONS = {"system": "system", "weights_basemodel": "base", "weights_endmodel": "end"}
NAMESPACE_ONLY = {"collections", "organizations"}
NOT_MODELS = {"spaces", "datasets", "papers", "docs", "blog", "models"}
HEADER_TAG = re.compile(r"^#\s*-\s*(National origin|Contributor type):\s*(.+?)\s*$")
COLUMNS = ["family", "yaml_file", "org", "national_origin", "contributor_type", "link_kind", "namespace", "name", "hub_link", "licence", "release_date", *CRITERIA]


def links(value) -> list[str]:
    if isinstance(value, list):
        return [str(item).strip() for item in value if item]
    return [str(value).strip()] if value else []


def hub_target(link: str) -> tuple[str, str] | None:
    """(namespace, name) of a huggingface.co link; name '' for a collection or organisation link."""
    parsed = urlparse(link)
    if parsed.netloc.lower() not in ("huggingface.co", "www.huggingface.co"):
        return None
    parts = [part for part in parsed.path.split("/") if part]
    if not parts or parts[0] in NOT_MODELS:
        return None
    if parts[0] in NAMESPACE_ONLY:
        return (parts[1], "") if len(parts) > 1 else None
    return (parts[0], parts[1] if len(parts) > 1 else "")


def criterion(document: dict, key: str) -> str:
    value = (document.get(key) or {}).get("class")
    return str(value).strip().lower() if value else ""


def rows_of(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    header = {}
    for line in text.splitlines():
        match = HEADER_TAG.match(line)
        if match:
            header[match[1]] = match[2]
    document = yaml.safe_load(text) or {}
    system = document.get("system") or {}
    common = {
        "family": str(system.get("name") or path.stem).strip(),
        "yaml_file": path.name,
        "org": str((document.get("org") or {}).get("name") or "").strip(),
        "national_origin": header.get("National origin", ""),
        "contributor_type": header.get("Contributor type", ""),
        "licence": str(system.get("endmodellicense") or "").strip(),
        "release_date": str(system.get("releasedate") or "").strip(),
        **{key: criterion(document, key) for key in CRITERIA},
    }
    rows, seen = [], set()
    for section, kind in LINK_SECTIONS.items():
        for link in links((document.get(section) or {}).get("link")):
            target = hub_target(link)
            if target is None or (kind, *target) in seen:
                continue
            seen.add((kind, *target))
            rows.append({**common, "link_kind": kind, "namespace": target[0], "name": target[1], "hub_link": link})
    return rows


def main(source: Path, target: Path) -> None:
    rows = [row for path in sorted(source.glob("*.yaml")) for row in rows_of(path)]
    rows.sort(key=lambda row: (row["yaml_file"], row["link_kind"], row["namespace"], row["name"]))
    temporary = target.with_name(f".{target.name}.tmp")
    with temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    temporary.replace(target)
    print(f"wrote {len(rows)} links of {len({row['yaml_file'] for row in rows})} families to {target}")


if __name__ == "__main__":
    here = Path(__file__).resolve().parent.parent
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else here.parent / "shared" / "data" / "osai_index"
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else here / "src" / "hubecon" / "data" / "osai_facts.csv"
    main(source, target)

"""Suggestions for growing the registry: unattributed namespaces by downloads, with the hints the data gives."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pandas as pd

from hubecon.enrich.registry import COLUMNS
from hubecon.errors import HubeconError
from hubecon.sources.hub_fields import namespace_of, parse_json_object

CARD_HINT_FIELDS = ("model_creator", "quantized_by", "model_name", "organization")


def most_common(values, limit: int = 3) -> str:
    counts = Counter(value for value in values if value)
    return "; ".join(f"{value} ({count})" for value, count in counts.most_common(limit))


def namespace_hints(models: pd.DataFrame, parents: dict[str, list[str]]) -> pd.DataFrame:
    """Per namespace: repo count, card fields naming a creator, the namespaces its models derive from, examples."""
    rows = []
    for namespace, group in models.groupby("namespace"):
        cards = [parse_json_object(card) for card in group["card_data"]]
        card_hints = []
        for field in CARD_HINT_FIELDS:
            found = most_common(str(card[field]) for card in cards if isinstance(card.get(field), (str, int, float)))
            if found:
                card_hints.append(f"{field}: {found}")
        derived = most_common(namespace_of(parent) for model_id in group["model_id"] for parent in parents.get(model_id, ()))
        rows.append(
            {
                "namespace": namespace,
                "repos": len(group),
                "card_hints": " | ".join(card_hints),
                "derives_from": derived,
                "examples": ", ".join(sorted(group["model_id"])[:3]),
            }
        )
    return pd.DataFrame(rows, columns=["namespace", "repos", "card_hints", "derives_from", "examples"])


def write_override_template(path: Path, suggestions: pd.DataFrame) -> None:
    """A registry override file, valid as it stands (type `unknown`), ready to be filled in by hand."""
    if path.exists():
        raise HubeconError(f"{path}: already exists; choose another --out or move it away (nothing was written)")
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in suggestions.itertuples(index=False):
            hints = "; ".join(part for part in (row.card_hints, f"derives from {row.derives_from}" if row.derives_from else "", f"e.g. {row.examples}") if part)
            writer.writerow(
                {
                    "namespace": row.namespace,
                    "developer": "",
                    "country": "",
                    "type": "unknown",
                    "evidence": f"not yet checked; hints from the data: {hints}",
                    "note": "fill in developer, country (ISO alpha-2 or INTL; empty for individuals), type and evidence",
                }
            )
    temporary.replace(path)

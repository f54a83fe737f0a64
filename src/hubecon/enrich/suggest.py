"""Growing and checking the registry: unattributed namespaces with the hints the data gives, and where the study's labels differ."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pandas as pd
import pycountry

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


# The study's org_type and country spellings, in our terms (DESIGN.md §3, Entities).
STUDY_TYPES = {"company": "industry", "university": "academia", "non-profit": "nonprofit", "community": "community", "user": "individual", "government": "government"}
STUDY_COUNTRIES = {"user": "USER", "online": "INTL", "international": "INTL", "hf": "US", "united states of america": "US", "korea": "KR", "south korea": "KR", "russia": "RU", "taiwan": "TW", "vietnam": "VN", "iran": "IR"}


def study_country_key(name: str | None) -> str | None:
    """A study country name as our key (ISO alpha-2, INTL or USER); None where it names no country."""
    if not name:
        return None
    lowered = name.strip().lower()
    if lowered in STUDY_COUNTRIES:
        return STUDY_COUNTRIES[lowered]
    try:
        return pycountry.countries.lookup(name.strip()).alpha_2
    except LookupError:
        return None


def compare_with_study(annotations: pd.DataFrame, attribution: pd.DataFrame) -> pd.DataFrame:
    """Per namespace the study labelled: its country and type beside ours, and whether they agree.

    `annotations` holds the study's labels (model_id, field, value); a
    namespace's study label is the one most of its models carry.
    """
    study = annotations[annotations["source"] == "study"].assign(namespace=lambda frame: frame["model_id"].map(namespace_of))
    labels = {}
    for field_name in ("org_country_single", "org_type"):
        values = study[study["field"] == field_name]
        labels[field_name] = values.groupby("namespace")["value"].agg(lambda column: column.value_counts().index[0])
    table = pd.DataFrame({"study_country": labels["org_country_single"], "study_type": labels["org_type"]}).rename_axis("namespace").reset_index()
    table["study_country_key"] = table["study_country"].map(study_country_key)
    table["study_type_key"] = table["study_type"].map(lambda value: STUDY_TYPES.get(str(value).strip().lower()) if isinstance(value, str) else None)
    ours = attribution.rename(columns={"country": "our_country", "developer_type": "our_type", "developer": "our_developer"})
    table = table.merge(ours, on="namespace", how="left")
    table["agree_country"] = table["study_country_key"] == table["our_country"]
    table["agree_type"] = table["study_type_key"] == table["our_type"]
    columns = ["namespace", "our_developer", "study_country", "study_country_key", "our_country", "agree_country", "study_type", "study_type_key", "our_type", "agree_type"]
    return table[columns].sort_values(["agree_country", "agree_type", "namespace"], ignore_index=True)

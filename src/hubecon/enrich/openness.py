"""Openness class and data transparency (DESIGN.md §3, Openness), with the OSAI index's facts.

Data transparency of a model's own training step:
  2 `disclosed & available`   named datasets that exist publicly (`dataset:` tags, card `datasets`, OSAI "open")
  1 `disclosed, not available` described but not released (OSAI "partial")
  0 `undisclosed`
A derivative's full-stack level is the lower of its own and its root's.
`open source` = downloadable weights, an OSI-approved licence, and full-stack
training data disclosed & available; `open weights` = every other model with
downloadable weights (every model repo in the data).

The OSAI index (osai-index.eu, CC BY 4.0; Liesenfeld & Dingemanse 2024) is
linked to Hub models by namespace and name: a repo it links exactly, else a
repo of a linked namespace whose name starts with the stem of a linked name
(the name up to its first size token: `Apertus-70B-2509` → `apertus`); see
osai_links for which links give stems.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import pandas as pd

from hubecon.sources.hub_fields import parse_json_object

OSAI_FACTS_FILE = Path(str(files("hubecon") / "data" / "osai_facts.csv"))
LEVELS = ("undisclosed", "disclosed, not available", "disclosed & available")
LEVEL_OF_CLASS = {"open": 2, "partial": 1, "closed": 0}
OPEN_SOURCE, OPEN_WEIGHTS = "open source", "open weights"
SIZE_TOKEN = re.compile(r"(?<![A-Za-z])\d+(?:\.\d+)?[BbMm](?![A-Za-z])")


def normalised(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def name_stem(name: str) -> str:
    """A linked repo name up to its first size token, normalised: `Apertus-70B-2509` → `apertus`."""
    match = SIZE_TOKEN.search(name)
    return normalised(name[: match.start()] if match else name)


@lru_cache(maxsize=1)
def osai_facts() -> pd.DataFrame:
    """The shipped OSAI facts: one row per (family, Hub link) with the openness criteria."""
    return pd.read_csv(OSAI_FACTS_FILE, dtype=str, keep_default_na=False)


def osai_links(facts: pd.DataFrame | None = None) -> tuple[dict, dict]:
    """(exact: lower model id -> [rows], stems: lower namespace -> [(stem, row)]) for matching.

    A stem comes from a linked repo name, or from the family name for a
    namespace-only link. System and end-model links give stems only in the
    family's own namespaces (those of its system and end links); a base-model
    link, which often names another developer's model, gives a stem for base
    models (models without a parent) of that line only.
    """
    facts = osai_facts() if facts is None else facts
    exact: dict[str, list[dict]] = {}
    stems: dict[str, list[tuple[str, dict]]] = {}
    own_namespaces = facts[facts["link_kind"] != "base"].groupby("yaml_file")["namespace"].agg(lambda values: {value.lower() for value in values})
    for row in facts.to_dict(orient="records"):
        namespace = row["namespace"].lower()
        if row["name"]:
            exact.setdefault(f"{namespace}/{row['name'].lower()}", []).append(row)
            stem = name_stem(row["name"])
        else:
            stem = normalised(row["family"])
        if row["link_kind"] != "base" and namespace not in own_namespaces.get(row["yaml_file"], set()):
            continue
        if len(stem) >= 3:
            stems.setdefault(namespace, []).append((stem, row))
    return exact, stems


def osai_levels(model_id: str, has_parent: bool, links: tuple[dict, dict]) -> tuple[int | None, int | None, str | None]:
    """(own-step level, stack level, family) from the OSAI index, or Nones where it does not cover the model.

    An exact link as base model gives the base-model training-data class; as end
    model (or system), the end-model class for its own step and the lower of
    base and end for its stack. A stem match of a system or end link gives the
    end-model class to a model with a parent and the base-model class to one
    without; a stem match of a base link gives the base-model class to a model
    without a parent. Where several families match, the lowest level is kept.
    """
    exact, stems = links
    lower = model_id.lower()
    found = []
    for row in exact.get(lower, []):
        base = LEVEL_OF_CLASS.get(row["datasources_basemodel"])
        end = LEVEL_OF_CLASS.get(row["datasources_endmodel"])
        if row["link_kind"] == "base":
            found.append((base, base, row["family"]))
        else:
            stack = min(level for level in (base, end) if level is not None) if base is not None or end is not None else None
            found.append((end, stack, row["family"]))
    if not found:
        namespace, _, name = lower.partition("/")
        candidates = [
            (stem, row)
            for stem, row in stems.get(namespace, [])
            if normalised(name).startswith(stem) and (row["link_kind"] != "base" or not has_parent)
        ]
        if candidates:
            longest = max(len(stem) for stem, _ in candidates)
            for stem, row in candidates:
                if len(stem) == longest:
                    level = LEVEL_OF_CLASS.get(row["datasources_endmodel" if has_parent else "datasources_basemodel"])
                    found.append((level, level, row["family"]))
    found = [item for item in found if item[0] is not None]
    if not found:
        return None, None, None
    own, stack, family = min(found, key=lambda item: (item[0], item[1] if item[1] is not None else 2, item[2]))
    return own, stack, family


def named_datasets(tags: object, card_data: object) -> bool:
    """Whether the repo names training datasets: a `dataset:` tag or a non-empty card `datasets` field."""
    if tags is not None and not (isinstance(tags, float) and pd.isna(tags)):
        if any(str(tag).startswith("dataset:") and len(str(tag)) > len("dataset:") for tag in tags):
            return True
    datasets = parse_json_object(card_data).get("datasets")
    if isinstance(datasets, str):
        return bool(datasets.strip())
    if isinstance(datasets, list):
        return any(isinstance(item, str) and item.strip() for item in datasets)
    return False


def transparency(
    models: pd.DataFrame, parents: dict[str, list[str]], credit: pd.DataFrame, quantized_variant: pd.Series, links: tuple[dict, dict] | None = None
) -> pd.DataFrame:
    """Per model: data_own, data_full_stack (level names) and osai_family.

    `models` has model_id, tags, card_data. The OSAI index, where it covers a
    model, decides its own step; elsewhere named datasets give `disclosed &
    available` and their absence `undisclosed`. A quantized variant trains
    nothing: its own step is that of the model it quantizes (walking up
    through quantizations), else its own tags. A root outside the data is
    looked up in the OSAI index, else counted `undisclosed`.
    """
    links = links or osai_links()
    ids = models["model_id"].tolist()
    in_data = set(ids)
    quant = dict(zip(ids, quantized_variant.tolist()))
    base_own: dict[str, int] = {}
    osai_stack: dict[str, int | None] = {}
    family: dict[str, str | None] = {}
    for model_id, tags, card in zip(ids, models["tags"], models["card_data"]):
        own, stack, fam = osai_levels(model_id, bool(parents.get(model_id)), links)
        family[model_id] = fam
        osai_stack[model_id] = stack
        base_own[model_id] = own if own is not None else (2 if named_datasets(tags, card) else 0)

    def own_level(model_id: str) -> int:
        seen = set()
        node = model_id
        while quant.get(node) and family.get(node) is None:
            node_parents = [parent for parent in parents.get(node, []) if parent in in_data]
            if len(node_parents) != 1 or node_parents[0] in seen:
                break
            seen.add(node)
            node = node_parents[0]
        return base_own[node]

    def outside_level(root_id: str) -> int:
        own, stack, _ = osai_levels(root_id, False, links)
        return min(level for level in (own, stack) if level is not None) if own is not None else 0

    own_levels = {model_id: own_level(model_id) for model_id in ids}
    root_levels: dict[str, int] = {}
    for model_id, root_id in zip(credit["model_id"], credit["root_id"]):
        if root_id in in_data:
            level = own_levels[root_id]
            if osai_stack.get(root_id) is not None:
                level = min(level, osai_stack[root_id])
        else:
            level = outside_level(root_id)
        root_levels[model_id] = min(root_levels.get(model_id, 2), level)
    full = []
    for model_id in ids:
        levels = [own_levels[model_id], root_levels.get(model_id, own_levels[model_id])]
        if osai_stack.get(model_id) is not None:
            levels.append(osai_stack[model_id])
        full.append(min(levels))
    return pd.DataFrame(
        {
            "model_id": ids,
            "data_own": [LEVELS[own_levels[model_id]] for model_id in ids],
            "data_full_stack": [LEVELS[level] for level in full],
            "osai_family": [family[model_id] for model_id in ids],
        }
    )


def openness_class(licence_family: pd.Series, data_full_stack: pd.Series) -> pd.Series:
    """`open source` with an OSI licence and full-stack data disclosed & available, else `open weights`."""
    from hubecon.enrich.properties import OSI_FAMILIES

    open_source = licence_family.isin(OSI_FAMILIES) & (data_full_stack == LEVELS[2])
    return open_source.map({True: OPEN_SOURCE, False: OPEN_WEIGHTS})

"""Parsing of the Hub's model fields, shared by every importer of Hub-shaped data.

Card data, tags and ids are untrusted text: they are parsed defensively and
never evaluated.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable

import pandas as pd

from hubecon.store.schema import RELATIONS


def parse_tags(value: object) -> list[str]:
    """Tags as a list, from a list, a comma-joined string or a Python-list literal."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            try:
                parsed = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                parsed = None
            if isinstance(parsed, list):
                return [str(tag) for tag in parsed]
        return [tag.strip() for tag in text.split(",") if tag.strip()]
    return [str(tag) for tag in value]


def parse_json_object(value: object) -> dict:
    """A JSON object from text or a mapping; anything else (bad JSON, arrays, null) is {}."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value.strip():
        return {}
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def license_from_tags(tags: Iterable[str]) -> str | None:
    for tag in tags:
        if tag.startswith("license:"):
            return tag.removeprefix("license:")
    return None


def edges_from_base_models(child_id: str, base_models: object) -> list[tuple[str, str, str]]:
    """Edges from the API's `baseModels` value: {relation, models: [{_id, id}]} (or a bare list of ids)."""
    if base_models is None or (isinstance(base_models, float) and pd.isna(base_models)):
        return []
    if isinstance(base_models, str):
        base_models = parse_json_object(base_models)
    if isinstance(base_models, dict):
        relation = base_models.get("relation") or "finetune"
        models = base_models.get("models")
        if models is None:
            models = []
    else:
        relation, models = "finetune", base_models
    edges = []
    for model in models:
        parent = model.get("id") if isinstance(model, dict) else model
        if isinstance(parent, str) and parent:
            edges.append((child_id, parent, relation if relation in RELATIONS else "finetune"))
    return edges


def edges_from_tags(child_id: str, tags: Iterable[str]) -> list[tuple[str, str, str]]:
    """Edges from the Hub-computed `base_model:<relation>:<id>` tags.

    A bare `base_model:<id>` tag is used only when no tag names a relation for
    that parent; its relation is then taken to be `finetune`, the Hub's default.
    """
    typed, bare = {}, []
    for tag in tags:
        if not tag.startswith("base_model:"):
            continue
        rest = tag.removeprefix("base_model:")
        head, _, tail = rest.partition(":")
        if head in RELATIONS and tail:
            typed.setdefault(tail, head)
        elif rest:
            bare.append(rest)
    for parent in bare:
        typed.setdefault(parent, "finetune")
    return [(child_id, parent, relation) for parent, relation in typed.items()]


def edges_from_card(child_id: str, card: dict) -> list[tuple[str, str, str]]:
    """Edges from the model card's `base_model` (str or list) and `base_model_relation`."""
    base = card.get("base_model")
    parents = [base] if isinstance(base, str) else base if isinstance(base, list) else []
    relation = card.get("base_model_relation")
    relation = relation if relation in RELATIONS else ("merge" if len(parents) > 1 else "finetune")
    return [(child_id, parent, relation) for parent in parents if isinstance(parent, str) and parent.strip()]


def lineage_edges(child_id: str, *, base_models: object = None, tags: Iterable[str] = (), card: object = None) -> list[dict]:
    """A model's parent edges from the best source the data has: baseModels, else tags, else the card.

    `card` is the card data as a mapping or JSON text; text is parsed only when the first two sources give nothing.
    """
    for source, edges in (
        ("hub:baseModels", lambda: edges_from_base_models(child_id, base_models)),
        ("hub:tags", lambda: edges_from_tags(child_id, tags)),
        ("card:base_model", lambda: edges_from_card(child_id, parse_json_object(card))),
    ):
        found = edges()
        if found:
            return [{"child_id": c, "parent_id": p, "relation": r, "source": source} for c, p, r in found]
    return []


def params_from_safetensors(value: object) -> int | None:
    if isinstance(value, dict):
        total = value.get("total")
        if total is not None and not pd.isna(total) and total > 0:
            return int(total)
    return None


def params_from_gguf(value: object) -> int | None:
    total = parse_json_object(value).get("total")
    if isinstance(total, (int, float)) and total > 0:
        return int(total)
    return None


def namespace_of(model_id: str) -> str:
    return model_id.split("/", 1)[0] if "/" in model_id else model_id

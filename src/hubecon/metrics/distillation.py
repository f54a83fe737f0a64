"""Distillation: who distils from whom (DESIGN.md §3, Distillation).

A model is *distilled* when its repo name says so (`distil`, `distill`,
`distilled`, `…-distilled-from-…`), a tag says so (`distillation`,
`knowledge-distillation`, `distilled`, …; not `dataset:` or `base_model:`
tags), or its card data does (a `teacher…` field, or `distilled from X`). A
distilled model one of whose parents is itself distilled is a *derivative*
of a distillation (a quantization or finetune of it), listed but not counted
as a distillation of its own.

Teacher: the model the card names, else the one the name names — `T-Distill-B`
(DeepSeek-R1-Distill-Qwen-7B: teacher DeepSeek-R1, base Qwen),
`…-distilled-from-T`, `distil-T` / `distilT` (distilbert: teacher BERT), or a
second model family named after the first (the base's) (`Qwen3.5-9B-Claude-4.6-Opus-Reasoning-Distilled`:
teacher Claude-4.6-Opus) — else its base model. Base: the student's parents
in the lineage, else the family the name gives after `Distill`. A teacher or
base known only by name is placed with the developer of the family's
canonical namespace (FAMILY_NAMESPACES) and that namespace's registry row.
"""

from __future__ import annotations

import re

import ibis
import pandas as pd

from hubecon.sources.hub_fields import namespace_of, parse_json_object

# Model-family name markers -> (family label, the namespace whose registry row places that family's developer).
# Checked in this order at the start of a name token; the first that matches wins.
FAMILY_NAMESPACES = [
    (r"deepseek|r1(?![0-9])", "DeepSeek", "deepseek-ai"),
    (r"qwq|qwen", "Qwen", "Qwen"),
    (r"llama", "Llama", "meta-llama"),
    (r"gemma", "Gemma", "google"),
    (r"gemini", "Gemini", "google"),
    (r"claude|opus|sonnet|haiku", "Claude", "Anthropic"),
    (r"gpt-?oss|gpt(?!q)|o[134](?![0-9a-z])|whisper", "GPT", "openai"),
    (r"chatglm|glm", "GLM", "zai-org"),
    (r"kimi", "Kimi", "moonshotai"),
    (r"minimax", "MiniMax", "MiniMaxAI"),
    (r"mistral|mixtral|magistral|devstral", "Mistral", "mistralai"),
    (r"phi", "Phi", "microsoft"),
    (r"roberta", "RoBERTa", "FacebookAI"),
    (r"bert", "BERT", "google-bert"),
    (r"nllb", "NLLB", "facebook"),
    (r"grok", "Grok", "xai-org"),
]
FAMILY_PATTERN = re.compile(r"(?i)(?:^|[-_.])(" + "|".join(f"(?:{pattern})" for pattern, _, _ in FAMILY_NAMESPACES) + r")")
NAME_MARKER = re.compile(r"(?i)distil")
TAG_MARKER = re.compile(r"(?i)^(?:knowledge[-_ ]?)?distill(?:ed|ation)?$|^model[-_ ]distillation$|^distilled[-_ ]model$")
CARD_TEACHER_KEYS = re.compile(r"(?i)teacher")
CARD_PHRASE = re.compile(r"(?i)distill?ed from[: ]+([A-Za-z0-9][\w./-]*)")
INFIX = re.compile(r"(?i)^(?P<teacher>.+?)[-_](?:re)?distill?(?:ed)?[-_](?P<base>.+)$")
FROM = re.compile(r"(?i)distill?ed[-_]from[-_](?P<teacher>[\w.-]+)")
PREFIX = re.compile(r"(?i)(?:^|[-_])distil-?(?P<teacher>roberta|bert|gpt2|whisper|large|medium|small|bart|use)(?![a-z])")
# The model a `distil…` name is distilled from: teacher label, namespace that places its developer.
PREFIX_TEACHERS = {
    "bert": ("BERT", "google-bert"),
    "roberta": ("RoBERTa", "FacebookAI"),
    "gpt2": ("GPT-2", "openai-community"),
    "whisper": ("Whisper", "openai"),
    "large": ("Whisper", "openai"),
    "medium": ("Whisper", "openai"),
    "small": ("Whisper", "openai"),
    "bart": ("BART", "facebook"),
    "use": ("Universal Sentence Encoder", "google"),
}
STOP_TOKENS = re.compile(
    r"(?i)^(?:reasoning|distill?(?:ed|ation)?|gguf|awq|gptq|mlx|fp8|i1|heretic|abliterated|uncensored|high|low|thinking|lora|turbo|"
    r"q\d.*|v\d.*|it|instruct|cot|sft|grpo|\d+(?:\.\d+)?[bm])$"
)


def family_of(text: str | None) -> tuple[str, str] | None:
    """The (family label, namespace) a name fragment names first, or None."""
    if not isinstance(text, str) or not text:
        return None
    match = FAMILY_PATTERN.search(text)
    if not match:
        return None
    for pattern, label, namespace in FAMILY_NAMESPACES:
        if re.fullmatch(f"(?i)(?:{pattern})", match.group(1)):
            return label, namespace
    return None


def marked(model_id: str, tags, card: object) -> str | None:
    """Why a model counts as distilled: 'name', 'tag', 'card', or None. `card` (a mapping or JSON text) is parsed only when name and tags say nothing."""
    if NAME_MARKER.search(model_id.rsplit("/", 1)[-1]):
        return "name"
    for tag in tags if tags is not None and not isinstance(tags, float) else ():
        text = str(tag)
        if not text.startswith(("dataset:", "base_model:", "arxiv:")) and TAG_MARKER.match(text):
            return "tag"
    card = parse_json_object(card)
    if any(CARD_TEACHER_KEYS.search(str(key)) for key in card) or CARD_PHRASE.search(str(card)):
        return "card"
    return None


# Python's case-insensitive regexes also take ı and İ for i and ſ for s, which the engine's lower() does not give.
FOLDED_LETTERS = ("ı", "İ", "ſ")


def may_be_marked(models: ibis.Table) -> ibis.Table:
    """The rows of `models` (model_id, tags, card_data as JSON text) whose tags or card could mark them: a superset, found in the engine.

    Every tag and card marker holds `distil` or `teacher`, in any case. Text
    holding one of FOLDED_LETTERS, or a card whose JSON text spells letters as
    `\\u` escapes, stays a candidate too: `marked` decides.
    """
    tags, card = models.tags.join(" "), models.card_data
    hint = tags.lower().contains("distil") | card.lower().contains("distil") | card.lower().contains("teacher") | card.contains("\\u")
    for letter in FOLDED_LETTERS:
        hint |= tags.contains(letter) | card.contains(letter)
    return models.filter(hint.fill_null(False))


def card_teacher(card: dict) -> str | None:
    for key, value in card.items():
        if CARD_TEACHER_KEYS.search(str(key)):
            if isinstance(value, list) and value:
                value = value[0]
            if isinstance(value, str) and value.strip():
                return value.strip()
    match = CARD_PHRASE.search(str(card))
    return match.group(1).rstrip(".,;") if match else None


def trim(fragment: str) -> str:
    """A teacher's name up to the first token that is not part of it (`Claude-4.6-Opus-Reasoning-Distilled` → `Claude-4.6-Opus`)."""
    kept = []
    for token in re.split(r"[-_]", fragment):
        if kept and STOP_TOKENS.match(token):
            break
        kept.append(token)
    return "-".join(kept)


def name_teacher_and_base(model_id: str) -> tuple[str | None, str | None, str | None]:
    """The teacher, the namespace that places it (when the rule names one) and the base family the repo name gives (any may be None)."""
    name = model_id.rsplit("/", 1)[-1]
    infix = INFIX.match(name)
    if infix and FAMILY_PATTERN.match(infix["base"]) and family_of(infix["teacher"]):
        return infix["teacher"], None, family_of(infix["base"])[0]
    origin = FROM.search(name)
    if origin:
        return origin["teacher"], None, None
    prefix = PREFIX.search(name)
    if prefix:
        label, namespace = PREFIX_TEACHERS[prefix["teacher"].lower()]
        return label, namespace, None
    matches = list(FAMILY_PATTERN.finditer(name))
    if len(matches) >= 2:
        return trim(name[matches[1].start(1):]), None, None
    return None, None, None


def distilled_models(facts: pd.DataFrame, candidates: pd.DataFrame, parents: dict) -> pd.DataFrame:
    """Per distilled model: evidence, whether it derives from a distilled parent, teacher (name, id, how found) and base (ids or name).

    `candidates`: model_id, tags, card_data of at least every model whose tags or card could mark it (`may_be_marked`).
    """
    info = candidates.drop_duplicates("model_id").set_index("model_id")
    ids = facts["model_id"]
    lower_ids = {model_id.lower(): model_id for model_id in ids}
    named = ids[ids.str.rsplit("/", n=1).str[-1].str.contains(NAME_MARKER)]
    evidence = {}
    for model_id in sorted(set(named) | set(info.index.intersection(ids))):
        tags, card_data = (info.at[model_id, "tags"], info.at[model_id, "card_data"]) if model_id in info.index else (None, None)
        why = marked(model_id, tags, card_data)
        if why:
            evidence[model_id] = (why, parse_json_object(card_data))
    rows = []
    for model_id, (why, card) in sorted(evidence.items()):
        own_parents = sorted(parents.get(model_id, []))
        derivative = any(parent in evidence for parent in own_parents)
        teacher, teacher_source = card_teacher(card), "card"
        name_teacher, name_namespace_, name_base = name_teacher_and_base(model_id)
        teacher_namespace = None
        if not teacher and name_teacher:
            teacher, teacher_source, teacher_namespace = name_teacher, "name", name_namespace_
        if not teacher and own_parents:
            teacher, teacher_source = own_parents[0], "base model"
        if not teacher:
            teacher_source = None
        teacher_id = resolve_id(teacher, lower_ids)
        rows.append(
            {
                "model_id": model_id,
                "namespace": namespace_of(model_id),
                "evidence": why,
                "derivative_of_distilled": derivative,
                "teacher": teacher,
                "teacher_id": teacher_id,
                "teacher_source": teacher_source,
                "teacher_namespace": teacher_namespace,
                "base": ", ".join(own_parents) if own_parents else name_base,
                "base_ids": own_parents,
                "base_source": "lineage" if own_parents else ("name" if name_base else None),
            }
        )
    columns = ["model_id", "namespace", "evidence", "derivative_of_distilled", "teacher", "teacher_id", "teacher_source", "teacher_namespace", "base", "base_ids", "base_source"]
    return pd.DataFrame(rows, columns=columns)


def resolve_id(teacher: str | None, lower_ids: dict[str, str]) -> str | None:
    """The repo a teacher name points to: an id in the data, or a repo of the family's namespace with that name."""
    if not teacher:
        return None
    if "/" in teacher:
        return lower_ids.get(teacher.lower(), teacher)
    family = family_of(teacher)
    if family:
        candidate = f"{family[1]}/{teacher}".lower()
        if candidate in lower_ids:
            return lower_ids[candidate]
    return None


def name_namespace(name: str | None) -> str | None:
    family = family_of(name)
    return family[1] if family else None


def labels_of(namespaces: list[str], attribution: pd.DataFrame) -> tuple[str, str]:
    """(developers, countries) of namespaces, each the sorted distinct values joined by ' + '; unattributed where the registry has no row."""
    rows = attribution.set_index("namespace")
    developers = sorted({rows.at[ns, "developer"] if ns in rows.index else f"namespace:{ns}" for ns in namespaces})
    countries = sorted({rows.at[ns, "country"] if ns in rows.index else "_unattributed" for ns in namespaces})
    return " + ".join(developers), " + ".join(countries)


def place(distilled: pd.DataFrame, graph, attribution: pd.DataFrame) -> pd.DataFrame:
    """Add the developer and origin country of each teacher and base: through the origin credit of a repo, or the family's namespace of a name."""

    def root_namespaces(ids: list[str]) -> list[str]:
        credit = graph.credit(ids)
        return sorted(set(credit["root_id"].map(namespace_of)))

    placed = distilled.copy()
    for prefix in ("teacher", "base"):
        developers, countries = [], []
        for row in placed.itertuples(index=False):
            named = None
            if prefix == "teacher":
                ids = [row.teacher_id] if isinstance(row.teacher_id, str) else []
                named = row.teacher_namespace if isinstance(row.teacher_namespace, str) else name_namespace(row.teacher)
            else:
                ids = list(row.base_ids)
                named = name_namespace(row.base)
            namespaces = root_namespaces(ids) if ids else ([named] if named else [])
            developer, country = labels_of(namespaces, attribution) if namespaces else (None, None)
            developers.append(developer)
            countries.append(country)
        placed[f"{prefix}_developer"] = developers
        placed[f"{prefix}_country"] = countries
    return placed

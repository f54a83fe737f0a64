"""A synthetic Hub history for testing at scale: `hubecon synth` (DESIGN.md §2 store layout, SYNTHETIC data).

Everything is drawn from one seeded numpy Generator, vectorised over models, so
the same arguments give the same store, and a million models × 52 snapshots
is a matter of minutes. The shape, not the numbers, is meant to be realistic:

- downloads are heavy-tailed (a model's rate is log-normal with σ = 3.5, so
  the top 1% of models hold more than 80% of the downloads), rise with a
  model's creation and decay over months; all-time counts are cumulative;
- developers' sizes are Zipf-like (rank^-1.2); each namespace is an
  organisation with a country and a type, or a personal account; some are
  re-packagers that mostly upload quantizations; a few namespaces are left
  out of the registry (unattributed) and a few organisations are contested
  (an alternative row);
- lineage trees: finetunes, quantizations (GGUF, AWQ, GPTQ, FP8, MLX),
  adapters and merges of earlier models, preferring popular parents;
- creation dates grow over time (density ∝ e^{3x} over the span); models older
  than the Hub's creation-date records carry its placeholder date;
- a few counter rollbacks, stalls (frozen counters) and renames (same Hub
  object id, new namespace);
- card data and GGUF metadata of realistic sizes (hundreds of bytes to kB).

Snapshots go through the store's own writer (`store_snapshot`), scope `full`,
source `synthetic:seed=S`, params {"synthetic": true, ...}: every output
computed from them says SYNTHETIC. A model's record (its fields and parent
edges) is written in the snapshot where it first appears and again whenever it
is modified, as an incremental crawl would; observations cover every model
present in every snapshot. The registry override for the synthetic
namespaces is written beside the store.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from hubecon.enrich.registry import COLUMNS
from hubecon.errors import HubeconError
from hubecon.store.schema import SnapshotBatch
from hubecon.store.store import store_snapshot, update_derived, writer_lock

REGISTRY_FILE = "synthetic-registry.csv"
MANIFEST_FILE = "synthetic.json"
DEFAULT_START = "2025-01-06"
DEFAULT_INTERVAL_DAYS = 7
HISTORY_START = pd.Timestamp("2021-06-01", tz="UTC")  # the earliest synthetic creation date
PLACEHOLDER_BEFORE = pd.Timestamp("2022-03-03", tz="UTC")
PLACEHOLDER = pd.Timestamp("2022-03-02T23:29:04", tz="UTC")
DAY = 86400.0

DOWNLOAD_SIGMA = 3.5  # log-normal σ of the per-model rate: top 1% ≈ Φ(σ − 2.33) ≈ 88% of downloads
ZIPF_EXPONENT = 1.2
KINDS = ("original", "finetune", "quantized", "adapter", "merge")
KIND_P = (0.35, 0.30, 0.18, 0.12, 0.05)
REPACKAGER_KIND_P = (0.04, 0.04, 0.86, 0.06, 0.0)
COUNTRIES = ("US", "CN", "FR", "DE", "GB", "KR", "JP", "CA", "IN", "AE", "IL", "SG", "INTL")
COUNTRY_P = (0.36, 0.22, 0.06, 0.05, 0.05, 0.04, 0.03, 0.04, 0.04, 0.02, 0.03, 0.02, 0.04)
ORG_TYPES = ("industry", "academia", "nonprofit", "community", "government")
ORG_TYPE_P = (0.58, 0.17, 0.08, 0.14, 0.03)
PIPELINES = ("text-generation", "image-text-to-text", "text-to-image", "feature-extraction", "sentence-similarity",
             "automatic-speech-recognition", "text-classification", "text-to-speech", "image-classification", "text-to-video")
PIPELINE_P = (0.52, 0.08, 0.07, 0.08, 0.06, 0.05, 0.07, 0.03, 0.03, 0.01)
ARCHES = ("llama", "qwen2", "mistral", "gemma2", "phi3", "qwen2_moe", "mixtral", "bert", "whisper", "stable-diffusion")
ARCH_P = (0.25, 0.22, 0.1, 0.09, 0.06, 0.05, 0.03, 0.1, 0.05, 0.05)
MOE_ARCHES = {"qwen2_moe", "mixtral"}
LICENSES = ("apache-2.0", "mit", "llama3.1", "gemma", "cc-by-nc-4.0", "openrail", "other", None)
LICENSE_P = (0.36, 0.16, 0.12, 0.06, 0.08, 0.05, 0.07, 0.10)
QUANT_FORMATS = (("-GGUF", "gguf", "gguf"), ("-AWQ", "transformers", "awq"), ("-GPTQ", "transformers", "gptq"), ("-FP8", "transformers", "fp8"), ("-MLX-4bit", "mlx", "mlx"))
QUANT_P = (0.5, 0.15, 0.15, 0.1, 0.1)
WORDS = ("Atlas", "Lumen", "Orca", "Vega", "Nimbus", "Quill", "Sable", "Tern", "Umbra", "Wren", "Zephyr", "Koi", "Lynx", "Marlin", "Nova", "Pico")
DATASETS = ("synth/web-corpus", "synth/code-mix", "synth/instruct-200k", "synth/math-qa", "synth/dialogue")
LANGUAGES = ("en", "zh", "fr", "de", "es", "ja", "ko", "ar", "hi", "ru")
TEMPLATE = "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"


@dataclass(frozen=True)
class SynthSpec:
    models: int
    snapshots: int
    seed: int = 0
    start: str = DEFAULT_START
    interval_days: int = DEFAULT_INTERVAL_DAYS

    def __post_init__(self):
        if self.models < 10:
            raise HubeconError(f"--models: at least 10, not {self.models}")
        if self.snapshots < 1:
            raise HubeconError(f"--snapshots: at least 1, not {self.snapshots}")
        if self.interval_days < 1:
            raise HubeconError(f"--interval-days: at least 1, not {self.interval_days}")

    @property
    def source(self) -> str:
        return f"synthetic:seed={self.seed}"

    @property
    def params(self) -> dict:
        return {"synthetic": True, "generator": "hubecon synth", "seed": self.seed, "models": self.models, "snapshots": self.snapshots,
                "start": self.start, "interval_days": self.interval_days}

    def taken(self) -> pd.DatetimeIndex:
        try:
            first = pd.Timestamp(self.start, tz="UTC")
        except ValueError:
            raise HubeconError(f"--start: '{self.start}' is not a date (YYYY-MM-DD)") from None
        return pd.DatetimeIndex([first + pd.Timedelta(days=self.interval_days * k) for k in range(self.snapshots)])


@dataclass
class Developers:
    namespace: np.ndarray
    developer: np.ndarray
    country: np.ndarray  # "" for personal accounts
    type: np.ndarray
    repackager: np.ndarray
    in_registry: np.ndarray
    contested: np.ndarray
    alt_country: np.ndarray


@dataclass
class Models:
    """Per model, in creation order: everything that does not change between snapshots."""

    name: np.ndarray  # repo name without namespace
    dev: np.ndarray  # developer index
    created: np.ndarray  # seconds since epoch (the true time; placeholder shown for old ones)
    kind: np.ndarray
    parents: list  # list of parent indices per model
    rate: np.ndarray  # downloads/day scale
    decay_days: np.ndarray
    object_id: np.ndarray
    rename_at: np.ndarray  # snapshot index of a transfer to rename_dev, or -1
    rename_dev: np.ndarray
    rollback_at: np.ndarray
    stall_at: np.ndarray
    params_total: np.ndarray
    pipeline: np.ndarray
    arch: np.ndarray
    license: np.ndarray
    quant: np.ndarray  # index into QUANT_FORMATS, or -1


def developers(spec: SynthSpec, rng: np.random.Generator) -> Developers:
    n = max(10, spec.models // 25)
    individual = rng.random(n) < 0.45
    org_numbers = np.cumsum(~individual)
    user_numbers = np.cumsum(individual)
    namespace = np.array([f"synth-user-{u:05d}" if ind else f"synth-org-{o:05d}" for ind, o, u in zip(individual, org_numbers, user_numbers)], dtype=object)
    developer = np.array([ns if ind else f"Synthetic Org {o:05d}" for ns, ind, o in zip(namespace, individual, org_numbers)], dtype=object)
    country = np.where(individual, "", rng.choice(COUNTRIES, size=n, p=COUNTRY_P)).astype(object)
    kind = np.where(individual, "individual", rng.choice(ORG_TYPES, size=n, p=ORG_TYPE_P)).astype(object)
    repackager = rng.random(n) < 0.04
    in_registry = rng.random(n) >= 0.08
    contested = ~individual & (rng.random(n) < 0.03)
    alt_country = rng.choice(COUNTRIES, size=n, p=COUNTRY_P).astype(object)
    alt_country = np.where(alt_country == country, "INTL", alt_country)
    return Developers(namespace, developer, country, kind, repackager, in_registry, contested, alt_country)


def models(spec: SynthSpec, devs: Developers, rng: np.random.Generator) -> Models:
    n = spec.models
    taken = spec.taken()
    end = taken[-1].timestamp()
    begin = HISTORY_START.timestamp()
    growth = 3.0
    # Creation density ∝ e^{growth·x} over [begin, end]: most models are recent.
    created = np.floor(np.sort(begin + (end - begin) * np.log1p(rng.random(n) * np.expm1(growth)) / growth))
    # Zipf-like developer sizes: ranks in a random order of developers.
    ranks = rng.permutation(len(devs.namespace)) + 1
    weights = ranks.astype(float) ** -ZIPF_EXPONENT
    dev = rng.choice(len(devs.namespace), size=n, p=weights / weights.sum())
    kind_original = rng.choice(len(KINDS), size=n, p=KIND_P)
    kind_repack = rng.choice(len(KINDS), size=n, p=REPACKAGER_KIND_P)
    kind = np.where(devs.repackager[dev], kind_repack, kind_original)
    kind[: min(n, 5)] = 0
    rate = np.exp(rng.normal(np.log(5.0), DOWNLOAD_SIGMA, size=n)) * np.where(kind == 0, 2.0, np.where(kind == 2, 0.8, 0.5))
    decay = np.exp(rng.normal(np.log(240.0), 0.8, size=n))

    # Parents: the more popular of three earlier models (tournament), two for merges.
    index = np.arange(n)

    def pick() -> np.ndarray:
        candidates = np.floor(rng.random((3, n)) * np.maximum(index, 1)).astype(np.int64)
        best = np.argmax(rate[candidates], axis=0)
        return candidates[best, index]

    first, second = pick(), pick()
    parents = [[] if k == 0 or i == 0 else ([int(a)] if k != 4 or a == b else sorted({int(a), int(b)})) for i, (k, a, b) in enumerate(zip(kind, first, second))]
    kind = np.array([0 if (k != 0 and not p) else k for k, p in zip(kind, parents)])

    # Properties: originals draw theirs, derivatives inherit their (first) parent's.
    log_params = np.clip(rng.normal(9.6, 0.9, size=n), 7.3, 11.8)
    pipeline = rng.choice(len(PIPELINES), size=n, p=PIPELINE_P)
    arch = rng.choice(len(ARCHES), size=n, p=ARCH_P)
    licence = rng.choice(len(LICENSES), size=n, p=LICENSE_P)
    for i, p in enumerate(parents):
        if p:
            log_params[i], pipeline[i], arch[i], licence[i] = log_params[p[0]], pipeline[p[0]], arch[p[0]], licence[p[0]]
    quant = np.where(kind == 2, rng.choice(len(QUANT_FORMATS), size=n, p=QUANT_P), -1)
    words = rng.choice(WORDS, size=n)
    tiny = (kind == 0) & (rng.random(n) < 0.01)
    suffix = {1: "-Instruct", 3: "-LoRA", 4: "-Merge"}
    names = []
    for i in range(n):
        label = size_label(10 ** log_params[i])
        stem = f"tiny-random-{words[i]}-{i:07d}" if tiny[i] else f"{words[i]}-{i:07d}-{label}"
        names.append(stem + (QUANT_FORMATS[quant[i]][0] if kind[i] == 2 else suffix.get(int(kind[i]), "")))
    high = rng.integers(0, 2**48, size=n)
    low = rng.integers(0, 2**48, size=n)
    object_id = np.array([f"{a:012x}{b:012x}" for a, b in zip(high, low)], dtype=object)

    def rare(p: float) -> np.ndarray:
        """For a share p of models, a snapshot index ≥ 1 where something happens; -1 elsewhere."""
        if spec.snapshots < 3:
            return np.full(n, -1)
        return np.where(rng.random(n) < p, rng.integers(1, spec.snapshots - 1, size=n), -1)

    return Models(
        name=np.array(names, dtype=object), dev=dev, created=created, kind=kind, parents=parents, rate=rate, decay_days=decay, object_id=object_id,
        rename_at=rare(0.004), rename_dev=rng.choice(len(devs.namespace), size=n), rollback_at=rare(0.006), stall_at=rare(0.006),
        params_total=np.round(10**log_params).astype(np.int64), pipeline=pipeline, arch=arch, license=licence, quant=quant,
    )


def size_label(params: float) -> str:
    if params >= 1e9:
        value = params / 1e9
        return f"{value:.0f}B" if value >= 10 else f"{value:.1f}B".replace(".0B", "B")
    return f"{params / 1e6:.0f}M"


def expected_all_time(rate: np.ndarray, decay_days: np.ndarray, age_days: np.ndarray) -> np.ndarray:
    """Expected cumulative downloads at an age: ∫ rate·e^{-t/τ} dt from creation."""
    return rate * decay_days * -np.expm1(-np.maximum(age_days, 0.0) / decay_days)


def card_text(rng: np.random.Generator, i: int, m: Models, ids: np.ndarray) -> str:
    card = {
        "license": LICENSES[m.license[i]] or "other",
        "language": list(rng.choice(LANGUAGES, size=1 + int(rng.integers(0, 4)), replace=False)),
        "pipeline_tag": PIPELINES[m.pipeline[i]],
        "tags": ["synthetic", ARCHES[m.arch[i]]],
    }
    if m.parents[i]:
        card["base_model"] = [ids[p] for p in m.parents[i]]
    if rng.random() < 0.3:
        card["datasets"] = list(rng.choice(DATASETS, size=1 + int(rng.integers(0, 3)), replace=False))
    if rng.random() < 0.2:  # an evaluation table: the long tail of card sizes
        results = int(rng.geometric(0.15))
        card["model-index"] = [{"name": str(ids[i]), "results": [{"task": {"type": PIPELINES[m.pipeline[i]]}, "dataset": {"name": f"synth-bench-{k}", "type": f"synth/bench-{k}"},
                                                                 "metrics": [{"type": "accuracy", "value": round(float(rng.random()) * 100, 2)}]} for k in range(results)]}]
    return json.dumps(card)


def gguf_text(rng: np.random.Generator, i: int, m: Models) -> str:
    repeats = max(1, int(np.exp(rng.normal(np.log(12), 0.7))))
    return json.dumps({"total": int(m.params_total[i]), "architecture": ARCHES[m.arch[i]], "context_length": int(rng.choice([4096, 8192, 32768, 131072])),
                       "chat_template": TEMPLATE * repeats, "bos_token": "<s>", "eos_token": "</s>"})


def batches(spec: SynthSpec) -> tuple[Developers, Iterator[SnapshotBatch]]:
    """The synthetic developers, and the snapshots one by one (so a large history never sits in memory whole)."""
    rng = np.random.default_rng(spec.seed)
    devs = developers(spec, rng)
    m = models(spec, devs, rng)
    return devs, _snapshots(spec, devs, m, rng)


def _snapshots(spec: SynthSpec, devs: Developers, m: Models, rng: np.random.Generator) -> Iterator[SnapshotBatch]:
    taken = spec.taken()
    n = spec.models
    original_ids = devs.namespace[m.dev] + "/" + m.name
    renamed_ids = devs.namespace[m.rename_dev] + "/" + m.name
    renamed_ids = np.where(renamed_ids == original_ids, renamed_ids + "-v2", renamed_ids)
    cumulative = np.zeros(n)
    previous_expected = np.zeros(n)
    shown_created = np.where(m.created < PLACEHOLDER_BEFORE.timestamp(), PLACEHOLDER.timestamp(), m.created)
    present_before = 0
    for k, moment in enumerate(taken):
        now = moment.timestamp()
        present = int(np.searchsorted(m.created, now, side="right"))
        live = slice(0, present)
        ids = np.where((m.rename_at >= 0) & (k >= m.rename_at), renamed_ids, original_ids)
        age = (now - m.created[live]) / DAY
        expected = expected_all_time(m.rate[live], m.decay_days[live], age)
        increment = (expected - previous_expected[live]) * np.exp(rng.normal(0.0, 0.25, size=present))
        stalled = (m.stall_at[live] >= 0) & (k >= m.stall_at[live]) & (k < m.stall_at[live] + 3)
        increment[stalled] = 0.0
        cumulative[live] += increment
        rolled = m.rollback_at[live] == k
        cumulative[live] = np.where(rolled, cumulative[live] * rng.uniform(0.5, 0.95, size=present), cumulative[live])
        previous_expected[live] = expected
        month_ago = expected_all_time(m.rate[live], m.decay_days[live], age - 30.0)
        recent = np.where(stalled, 0.0, (expected - month_ago) * np.exp(rng.normal(0.0, 0.1, size=present)))
        all_time = np.floor(cumulative[live]).astype(np.int64)
        observations = pd.DataFrame(
            {
                "model_id": ids[live],
                "downloads_30d": np.round(recent).astype(np.int64),
                "downloads_all_time": all_time,
                "likes": np.floor(np.sqrt(all_time) * rng.uniform(0.02, 0.3, size=present)).astype(np.int64),
                "trending_score": np.round(recent / 1000.0, 3),
            }
        )
        # Records: models new in this snapshot, those modified since the last one, and renamed ones under their new name.
        modified = rng.random(present) < 0.02
        modified[present_before:present] = True
        modified |= m.rename_at[live] == k
        written = np.flatnonzero(modified)
        yield SnapshotBatch(
            taken_at=moment,
            source=spec.source,
            scope="full",
            params=spec.params,
            observations=observations,
            model_records=_records(rng, m, devs, ids, written, shown_created, now, spec.interval_days),
            lineage_records=pd.DataFrame(
                [{"child_id": ids[i], "parent_id": ids[p], "relation": KINDS[m.kind[i]], "source": "hub:baseModels"}
                 for i in written for p in m.parents[i]],
                columns=["child_id", "parent_id", "relation", "source"],
            ),
            sha256=hashlib.sha256(json.dumps({**spec.params, "snapshot": k}, sort_keys=True).encode()).hexdigest(),
            rows_read=present,
            origin=f"hubecon synth (seed {spec.seed})",
        )
        present_before = present


def _records(rng: np.random.Generator, m: Models, devs: Developers, ids: np.ndarray, written: np.ndarray, shown_created: np.ndarray, now: float, interval: int) -> pd.DataFrame:
    modified_at = now - rng.uniform(0, interval * DAY, size=len(written))
    modified_at = np.floor(np.maximum(modified_at, m.created[written]))
    rows = []
    for i, stamp in zip(written, modified_at):
        kind, quant = int(m.kind[i]), int(m.quant[i])
        library = QUANT_FORMATS[quant][1] if kind == 2 else ("peft" if kind == 3 else ("diffusers" if ARCHES[m.arch[i]] == "stable-diffusion" else "transformers"))
        tags = [PIPELINES[m.pipeline[i]], ARCHES[m.arch[i]], "synthetic"]
        if LICENSES[m.license[i]]:
            tags.append(f"license:{LICENSES[m.license[i]]}")
        if kind == 2:
            tags.append(QUANT_FORMATS[quant][2])
        if kind == 3:
            tags.append("lora")
        if kind == 4:
            tags.append("merge")
        relation = {1: "finetune", 2: "quantized", 3: "adapter", 4: "merge"}.get(kind)
        for p in m.parents[i]:
            tags += [f"base_model:{ids[p]}", f"base_model:{relation}:{ids[p]}"]
        gguf = gguf_text(rng, i, m) if kind == 2 and quant == 0 else None
        rows.append(
            {
                "model_id": ids[i],
                "hub_object_id": m.object_id[i],
                "namespace": ids[i].split("/", 1)[0],
                "created_at": pd.Timestamp(shown_created[i], unit="s", tz="UTC"),
                "last_modified": pd.Timestamp(stamp, unit="s", tz="UTC"),
                "pipeline_tag": PIPELINES[m.pipeline[i]],
                "library": library,
                "license": LICENSES[m.license[i]],
                "tags": tags,
                "params_total": None if gguf is not None or kind == 3 else int(m.params_total[i]),
                "params_active": int(m.params_total[i] // 8) if ARCHES[m.arch[i]] in MOE_ARCHES else None,
                "gguf": gguf,
                "config_arch": ARCHES[m.arch[i]],
                "card_data": card_text(rng, i, m, ids),
            }
        )
    return pd.DataFrame(rows, columns=["model_id", "hub_object_id", "namespace", "created_at", "last_modified", "pipeline_tag", "library", "license", "tags",
                                       "params_total", "params_active", "gguf", "config_arch", "card_data"])


def registry_rows(spec: SynthSpec, devs: Developers) -> pd.DataFrame:
    """The registry override for the synthetic namespaces (format: enrich/registry.py); a few are left out, unattributed."""
    evidence = f"SYNTHETIC: invented by hubecon synth (seed {spec.seed}); not a real developer"
    rows = []
    for i in np.flatnonzero(devs.in_registry):
        contested = bool(devs.contested[i])
        rows.append(
            {
                "namespace": devs.namespace[i],
                "developer": devs.developer[i],
                "country": devs.country[i],
                "type": devs.type[i],
                "evidence": evidence,
                "alt_developer": devs.developer[i] if contested else "",
                "alt_country": devs.alt_country[i] if contested else "",
                "alt_type": devs.type[i] if contested else "",
                "alt_evidence": evidence if contested else "",
                "note": "SYNTHETIC" + ("; contested (synthetic)" if contested else ""),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def write_synthetic_hub(out: Path | str, spec: SynthSpec, progress=None) -> pd.DataFrame:
    """Write the synthetic history into the store at `out` (created if needed) and its registry override beside it.

    Returns one row per snapshot: snapshot_id, taken_at, status, models.
    `progress`, if given, is called with (snapshots done, total).
    """
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    devs, snapshots = batches(spec)
    rows = []
    with writer_lock(root):
        for k, batch in enumerate(snapshots):
            stored = store_snapshot(root, batch, derived_tables=False)
            rows.append({"snapshot_id": batch.snapshot_id, "taken_at": batch.taken_at, "status": "stored" if stored else "already stored (nothing changed)",
                         "models": len(batch.observations), "records": len(batch.model_records), "edges": len(batch.lineage_records)})
            if progress is not None:
                progress(k + 1, spec.snapshots)
        update_derived(root)
    registry = root / REGISTRY_FILE
    registry_rows(spec, devs).to_csv(registry, index=False, quoting=csv.QUOTE_MINIMAL)
    (root / MANIFEST_FILE).write_text(json.dumps({"synthetic": True, **spec.params, "registry": REGISTRY_FILE,
                                                  "note": "SYNTHETIC data: invented developers, models and downloads for testing at scale"}, indent=1) + "\n")
    return pd.DataFrame(rows)


def synthesize(out: Path | str, *, models: int, snapshots: int, seed: int = 0, start: str = DEFAULT_START, interval_days: int = DEFAULT_INTERVAL_DAYS,
               progress=None) -> pd.DataFrame:
    """`hubecon synth`: write the synthetic history and its registry override; the result says how to use them."""
    from hubecon.present.output import result

    spec = SynthSpec(models, snapshots, seed, start, interval_days)
    rows = write_synthetic_hub(out, spec, progress)
    registry = Path(out) / REGISTRY_FILE
    return result(
        rows,
        command="synth",
        params={"models": models, "snapshots": snapshots, "seed": seed, "start": start, "interval_days": interval_days, "out": str(out)},
        data={"source": spec.source, "scope": "full", "as_of": None, "measure": None, "synthetic": True,
              "note": f"SYNTHETIC data for testing at scale; analyse with: hubecon --store {out} --registry {registry} share"},
        n={"models": models, "snapshots": snapshots, "new_snapshots": int((rows["status"] == "stored").sum())},
        registry=str(registry),
    )

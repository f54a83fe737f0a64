"""Per-model properties from the Hub's fields (DESIGN.md §3, Model properties)."""

from __future__ import annotations

import fnmatch
import re
from importlib.resources import files
from pathlib import Path

import pandas as pd

# pipeline_tag -> modality, after the Hub's task taxonomy (huggingface.js tasks), restated as facts.
MODALITY_BY_TASK = {
    **dict.fromkeys(
        [
            "text-generation", "text2text-generation", "text-classification", "token-classification",
            "fill-mask", "question-answering", "table-question-answering", "zero-shot-classification",
            "translation", "summarization", "feature-extraction", "sentence-similarity", "text-ranking",
            "conversational",
        ],
        "nlp",
    ),
    **dict.fromkeys(
        [
            "image-classification", "object-detection", "image-segmentation", "depth-estimation",
            "image-to-image", "unconditional-image-generation", "video-classification", "text-to-image",
            "image-to-video", "text-to-video", "zero-shot-image-classification", "mask-generation",
            "zero-shot-object-detection", "image-feature-extraction", "keypoint-detection", "image-to-3d",
            "text-to-3d", "video-to-video", "image-text-to-image", "image-text-to-video",
        ],
        "cv",
    ),
    **dict.fromkeys(
        [
            "text-to-speech", "text-to-audio", "automatic-speech-recognition", "audio-to-audio",
            "audio-classification", "voice-activity-detection",
        ],
        "audio",
    ),
    **dict.fromkeys(
        [
            "image-text-to-text", "video-text-to-text", "any-to-any", "audio-text-to-text",
            "visual-question-answering", "document-question-answering", "image-to-text",
            "visual-document-retrieval", "video-text-to-text", "image-text-to-text",
        ],
        "multimodal",
    ),
    **dict.fromkeys(["tabular-classification", "tabular-regression", "time-series-forecasting"], "tabular"),
    **dict.fromkeys(["reinforcement-learning", "robotics"], "rl"),
    "graph-ml": "other",
    "other": "other",
}

# Repos created before the Hub recorded creation dates all carry this placeholder.
PLACEHOLDER_CREATED_START = pd.Timestamp("2022-03-02T23:29:00Z")
PLACEHOLDER_CREATED_END = pd.Timestamp("2022-03-02T23:29:10Z")

NAME_SIZE = re.compile(r"(?<![A-Za-z0-9.])(?:(\d+)x)?(\d+(?:\.\d+)?)([BbMm])(?![A-Za-z0-9])")

TEST_REPO_PATTERNS_FILE = Path(str(files("hubecon") / "data" / "test_repos.txt"))


def modality(pipeline_tag: object) -> str:
    if not isinstance(pipeline_tag, str) or not pipeline_tag:
        return "unknown"
    return MODALITY_BY_TASK.get(pipeline_tag, "other")


def created_known(created_at: pd.Series) -> pd.Series:
    """False where the creation date is missing or the Hub's placeholder (DESIGN.md §3)."""
    placeholder = (created_at >= PLACEHOLDER_CREATED_START) & (created_at < PLACEHOLDER_CREATED_END)
    return created_at.notna() & ~placeholder.fillna(False)


def params_from_name(model_id: str) -> int | None:
    """Total parameters parsed from a repo name (`7B`, `1.5b`, `8x7B`, `350M`); approximate.

    The last size in the name wins, since prefixes such as `Qwen2.5-...` are versions, not sizes.
    An active-parameter marker (`A3B`) is not a size: the lookbehind excludes it.
    """
    name = model_id.rsplit("/", 1)[-1]
    matches = list(NAME_SIZE.finditer(name))
    if not matches:
        return None
    experts, number, unit = matches[-1].groups()
    value = float(number) * (1e9 if unit in "Bb" else 1e6)
    return int(value * (int(experts) if experts else 1))


def is_gguf(library: object, tags: object) -> bool:
    return library == "gguf" or (tags is not None and "gguf" in list(tags))


def test_repo_patterns() -> list[str]:
    lines = TEST_REPO_PATTERNS_FILE.read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def is_test_repo(model_ids: pd.Series) -> pd.Series:
    """Repos whose downloads are mostly automated tests (the documented list in data/test_repos.txt)."""
    patterns = test_repo_patterns()
    return model_ids.map(lambda model_id: any(fnmatch.fnmatchcase(model_id, pattern) for pattern in patterns))

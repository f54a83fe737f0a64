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


# -- Analytics II: size, modality, quantization, MoE, licence and architecture (DESIGN.md §3, Model properties) --

# pipeline_tag -> (input modalities, output modalities), after the Hub's task pages. A classifier,
# detector or segmenter outputs a "label", "boxes" or "mask", not an image; a zero-shot task's candidate
# labels are its label set, not a second input modality.
TASK_IO = {
    **dict.fromkeys(
        ["text-generation", "text2text-generation", "translation", "summarization", "conversational", "question-answering", "table-question-answering"],
        (("text",), ("text",)),
    ),
    **dict.fromkeys(["text-classification", "token-classification", "zero-shot-classification", "fill-mask", "text-ranking"], (("text",), ("label",))),
    **dict.fromkeys(["feature-extraction", "sentence-similarity"], (("text",), ("embedding",))),
    **dict.fromkeys(
["image-classification", "zero-shot-image-classification"], (("image",), ("label",))),
    "video-classification": (("video",), ("label",)),
    **dict.fromkeys(["object-detection", "zero-shot-object-detection", "keypoint-detection"], (("image",), ("boxes",))),
    **dict.fromkeys(["image-segmentation", "mask-generation"], (("image",), ("mask",))),
    "depth-estimation": (("image",), ("depth",)),
    "image-feature-extraction": (("image",), ("embedding",)),
    "image-to-text": (("image",), ("text",)),
    "image-to-image": (("image",), ("image",)),
    "unconditional-image-generation": ((), ("image",)),
    "text-to-image": (("text",), ("image",)),
    "image-text-to-image": (("image", "text"), ("image",)),
    "text-to-video": (("text",), ("video",)),
    "image-to-video": (("image",), ("video",)),
    "image-text-to-video": (("image", "text"), ("video",)),
    "video-to-video": (("video",), ("video",)),
    "image-to-3d": (("image",), ("3d",)),
    "text-to-3d": (("text",), ("3d",)),
    "text-to-speech": (("text",), ("audio",)),
    "text-to-audio": (("text",), ("audio",)),
    "audio-to-audio": (("audio",), ("audio",)),
    "automatic-speech-recognition": (("audio",), ("text",)),
    "audio-classification": (("audio",), ("label",)),
    "voice-activity-detection": (("audio",), ("label",)),
    "audio-text-to-text": (("audio", "text"), ("text",)),
    "image-text-to-text": (("image", "text"), ("text",)),
    "video-text-to-text": (("video", "text"), ("text",)),
    "visual-question-answering": (("image", "text"), ("text",)),
    "document-question-answering": (("image", "text"), ("text",)),
    "visual-document-retrieval": (("image", "text"), ("embedding",)),
    "any-to-any": (("audio", "image", "text"), ("audio", "image", "text")),
    **dict.fromkeys(["tabular-classification", "tabular-regression"], (("tabular",), ("label",))),
    "time-series-forecasting": (("time-series",), ("time-series",)),
    **dict.fromkeys(["reinforcement-learning", "robotics"], (("observation",), ("action",))),
    "graph-ml": (("graph",), ("label",)),
}
GENERATED_MEDIA = {"image", "video", "audio", "3d"}


def task_io(pipeline_tag: object) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    return TASK_IO.get(pipeline_tag) if isinstance(pipeline_tag, str) else None


def multimodal_generation(pipeline_tag: object) -> bool | None:
    """Output image, video, audio or 3D, or inputs spanning several modalities; None for an unknown task."""
    io = task_io(pipeline_tag)
    if io is None:
        return None
    inputs, outputs = io
    return bool(GENERATED_MEDIA & set(outputs)) or len(set(inputs)) >= 2


SIZE_BUCKETS = [(0, 1e9, "<1B"), (1e9, 10e9, "1-10B"), (10e9, 35e9, "10-35B"), (35e9, 100e9, "35-100B"), (100e9, float("inf"), ">=100B")]
SIZE_BUCKET_ORDER = [label for _, _, label in SIZE_BUCKETS]


def size_bucket(params: object) -> str | None:
    """[0, 1B), [1B, 10B), [10B, 35B), [35B, 100B), [100B, ∞) (DESIGN.md §3)."""
    if params is None or pd.isna(params):
        return None
    for low, high, label in SIZE_BUCKETS:
        if low <= float(params) < high:
            return label
    return None


NAME_ACTIVE = re.compile(r"(?<![A-Za-z0-9.])A(\d+(?:\.\d+)?)([BbMm])(?![A-Za-z0-9])")


def active_params_from_name(model_id: str) -> int | None:
    """MoE active parameters from a name marker such as `30B-A3B` or `A2.7B`."""
    match = NAME_ACTIVE.search(model_id.rsplit("/", 1)[-1])
    if not match:
        return None
    return int(float(match[1]) * (1e9 if match[2] in "Bb" else 1e6))


def tag_set(tags: object) -> set[str]:
    if tags is None or (isinstance(tags, float) and pd.isna(tags)):
        return set()
    return {str(tag).lower() for tag in tags}


# Quantization: (format, tags that say it, name markers that say it). Checked in this order; first wins.
QUANT_FORMATS = [
    ("GGUF", {"gguf", "ggml", "llama.cpp", "llama-cpp"}, r"gguf|ggml"),
    ("EXL2", {"exl2", "exl3", "exllamav2"}, r"exl[23]"),
    ("AWQ", {"awq", "autoawq"}, r"awq"),
    ("GPTQ", {"gptq", "auto-gptq", "gptqmodel"}, r"gptq"),
    ("NVFP4", {"nvfp4"}, r"nvfp4"),
    ("FP4", {"fp4", "mxfp4"}, r"mxfp4|fp4"),
    ("FP8", {"fp8", "float8"}, r"fp8|float8"),
    ("bitsandbytes", {"bitsandbytes", "bnb"}, r"bnb"),
]
BIT_TAGS = {"2-bit", "3-bit", "4-bit", "5-bit", "6-bit", "8-bit", "int4", "int8", "w4a16", "w8a8", "w4a4", "quantized", "auto-round", "torchao"}
GENERIC_MARKER = r"[2-8]-?bits?|int[48]|w[48]a(?:4|8|16)|quantized|autoround|q[2-8]_k(?:_[msl])?|q8_0|q4_0"
FORMAT_NAMES = "|".join(marker for _, _, marker in QUANT_FORMATS) + r"|mlx|onnx-?q|" + GENERIC_MARKER
NAME_FORMAT_MARKER = re.compile(rf"(?i)(?:^|[-_.])(?:{FORMAT_NAMES})(?:$|[-_.])")
LOW_PRECISION = {"FP8", "FP4", "NVFP4"}


def has_format_marker(model_id: str) -> bool:
    """A quantization format named in the repo name (`-FP8`, `-GGUF`, `-AWQ`, `-4bit`, …)."""
    return bool(NAME_FORMAT_MARKER.search(model_id.rsplit("/", 1)[-1]))


def quantization_format(model_id: str, library: object, tags: object, relation: object = None) -> str | None:
    """GGUF, EXL2, AWQ, GPTQ, NVFP4, FP4, FP8, bitsandbytes, MLX-quantized, ONNX-quantized, other — or None.

    From tags, library and name (DESIGN.md §3). MLX and ONNX repos count only
    when they are quantized (a bit-width tag or marker, or the quantized relation);
    `other` is a quantized repo (bit-width tag or marker, or the quantized relation) in no listed format.
    """
    found = tag_set(tags)
    library = library.lower() if isinstance(library, str) else ""
    name = model_id.rsplit("/", 1)[-1]
    found.add(library)
    for label, format_tags, marker in QUANT_FORMATS:
        if found & format_tags or re.search(rf"(?i)(?:^|[-_.]){marker}(?:$|[-_.\d])", name):
            return label
    generic = bool(found & BIT_TAGS) or bool(re.search(rf"(?i)(?:^|[-_.])(?:{GENERIC_MARKER})(?:$|[-_.])", name))
    quantized_relation = relation == "quantized"
    if library == "mlx" or "mlx" in found or re.search(r"(?i)(?:^|[-_.])mlx(?:$|[-_.])", name) or model_id.startswith("mlx-community/"):
        if generic or quantized_relation:
            return "MLX-quantized"
    if library in ("onnx", "transformers.js") or "onnx" in found:
        if generic or quantized_relation or re.search(r"(?i)onnx-?q(?:$|[-_.])|uint8|q4f16", name):
            return "ONNX-quantized"
    if generic or quantized_relation:
        return "other"
    return None


# Architecture families: config model_type / tag -> family. Anything else with a model_type is "other".
ARCHITECTURE_FAMILIES = {
    "Llama": ["llama", "llama4", "llama4_text", "mllama", "code_llama"],
    "Qwen": ["qwen", "qwen2", "qwen2_moe", "qwen2_vl", "qwen2_5_vl", "qwen2_audio", "qwen2_5_omni", "qwen3", "qwen3_moe", "qwen3_next", "qwen3_vl", "qwen3_vl_moe", "qwen3_5", "qwen3_5_moe", "qwen3_omni_moe"],
    "Mistral": ["mistral", "mixtral", "mistral3", "ministral", "pixtral", "voxtral"],
    "Gemma": ["gemma", "gemma2", "gemma3", "gemma3_text", "gemma3n", "gemma4", "paligemma", "recurrent_gemma"],
    "Phi": ["phi", "phi3", "phi4", "phimoe", "phi4mm", "phi3_v"],
    "DeepSeek": ["deepseek", "deepseek_v2", "deepseek_v3", "deepseek_v32", "deepseek_vl_v2"],
    "GLM": ["chatglm", "glm", "glm4", "glm4v", "glm4_moe", "glm4_moe_lite", "glm_moe_dsa", "glm4v_moe"],
    "GPT (OpenAI lineage)": ["gpt2", "gpt_oss", "openai-gpt", "gptj", "gpt_neo", "gpt_neox", "gpt_bigcode"],
    "BERT-style encoder": ["bert", "roberta", "xlm-roberta", "distilbert", "deberta", "deberta-v2", "electra", "albert", "modernbert", "camembert", "mpnet", "xlm-roberta-xl", "nomic_bert", "new", "jina_bert"],
    "T5 / encoder-decoder": ["t5", "mt5", "umt5", "bart", "mbart", "marian", "pegasus", "longt5", "flan-t5", "m2m_100", "nllb"],
    "Whisper / speech": ["whisper", "wav2vec2", "hubert", "wavlm", "seamless_m4t", "speecht5", "parakeet"],
    "Vision transformer / CLIP": ["vit", "clip", "siglip", "siglip2", "dinov2", "dinov3", "convnext", "swin", "beit", "deit", "detr", "sam", "open_clip", "timm", "resnet", "yolo", "ultralytics"],
    "Diffusion": ["diffusers", "stable-diffusion", "flux", "stable-diffusion-xl", "diffusion-single-file", "ltx-2", "wan", "hunyuan"],
    "Granite": ["granite", "granitemoe", "granitemoehybrid"],
    "Falcon": ["falcon", "falcon_h1", "falcon_mamba", "falcon3"],
    "OLMo": ["olmo", "olmo2", "olmo3", "olmoe"],
    "LFM": ["lfm2", "lfm2_moe", "lfm2_vl"],
    "InternLM / InternVL": ["internlm", "internlm2", "internlm3", "internvl", "internvl_chat"],
    "Nemotron": ["nemotron", "nemotron_h"],
}
ARCHITECTURE_BY_TYPE = {model_type: family for family, types in ARCHITECTURE_FAMILIES.items() for model_type in types}


def architecture_family(config_arch: object, tags: object, library: object = None) -> str:
    """The family of a model's architecture from config `model_type`, else its tags and library; `unknown` when none says."""
    candidates = [config_arch.lower()] if isinstance(config_arch, str) and config_arch else []
    tag_list = [str(tag).lower() for tag in tags] if tags is not None and not (isinstance(tags, float) and pd.isna(tags)) else []
    candidates += tag_list
    if isinstance(library, str):
        candidates.append(library.lower())
    for candidate in candidates:
        if candidate in ARCHITECTURE_BY_TYPE:
            return ARCHITECTURE_BY_TYPE[candidate]
    return "other" if isinstance(config_arch, str) and config_arch else "unknown"


MOE_TYPES = {
    "mixtral", "qwen2_moe", "qwen3_moe", "qwen3_next", "qwen3_vl_moe", "qwen3_5_moe", "qwen3_omni_moe", "deepseek_v2", "deepseek_v3",
    "deepseek_v32", "dbrx", "gpt_oss", "olmoe", "granitemoe", "granitemoehybrid", "phimoe", "jetmoe", "arctic", "glm4_moe",
    "glm4_moe_lite", "glm4v_moe", "glm_moe_dsa", "lfm2_moe", "llama4", "llama4_text", "minimax", "minimax_m2", "ernie4_5_moe",
    "hunyuan_v1_moe", "kimi_k2", "grok", "jamba", "nllb_moe", "switch_transformers", "bailing_moe", "dots1", "step3", "longcat_flash",
}
NAME_MOE = re.compile(r"(?i)(?:^|[-_.])moe(?:$|[-_.\d])|(?<![A-Za-z0-9.])\d+x\d+(?:\.\d+)?[BbMm](?![A-Za-z0-9])|(?<![A-Za-z0-9.])A\d+(?:\.\d+)?[BbMm](?![A-Za-z0-9])")


def is_moe(model_id: str, config_arch: object, tags: object) -> bool:
    """Mixture-of-experts from config architecture or tags (`…moe…` model types, known MoE types, a `moe` tag) or name (`MoE`, `8x7B`, `A3B`)."""
    types = tag_set(tags)
    if isinstance(config_arch, str):
        types.add(config_arch.lower())
    if types & MOE_TYPES or any("moe" in item.split(":")[-1] and ":" not in item for item in types):
        return True
    return bool(NAME_MOE.search(model_id.rsplit("/", 1)[-1]))


# Licence families (DESIGN.md §3): Hub licence ids (and card `license_name` for `other`) -> family.
# OSI = approved by the Open Source Initiative (opensource.org/licenses). Creative Commons, CDLA, ODC and
# WTFPL are open but not OSI-approved; RAIL and vendor community licences carry use restrictions.
LICENCE_FAMILIES = {
    "OSI permissive": [
        "apache-2.0", "mit", "bsd", "bsd-2-clause", "bsd-3-clause", "bsd-3-clause-clear", "isc", "zlib", "afl-3.0", "artistic-2.0",
        "bsl-1.0", "ecl-2.0", "ms-pl", "ncsa", "postgresql", "unlicense", "upl-1.0", "0bsd", "mit-0", "apache 2.0", "mit license",
    ],
    "OSI copyleft": [
        "gpl", "gpl-2.0", "gpl-3.0", "lgpl", "lgpl-2.1", "lgpl-3.0", "lgpl-lr", "agpl-3.0", "mpl-2.0", "epl-1.0", "epl-2.0",
        "eupl-1.1", "eupl-1.2", "osl-3.0", "cecill", "ms-rl",
    ],
    "open non-OSI": [
        "llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "llama4", "llama", "llama-3", "gemma", "gemma-terms-of-use",
        "openrail", "openrail++", "creativeml-openrail-m", "bigscience-openrail-m", "bigscience-bloom-rail-1.0", "bigcode-openrail-m",
        "cc-by-2.0", "cc-by-2.5", "cc-by-3.0", "cc-by-4.0", "cc-by-sa-3.0", "cc-by-sa-4.0", "cc0-1.0", "cc", "cdla-permissive-1.0",
        "cdla-permissive-2.0", "cdla-sharing-1.0", "odc-by", "odbl", "pddl", "wtfpl", "apple-ascl", "qwen", "qwen2", "tongyi-qianwen",
        "tongyi-qianwen-license-agreement", "qwen-research", "tongyi-qianwen-research", "deepseek", "deepseek-license", "modified-mit",
        "falcon-llm-license", "falcon-mamba-7b-license", "nvidia-open-model-license", "nvidia-nemotron-open-model-license", "glm-4",
        "lfm1.0", "yi-license", "eva-llama3.3", "stabilityai-ai-community", "health-ai-developer-foundations", "seallms",
        "ai2-impact-license-low-risk", "helpingai", "cogvlm2", "ghost-open-llms", "intel-research", "c-uda", "h-research",
        "tencent-hunyuan-community", "openmdw-1.0",
    ],
    "non-commercial": [
        "cc-by-nc-2.0", "cc-by-nc-3.0", "cc-by-nc-4.0", "cc-by-nc-sa-2.0", "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0", "cc-by-nc-nd-3.0",
        "cc-by-nc-nd-4.0", "apple-amlr", "flux-1-dev-non-commercial-license", "deepfloyd-if-license", "mrl", "mistral-research",
        "exaone", "microsoft-research-license", "msrla", "katanemo-research", "mnpl", "stable-video-diffusion-community",
        "stable-video-diffusion-nc-community", "sv3d", "cc-by-nc",
    ],
}
LICENCE_FAMILY_BY_ID = {licence: family for family, licences in LICENCE_FAMILIES.items() for licence in licences}
LICENCE_FAMILY_ORDER = [*LICENCE_FAMILIES, "other/unknown"]
OSI_FAMILIES = {"OSI permissive", "OSI copyleft"}


def licence_id(license_value: object, card: dict | None) -> str | None:
    """The licence id to classify: the Hub's id, or for `other` the card's `license_name`."""
    value = license_value.strip().lower() if isinstance(license_value, str) and license_value.strip() else None
    if value in (None, "other") and card:
        name = card.get("license_name")
        if isinstance(name, str) and name.strip():
            return name.strip().lower()
    return value


def licence_family(licence: object) -> str:
    """OSI permissive, OSI copyleft, open non-OSI, non-commercial or other/unknown, from the written table."""
    if not isinstance(licence, str):
        return "other/unknown"
    return LICENCE_FAMILY_BY_ID.get(licence.strip().lower(), "other/unknown")

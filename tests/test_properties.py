"""Model properties (DESIGN.md §3, Model properties) on hand-picked real rows of the embedded data.

Every expected value below was read off the row's raw fields (safetensors /
GGUF totals, tags, library, name, licence, pipeline_tag) by hand.
"""

import pytest

from hubecon.enrich.properties import (
    architecture_family,
    has_format_marker,
    is_moe,
    licence_family,
    multimodal_generation,
    params_from_name,
    quantization_format,
    size_bucket,
)


@pytest.fixture(scope="module")
def facts(embedded):
    return embedded.enriched.facts.set_index("model_id")


# -- sizes ---------------------------------------------------------------------------------------


def test_size_comes_from_the_safetensors_total(facts):
    row = facts.loc["allenai/OLMo-2-1124-7B"]  # safetensors total 7,298,617,344
    assert row["params_total"] == 7_298_617_344 and row["params_source"] == "safetensors"
    assert row["size_bucket"] == "1-10B"


def test_size_comes_from_the_gguf_total_when_that_is_all_there_is(facts):
    # A GGUF merge of two models: no single parent to take a size from, so its own GGUF total (8,030,261,248).
    row = facts.loc["theprint/Code-Llama-Bagel-8B"]
    assert row["params_total"] == 8_030_261_248 and row["params_source"] == "gguf"


def test_size_parsed_from_an_experts_name_is_marked_approximate(facts):
    row = facts.loc["Salesforce/xLAM-8x22b-r"]  # no safetensors, no GGUF, no parent: 8 × 22B
    assert row["params_total"] == 176_000_000_000 and row["params_source"] == "name (approximate)"
    assert row["size_bucket"] == ">=100B"
    assert params_from_name("TheBloke/dolphin-2.5-mixtral-8x7b-GGUF") == 56_000_000_000
    assert params_from_name("Qwen/Qwen2.5-1.5B-Instruct") == 1_500_000_000
    assert params_from_name("Qwen/Qwen3-30B-A3B") == 30_000_000_000  # A3B is the active count, not the size


def test_a_packed_int4_quantization_takes_its_parents_size(facts):
    # Its own safetensors count is 1,928,721,920 (int4 packed into int32); the parent has 480,154,875,392.
    row = facts.loc["Intel/Qwen3-Coder-480B-A35B-Instruct-int4-mixed-AutoRound"]
    assert row["quantized_variant"]
    assert row["params_total"] == 480_154_875_392 and row["params_source"] == "parent"
    assert row["params_active"] == 35_000_000_000


def test_an_awq_quantization_in_the_listing_takes_its_parents_safetensors_size(facts):
    row = facts.loc["Qwen/Qwen2.5-7B-Instruct-AWQ"]  # parent Qwen/Qwen2.5-7B-Instruct: 7,615,616,512
    assert row["params_total"] == 7_615_616_512 and row["params_source"] == "parent"


@pytest.mark.parametrize(
    "params,bucket",
    [(999_999_999, "<1B"), (1_000_000_000, "1-10B"), (9_999_999_999, "1-10B"), (10_000_000_000, "10-35B"), (35_000_000_000, "35-100B"), (100_000_000_000, ">=100B"), (None, None)],
)
def test_size_buckets_are_closed_below_and_open_above(params, bucket):
    assert size_bucket(params) == bucket


# -- modality ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model_id,inputs,outputs,generation",
    [
        ("black-forest-labs/FLUX.1-dev", "text", "image", True),  # text-to-image
        ("hexgrad/Kokoro-82M", "text", "audio", True),  # text-to-speech
        ("Qwen/Qwen2.5-VL-7B-Instruct", "image+text", "text", True),  # image-text-to-text: inputs span two modalities
        ("openai/whisper-large-v3", "audio", "text", False),  # speech recognition outputs text
        ("openai/clip-vit-large-patch14", "image", "label", False),  # zero-shot image classification
        ("meta-llama/Llama-3.1-8B-Instruct", "text", "text", False),
    ],
)
def test_modality_and_multimodal_generation_follow_the_task(facts, model_id, inputs, outputs, generation):
    row = facts.loc[model_id]
    assert (row["inputs"], row["outputs"], bool(row["multimodal_generation"])) == (inputs, outputs, generation)


def test_an_unknown_task_has_no_multimodal_generation_value():
    assert multimodal_generation(None) is None
    assert multimodal_generation("text-to-video") is True


# -- quantization --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model_id,fmt",
    [
        ("TheBloke/Mixtral-8x7B-Instruct-v0.1-GGUF", "GGUF"),
        ("Qwen/Qwen2.5-7B-Instruct-AWQ", "AWQ"),
        ("Qwen/Qwen3.5-35B-A3B-GPTQ-Int4", "GPTQ"),
        ("unsloth/Qwen2.5-7B-Instruct-bnb-4bit", "bitsandbytes"),
        ("lmstudio-community/DeepSeek-R1-0528-Qwen3-8B-MLX-4bit", "MLX-quantized"),
        ("onnx-community/whisper-small", "ONNX-quantized"),
        ("nvidia/Gemma-4-31B-IT-NVFP4", "NVFP4"),
        ("Qwen/Qwen3-0.6B-FP8", "FP8"),
    ],
)
def test_quantization_formats_of_real_variants(facts, model_id, fmt):
    row = facts.loc[model_id]
    assert row["quantization_format"] == fmt
    assert row["quantized_variant"]
    assert row["fp_precision_original"] is None or row["fp_precision_original"] != row["fp_precision_original"]  # None or NaN


def test_an_fp8_original_is_a_precision_choice_and_an_fp8_variant_is_a_quantization(facts):
    original = facts.loc["deepseek-ai/DeepSeek-V3"]  # tag fp8, no parent, no marker in its name
    variant = facts.loc["Qwen/Qwen3-0.6B-FP8"]  # tag fp8, quantized from Qwen/Qwen3-0.6B, "-FP8" in its name
    assert original["quantization_format"] == "FP8" and not original["quantized_variant"] and original["fp_precision_original"] == "FP8"
    assert variant["quantization_format"] == "FP8" and variant["quantized_variant"]
    assert facts.loc["openai/gpt-oss-20b", "fp_precision_original"] == "FP4"  # MXFP4 weights, an original


def test_a_format_marker_without_a_parent_makes_a_self_made_variant(facts):
    assert facts.loc["zai-org/GLM-5-FP8", "quantized_variant"]  # no parent in the data, "-FP8" in its name
    assert not facts.loc["allenai/OLMo-2-1124-7B", "quantized_variant"]
    assert has_format_marker("bartowski/Llama-3.2-1B-Instruct-Q4_K_M")
    assert not has_format_marker("Qdrant/all-MiniLM-L6-v2-onnx")  # a format conversion, not a quantization


def test_quantization_format_from_library_tags_and_name():
    assert quantization_format("x/y", "gguf", []) == "GGUF"
    assert quantization_format("x/y-EXL2-4.0bpw", None, []) == "EXL2"
    assert quantization_format("mlx-community/y", "mlx", ["4-bit"]) == "MLX-quantized"
    assert quantization_format("mlx-community/y", "mlx", []) is None  # an MLX conversion at full precision
    assert quantization_format("x/y", "transformers", ["safetensors"]) is None


# -- MoE, licences, architectures ----------------------------------------------------------------


def test_moe_from_architecture_tag_and_name(facts):
    assert facts.loc["Qwen/Qwen3-30B-A3B", "moe"]  # qwen3_moe model type
    assert facts.loc["deepseek-ai/DeepSeek-V3", "moe"]  # deepseek_v3
    assert facts.loc["Salesforce/xLAM-8x22b-r", "moe"]  # 8x22b in the name
    assert not facts.loc["meta-llama/Llama-3.1-8B-Instruct", "moe"]
    assert is_moe("x/Some-MoE-model", None, []) and is_moe("x/y", "olmoe", []) and not is_moe("x/y-8B", "llama", [])


@pytest.mark.parametrize(
    "model_id,family",
    [
        ("allenai/OLMo-2-1124-7B", "OSI permissive"),  # apache-2.0
        ("circulus/canvers-ko2en-v1", "OSI copyleft"),  # gpl-3.0
        ("meta-llama/Llama-3.1-8B-Instruct", "open non-OSI"),  # llama3.1
        ("stabilityai/stable-diffusion-xl-base-1.0", "open non-OSI"),  # openrail++
        ("MaziyarPanahi/calme-3.2-instruct-3b", "open non-OSI"),  # other + card license_name qwen-research
        ("facebook/mms-1b-all", "non-commercial"),  # cc-by-nc-4.0
        ("black-forest-labs/FLUX.1-dev", "non-commercial"),  # other + flux-1-dev-non-commercial-license
        ("openai/clip-vit-large-patch14", "other/unknown"),  # no licence
    ],
)
def test_licence_families_of_real_models(facts, model_id, family):
    assert facts.loc[model_id, "licence_family"] == family


def test_licence_table_is_strict_about_osi_approval():
    assert licence_family("cc-by-4.0") == "open non-OSI"  # open, but not OSI-approved
    assert licence_family("MIT") == "OSI permissive"
    assert licence_family("some-custom-licence") == "other/unknown"


def test_architecture_family_from_config_or_tags(facts):
    assert facts.loc["Qwen/Qwen3-30B-A3B", "architecture_family"] == "Qwen"
    assert facts.loc["mistralai/Mixtral-8x7B-Instruct-v0.1", "architecture_family"] == "Mistral"
    assert architecture_family("llama", []) == "Llama"
    assert architecture_family("brand_new_arch", []) == "other"
    assert architecture_family(None, ["safetensors"]) == "unknown"

"""Build a tiny random-weight CLIP (the real CLIPModel architecture) for the image-embedding tests.

  .cache/fixtures/models/tiny-clip/
    config.json, model.safetensors              CLIPModel, seed 0, hidden 32, 2 layers, 2 heads, patch 16
    preprocessor_config.json                    CLIPImageProcessor as openai/clip-vit-base-patch32 has it
    tokenizer.json, tokenizer_config.json, ...  a CLIP BPE tokenizer (byte-level, </w> suffix) trained here
    onnx/vision_model.onnx                      pixel_values [batch,3,224,224] -> image_embeds [batch,16]
    onnx/text_model.onnx                        input_ids, attention_mask [batch,sequence] -> text_embeds [batch,16]
    export-check.json                           onnxruntime vs torch, max abs diff per graph

The embeddings are the projections before L2 normalisation (as CLIPVisionModelWithProjection /
CLIPTextModelWithProjection give them, which is the transformers.js layout). Nothing touches the hub.
Run from the repository root: python test/python/make_tiny_clip.py
"""

import os

import fixture_common  # noqa: E402,F401  (offline Hugging Face settings, before transformers loads)

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel, CLIPTokenizer
from transformers.image_utils import OPENAI_CLIP_MEAN, OPENAI_CLIP_STD

_report = fixture_common.Reporter("make_tiny_clip")
log, fail = _report.log, _report.fail

OUT = Path(".cache/fixtures/models/tiny-clip")
SEED = 0
TOL = 1e-4
BOS, EOS = "<|startoftext|>", "<|endoftext|>"
# Small on purpose: the tokenizer is trained on these, so common English words get whole-word merges
# and anything else falls back to byte-level pieces (every byte, with and without </w>, is in the vocab).
CORPUS = [
    "a photo of a cat",
    "a photo of a dog",
    "a diagram of a neural network",
    "the quick brown fox jumps over the lazy dog",
    "a red car parked on the street at night",
    "two people walking on the beach at sunset",
    "a bowl of fruit on a wooden table",
    "an aerial view of a city with tall buildings",
    "a handwritten note with blue ink",
    "a screenshot of a web page with text and images",
]


def build_vocab() -> tuple[dict[str, int], list[tuple[str, str]]]:
    # CLIP's BPE: lower-cased, byte-level symbols, the last symbol of a word carries "</w>".
    bpe = Tokenizer(models.BPE(end_of_word_suffix="</w>"))
    bpe.normalizer = normalizers.Lowercase()
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    trainer = trainers.BpeTrainer(
        vocab_size=400, min_frequency=1, initial_alphabet=alphabet, end_of_word_suffix="</w>", show_progress=False
    )
    bpe.train_from_iterator(CORPUS, trainer)
    merges = [(a, b) for a, b in json.loads(bpe.to_str())["model"]["merges"]]
    # Vocab laid out as CLIP's is: bytes, bytes + </w>, merge results in merge order, then the specials.
    symbols = sorted(alphabet)
    vocab_list = symbols + [s + "</w>" for s in symbols]
    for m in merges:
        merged = m[0] + m[1]
        if merged not in vocab_list:
            vocab_list.append(merged)
    vocab_list += [BOS, EOS]
    return {t: i for i, t in enumerate(vocab_list)}, merges


def build_tokenizer() -> CLIPTokenizer:
    vocab, merges = build_vocab()
    tok = CLIPTokenizer(vocab=vocab, merges=merges)
    tok.model_max_length = 77
    return tok


def build_model(vocab_size: int, bos_id: int, eos_id: int) -> CLIPModel:
    torch.manual_seed(SEED)
    common = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, hidden_act="quick_gelu")
    config = CLIPConfig(
        text_config=dict(
            common, vocab_size=vocab_size, max_position_embeddings=77, bos_token_id=bos_id, eos_token_id=eos_id, pad_token_id=eos_id
        ),
        vision_config=dict(common, image_size=224, patch_size=16, num_channels=3),
        projection_dim=16,
    )
    model = CLIPModel(config).eval()
    # Random init leaves LayerNorm at identity and biases at zero; perturb them so every parameter matters.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name or name.endswith(".bias"):
                p.add_(torch.randn_like(p) * 0.1)
    return model


def processor() -> CLIPImageProcessorPil:
    return CLIPImageProcessorPil(
        do_resize=True,
        size={"shortest_edge": 224},
        resample=3,
        do_center_crop=True,
        crop_size={"height": 224, "width": 224},
        do_rescale=True,
        rescale_factor=1 / 255,
        do_normalize=True,
        image_mean=OPENAI_CLIP_MEAN,
        image_std=OPENAI_CLIP_STD,
        do_convert_rgb=True,
    )


class Vision(torch.nn.Module):
    def __init__(self, m: CLIPModel):
        super().__init__()
        self.m = m

    def forward(self, pixel_values):
        return self.m.get_image_features(pixel_values=pixel_values).pooler_output


class Text(torch.nn.Module):
    def __init__(self, m: CLIPModel):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask):
        return self.m.get_text_features(input_ids=input_ids, attention_mask=attention_mask).pooler_output


def export(module: torch.nn.Module, args: tuple, inputs: list[str], output: str, dyn: dict, path: Path) -> None:
    tmp = path.with_suffix(".tmp.onnx")
    with torch.no_grad():
        torch.onnx.export(
            module.eval(),  # a fresh wrapper is in train mode
            args,
            str(tmp),
            input_names=inputs,
            output_names=[output],
            dynamic_axes=dyn,
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )
    m = onnx.load(str(tmp), load_external_data=True)
    onnx.checker.check_model(m)
    onnx.save_model(m, str(path), save_as_external_data=False)
    for p in path.parent.iterdir():
        if p.name.startswith(path.stem + ".tmp"):
            p.unlink()


def check(path: Path, module: torch.nn.Module, output: str, feeds_list: list[dict]) -> float:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst = 0.0
    for feeds in feeds_list:
        with torch.no_grad():
            ref = module(*[torch.from_numpy(v) for v in feeds.values()]).numpy()
        got = sess.run([output], feeds)[0]
        if got.shape != ref.shape:
            fail(f"{path.name}: shape {got.shape} vs torch {ref.shape}")
        worst = max(worst, float(np.abs(got - ref).max()))
    if worst > TOL:
        fail(f"{path.name}: onnxruntime vs torch max abs diff {worst:.3g} > {TOL}")
    return worst


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    (OUT / "onnx").mkdir(parents=True)
    tok = build_tokenizer()
    model = build_model(len(tok), tok.bos_token_id, tok.eos_token_id)
    model.save_pretrained(str(OUT))
    tok.save_pretrained(str(OUT))
    processor().save_pretrained(str(OUT))
    if not (OUT / "tokenizer.json").exists():
        fail("the tokenizer did not write tokenizer.json")

    vision, text = Vision(model).eval(), Text(model).eval()
    rng = np.random.default_rng(SEED)
    export(
        vision,
        (torch.from_numpy(rng.standard_normal((2, 3, 224, 224), dtype=np.float32)),),
        ["pixel_values"],
        "image_embeds",
        {"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}},
        OUT / "onnx" / "vision_model.onnx",
    )
    enc = tok(["a photo of a cat", "hello"], padding=True, return_tensors="pt")
    export(
        text,
        (enc["input_ids"].to(torch.int64), enc["attention_mask"].to(torch.int64)),
        ["input_ids", "attention_mask"],
        "text_embeds",
        {k: {0: "batch", 1: "sequence"} for k in ["input_ids", "attention_mask"]} | {"text_embeds": {0: "batch"}},
        OUT / "onnx" / "text_model.onnx",
    )

    pixel_batches = [{"pixel_values": rng.standard_normal((n, 3, 224, 224), dtype=np.float32)} for n in (1, 3)]
    text_batches = []
    for texts in (["a dog"], ["a photo of a cat", "x", "Ça va? 東京 🙂 and some words never seen in training"]):
        e = tok(texts, padding=True, return_tensors="np")
        text_batches.append({k: e[k].astype(np.int64) for k in ["input_ids", "attention_mask"]})
    result = {
        "vision_max_abs_diff": check(OUT / "onnx" / "vision_model.onnx", vision, "image_embeds", pixel_batches),
        "text_max_abs_diff": check(OUT / "onnx" / "text_model.onnx", text, "text_embeds", text_batches),
    }
    (OUT / "export-check.json").write_text(json.dumps(result) + "\n")
    log(f"tiny-clip: vocab {len(tok)}, projection 16; onnx vs torch {result}")


if __name__ == "__main__":
    main()

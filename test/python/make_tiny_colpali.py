"""Build a tiny random-weight ColPali (the real ColPaliForRetrieval = PaliGemma(SigLIP + Gemma) + projection).

  .cache/fixtures/models/tiny-colpali/
    config.json, model.safetensors               ColPaliForRetrieval, seed 0, hidden 32, 2+2 layers, embedding_dim 32
    preprocessor_config.json, processor_config.json   ColPaliProcessor (SiglipImageProcessorPil 64×64, 64 image tokens)
    tokenizer.json, tokenizer_config.json, ...   a Gemma BPE tokenizer (byte fallback) trained here, plus the
                                                 processor's <image>, <loc…>, <seg…> tokens
    onnx/image_model.onnx   input_ids, attention_mask [batch,seq], pixel_values [batch,3,64,64] -> embeddings [batch,seq,32]
    onnx/text_model.onnx    input_ids, attention_mask [batch,seq] -> embeddings [batch,seq,32]
    export-check.json       onnxruntime vs torch, max abs diff per graph

`embeddings` is ColPaliForRetrieval's output: projected, L2-normalised per token, zeroed under attention_mask 0.
The graphs run the model exactly as `model(**processor(...))` does (token_type_ids all 0: one bidirectional block).

--export DIR OUT exports an existing ColPaliForRetrieval checkpoint (e.g. vidore/colpali-v1.3-hf, downloaded by
other means) into the same ONNX layout, for `hearth import OUT --as <id>`. Nothing touches the hub.
Run from the repository root: python test/python/make_tiny_colpali.py
"""

import os

import fixture_common  # noqa: E402,F401  (offline Hugging Face settings, before transformers loads)

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
from transformers import ColPaliConfig, ColPaliForRetrieval, ColPaliProcessor, GemmaTokenizer, SiglipImageProcessorPil
from transformers.image_utils import IMAGENET_STANDARD_MEAN, IMAGENET_STANDARD_STD

_report = fixture_common.Reporter("make_tiny_colpali")
log, fail = _report.log, _report.fail

OUT = Path(".cache/fixtures/models/tiny-colpali")
SEED = 0
TOL = 1e-4
IMAGE_SIZE, PATCH = 64, 8
CORPUS = [
    "Describe the image.",
    "Question: what is the total revenue in the table?",
    "Question: which figure shows the network diagram?",
    "the quick brown fox jumps over the lazy dog",
    "quarterly report with charts and tables",
    "a scanned invoice with handwritten notes",
    "the page describes the installation steps",
    "how many pages mention the budget for 2024?",
]


def build_tokenizer() -> GemmaTokenizer:
    # Gemma's BPE: spaces become "▁", split after each space, byte fallback for anything unseen.
    specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>"]
    bpe = Tokenizer(models.BPE(byte_fallback=True, unk_token="<unk>"))
    bpe.normalizer = normalizers.Replace(" ", "▁")
    bpe.pre_tokenizer = pre_tokenizers.Split(pattern="▁", behavior="merged_with_previous")
    bytes_ = [f"<0x{i:02X}>" for i in range(256)]
    trainer = trainers.BpeTrainer(vocab_size=600, min_frequency=1, special_tokens=specials + bytes_, show_progress=False)
    bpe.train_from_iterator(CORPUS, trainer)
    state = json.loads(bpe.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in state["merges"]]
    tok = GemmaTokenizer(vocab=state["vocab"], merges=merges, padding_side="right")
    tok.model_max_length = 512
    return tok


def build_processor(tok: GemmaTokenizer) -> ColPaliProcessor:
    image_processor = SiglipImageProcessorPil(
        size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
        resample=3,
        do_rescale=True,
        rescale_factor=1 / 255,
        do_normalize=True,
        image_mean=IMAGENET_STANDARD_MEAN,
        image_std=IMAGENET_STANDARD_STD,
        do_convert_rgb=True,
    )
    image_processor.image_seq_length = (IMAGE_SIZE // PATCH) ** 2
    # The constructor adds <image> and the 1152 <loc…>/<seg…> tokens, as for the real checkpoints.
    return ColPaliProcessor(image_processor=image_processor, tokenizer=tok)


def build_model(processor: ColPaliProcessor) -> ColPaliForRetrieval:
    torch.manual_seed(SEED)
    tok = processor.tokenizer
    vocab = len(tok)
    config = ColPaliConfig(
        vlm_config=dict(
            model_type="paligemma",
            vision_config=dict(
                model_type="siglip_vision_model",
                hidden_size=32,
                intermediate_size=64,
                num_hidden_layers=2,
                num_attention_heads=2,
                image_size=IMAGE_SIZE,
                patch_size=PATCH,
                vision_use_head=False,
            ),
            text_config=dict(
                model_type="gemma",
                hidden_size=32,
                intermediate_size=64,
                num_hidden_layers=2,
                num_attention_heads=2,
                num_key_value_heads=1,
                head_dim=16,
                vocab_size=vocab,
                max_position_embeddings=512,
                pad_token_id=tok.pad_token_id,
                bos_token_id=tok.bos_token_id,
                eos_token_id=tok.eos_token_id,
            ),
            image_token_index=processor.image_token_id,
            vocab_size=vocab,
            projection_dim=32,
            hidden_size=32,
        ),
        embedding_dim=32,
    )
    model = ColPaliForRetrieval(config).eval()
    # Random init leaves norms at identity and biases at zero; perturb them so every parameter matters.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name or name.endswith(".bias"):
                p.add_(torch.randn_like(p) * 0.1)
    return model


class Embed(torch.nn.Module):
    """model(**processor(...)).embeddings: the processor's token_type_ids are all 0 (no suffix)."""

    def __init__(self, m: ColPaliForRetrieval, images: bool):
        super().__init__()
        self.m, self.images = m, images

    def forward(self, input_ids, attention_mask, pixel_values=None):
        out = self.m(
            input_ids=input_ids,
            attention_mask=attention_mask,
            pixel_values=pixel_values,
            token_type_ids=torch.zeros_like(input_ids),
        )
        return out.embeddings


def export(module: torch.nn.Module, args: tuple, inputs: list[str], path: Path) -> None:
    tmp = path.with_suffix(".tmp.onnx")
    dyn = {k: {0: "batch", 1: "sequence"} for k in ["input_ids", "attention_mask"]} | {"embeddings": {0: "batch", 1: "sequence"}}
    if "pixel_values" in inputs:
        dyn["pixel_values"] = {0: "batch"}
    with torch.no_grad():
        torch.onnx.export(
            module.eval(),
            args,
            str(tmp),
            input_names=inputs,
            output_names=["embeddings"],
            dynamic_axes=dyn,
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )
    m = onnx.load(str(tmp), load_external_data=True)
    large = m.ByteSize() > 1_900_000_000
    if not large:
        onnx.checker.check_model(m)
    onnx.save_model(m, str(path), save_as_external_data=large, location=path.name + "_data" if large else None)
    for p in path.parent.iterdir():
        if p.name.startswith(path.stem + ".tmp"):
            p.unlink()


def check(path: Path, module: torch.nn.Module, feeds_list: list[dict]) -> float:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst = 0.0
    for feeds in feeds_list:
        with torch.no_grad():
            ref = module(*[torch.from_numpy(v) for v in feeds.values()]).numpy()
        got = sess.run(["embeddings"], feeds)[0]
        if got.shape != ref.shape:
            fail(f"{path.name}: shape {got.shape} vs torch {ref.shape}")
        worst = max(worst, float(np.abs(got - ref).max()))
    if worst > TOL:
        fail(f"{path.name}: onnxruntime vs torch max abs diff {worst:.3g} > {TOL}")
    return worst


def np_feeds(batch, keys) -> dict:
    return {k: batch[k].numpy().astype(np.int64 if k != "pixel_values" else np.float32) for k in keys}


def export_all(model: ColPaliForRetrieval, processor: ColPaliProcessor, out: Path) -> dict:
    (out / "onnx").mkdir(parents=True, exist_ok=True)
    image, text = Embed(model, True).eval(), Embed(model, False).eval()
    rng = np.random.default_rng(SEED)
    size = processor.image_processor.size
    h, w = size["height"], size["width"]

    def images(n: int):
        return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n)]

    b = processor(images=images(2), return_tensors="pt")
    export(image, (b["input_ids"], b["attention_mask"], b["pixel_values"]), ["input_ids", "attention_mask", "pixel_values"], out / "onnx" / "image_model.onnx")
    q = processor(text=["what is the total revenue?", "hi"], return_tensors="pt")
    export(text, (q["input_ids"], q["attention_mask"]), ["input_ids", "attention_mask"], out / "onnx" / "text_model.onnx")

    image_batches = [np_feeds(processor(images=images(n), return_tensors="pt"), ["input_ids", "attention_mask", "pixel_values"]) for n in (1, 3)]
    text_batches = [
        np_feeds(processor(text=t, return_tensors="pt"), ["input_ids", "attention_mask"])
        for t in (["a"], ["which figure shows the network diagram?", "x", "Ça va? 東京 🙂 words never seen in training at all"])
    ]
    result = {
        "image_max_abs_diff": check(out / "onnx" / "image_model.onnx", image, image_batches),
        "text_max_abs_diff": check(out / "onnx" / "text_model.onnx", text, text_batches),
    }
    (out / "export-check.json").write_text(json.dumps(result) + "\n")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--export", nargs=2, metavar=("CHECKPOINT", "OUT"), help="export an existing ColPaliForRetrieval checkpoint")
    args = parser.parse_args()
    if args.export:
        src, out = Path(args.export[0]), Path(args.export[1])
        model = ColPaliForRetrieval.from_pretrained(str(src), dtype=torch.float32).eval()
        processor = ColPaliProcessor.from_pretrained(str(src))
        model.save_pretrained(str(out))
        processor.save_pretrained(str(out))
        log(f"exported {src} -> {out}: {export_all(model, processor, out)}")
        return

    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    processor = build_processor(build_tokenizer())
    model = build_model(processor)
    model.save_pretrained(str(OUT))
    processor.save_pretrained(str(OUT))
    if not (OUT / "tokenizer.json").exists():
        fail("the processor did not write tokenizer.json")
    result = export_all(model, processor, OUT)
    log(f"tiny-colpali: vocab {len(processor.tokenizer)}, {processor.image_seq_length} image tokens; onnx vs torch {result}")


if __name__ == "__main__":
    main()

"""Build a tiny random-weight image captioner (the real VisionEncoderDecoderModel: ViT encoder + GPT-2 decoder
with cross-attention, as nlpconnect/vit-gpt2-image-captioning) for the /v1/images/captions tests.

  .cache/fixtures/models/tiny-captioner/
    config.json, generation_config.json, model.safetensors   VisionEncoderDecoderModel, seed 0, hidden 32, 2+2 layers
    preprocessor_config.json                                 ViTImageProcessor as the real model has it (224×224 bilinear, mean/std 0.5)
    tokenizer.json, tokenizer_config.json, ...               a GPT-2 byte-level BPE tokenizer trained here, <|endoftext|> = bos/eos/pad
    onnx/encoder_model.onnx                                  pixel_values [batch_size,3,224,224] -> last_hidden_state
    onnx/decoder_model_merged.onnx                           optimum's merged decoder: use_cache_branch selects the no-past or
                                                             with-past graph (an ONNX If); input_ids, encoder_hidden_states,
                                                             past_key_values.{i}.{key,value} in; logits, present.{i}.{key,value}
                                                             out — the files and names transformers.js loads for ViT-GPT2
    export-check.json                                        onnxruntime vs torch, max abs diff per graph

Random weights alone caption every image with the same repeated token. The LM head is untied (a GPT2Config
option) and it, the positions and the cross-attention are scaled so that the image steers the greedy path and
the top-1/top-2 logit gaps stay wide (the reference script reports the smallest). Nothing touches the hub.
Run from the repository root: python test/python/make_tiny_captioner.py
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
from onnx import TensorProto, helper
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (
    DynamicCache,
    EncoderDecoderCache,
    GenerationConfig,
    GPT2Config,
    GPT2LMHeadModel,
    GPT2TokenizerFast,
    ViTConfig,
    ViTImageProcessorPil,
    ViTModel,
    VisionEncoderDecoderModel,
)

_report = fixture_common.Reporter("make_tiny_captioner")
log, fail = _report.log, _report.fail

OUT = Path(".cache/fixtures/models/tiny-captioner")
SEED = 7
TOL = 1e-4
EOS = "<|endoftext|>"
LAYERS, HEADS, HIDDEN = 2, 2, 32
HEAD_DIM = HIDDEN // HEADS
MAX_LENGTH = 16  # generation_config max_length (counts the decoder start token), as small captioners ship
CORPUS = [
    "a cat sitting on a couch",
    "a dog running in the grass",
    "a man riding a bike down the street",
    "two people walking on the beach at sunset",
    "a red car parked on the side of the road",
    "a bowl of fruit on a wooden table",
    "a city skyline with tall buildings",
    "a close up of a sign with text on it",
    "a black and white photo of a train",
    "a group of people standing around a kitchen",
    "a plate of food with broccoli and rice",
    "an airplane flying in the blue sky",
]


def build_tokenizer() -> GPT2TokenizerFast:
    # GPT-2's: byte-level BPE with the leading-space convention, one special token for bos/eos/unk/pad.
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=360, min_frequency=1, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[EOS], show_progress=False
    )
    bpe.train_from_iterator(CORPUS, trainer)
    tok = GPT2TokenizerFast(tokenizer_object=bpe, bos_token=EOS, eos_token=EOS, unk_token=EOS, pad_token=EOS)
    tok.model_max_length = 64
    return tok


def build_model(tok: GPT2TokenizerFast) -> VisionEncoderDecoderModel:
    torch.manual_seed(SEED)
    encoder = ViTModel(
        ViTConfig(hidden_size=HIDDEN, num_hidden_layers=LAYERS, num_attention_heads=HEADS, intermediate_size=64, image_size=224, patch_size=16),
        add_pooling_layer=False,
    )
    eos = tok.eos_token_id
    decoder = GPT2LMHeadModel(
        GPT2Config(
            vocab_size=len(tok), n_positions=64, n_embd=HIDDEN, n_layer=LAYERS, n_head=HEADS, n_inner=64,
            add_cross_attention=True, is_decoder=True, tie_word_embeddings=False, bos_token_id=eos, eos_token_id=eos, pad_token_id=eos,
        )
    )
    model = VisionEncoderDecoderModel(encoder=encoder, decoder=decoder)
    model.config.decoder_start_token_id = eos
    model.config.pad_token_id = eos
    model.config.eos_token_id = eos
    model.generation_config = GenerationConfig(
        decoder_start_token_id=eos, bos_token_id=eos, eos_token_id=eos, pad_token_id=eos, max_length=MAX_LENGTH
    )
    model.eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            # LayerNorm at identity and zero biases make every parameter but the matrices moot; perturb them.
            if "norm" in name or "ln_" in name or name.endswith(".bias"):
                p.add_(torch.randn_like(p) * 0.1)
        # Chosen by a small search (seed, scales) for captions that differ per image with wide top-1/top-2 gaps:
        # an untied, scaled LM head that mostly speaks in merged (word-piece) tokens rather than raw bytes,
        # strong positions, and sharp, loud cross-attention so the image steers every step.
        decoder = model.decoder
        decoder.transformer.wte.weight.mul_(2.0)
        decoder.lm_head.weight.mul_(40.0)
        decoder.lm_head.weight[1:257].mul_(0.3)
        decoder.transformer.wpe.weight.mul_(4.0)
        for block in decoder.transformer.h:
            block.crossattention.c_attn.weight.mul_(16.0)
            block.crossattention.q_attn.weight.mul_(16.0)
            block.crossattention.c_proj.weight.mul_(4.0)
        # Some captions must end on their own (finish_reason "stop", rows of a batch ending at different steps):
        # end-of-sequence takes over wherever " it" would have been the greedy pick, which happens mid-caption
        # for about a third of the test images.
        decoder.lm_head.weight[tok.eos_token_id] = decoder.lm_head.weight[tok.convert_tokens_to_ids("Ġit")] * 1.05
    return model


def processor() -> ViTImageProcessorPil:
    # nlpconnect/vit-gpt2-image-captioning's preprocessor_config.json
    return ViTImageProcessorPil(do_resize=True, size={"height": 224, "width": 224}, resample=2, do_rescale=True, rescale_factor=1 / 255,
                                do_normalize=True, image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])


class Encoder(torch.nn.Module):
    def __init__(self, m: VisionEncoderDecoderModel):
        super().__init__()
        self.m = m

    def forward(self, pixel_values):
        return self.m.encoder(pixel_values=pixel_values).last_hidden_state


def flatten(cache: EncoderDecoderCache) -> list[torch.Tensor]:
    out = []
    for i in range(LAYERS):
        layer = cache.self_attention_cache.layers[i]
        out += [layer.keys, layer.values]
    return out


class Decoder(torch.nn.Module):
    """GPT-2 with cross-attention as optimum exports it for VisionEncoderDecoder: only the self-attention keys/values
    are cached (past_key_values.{i}.key/value); cross-attention reads encoder_hidden_states at every step."""

    def __init__(self, m: VisionEncoderDecoderModel):
        super().__init__()
        self.m = m

    def forward(self, input_ids, encoder_hidden_states, *past):
        cache = None
        if past:
            cache = EncoderDecoderCache(DynamicCache([(past[2 * i], past[2 * i + 1]) for i in range(LAYERS)]), DynamicCache())
        out = self.m.decoder(input_ids=input_ids, encoder_hidden_states=encoder_hidden_states, past_key_values=cache, use_cache=True)
        return (out.logits, *flatten(out.past_key_values))


def pkv_names(prefix: str) -> list[str]:
    return [f"{prefix}.{i}.{kind}" for i in range(LAYERS) for kind in ("key", "value")]


def export(module, args, inputs, outputs, dyn, path: Path) -> None:
    tmp = path.with_suffix(".tmp.onnx")
    with torch.no_grad():
        torch.onnx.export(module.eval(), args, str(tmp), input_names=inputs, output_names=outputs, dynamic_axes=dyn,
                          opset_version=17, do_constant_folding=True, dynamo=False)
    m = onnx.load(str(tmp), load_external_data=True)
    onnx.checker.check_model(m)
    onnx.save_model(m, str(path), save_as_external_data=False)
    for p in path.parent.iterdir():
        if p.name.startswith(path.stem + ".tmp"):
            p.unlink()


def as_branch(model: onnx.ModelProto, tag: str, outer: set[str]) -> onnx.GraphProto:
    """A graph turned into an If branch: no formal inputs (it reads the outer ones), private names prefixed."""
    g = model.graph
    rename = lambda n: n if (n in outer or n == "") else f"{tag}/{n}"
    for node in g.node:
        node.input[:] = [rename(n) for n in node.input]
        node.output[:] = [rename(n) for n in node.output]
        node.name = f"{tag}/{node.name}"
    for init in g.initializer:
        init.name = rename(init.name)
    for vi in list(g.output) + list(g.value_info):
        vi.name = rename(vi.name)
    del g.input[:]
    return g


def merge_decoders(no_past: Path, with_past: Path, out: Path) -> None:
    """optimum's decoder_model_merged layout: one graph, `use_cache_branch` picks the branch (an ONNX If)."""
    a, b = onnx.load(str(no_past)), onnx.load(str(with_past))
    inputs = [onnx.ValueInfoProto.FromString(vi.SerializeToString()) for vi in b.graph.input]
    outer = {vi.name for vi in inputs} | {"use_cache_branch"}
    outputs = [o.name for o in b.graph.output]
    if outputs != [o.name for o in a.graph.output]:
        fail(f"branch outputs differ: {outputs} vs {[o.name for o in a.graph.output]}")
    out_infos = [onnx.ValueInfoProto.FromString(vi.SerializeToString()) for vi in b.graph.output]
    then_g, else_g = as_branch(b, "with_past", outer), as_branch(a, "no_past", outer)
    if_node = helper.make_node("If", ["use_cache_branch"], outputs, name="optimum::if", then_branch=then_g, else_branch=else_g)
    use_cache = helper.make_tensor_value_info("use_cache_branch", TensorProto.BOOL, [1])
    graph = helper.make_graph([if_node], "decoder_model_merged", [*inputs, use_cache], out_infos)
    merged = helper.make_model(graph, opset_imports=b.opset_import, producer_name="hearth-make_tiny_captioner")
    merged.ir_version = b.ir_version
    onnx.checker.check_model(merged)
    onnx.save_model(merged, str(out))


def max_diff(got: list[np.ndarray], ref: list[torch.Tensor], what: str) -> float:
    worst = 0.0
    for g, r in zip(got, ref):
        r = r.numpy()
        if g.shape != r.shape:
            fail(f"{what}: shape {g.shape} vs torch {r.shape}")
        worst = max(worst, float(np.abs(g - r).max()))
    return worst


def check(model: VisionEncoderDecoderModel, tok: GPT2TokenizerFast) -> dict:
    """Greedy steps through the merged decoder (no-past prefill of 1 and 3 tokens, then cached steps) vs torch."""
    enc_sess = ort.InferenceSession(str(OUT / "onnx" / "encoder_model.onnx"), providers=["CPUExecutionProvider"])
    dec_sess = ort.InferenceSession(str(OUT / "onnx" / "decoder_model_merged.onnx"), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(SEED + 1)
    worst = {"encoder": 0.0, "decoder_no_past": 0.0, "decoder_with_past": 0.0}
    eos = tok.eos_token_id
    decoder = Decoder(model).eval()
    names = ["logits", *pkv_names("present")]
    for batch, prefix in ((1, [eos]), (3, [eos, 5, 17])):
        pv = rng.standard_normal((batch, 3, 224, 224), dtype=np.float32)
        with torch.no_grad():
            hidden_ref = Encoder(model)(torch.from_numpy(pv))
        hidden = enc_sess.run(["last_hidden_state"], {"pixel_values": pv})[0]
        worst["encoder"] = max(worst["encoder"], max_diff([hidden], [hidden_ref], "encoder"))
        ids = np.array([prefix] * batch, dtype=np.int64)
        # transformers.js starts with zero-length pasts and use_cache_branch false
        feeds = {"input_ids": ids, "encoder_hidden_states": hidden, "use_cache_branch": np.array([False])}
        feeds |= {n: np.zeros((batch, HEADS, 0, HEAD_DIM), dtype=np.float32) for n in pkv_names("past_key_values")}
        got = dec_sess.run(names, feeds)
        with torch.no_grad():
            ref = decoder(torch.from_numpy(ids), hidden_ref)
        worst["decoder_no_past"] = max(worst["decoder_no_past"], max_diff(got, list(ref), "decoder (no past)"))
        for step in range(4):
            nxt = got[0][:, -1, :].argmax(-1)[:, None].astype(np.int64)
            with torch.no_grad():
                ref = decoder(torch.from_numpy(nxt), hidden_ref, *ref[1:])
            feeds = {"input_ids": nxt, "encoder_hidden_states": hidden, "use_cache_branch": np.array([True])}
            feeds |= dict(zip(pkv_names("past_key_values"), got[1:]))
            got = dec_sess.run(names, feeds)
            worst["decoder_with_past"] = max(worst["decoder_with_past"], max_diff(got, list(ref), f"decoder step {step}"))
            if got[1].shape[2] != len(prefix) + step + 1:
                fail(f"unexpected cache shape {got[1].shape}")
    for k, v in worst.items():
        if v > TOL:
            fail(f"{k}: onnxruntime vs torch max abs diff {v:.3g} > {TOL}")
    return worst


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    (OUT / "onnx").mkdir(parents=True)
    tmp = OUT / "onnx-parts"
    tmp.mkdir()
    tok = build_tokenizer()
    model = build_model(tok)
    model.save_pretrained(str(OUT))
    tok.save_pretrained(str(OUT))
    processor().save_pretrained(str(OUT))
    if not (OUT / "tokenizer.json").exists():
        fail("the tokenizer did not write tokenizer.json")

    rng = np.random.default_rng(SEED)
    pv = torch.from_numpy(rng.standard_normal((2, 3, 224, 224), dtype=np.float32))
    export(Encoder(model), (pv,), ["pixel_values"], ["last_hidden_state"],
           {"pixel_values": {0: "batch_size"}, "last_hidden_state": {0: "batch_size", 1: "encoder_sequence_length"}},
           OUT / "onnx" / "encoder_model.onnx")
    with torch.no_grad():
        hidden = Encoder(model)(pv)
    ids = torch.tensor([[tok.eos_token_id, 7, 9]] * 2, dtype=torch.int64)
    seq = {0: "batch_size", 1: "decoder_sequence_length"}
    common = {"input_ids": seq, "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"}, "logits": seq}
    presents = {n: {0: "batch_size", 2: "present_sequence_length"} for n in pkv_names("present")}
    decoder = Decoder(model).eval()
    outputs = ["logits", *pkv_names("present")]
    export(decoder, (ids, hidden), ["input_ids", "encoder_hidden_states"], outputs, common | presents, tmp / "decoder_model.onnx")
    with torch.no_grad():
        past = list(decoder(ids, hidden)[1:])
    step_ids = torch.tensor([[11], [13]], dtype=torch.int64)
    pasts = {n: {0: "batch_size", 2: "past_sequence_length"} for n in pkv_names("past_key_values")}
    export(decoder, (step_ids, hidden, *past), ["input_ids", "encoder_hidden_states", *pkv_names("past_key_values")], outputs,
           common | pasts | presents, tmp / "decoder_with_past_model.onnx")
    merge_decoders(tmp / "decoder_model.onnx", tmp / "decoder_with_past_model.onnx", OUT / "onnx" / "decoder_model_merged.onnx")
    shutil.rmtree(tmp)

    result = check(model, tok)
    (OUT / "export-check.json").write_text(json.dumps(result) + "\n")
    log(f"tiny-captioner: vocab {len(tok)}, hidden {HIDDEN}; onnx vs torch {result}")


if __name__ == "__main__":
    main()

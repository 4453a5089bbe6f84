"""Build a random-weight CLIP at the real ViT-B/32 size (openai/clip-vit-base-patch32's config) for bench/images.

Same code path as make_tiny_clip.py (architecture, tokenizer, processor, ONNX layout); only the sizes differ,
so inference costs what the real model costs. Benchmarks only: nothing checks its vectors against anything
but onnxruntime-vs-torch at export.
  python test/python/make_bench_clip.py [out_dir]   (default .cache/bench/clip-b32)
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import make_tiny_clip as tiny  # noqa: E402
import torch  # noqa: E402
from transformers import CLIPConfig, CLIPModel  # noqa: E402


def build_model(vocab_size: int, bos_id: int, eos_id: int) -> CLIPModel:
    torch.manual_seed(tiny.SEED)
    config = CLIPConfig(
        text_config=dict(
            hidden_size=512, intermediate_size=2048, num_hidden_layers=12, num_attention_heads=8, hidden_act="quick_gelu",
            vocab_size=vocab_size, max_position_embeddings=77, bos_token_id=bos_id, eos_token_id=eos_id, pad_token_id=eos_id,
        ),
        vision_config=dict(
            hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12, hidden_act="quick_gelu",
            image_size=224, patch_size=32, num_channels=3,
        ),
        projection_dim=512,
    )
    return CLIPModel(config).eval()


if __name__ == "__main__":
    tiny.OUT = Path(sys.argv[1] if len(sys.argv) > 1 else ".cache/bench/clip-b32")
    tiny.build_model = build_model
    tiny.TOL = 1e-3  # 12 layers of float32 accumulate more rounding than the 2-layer fixture
    tiny.main()

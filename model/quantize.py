"""Quantised CPU inference: int8 matrix products with one activation scale per token.

`Int8TokenClassifier` wraps a trained RoBERTa/BERT token classifier and runs its encoder
with its own forward: every Linear of the encoder becomes an int8 x int8 -> int32 product
(`torch._int_mm`, VNNI on x86), weights quantised once with one scale per output channel,
activations quantised on the fly with one scale per token (row), so one long or odd token
no longer coarsens the grid of every other token in the batch, as the per-batch scale of
torch's dynamic quantisation (`dtype="qint8"`, `dynamic_int8` below) does. Query, key and
value share one product; the attention itself runs in bf16, the residual stream, layer
norms and the classifier in fp32.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from transformers.modeling_outputs import TokenClassifierOutput

HEADS = ("classifier", "lm_head", "qa_outputs")


class Int8Unsupported(ValueError):
    """The model's layout or this CPU/torch build cannot run the int8 path; says why."""


def int8_kernel_problem() -> str | None:
    """None where `torch._int_mm` runs on the CPU and the CPU has int8 dot-product units.

    Without VNNI (AVX512-VNNI, AVX-VNNI or AMX) int8 products are no faster than bf16/fp32,
    so the path is refused rather than silently slow.
    """
    if not hasattr(torch, "_int_mm"):
        return f"this torch build ({torch.__version__}) has no torch._int_mm"
    try:
        a = torch.ones(3, 8, dtype=torch.int8)
        if int(torch._int_mm(a, a.t().contiguous())[0, 0]) != 8:
            return "torch._int_mm gave a wrong result on this CPU"
    except (RuntimeError, NotImplementedError) as exc:
        return f"torch._int_mm does not run on this CPU ({exc})"
    is_vnni = getattr(torch.cpu, "_is_vnni_supported", None)
    if is_vnni is None or not is_vnni():
        return "this CPU has no int8 dot-product instructions (AVX512-VNNI, AVX-VNNI or AMX)"
    return None


def quantize_rows(x: torch.Tensor, overwrite: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 with one scale per row: (int8 values, fp32 scales of shape (rows, 1)).

    `overwrite=True` scales `x` itself (fp32, not needed afterwards) instead of a copy.
    """
    # max(amax, -amin): two reads and no |x| temporary (3x faster than abs().amax() at 3072 wide)
    scale = torch.maximum(x.amax(-1, keepdim=True), x.amin(-1, keepdim=True).neg_())
    scale = scale.float().clamp_min_(1e-12).mul_(1 / 127)
    scaled = x.mul_(1 / scale) if overwrite else torch.mul(x, 1 / scale)
    return scaled.round_().to(torch.int8), scale


@dataclass
class Int8Linear:
    """A Linear layer as int8 weights (in x out, for `_int_mm`) with one fp32 scale per output."""

    weight: torch.Tensor  # int8 (in_features, out_features)
    scale: torch.Tensor  # fp32 (out_features,)
    bias: torch.Tensor  # fp32 (out_features,)

    @classmethod
    def from_float(cls, weight: torch.Tensor, bias: torch.Tensor | None) -> "Int8Linear":
        w = weight.detach().float()
        scale = w.abs().amax(1).clamp_min(1e-12) / 127
        q = torch.round(w / scale[:, None]).to(torch.int8).t().contiguous()
        b = bias.detach().float() if bias is not None else torch.zeros(w.shape[0])
        return cls(q, scale.contiguous(), b.contiguous())

    def __call__(self, xq: torch.Tensor, xs: torch.Tensor) -> torch.Tensor:
        """Quantised rows (int8, scales) -> fp32 (rows, out). In place after the product:
        a second buffer of this size costs more in page faults than the arithmetic."""
        out = torch._int_mm(xq, self.weight).float().mul_(xs)
        return torch.addcmul(self.bias, out, self.scale, out=out)


@dataclass
class _Layer:
    qkv: Int8Linear
    attn_out: Int8Linear
    ln1: torch.nn.LayerNorm
    ffn_in: Int8Linear
    act: torch.nn.Module
    ffn_out: Int8Linear
    ln2: torch.nn.LayerNorm


def _check_layout(model: torch.nn.Module) -> torch.nn.Module:
    cfg = model.config
    base = getattr(model, getattr(model, "base_model_prefix", ""), None)
    problems = []
    if base is None or not hasattr(base, "encoder") or not hasattr(base, "embeddings"):
        problems.append(f"{type(model).__name__} has no BERT-style encoder")
    if not isinstance(getattr(model, "classifier", None), torch.nn.Linear):
        problems.append("no Linear token classifier")
    if getattr(cfg, "is_decoder", False) or getattr(cfg, "add_cross_attention", False):
        problems.append("decoder/cross-attention models are not supported")
    if getattr(cfg, "position_embedding_type", "absolute") != "absolute":
        problems.append(f"position_embedding_type {cfg.position_embedding_type!r} is not supported")
    if getattr(cfg, "hidden_act", None) != "gelu":
        problems.append(f"activation {getattr(cfg, 'hidden_act', None)!r} is not supported (gelu only)")
    if problems:
        raise Int8Unsupported(f"{type(model).__name__}: " + "; ".join(problems))
    return base


class Int8TokenClassifier(torch.nn.Module):
    """A BERT/RoBERTa token classifier with int8 encoder products (see the module docstring).

    Called like the Hugging Face model (`input_ids`, `attention_mask`) and returns an
    output with `.logits` (fp32), so the Predictor runs it unchanged. The fp32 model it was
    built from keeps its config (`.config`) and its embeddings, layer norms and classifier.
    """

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        problem = int8_kernel_problem()
        if problem:
            raise Int8Unsupported(f"dtype='int8' cannot run here: {problem}; "
                                  "dtype='qint8' (torch dynamic int8) or 'float32' run on any CPU")
        base = _check_layout(model)
        self.config = model.config
        self.embeddings = base.embeddings
        self.classifier = model.classifier
        self.heads = model.config.num_attention_heads
        self.head_dim = model.config.hidden_size // self.heads
        self.layers: list[_Layer] = []
        self._norms = torch.nn.ModuleList()  # registered so .eval()/.to() reach them
        for layer in base.encoder.layer:
            att = layer.attention.self
            # one product for query, key and value; 1/sqrt(head_dim) folded into the query
            q_scale = getattr(att, "scaling", self.head_dim ** -0.5)
            w = torch.cat([att.query.weight * q_scale, att.key.weight, att.value.weight])
            b = torch.cat([att.query.bias * q_scale, att.key.bias, att.value.bias])
            self.layers.append(_Layer(
                Int8Linear.from_float(w, b),
                Int8Linear.from_float(layer.attention.output.dense.weight, layer.attention.output.dense.bias),
                layer.attention.output.LayerNorm,
                Int8Linear.from_float(layer.intermediate.dense.weight, layer.intermediate.dense.bias),
                layer.intermediate.intermediate_act_fn,
                Int8Linear.from_float(layer.output.dense.weight, layer.output.dense.bias),
                layer.output.LayerNorm))
            self._norms.extend([layer.attention.output.LayerNorm, layer.output.LayerNorm])

    def _attention(self, qkv: torch.Tensor, batch: int, width: int, lengths: list[tuple[int, int]]) -> torch.Tensor:
        """Scaled dot-product attention in bf16 over (batch, width) tokens; (tokens, hidden) out.

        `lengths` holds (row, real tokens) for the rows with padding: only their padded key
        columns are masked (a broadcast mask add over all scores cost as much as Q.K^T).
        """
        # one pass converts to bf16 and lays q, k, v out per head for the batched products
        heads = torch.empty(3, batch, self.heads, width, self.head_dim, dtype=torch.bfloat16)
        heads.copy_(qkv.view(batch, width, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4))
        q, k, v = heads.unbind(0)
        scores = torch.matmul(q, k.transpose(-1, -2))
        for row, n in lengths:
            scores[row, :, :, n:] = torch.finfo(torch.bfloat16).min
        out = torch.matmul(torch._softmax(scores, -1, False, out=scores), v)
        return out.transpose(1, 2).reshape(batch * width, self.heads * self.head_dim)

    @staticmethod
    def _feed_forward(L: _Layer, h: torch.Tensor) -> torch.Tensor:
        """LN2(FFN(h) + h), the 4x-wide intermediate changed in place (one buffer, not four).

        Cutting the rows into cache-sized chunks gained nothing on one thread and lost 7-10%
        on two (more, smaller operations), so the whole batch goes at once.
        """
        f = L.ffn_in(*quantize_rows(h))
        torch.ops.aten.gelu_(f)
        return L.ln2(L.ffn_out(*quantize_rows(f, overwrite=True)).add_(h))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                **_: object) -> TokenClassifierOutput:
        batch, width = input_ids.shape
        h = self.embeddings(input_ids=input_ids)
        h = h.reshape(batch * width, h.shape[-1]).float()
        lengths = []  # rows with padding: the predictor pads at the end of each row
        if attention_mask is not None:
            real = attention_mask.sum(1).tolist()
            lengths = [(row, n) for row, n in enumerate(real) if n < width]
            if any(not bool(attention_mask[row, :n].all()) for row, n in lengths):
                raise ValueError("dtype='int8' expects padding at the end of each row (attention_mask 1...1 0...0)")
        for L in self.layers:
            a = self._attention(L.qkv(*quantize_rows(h)), batch, width, lengths)
            h = L.ln1(L.attn_out(*quantize_rows(a)).add_(h))
            h = self._feed_forward(L, h)
        logits = self.classifier(h).view(batch, width, -1)
        return TokenClassifierOutput(logits=logits)


def dynamic_int8(model: torch.nn.Module) -> torch.nn.Module:
    """torch's dynamic int8 (`dtype="qint8"`): per-channel weights, one activation scale per batch.

    Per-channel weight scales and an fp32 classifier kept more entities identical to fp32
    than one scale per tensor (99.5% against 99.2% on the dev+test splits, compact model);
    the classifier is a sliver of the compute.
    """
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    head = {name for name, _ in model.named_children() if name in HEADS}
    spec = {name: per_channel_dynamic_qconfig for name, mod in model.named_modules()
            if isinstance(mod, torch.nn.Linear) and name.split(".")[0] not in head}
    with warnings.catch_warnings():  # torch.ao's notice about moving to torchao
        warnings.simplefilter("ignore")
        return quantize_dynamic(model, spec, inplace=False)

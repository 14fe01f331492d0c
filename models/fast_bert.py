"""A compact BERT encoder for inference: plain torch, the same parameter names as HF's ``BertModel``.

Why: importing ``transformers`` costs several seconds, which dominated the cold
start of ``slant score`` on a short article. Scoring needs only the forward
pass of a standard post-LayerNorm BERT, which is this file; weights load from
safetensors with the same keys, and ``tests/test_fast_bert.py`` checks the
outputs against ``transformers.BertModel``. Training keeps using transformers.
"""
from __future__ import annotations

from types import SimpleNamespace

import torch
from torch import nn
from torch.nn import functional as F


class _Container(nn.Module):
    """An empty module used only to reproduce HF's parameter paths."""


class _Layer(nn.Module):
    def __init__(self, hidden: int, inter: int, eps: float, device=None):
        super().__init__()
        self.attention = _Container()
        self.attention.self = _Container()
        self.attention.self.query = nn.Linear(hidden, hidden, device=device)
        self.attention.self.key = nn.Linear(hidden, hidden, device=device)
        self.attention.self.value = nn.Linear(hidden, hidden, device=device)
        self.attention.output = _Container()
        self.attention.output.dense = nn.Linear(hidden, hidden, device=device)
        self.attention.output.LayerNorm = nn.LayerNorm(hidden, eps=eps, device=device)
        self.intermediate = _Container()
        self.intermediate.dense = nn.Linear(hidden, inter, device=device)
        self.output = _Container()
        self.output.dense = nn.Linear(inter, hidden, device=device)
        self.output.LayerNorm = nn.LayerNorm(hidden, eps=eps, device=device)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, heads: int) -> torch.Tensor:
        """``mask``: the additive attention mask, (batch × heads, 1, length), from ``FastBert``."""
        b, n, h = x.shape
        d = h // heads
        att = self.attention.self

        def split(t):
            return t.view(b, n, heads, d).transpose(1, 2).reshape(b * heads, n, d)

        # baddbmm/softmax/bmm rather than scaled_dot_product_attention: at news-sentence lengths
        # (20-80 word pieces) SDPA's CPU kernel was 1.5-1.8x slower in bf16 and no faster in fp32
        scores = torch.baddbmm(mask, split(att.query(x)), split(att.key(x)).transpose(1, 2), alpha=d ** -0.5)
        ctx = torch.bmm(torch.softmax(scores, dim=-1), split(att.value(x)))
        ctx = ctx.view(b, heads, n, d).transpose(1, 2).reshape(b, n, h)
        x = self.attention.output.LayerNorm(self.attention.output.dense(ctx) + x)
        y = self.output.dense(F.gelu(self.intermediate.dense(x)))
        return self.output.LayerNorm(y + x)


def _embedding(rows: int, dim: int, device) -> nn.Embedding:
    """An embedding table; on the meta device it is given its (empty) weight, because
    ``nn.Embedding``'s own init on meta imports torch._dynamo (about 1 s of cold start)."""
    if device is None:
        return nn.Embedding(rows, dim)
    return nn.Embedding(rows, dim, _weight=torch.empty(rows, dim, device=device))


class FastBert(nn.Module):
    def __init__(self, config: dict, device=None):
        """``device="meta"`` allocates nothing and skips the random init: for weights that are
        loaded next with ``load_state_dict(..., assign=True)``."""
        super().__init__()
        c = self.config = SimpleNamespace(**config)
        if getattr(c, "hidden_act", "gelu") != "gelu" or getattr(c, "position_embedding_type", "absolute") != "absolute":
            raise ValueError("FastBert supports BERT with gelu and absolute positions only")
        eps = getattr(c, "layer_norm_eps", 1e-12)
        self.embeddings = _Container()
        self.embeddings.word_embeddings = _embedding(c.vocab_size, c.hidden_size, device)
        self.embeddings.position_embeddings = _embedding(c.max_position_embeddings, c.hidden_size, device)
        self.embeddings.token_type_embeddings = _embedding(getattr(c, "type_vocab_size", 2), c.hidden_size, device)
        self.embeddings.LayerNorm = nn.LayerNorm(c.hidden_size, eps=eps, device=device)
        self.encoder = _Container()
        self.encoder.layer = nn.ModuleList(
            _Layer(c.hidden_size, c.intermediate_size, eps, device) for _ in range(c.num_hidden_layers))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids=None):
        emb = self.embeddings
        n = input_ids.shape[1]
        x = (emb.word_embeddings(input_ids) + emb.position_embeddings.weight[:n].unsqueeze(0)
             + emb.token_type_embeddings.weight[0])
        x = emb.LayerNorm(x)
        heads = self.config.num_attention_heads
        # additive mask, one row per (sentence, head), broadcast over query positions by baddbmm
        mask = torch.zeros(attention_mask.shape, dtype=x.dtype).masked_fill(attention_mask == 0, float("-inf"))
        mask = mask.repeat_interleave(heads, dim=0).unsqueeze(1)
        for layer in self.encoder.layer:
            x = layer(x, mask, heads)
        return SimpleNamespace(last_hidden_state=x)

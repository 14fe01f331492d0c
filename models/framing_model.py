"""The network: one shared encoder with a sentence head and an optional token head.

The sentence head reads the mean of the token vectors (MiniLM was trained with
mean pooling, so this starts closer to a good sentence vector than [CLS]). The
token head tags each word piece with BIO technique tags for loaded-word spans.
An optional opinion head (BABE's 3-way label) is an auxiliary task only.
"""
from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from models.encoders import LORA_TARGETS, load_encoder
from models.errors import SlantError


@dataclass
class Architecture:
    """Everything needed to rebuild the module before loading weights (saved as config.json)."""
    base: str
    adapter: str = "none"
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.1
    lora_targets: list[str] = field(default_factory=lambda: ["query", "key", "value", "dense"])
    lora_frozen_layers: int = 0
    """The first N encoder layers carry no adapter (folders saved before this option read 0)."""
    labels: list[str] = field(default_factory=lambda: ["neutral", "framing"])
    tags: list[str] = field(default_factory=list)
    """BIO tags of the token head; empty means no token head."""
    opinion_head: bool = False
    stance_head: bool = False
    """Target-dependent stance (negative/neutral/positive) from a marked target mention."""
    stances: list[str] = field(default_factory=lambda: ["negative", "neutral", "positive"])
    stance_query: bool = False
    """The target's words also follow the sentence after [SEP] (sentence-pair input, as
    BERT-SPC does for aspect sentiment), so every layer can attend from the sentence to
    whom it is judging; folders saved before this option read False."""
    stance_local: int = 0
    """The stance head also reads the mean of the word pieces within this many positions of the
    target's opening marker (0: off), local context focus as in LCF-BERT, so two people in one
    sentence are judged by the words around each; folders saved before this option read 0."""
    max_length: int = 128
    dropout: float = 0.1
    layers: int = 0
    """Keep the base encoder's first N layers (0: all)."""

    def to_dict(self) -> dict:
        return asdict(self)


def masked_mean(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the positions ``mask`` keeps, per row, summed in fp32 even for a bf16 network."""
    weight = mask.unsqueeze(-1).float()
    return ((hidden.float() * weight).sum(1) / weight.sum(1).clamp(min=1.0)).to(hidden.dtype)


def stance_feature_size(hidden_size: int, local: int = 0) -> int:
    """Width of what ``stance_features`` returns, so the head is sized where the parts are chosen."""
    return (3 if local > 0 else 2) * hidden_size


def stance_features(hidden: torch.Tensor, pooled: torch.Tensor, target_index: torch.Tensor,
                    attention_mask: torch.Tensor | None = None, local: int = 0) -> torch.Tensor:
    """[vector at the target's opening marker ; sentence mean] per row, and with ``local`` > 0 the
    mean of the unpadded positions within ``local`` of the marker as a third part (rows without a
    target read position 0; their stance loss is masked)."""
    rows = torch.arange(hidden.shape[0], device=hidden.device)
    index = target_index.clamp(min=0)
    parts = [hidden[rows, index], pooled]
    if local > 0:
        positions = torch.arange(hidden.shape[1], device=hidden.device)
        near = (positions[None, :] - index[:, None]).abs() <= local
        if attention_mask is not None:
            near = near & attention_mask.bool()
        parts.append(masked_mean(hidden, near))
    return torch.cat(parts, dim=-1)


def _check_lora_targets(encoder: nn.Module, arch: Architecture) -> None:
    """Every target must name a module (peft's suffix rule). peft only fails when *none* match, so
    BERT's names on MPNet would silently adapt the feed-forward layers alone."""
    names = [n for n, _ in encoder.named_modules()]
    unmatched = [t for t in arch.lora_targets if not any(n == t or n.endswith("." + t) for n in names)]
    if unmatched:
        kind = getattr(encoder.config, "model_type", "?")
        hint = LORA_TARGETS.get(kind)
        fix = f"set model.lora_targets: [{', '.join(hint)}]" if hint else "use this encoder's module names"
        raise SlantError(f"model.lora_targets {unmatched} name no module of base {arch.base} ({kind}); {fix}")


def keep_first_layers(encoder: nn.Module, n: int, base: str) -> None:
    """Drop the encoder's top layers in place (config updated, so the saved encoder config
    and the fast scoring encoder get the same depth)."""
    layers = getattr(getattr(encoder, "encoder", None), "layer", None)
    if not isinstance(layers, nn.ModuleList):
        raise SlantError(f"model.layers {n}: base {base} keeps its layers elsewhere than encoder.layer; "
                         "use model.layers 0 with this encoder")
    if n > len(layers):
        raise SlantError(f"model.layers {n}: base {base} has only {len(layers)} layers; use 0 (all) or fewer")
    encoder.encoder.layer = layers[:n]
    encoder.config.num_hidden_layers = n


def adapted_layers(encoder: nn.Module, arch: Architecture) -> dict:
    """peft's arguments that keep the adapter off the first ``arch.lora_frozen_layers`` layers
    ({} when every layer is adapted)."""
    if not arch.lora_frozen_layers:
        return {}
    n = encoder.config.num_hidden_layers
    if arch.lora_frozen_layers >= n:
        raise SlantError(f"model.lora_frozen_layers {arch.lora_frozen_layers}: base {arch.base} has {n} layers, "
                         f"so nothing would train; use fewer than {n}")
    return {"layers_to_transform": list(range(arch.lora_frozen_layers, n)), "layers_pattern": "layer"}


class FramingModel(nn.Module):
    def __init__(self, arch: Architecture, encoder: nn.Module):
        super().__init__()
        self.arch = arch
        self.encoder = encoder
        hidden = self._hidden_size()
        self.dropout = nn.Dropout(arch.dropout)
        self.sentence_head = nn.Linear(hidden, len(arch.labels))
        self.token_head = nn.Linear(hidden, len(arch.tags)) if arch.tags else None
        self.opinion_head = nn.Linear(hidden, 3) if arch.opinion_head else None
        self.stance_head = (nn.Linear(stance_feature_size(hidden, arch.stance_local), len(arch.stances))
                            if arch.stance_head else None)

    def _hidden_size(self) -> int:
        cfg = getattr(self.encoder, "config", None)
        return cfg.hidden_size

    @classmethod
    def build(cls, arch: Architecture, *, pretrained: bool = True, adapter: bool = True) -> "FramingModel":
        """``adapter=False`` builds a plain encoder even for a LoRA architecture, for loading
        with the adapter merged in (no peft needed at inference)."""
        encoder = load_encoder(arch.base, pretrained=pretrained or arch.adapter == "lora")
        if arch.layers:
            keep_first_layers(encoder, arch.layers, arch.base)
        if arch.adapter == "lora" and adapter:
            from peft import LoraConfig, get_peft_model

            _check_lora_targets(encoder, arch)
            lora = LoraConfig(r=arch.lora_r, lora_alpha=arch.lora_alpha, lora_dropout=arch.lora_dropout,
                              target_modules=list(arch.lora_targets), bias="none",
                              **adapted_layers(encoder, arch))
            with warnings.catch_warnings():  # peft asks transformers 5 a deprecated property: not the user's concern
                warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing", category=FutureWarning)
                encoder = get_peft_model(encoder, lora)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(1)
            return cls(arch, encoder)

    def forward(self, input_ids, attention_mask, token_type_ids=None, *, spans: bool = True,
                target_index: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """``spans=False`` skips the token head (scoring without highlights). With
        ``target_index`` (the opening target marker's position per row, -1 for none) the
        stance head reads that marker's vector beside the sentence mean."""
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        hidden = out.last_hidden_state
        pooled = masked_mean(hidden, attention_mask)
        result = {"logits": self.sentence_head(self.dropout(pooled))}
        if self.token_head is not None and spans:
            result["token_logits"] = self.token_head(self.dropout(hidden))
        if self.opinion_head is not None:
            result["opinion_logits"] = self.opinion_head(self.dropout(pooled))
        if self.stance_head is not None and target_index is not None:
            result["stance_logits"] = self.stance_head(self.dropout(stance_features(
                hidden, pooled, target_index, attention_mask, self.arch.stance_local)))
        return result

    def merge_adapter(self) -> None:
        """Fold LoRA weights into the encoder for inference (same outputs, faster)."""
        if self.arch.adapter == "lora" and hasattr(self.encoder, "merge_and_unload"):
            self.encoder = self.encoder.merge_and_unload()

    def merge_lora_state(self, state: dict[str, torch.Tensor]) -> list[str]:
        """Add saved LoRA deltas (W += B @ A * alpha / r; its transpose for an embedding table,
        which peft stores the other way round) to a plain encoder and load the heads.
        Returns the keys that matched nothing (a mismatched folder)."""
        scale = self.arch.lora_alpha / self.arch.lora_r
        pairs = {".lora_A.": ".lora_B.", ".lora_embedding_A.": ".lora_embedding_B."}
        unmatched = []
        heads = {}
        with torch.no_grad():
            for key, a in state.items():
                if any(b_part in key for b_part in pairs.values()):
                    continue
                a_part = next((part for part in pairs if part in key), None)
                if a_part is None:
                    heads[key] = a
                    continue
                b = state.get(key.replace(a_part, pairs[a_part]))
                path = "encoder." + key.split(a_part)[0].removeprefix("encoder.base_model.model.")
                try:
                    layer = self.get_submodule(path)
                except AttributeError:
                    unmatched.append(key)
                    continue
                delta = None if b is None or b.shape[1] != a.shape[0] else b @ a
                if delta is not None and a_part == ".lora_embedding_A.":
                    delta = delta.T
                if delta is None or layer.weight.shape != delta.shape:
                    unmatched.append(key)
                    continue
                layer.weight += delta * scale
        result = self.load_state_dict(heads, strict=False)
        return unmatched + list(result.unexpected_keys)

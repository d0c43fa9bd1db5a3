"""``glassnet.nn.utils``: gradient clipping (written in glassnet.optim.clip)."""

from glassnet.optim.clip import clip_grad_norm_, clip_grad_value_

__all__ = ["clip_grad_norm_", "clip_grad_value_"]

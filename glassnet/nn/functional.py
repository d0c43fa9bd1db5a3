"""``glassnet.nn.functional`` is ``glassnet.functional``: PyTorch users write
``import torch.nn.functional as F``, and the same line works here."""

from glassnet.functional import *  # noqa: F403
from glassnet.functional import __all__  # noqa: F401

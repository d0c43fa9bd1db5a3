"""The functional layer, ``import glassnet.functional as F``: every op of the library.

Each name comes from one family file in ``glassnet/ops`` where its ``Function`` (forward and
backward side by side) is written.
"""

from glassnet.ops import (
    activation,
    conv,
    distance,
    elementwise,
    linalg,
    loss,
    normalization,
    pooling,
    reduce,
    rnn,
    shape,
)
from glassnet.ops import embedding as embedding_ops  # the module; F.embedding is the op
from glassnet.ops.activation import *  # noqa: F403
from glassnet.ops.conv import *  # noqa: F403
from glassnet.ops.distance import *  # noqa: F403
from glassnet.ops.elementwise import *  # noqa: F403
from glassnet.ops.embedding import *  # noqa: F403
from glassnet.ops.linalg import *  # noqa: F403
from glassnet.ops.loss import *  # noqa: F403
from glassnet.ops.normalization import *  # noqa: F403
from glassnet.ops.pooling import *  # noqa: F403
from glassnet.ops.reduce import *  # noqa: F403
from glassnet.ops.rnn import *  # noqa: F403
from glassnet.ops.shape import *  # noqa: F403

__all__ = [
    *elementwise.__all__,
    *reduce.__all__,
    *shape.__all__,
    *linalg.__all__,
    *activation.__all__,
    *loss.__all__,
    *conv.__all__,
    *embedding_ops.__all__,
    *rnn.__all__,
    *pooling.__all__,
    *normalization.__all__,
    *distance.__all__,
]

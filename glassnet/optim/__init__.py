"""Optimizers, learning-rate schedulers and gradient clipping (``torch.optim``'s surface).

    from glassnet.optim import SGD
    from glassnet.optim.lr_scheduler import StepLR

    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = StepLR(optimizer, step_size=30)
    for epoch in range(90):
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
        scheduler.step()

Each optimizer's docstring writes its update rule; ``step()`` applies it in place to
``p.data`` with NumPy, for every parameter that has a ``.grad``.
"""

from glassnet.optim import lr_scheduler
from glassnet.optim.adagrad import Adagrad
from glassnet.optim.adam import Adam, AdamW
from glassnet.optim.clip import clip_grad_norm_, clip_grad_value_
from glassnet.optim.optimizer import Optimizer
from glassnet.optim.rmsprop import RMSprop
from glassnet.optim.sgd import SGD

__all__ = [
    "Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler",
    "clip_grad_norm_", "clip_grad_value_",
]

"""Text models: a character-level LSTM language model (``glassnet.text.charlm``).

    from glassnet.text import CharLM, TextStream, CharLMTrainer, evaluate, sample
"""

from glassnet.text.charlm import (
    CharLM,
    CharLMTrainer,
    Perplexity,
    PrintSample,
    TextStream,
    detach_state,
    evaluate,
    perplexity,
    sample,
    split_text,
)

__all__ = ["CharLM", "CharLMTrainer", "Perplexity", "PrintSample", "TextStream",
           "detach_state", "evaluate", "perplexity", "sample", "split_text"]

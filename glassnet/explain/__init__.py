"""Explaining a network: the backprop ledger (every number of a forward and backward pass,
with its formula) and the shape walk-through (output shapes and parameter arithmetic)."""

from glassnet.explain.ledger import Ledger, LedgerRow, format_number, ledger
from glassnet.explain.summary import Summary, SummaryRow, summary

__all__ = ["ledger", "Ledger", "LedgerRow", "format_number", "summary", "Summary",
           "SummaryRow"]

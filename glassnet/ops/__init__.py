"""The op library, one file per family; ``glassnet.functional`` re-exports them all."""

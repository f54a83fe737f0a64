"""hubecon: who holds power in the open-model economy, measured from Hugging Face Hub data."""

__version__ = "0.1.0"

from hubecon.api import Hubecon, open  # noqa: E402,A004

__all__ = ["Hubecon", "open", "__version__"]

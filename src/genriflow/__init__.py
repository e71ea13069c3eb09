"""genriflow: tell which genre a piece of music belongs to, from the audio itself."""

__version__ = "0.1.0"

"""insights: what buyers really say in sales calls and podcasts — objections, pain points and analogies by persona."""

__version__ = "0.1.0"

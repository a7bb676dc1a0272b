"""Renderers of decisions and explanations: zh and en text, JSON, Markdown.

Each renderer is a separate module over the same data; identity numbers are masked unless
the caller passes ``unmasked=True``.
"""

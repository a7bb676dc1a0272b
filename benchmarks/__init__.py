"""Speed of the credit_rules matcher against peer rule engines (``make bench``).

Not part of the test suite and not shipped: ``run.py`` is the entry point, ``generate.py``
builds the populations and synthetic catalogs, ``peers.py`` holds the peer harnesses and
``handwritten.py`` the hand-written reference functions. See ``README.md``.
"""

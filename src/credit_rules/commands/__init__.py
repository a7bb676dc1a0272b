"""One module per group of ``credit-rules`` subcommands, each with ``register(subparsers)``."""

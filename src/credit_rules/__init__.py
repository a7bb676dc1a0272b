"""credit_rules: compile catalogs of joint incentive and punishment measures into a matcher."""

__version__ = "0.1.0"

"""credit_rules: compile catalogs of joint incentive and punishment measures into a matcher.

The public API is the names in ``__all__``; everything else is internal and may change.
"""

from credit_rules.catalog import load_catalog as load_catalog
from credit_rules.decision import Decision as Decision
from credit_rules.decision import MeasureOutcome as MeasureOutcome
from credit_rules.decision import OutcomeStatus as OutcomeStatus
from credit_rules.engine import Engine as Engine
from credit_rules.engine import compile_catalog as compile
from credit_rules.errors import CreditRulesError as CreditRulesError
from credit_rules.errors import Diagnostic as Diagnostic
from credit_rules.explain import Explanation as Explanation
from credit_rules.explain import explain as explain
from credit_rules.model import Catalog as Catalog
from credit_rules.model import Dossier as Dossier
from credit_rules.model import Record as Record
from credit_rules.model import Subject as Subject
from credit_rules.records import dossier_from_data as dossier_from_data
from credit_rules.records import load_dossiers as load_dossiers
from credit_rules.render.data import decision_data as decision_data
from credit_rules.render.text import render_decision as render_decision
from credit_rules.render.text import render_explanation as render_explanation
from credit_rules.version import __version__ as __version__

__all__ = [
    "Catalog",
    "CreditRulesError",
    "Decision",
    "Diagnostic",
    "Dossier",
    "Engine",
    "Explanation",
    "MeasureOutcome",
    "OutcomeStatus",
    "Record",
    "Subject",
    "compile",
    "decision_data",
    "dossier_from_data",
    "explain",
    "load_catalog",
    "load_dossiers",
    "render_decision",
    "render_explanation",
]

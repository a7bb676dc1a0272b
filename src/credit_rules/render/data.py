"""Decisions as JSON-ready data (the form the JSON renderer, logs and replay share).

Input: a :class:`~credit_rules.decision.Decision`. Output: plain dicts with ISO dates and
deterministic ordering, valid against ``schemas/decision.schema.json``. Resident identity
numbers are masked unless ``unmasked`` is set.
"""

from __future__ import annotations

from typing import Any

from credit_rules.decision import Decision, MeasureOutcome
from credit_rules.explain import Explanation, MeasureExplanation
from credit_rules.facts import SetAside
from credit_rules.identifiers import mask
from credit_rules.model import LegalBasis, Measure, Subject

FORMAT_VERSION = 1


def subject_data(subject: Subject, *, unmasked: bool = False) -> dict[str, Any]:
    """A subject, its resident identity number masked by default."""
    data: dict[str, Any] = {"id": subject.id, "kind": subject.kind.value, "name": subject.name}
    if subject.uscc is not None:
        data["uscc"] = subject.uscc
    if subject.resident_id is not None:
        data["resident_id"] = subject.resident_id if unmasked else mask(subject.resident_id)
    return data


def basis_data(basis: LegalBasis) -> dict[str, Any]:
    """A legal basis as written in the catalog."""
    data: dict[str, Any] = {"title": basis.title, "rank": basis.rank.value}
    if basis.number:
        data["number"] = basis.number
    if basis.article:
        data["article"] = basis.article
    return data


def measure_data(measure: Measure) -> dict[str, Any]:
    """What a reader of a decision needs to know about a measure."""
    data: dict[str, Any] = {
        "id": measure.id,
        "title": measure.title,
        "kind": measure.kind.value,
        "list": measure.list.value,
        "impact": measure.impact.value,
        "catalog": measure.catalog_id,
        "duration": measure.duration.text(),
        "legal_basis": [basis_data(b) for b in measure.legal_basis],
        "implementers": [{"name": i.name, "sector": i.sector.value} for i in measure.implementers],
    }
    if measure.category:
        data["category"] = measure.category
    if measure.initiator:
        data["initiator"] = measure.initiator
    if measure.applies_in:
        data["applies_in"] = list(measure.applies_in)
    return data


def outcome_data(outcome: MeasureOutcome) -> dict[str, Any]:
    """One outcome with its period, witnesses and checks."""
    data: dict[str, Any] = {
        "measure": measure_data(outcome.measure),
        "status": outcome.status.value,
        "target": outcome.target.to_data(),
        "start": outcome.start.isoformat() if outcome.start else None,
        "end": outcome.end.isoformat() if outcome.end else None,
        "ends_by": outcome.ends_by,
        "records": [r.id for r in outcome.witnesses],
        "pending": [r.id for r in outcome.pending],
        "checks": [c.to_data() for c in outcome.checks],
    }
    if outcome.withheld_by:
        data["withheld_by"] = list(outcome.withheld_by)
    return data


def set_aside_data(item: SetAside) -> dict[str, Any]:
    """A record that did not count, and why."""
    data: dict[str, Any] = {
        "record": item.record.id,
        "subject_id": item.record.subject_id,
        "reason": item.reason.value,
        "detail": item.detail,
    }
    if item.on is not None:
        data["on"] = item.on.isoformat()
    if item.fact is not None:
        data["fact"] = item.fact
    return data


def decision_data(decision: Decision, *, unmasked: bool = False) -> dict[str, Any]:
    """The whole decision, JSON-ready, masked by default."""
    return {
        "format": FORMAT_VERSION,
        "subject": subject_data(decision.subject, unmasked=unmasked),
        "as_of": decision.as_of.isoformat(),
        "matter": decision.matter,
        "catalog": {"id": decision.catalog_id, "fingerprint": decision.catalog_fingerprint},
        "library_version": decision.library_version,
        "outcomes": [outcome_data(o) for o in decision.outcomes],
        "set_aside": [set_aside_data(s) for s in decision.set_aside],
    }


def explanation_data(explanation: Explanation, *, unmasked: bool = False) -> dict[str, Any]:
    """A decision with the explanation of each measure asked about."""
    data = decision_data(explanation.decision, unmasked=unmasked)
    data["explanation"] = {
        "measures": [measure_explanation_data(m) for m in explanation.measures],
    }
    return data


def measure_explanation_data(item: MeasureExplanation) -> dict[str, Any]:
    """One measure's explanation: verdict, condition steps, records and checks."""
    data: dict[str, Any] = {
        "measure": item.measure.id,
        "title": item.measure.title,
        "verdict": item.verdict.value,
        "target": item.target.to_data() if item.target is not None else None,
        "condition": item.condition,
        "steps": [
            {
                "text": s.text,
                "at": s.span.short(),
                "depth": s.depth,
                "holds": s.holds,
                **({"count": s.count} if s.count is not None else {}),
                "records": list(s.records),
            }
            for s in item.steps
        ],
        "witnesses": [r.id for r in item.witnesses],
        "pending": [r.id for r in item.pending],
        "set_aside": [set_aside_data(s) for s in item.set_aside],
        "candidates": [{"record": c.record_id, "failed": list(c.failed)} for c in item.candidates],
        "needed": list(item.needed),
        "blocking": list(item.blocking),
        "checks": [c.to_data() for c in item.checks],
        "legal_basis": [basis_data(b) for b in item.measure.legal_basis],
        "start": item.start.isoformat() if item.start else None,
        "end": item.end.isoformat() if item.end else None,
        "ends_by": item.ends_by,
        "withheld_by": list(item.withheld_by),
    }
    if item.evaluated_on is not None:
        data["evaluated_on"] = item.evaluated_on
    return data

"""Decisions and explanations as Markdown, for attaching to a case file (案卷).

Input: a :class:`~credit_rules.explain.Explanation` (or a decision). Output: Markdown with a
header table, one section per measure and the records set aside. Chinese by default; identity
numbers masked unless ``unmasked`` is set.
"""

from __future__ import annotations

from credit_rules.decision import Decision
from credit_rules.explain import Explanation
from credit_rules.render.text import (
    EXPLAIN_WORDS,
    STATUS_WORDS,
    VERDICT_WORDS,
    WORDS,
    Lang,
    basis_text,
    check_text,
    set_aside_line,
    subject_line,
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_decision_markdown(
    decision: Decision, *, lang: Lang = "zh", unmasked: bool = False
) -> str:
    """A decision as Markdown: header table and a table of outcomes."""
    return render_explanation_markdown(
        Explanation(decision=decision, measures=()), lang=lang, unmasked=unmasked
    )


def render_explanation_markdown(
    explanation: Explanation, *, lang: Lang = "zh", unmasked: bool = False
) -> str:
    """An explanation as Markdown."""
    decision = explanation.decision
    words = WORDS[lang]
    subject = _cell(subject_line(decision.subject, lang, unmasked=unmasked))
    lines = [
        f"# {words['decision']}",
        "",
        f"| {words['subject']} | {subject} |",
        "|---|---|",
        f"| {words['as_of']} | {decision.as_of.isoformat()} |",
        f"| {words['matter']} | {decision.matter or words['any_matter']} |",
        f"| {words['catalog']} | {decision.catalog_id} |",
        f"| {words['fingerprint']} | `{decision.catalog_fingerprint}` |",
        f"| {words['version']} | {decision.library_version} |",
        "",
    ]
    if decision.outcomes:
        head = (
            ("措施", "对象", "结果", "期限", "触发记录")
            if lang == "zh"
            else ("Measure", "Target", "Status", "Period", "Records")
        )
        lines += ["| " + " | ".join(head) + " |", "|---|---|---|---|---|"]
        for outcome in decision.outcomes:
            target = outcome.target.subject_name or outcome.target.subject_id
            if outcome.target.through:
                target += f" ← {outcome.target.via_name or outcome.target.via_id}"
            start = outcome.start.isoformat() if outcome.start else "—"
            end = outcome.end.isoformat() if outcome.end else "—"
            lines.append(
                "| "
                + " | ".join(
                    _cell(cell)
                    for cell in (
                        f"{outcome.measure.title} (`{outcome.measure.id}`)",
                        target,
                        STATUS_WORDS[lang][outcome.status],
                        f"{start} – {end}",
                        ", ".join(r.id for r in outcome.witnesses) or "—",
                    )
                )
                + " |"
            )
        lines.append("")
    else:
        lines += [words["none"], ""]
    explain_words = EXPLAIN_WORDS[lang]
    for item in explanation.measures:
        lines.append(f"## {item.measure.title} (`{item.measure.id}`)")
        lines.append("")
        lines.append(f"**{VERDICT_WORDS[lang][item.verdict.value]}**")
        lines.append("")
        lines.append(
            f"- {words['basis']}: "
            + "；".join(basis_text(b, lang) for b in item.measure.legal_basis)
        )
        lines.append(f"- {explain_words['condition']}: `{' '.join(item.condition.split())}`")
        for step in item.steps:
            mark = "✓" if step.holds else "✗"
            count = f" ({explain_words['count']} {step.count})" if step.count is not None else ""
            records = f" — {', '.join(step.records)}" if step.records else ""
            lines.append(
                f"  {'  ' * step.depth}- {mark} `{step.text}`{count} "
                f"<sub>{step.span.short()}</sub>{records}"
            )
        if item.needed:
            lines.append(
                f"- {explain_words['needed']}: " + "; ".join(f"`{n}`" for n in item.needed)
            )
        for candidate in item.candidates:
            failed = "; ".join(f"`{f}`" for f in candidate.failed) or "—"
            lines.append(f"- {explain_words['candidates']}: {candidate.record_id} — {failed}")
        if item.blocking:
            lines.append(f"- {explain_words['blocking']}: " + ", ".join(item.blocking))
        for aside in item.set_aside:
            lines.append(f"- {explain_words['set_aside']}: {set_aside_line(aside, lang)}")
        for check in item.checks:
            mark = words["passed"] if check.passed else words["failed"]
            lines.append(f"- {words['checks']}: {check.code} {mark} — {check_text(check, lang)}")
        if item.withheld_by:
            lines.append(f"- {words['withheld_by']}: " + ", ".join(item.withheld_by))
        lines.append("")
    if decision.set_aside:
        lines.append(f"## {words['set_aside']}")
        lines.append("")
        for aside in decision.set_aside:
            lines.append(f"- {set_aside_line(aside, lang)}")
        lines.append("")
    return "\n".join(lines)

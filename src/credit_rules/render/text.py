"""Decisions as readable text, in Chinese (default) or English.

Input: a :class:`~credit_rules.decision.Decision`. Output: text for a terminal or a case
file; measure titles and legal bases are quoted as the catalog writes them. Resident identity
numbers are masked unless ``unmasked`` is set.
"""

from __future__ import annotations

from typing import Literal

from credit_rules.decision import Check, Decision, MeasureOutcome, OutcomeStatus
from credit_rules.explain import Explanation
from credit_rules.facts import SetAside
from credit_rules.identifiers import mask
from credit_rules.model import LegalBasis, MeasureKind, MeasureList, Role, Subject, SubjectKind

Lang = Literal["zh", "en"]

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "decision": "联合奖惩结果",
        "subject": "信用主体",
        "as_of": "评估日期",
        "matter": "办理事项",
        "any_matter": "全部事项",
        "catalog": "措施清单",
        "fingerprint": "清单指纹",
        "none": "无适用措施。",
        "restriction": "惩戒",
        "incentive": "激励",
        "mandatory": "强制",
        "recommended": "推荐",
        "basis": "依据",
        "implementers": "实施主体",
        "period": "期限",
        "records": "触发记录",
        "pending": "异议中记录",
        "withheld_by": "因以下惩戒措施不予激励",
        "checks": "审查",
        "through": "经由",
        "set_aside": "未计入的记录",
        "open_end": "至移出名单或修复",
        "permanent": "永久",
        "to": "至",
        "from": "自",
        "passed": "通过",
        "failed": "未通过",
        "version": "版本",
    },
    "en": {
        "decision": "Joint incentive and punishment decision",
        "subject": "Subject",
        "as_of": "As of",
        "matter": "Matter",
        "any_matter": "all matters",
        "catalog": "Catalog",
        "fingerprint": "fingerprint",
        "none": "No measure applies.",
        "restriction": "restriction",
        "incentive": "incentive",
        "mandatory": "mandatory",
        "recommended": "recommended",
        "basis": "Basis",
        "implementers": "Implementers",
        "period": "Period",
        "records": "Triggered by",
        "pending": "Under objection",
        "withheld_by": "Withheld because of",
        "checks": "Checks",
        "through": "through",
        "set_aside": "Records set aside",
        "open_end": "until removal from the list or repair",
        "permanent": "permanent",
        "to": "to",
        "from": "from",
        "passed": "passed",
        "failed": "failed",
        "version": "version",
    },
}

STATUS_WORDS: dict[str, dict[OutcomeStatus, str]] = {
    "zh": {
        OutcomeStatus.APPLIES: "适用",
        OutcomeStatus.ADVISORY: "建议实施",
        OutcomeStatus.SUSPENDED: "暂不执行（异议处理中）",
        OutcomeStatus.WITHHELD: "不予激励",
        OutcomeStatus.SET_ASIDE: "不予适用（审查未通过）",
        OutcomeStatus.ENDED: "期限已满",
    },
    "en": {
        OutcomeStatus.APPLIES: "applies",
        OutcomeStatus.ADVISORY: "advisory",
        OutcomeStatus.SUSPENDED: "suspended (objection pending)",
        OutcomeStatus.WITHHELD: "withheld",
        OutcomeStatus.SET_ASIDE: "set aside (check failed)",
        OutcomeStatus.ENDED: "ended",
    },
}

ROLE_WORDS: dict[str, dict[Role, str]] = {
    "zh": {
        Role.LEGAL_REPRESENTATIVE: "法定代表人",
        Role.PRINCIPAL: "主要负责人",
        Role.ACTUAL_CONTROLLER: "实际控制人",
        Role.DIRECTLY_RESPONSIBLE: "直接责任人员",
        Role.DIRECTOR: "董事",
        Role.SHAREHOLDER: "股东",
        Role.SENIOR_MANAGER: "高级管理人员",
        Role.REGISTERED_PRACTITIONER: "注册执业人员",
    },
    "en": {role: role.value.replace("_", " ") for role in Role},
}

KIND_WORDS: dict[str, dict[SubjectKind, str]] = {
    "zh": {
        SubjectKind.LEGAL_PERSON: "法人",
        SubjectKind.UNINCORPORATED_ORG: "非法人组织",
        SubjectKind.INDIVIDUAL_BUSINESS: "个体工商户",
        SubjectKind.NATURAL_PERSON: "自然人",
        SubjectKind.PUBLIC_INSTITUTION: "机关事业单位",
    },
    "en": {kind: kind.value.replace("_", " ") for kind in SubjectKind},
}

_FACT_ZH = {
    "minor": "未成年人",
    "force_majeure": "不可抗力",
    "unintentional_minor": "非主观故意的轻微失信",
    "unintentional": "非主观故意",
}


def set_aside_text(item: SetAside, lang: Lang) -> str:
    """Why a record was set aside, in the output language."""
    if lang != "zh":
        return item.detail
    reason = item.reason.value
    on = item.on.isoformat() if item.on is not None else None
    if reason == "future":
        return f"决定日期 {item.record.decided_on.isoformat()} 晚于评估日期"
    if reason in ("revoked", "corrected", "repaired"):
        word = {"revoked": "撤销", "corrected": "更正", "repaired": "信用修复"}[reason]
        return f"已于 {on} {word}" if on else f"已{word}"
    if reason == "expired":
        return f"自 {on} 起不再有效（公示期满或移出名单）"
    if reason == "no_effective_document":
        return "未载明生效法律文书（判决书、仲裁裁决书、行政处罚决定书等）"
    if reason == "lenience":
        return f"宽容审慎：{_FACT_ZH.get(item.fact or '', item.fact or '')}，不予计入"
    if reason == "unknown_subject":
        return f"记录属于主体 {item.record.subject_id}"
    return item.detail


def check_text(check: Check, lang: Lang) -> str:
    """A runtime check's detail in the output language."""
    return check.detail_zh if lang == "zh" and check.detail_zh else check.detail


def set_aside_line(item: SetAside, lang: Lang) -> str:
    """``record: why`` — the reason code's words and the detail, in the output language."""
    if lang == "zh":
        return f"{item.record.id}：{set_aside_text(item, lang)}"
    return f"{item.record.id}: {item.reason.value} — {item.detail}"


def subject_line(subject: Subject, lang: Lang, *, unmasked: bool = False) -> str:
    """Name, kind and identifier (masked by default)."""
    kind = KIND_WORDS[lang][subject.kind]
    ident = subject.uscc or subject.resident_id or ""
    if subject.resident_id is not None and not unmasked:
        ident = mask(subject.resident_id)
    ident = f" {ident}" if ident else ""
    return (
        f"{subject.name or subject.id}（{kind}{ident}）"
        if lang == "zh"
        else (f"{subject.name or subject.id} ({kind}{ident})")
    )


def basis_text(basis: LegalBasis, lang: Lang) -> str:
    """《title》（number）article — as the catalog writes them."""
    number = f"（{basis.number}）" if basis.number else ""
    article = basis.article or ""
    if lang == "zh":
        return f"《{basis.title}》{number}{article}"
    number = f" ({basis.number})" if basis.number else ""
    article = f", {basis.article}" if basis.article else ""
    return f"{basis.title}{number}{article}"


def _period(outcome: MeasureOutcome, lang: Lang) -> str:
    words = WORDS[lang]
    if outcome.start is None and outcome.end is None and outcome.ends_by != "permanent":
        return "条件成立期间" if lang == "zh" else "while the condition holds"
    start = outcome.start.isoformat() if outcome.start else "—"
    if outcome.end is not None:
        return f"{start} {words['to']} {outcome.end.isoformat()}"
    if outcome.ends_by == "permanent":
        return (
            f"{words['from']} {start}（{words['permanent']}）"
            if lang == "zh"
            else (f"from {start} ({words['permanent']})")
        )
    return (
        f"{words['from']} {start}，{words['open_end']}"
        if lang == "zh"
        else (f"from {start}, {words['open_end']}")
    )


def outcome_lines(outcome: MeasureOutcome, lang: Lang) -> list[str]:
    """The lines describing one outcome."""
    words = WORDS[lang]
    measure = outcome.measure
    kind = words["restriction" if measure.kind is MeasureKind.RESTRICTION else "incentive"]
    listed = words["mandatory" if measure.list is MeasureList.MANDATORY else "recommended"]
    status = STATUS_WORDS[lang][outcome.status]
    lines = [
        f"  [{kind}·{listed}] {measure.title}（{measure.id}）— {status}"
        if lang == "zh"
        else f"  [{kind}, {listed}] {measure.title} ({measure.id}) — {status}"
    ]
    sep = "：" if lang == "zh" else ": "
    if outcome.target.through and outcome.target.role is not None:
        role = ROLE_WORDS[lang][outcome.target.role]
        via = outcome.target.via_name or outcome.target.via_id or ""
        lines.append(f"    {words['through']}{sep}{via} {role} → {outcome.target.subject_name}")
    lines.append(
        f"    {words['basis']}{sep}" + "；".join(basis_text(b, lang) for b in measure.legal_basis)
    )
    if measure.implementers:
        lines.append(
            f"    {words['implementers']}{sep}" + "、".join(i.name for i in measure.implementers)
        )
    lines.append(f"    {words['period']}{sep}{_period(outcome, lang)}")
    if outcome.witnesses:
        lines.append(f"    {words['records']}{sep}" + ", ".join(r.id for r in outcome.witnesses))
    if outcome.pending:
        lines.append(f"    {words['pending']}{sep}" + ", ".join(r.id for r in outcome.pending))
    if outcome.withheld_by:
        lines.append(f"    {words['withheld_by']}{sep}" + ", ".join(outcome.withheld_by))
    for check in outcome.checks:
        mark = words["passed"] if check.passed else words["failed"]
        lines.append(f"    {words['checks']}{sep}{check.code} {mark} — {check_text(check, lang)}")
    return lines


def render_decision(decision: Decision, *, lang: Lang = "zh", unmasked: bool = False) -> str:
    """A decision as text: header, every outcome, and the records set aside."""
    words = WORDS[lang]
    sep = "：" if lang == "zh" else ": "
    lines = [
        f"{words['decision']}",
        f"{words['subject']}{sep}{subject_line(decision.subject, lang, unmasked=unmasked)}",
        f"{words['as_of']}{sep}{decision.as_of.isoformat()}    "
        f"{words['matter']}{sep}{decision.matter or words['any_matter']}",
        f"{words['catalog']}{sep}{decision.catalog_id}  {words['fingerprint']} "
        f"{decision.catalog_fingerprint[:19]}  {words['version']} {decision.library_version}",
    ]
    if not decision.outcomes:
        lines.append(words["none"])
    for outcome in decision.outcomes:
        lines.extend(outcome_lines(outcome, lang))
    if decision.set_aside:
        lines.append(f"{words['set_aside']}{sep}")
        for item in decision.set_aside:
            lines.append(f"  {set_aside_line(item, lang)}")
    return "\n".join(lines) + "\n"


VERDICT_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "applies": "适用",
        "advisory": "建议实施",
        "suspended": "暂不执行：触发记录处于异议核查中",
        "withheld": "不予激励：主体正受惩戒措施约束",
        "set_aside": "不予适用：记录被搁置或审查未通过",
        "ended": "期限已满",
        "not_triggered": "未触发：条件不成立",
        "not_a_target": "不适用：该主体不属于实施对象",
        "not_in_matter": "不适用：不属于本办理事项",
        "not_in_force": "不适用：清单在评估日期未生效",
    },
    "en": {
        "applies": "applies",
        "advisory": "advisory (recommended to a body outside public administration)",
        "suspended": "suspended: a triggering record is under objection",
        "withheld": "withheld: the subject is under a restriction",
        "set_aside": "set aside: records set aside or a check failed",
        "ended": "ended: its period has run out",
        "not_triggered": "not triggered: the condition does not hold",
        "not_a_target": "does not apply: the subject is not a target",
        "not_in_matter": "does not apply in this matter",
        "not_in_force": "does not apply: the catalog is not in force on that date",
    },
}

EXPLAIN_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "explanation": "说明",
        "condition": "触发条件",
        "holds": "成立",
        "fails": "不成立",
        "count": "计数",
        "needed": "所需",
        "candidates": "候选记录",
        "failed": "不满足",
        "blocking": "阻却记录",
        "set_aside": "被搁置的记录",
        "evaluated_on": "条件判断对象",
    },
    "en": {
        "explanation": "Explanation",
        "condition": "Condition",
        "holds": "holds",
        "fails": "fails",
        "count": "count",
        "needed": "Needed",
        "candidates": "Records looked at",
        "failed": "fails",
        "blocking": "Blocking records",
        "set_aside": "Records set aside",
        "evaluated_on": "Condition evaluated on",
    },
}


def render_explanation(
    explanation: Explanation, *, lang: Lang = "zh", unmasked: bool = False
) -> str:
    """The decision, then each explained measure with its condition traced step by step."""
    lines = [render_decision(explanation.decision, lang=lang, unmasked=unmasked).rstrip("\n")]
    words = EXPLAIN_WORDS[lang]
    sep = "：" if lang == "zh" else ": "
    for item in explanation.measures:
        lines.append("")
        lines.append(
            f"{words['explanation']}{sep}{item.measure.title}（{item.measure.id}）"
            if lang == "zh"
            else f"{words['explanation']}: {item.measure.title} ({item.measure.id})"
        )
        lines.append(f"  → {VERDICT_WORDS[lang][item.verdict.value]}")
        if item.target is not None and item.target.through and item.target.role is not None:
            role = ROLE_WORDS[lang][item.target.role]
            via = item.target.via_name or item.target.via_id
            lines.append(
                f"  {WORDS[lang]['through']}{sep}{via} {role} → {item.target.subject_name}"
            )
        lines.append(
            f"  {WORDS[lang]['basis']}{sep}"
            + "；".join(basis_text(b, lang) for b in item.measure.legal_basis)
        )
        if item.evaluated_on is not None:
            lines.append(f"  {words['evaluated_on']}{sep}{item.evaluated_on}")
        if item.steps:
            lines.append(f"  {words['condition']}{sep}")
            for step in item.steps:
                mark = "✓" if step.holds else "✗"
                value = words["holds"] if step.holds else words["fails"]
                extra = (
                    f"，{words['count']} {step.count}"
                    if step.count is not None and lang == "zh"
                    else (f", {words['count']} {step.count}" if step.count is not None else "")
                )
                records = f" [{', '.join(step.records)}]" if step.records else ""
                indent = "  " * step.depth
                where = step.span.short()
                lines.append(f"    {indent}{mark} {step.text}  ({value}{extra}; {where}){records}")
        if item.needed:
            lines.append(f"  {words['needed']}{sep}" + "; ".join(item.needed))
        for candidate in item.candidates:
            failed = "; ".join(candidate.failed) if candidate.failed else "—"
            lines.append(
                f"  {words['candidates']}{sep}{candidate.record_id} {words['failed']} {failed}"
            )
        if item.blocking:
            lines.append(f"  {words['blocking']}{sep}" + ", ".join(item.blocking))
        for aside in item.set_aside:
            lines.append(f"  {words['set_aside']}{sep}{set_aside_line(aside, lang)}")
        for check in item.checks:
            mark = WORDS[lang]["passed"] if check.passed else WORDS[lang]["failed"]
            lines.append(
                f"  {WORDS[lang]['checks']}{sep}{check.code} {mark} — {check_text(check, lang)}"
            )
        if item.withheld_by:
            lines.append(f"  {WORDS[lang]['withheld_by']}{sep}" + ", ".join(item.withheld_by))
        if item.start is not None or item.end is not None:
            start = item.start.isoformat() if item.start else "—"
            end = item.end.isoformat() if item.end else "—"
            lines.append(
                f"  {WORDS[lang]['period']}{sep}{start} {WORDS[lang]['to']} {end} ({item.ends_by})"
            )
    return "\n".join(lines) + "\n"

"""Plain-text reports for the terminal."""

from __future__ import annotations

from essaygrader.contract import QualityMetrics, StatusOut


def format_status(report: StatusOut) -> str:
    """The backlog as a few aligned lines."""
    lines = []
    rows = (
        ("training", report["workflows"]["train"], report["oldest_unfinished"]["train"]),
        ("grading", report["workflows"]["grade"], report["oldest_unfinished"]["grade"]),
    )
    for label, counts, oldest in rows:
        shown = ", ".join(
            f"{n} {status}" for status, n in counts.items() if n or status != "waiting"
        )
        age = f"; oldest unfinished {_age(oldest['age_seconds'])}" if oldest else ""
        lines.append(f"{label:9} {shown}{age}")
    queues = ", ".join(f"{name} {'?' if n is None else n}" for name, n in report["queues"].items())
    lines.append(f"{'queues':9} {queues}; outbox {report['outbox']}")
    workers = report["workers"]
    lines.append(
        f"{'workers':9} {len(workers)} alive"
        + "".join(f"\n  {w['name']} ({','.join(w['queues'])})" for w in workers)
    )
    if "classifier_set" in report:  # only in an item's report
        classifier_set = report["classifier_set"]
        if classifier_set is None:
            lines.append("classifiers: none trained for the current rubric")
        else:
            lines.append(
                f"classifiers: set {classifier_set['uuid']} "
                f"({classifier_set['algorithm_id']}, {classifier_set['created_at']})"
            )
            lines.extend(format_metrics(classifier_set["metrics"]))
    return "\n".join(lines)


def format_metrics(metrics: QualityMetrics | None) -> list[str]:
    """Cross-validated quality per criterion, when training recorded it."""
    if not metrics:
        return []
    lines = []
    for criterion, values in metrics["criteria"].items():
        lines.append(
            f"  {criterion}: QWK {values['qwk']:.3f}, exact {values['exact']:.1%}, "
            f"adjacent {values['adjacent']:.1%} ({values['examples']} examples)"
        )
    return lines


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """Left-aligned columns separated by two spaces."""
    widths = [max(len(str(v)) for v in column) for column in zip(header, *rows, strict=True)]
    return "\n".join(
        "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"

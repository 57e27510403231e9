"""Which text fields of a rubric have a Welsh translation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .models import LocalisedText, Rubric, Text


def iter_texts(rubric: Rubric) -> Iterator[tuple[str, Text]]:
    """Every text field of the rubric with a readable label, in file order."""
    yield "title", rubric.title
    yield "description", rubric.description
    for index, source in enumerate(rubric.sources, 1):
        yield f"source {index}", source
    for entry in rubric.scale:
        yield f"scale level {entry.level} name", entry.name
        yield f"scale level {entry.level} descriptor", entry.descriptor
    for section in rubric.sections:
        yield f"section {section.id} title", section.title
        if section.description is not None:
            yield f"section {section.id} description", section.description
        for index, source in enumerate(section.sources, 1):
            yield f"section {section.id} source {index}", source
        for criterion in section.criteria:
            yield f"criterion {criterion.id} title", criterion.title
            yield f"criterion {criterion.id} guidance", criterion.guidance
            for index, item in enumerate(criterion.evidence, 1):
                yield f"criterion {criterion.id} evidence {index}", item
            for level, descriptor in criterion.descriptors.items():
                yield f"criterion {criterion.id} descriptor for level {level}", descriptor
    for award in rubric.awards:
        yield f'award "{award.id}" name', award.name
        if award.description is not None:
            yield f'award "{award.id}" description', award.description


def has_translation(value: Text, lang: str) -> bool:
    if lang == "en":
        return True  # English is always present
    return isinstance(value, LocalisedText) and bool(getattr(value, lang, None))


@dataclass(frozen=True)
class Coverage:
    lang: str
    translated: int
    total: int
    missing: tuple[str, ...]  # labels of the fields without a translation

    @property
    def percent(self) -> int:
        if self.total == 0 or self.translated == self.total:
            return 100
        # Round half up, but never claim 100% (or 0%) when that is not true.
        percent = (200 * self.translated + self.total) // (2 * self.total)
        return max(1 if self.translated else 0, min(99, percent))

    def __str__(self) -> str:
        language = {"cy": "Welsh", "en": "English"}.get(self.lang, self.lang)
        return f"{language}: {self.translated} of {self.total} text fields ({self.percent}%)"


def translation_coverage(rubric: Rubric, lang: str = "cy") -> Coverage:
    translated = 0
    missing: list[str] = []
    total = 0
    for label, value in iter_texts(rubric):
        total += 1
        if has_translation(value, lang):
            translated += 1
        else:
            missing.append(label)
    return Coverage(lang, translated, total, tuple(missing))

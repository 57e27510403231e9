"""The Welsh catalogue is complete: every string the code and templates mark for translation is in
it, translated (not empty, not fuzzy), with the same placeholders as the English.

If this fails after you changed interface text: run `make messages`, translate the new or
changed entries in qualitymark/translations/cy/LC_MESSAGES/messages.po, and run it again."""
from __future__ import annotations

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from catalogue import PO, REPO, placeholders, read_catalogue

KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}


def source_messages() -> dict[object, list[str]]:
    """msgid (a string, or (singular, plural)) -> where it is used, extracted as `make messages` does."""
    with (REPO / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")

    def only_the_package(path: str) -> bool:
        relative = path.replace("\\", "/")
        return relative == "qualitymark" or relative.startswith(("qualitymark/", str(REPO / "qualitymark")))

    found: dict[object, list[str]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
            REPO, method_map, options_map, keywords=KEYWORDS, directory_filter=only_the_package):
        key = message if isinstance(message, str) else tuple(message)
        found.setdefault(key, []).append(filename)
    return found


def _shown(msgid) -> str:
    return repr(msgid if isinstance(msgid, str) else msgid[0])[:120]


def test_the_source_has_translatable_strings():
    messages = source_messages()
    assert len(messages) > 400, "the extraction found too few strings: is babel.cfg still right?"
    assert "Skip to main content" in messages and "Sign in" in messages


def test_every_string_in_the_source_is_in_the_welsh_catalogue():
    catalogue = read_catalogue()
    missing = [f"{_shown(msgid)} (in {', '.join(sorted(set(files))[:2])})"
               for msgid, files in source_messages().items() if catalogue.get(msgid) is None]
    assert not missing, (f"{len(missing)} string(s) are not in {PO.relative_to(REPO)}: run `make messages` and "
                         "translate them:\n  " + "\n  ".join(missing[:40]))


def test_every_welsh_entry_is_translated_and_not_fuzzy():
    catalogue = read_catalogue()
    wanted = source_messages()
    untranslated = []
    for msgid in wanted:
        message = catalogue.get(msgid)
        if message is None:
            continue  # reported by the test above
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(form.strip() for form in forms):
            untranslated.append(_shown(msgid) + (" (fuzzy)" if message.fuzzy else " (empty)"))
    assert not untranslated, f"{len(untranslated)} Welsh entries need translating:\n  " + "\n  ".join(untranslated[:40])


def test_every_translation_keeps_the_placeholders_of_the_english():
    problems = []
    for message in read_catalogue():
        if not message.id:
            continue
        if isinstance(message.id, str):
            expected = placeholders(message.id)
            forms = [message.string]
        else:
            # Any form may be used for any count: each must name what the English names.
            expected = sorted(set(placeholders(message.id[0])) | set(placeholders(message.id[1])))
            forms = list(message.string)
        for form in forms:
            got = placeholders(form) if isinstance(message.id, str) else sorted(set(placeholders(form)))
            if form and got != expected:
                problems.append(f"{_shown(message.id)}: the English has {expected}, the Welsh {got}: {form!r}")
    assert not problems, "Translations that lost or added a placeholder:\n  " + "\n  ".join(problems)


def test_babel_finds_no_format_errors_in_the_catalogue():
    errors = [f"{_shown(message.id)}: {', '.join(str(error) for error in found)}"
              for message, found in read_catalogue().check()]
    assert not errors, "\n".join(errors)


def test_the_catalogue_has_the_welsh_plural_forms():
    catalogue = read_catalogue()
    # Welsh counts 1, 2, 3, 6 and the rest differently (CLDR), so a plural message has five forms.
    assert catalogue.num_plurals == 5, catalogue.plural_forms
    for message in catalogue:
        if message.id and not isinstance(message.id, str):
            assert len(message.string) == 5, f"{_shown(message.id)} has {len(message.string)} forms, Welsh needs 5"

"""The JSON-LD contexts a certificate may use, served from files shipped in `contexts/`.

A verifier that fetched contexts from the network could be fed a different vocabulary for the
same URL (changing what a signed document means) and would leak who is verifying what. So the
loader knows exactly these URLs and refuses every other one.
"""
from __future__ import annotations

import copy
import json
import threading
from functools import cache
from importlib import resources

from cachetools import LRUCache
from pyld.context_resolver import ContextResolver
from pyld.documentloader.frozen import FrozenDocumentLoader

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
OPEN_BADGES_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

# Which file holds which URL: see shared/vectors/vc-di-eddsa/PROVENANCE.md.
CONTEXT_FILES: dict[str, str] = {
    VC_V2: "credentials-v2.jsonld",
    VC_EXAMPLES_V2: "credentials-examples-v2.jsonld",
    OPEN_BADGES_V3: "openbadges-v3p0-context-3.0.3.json",
}


class ContextNotAllowedError(Exception):
    """A document asked for a JSON-LD context that is not shipped with this package."""

    def __init__(self, url: str):
        self.url = url
        super().__init__(
            f"refusing to load the JSON-LD context {url!r}: only the contexts shipped in "
            f"qualitymark/credentials/contexts/ are used ({', '.join(sorted(CONTEXT_FILES))}); "
            "nothing is fetched from the network"
        )


class OfflineDocumentLoader(FrozenDocumentLoader):
    """pyld's allow-list loader, raising an error that names the refused URL."""

    def __call__(self, url: str, options: dict) -> dict:
        if url not in self.documents:
            raise ContextNotAllowedError(url)
        remote = super().__call__(url, options)
        # pyld may rewrite context objects in place; hand out copies so the originals stay true.
        # "static" lets our private resolver cache the processed context for the process's life.
        return {**remote, "document": copy.deepcopy(remote["document"]), "tag": "static"}


@cache
def document_loader() -> OfflineDocumentLoader:
    """The process-wide loader; the files are read on first use, not at import."""
    folder = resources.files(__package__) / "contexts"
    return OfflineDocumentLoader(
        {url: json.loads((folder / name).read_text(encoding="utf-8")) for url, name in CONTEXT_FILES.items()}
    )


_per_thread = threading.local()


def _context_cache() -> LRUCache:
    # Bounded because a public verifier processes inline contexts chosen by strangers; per
    # thread because LRUCache is not thread-safe.
    if not hasattr(_per_thread, "cache"):
        _per_thread.cache = LRUCache(maxsize=64)
    return _per_thread.cache


def jsonld_options() -> dict:
    """Options for any pyld call in this package.

    pyld keeps processed contexts in a module-global cache keyed only by URL, which any other
    pyld user in the process (with any loader) can fill. A resolver with its own cache makes
    sure our canonical forms only ever come from our files. ("contextResolver" is documented
    by pyld as internal; if a release ignored it, pyld would fall back to its global cache.)
    """
    loader = document_loader()
    return {
        "documentLoader": loader,
        "contextResolver": ContextResolver(_context_cache(), loader),
        # Credentials have no base IRI. Without this pyld resolves relative IRIs against
        # http://example.org/base/, which other processors do not do; with it they stay
        # relative and rdfc.canonicalize refuses them.
        "base": None,
    }


"""Remove page chrome from a parsed page before main-text extraction.

Chrome is recognised by the class and id names that widely deployed themes and plugins give it
(newsletter boxes, share bars, related-article blocks, author boxes, cookie banners, call-to-
action and testimonial blocks, tables of contents, breadcrumbs and pagination) and by the
names of responsive frameworks for blocks a desktop reader does not see (the second copy of a
block shown once for phones, once for desktops).

A name is matched as whole ``-``/``_``-separated words of a class or id, so ``share-bar`` and
``post_share`` match but ``shareholder`` does not; a few kinds match whole names only. Only
container elements are removed, never headings, paragraphs or links (whose ids are often derived
from their own text), never a container that holds the page's ``<h1>`` or a large share of its
prose (themes put "share" classes on the article body itself), and never the blocks of a kind
that together hold most of the prose (they are the page).

Comment sections are left to trafilatura (``include_comments=False``): naming them here as well
was measured to change nothing on articles and to cut the posts of forum threads, which are
named like comments. Ad and donation names were measured neutral on articles and harmful on
listings, so they are not used either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml.html import HtmlElement

from pipeline.document import count_words

# Containers that chrome comes in; headings, paragraphs and inline elements are left alone.
_CONTAINERS = frozenset(
    {"div", "section", "aside", "ul", "ol", "dl", "form", "footer", "nav", "figure", "dialog",
     "details", "iframe", "table", "center", "header"}
)  # fmt: skip

# One alternation per kind of chrome; each is matched as whole words of a class or id name.
_KINDS: dict[str, str] = {
    "newsletter": (
        r"newsletters?|subscribe|subscriptions?|sign-?up|opt-?in|mc4wp|mailchimp|mc_embed_signup"
        r"|tnp|convertkit|ck_form|formkit|mailerlite|ml-form-embed\w*|klaviyo|hbspt-form"
        r"|email-(?:signup|capture|subscribe)"
    ),
    "share": (
        r"share|shares|sharing|sharedaddy|addtoany|a2a_kit|shareaholic|sharethis|swp_social_panel"
        r"|social-(?:share|icons|links|buttons|media-links|follow)|follow-us"
    ),
    "related": (
        r"related|yarpp|jp-relatedposts|crp_related|relatedposts|related-(?:posts|articles|content)"
        r"|more-stories|also-read|read-next|recommended|recirc|you-may-like|outbrain|taboola"
        r"|most-popular|popular-posts|trending"
    ),
    "author": (
        r"author-(?:box|bio|info|card|details|description|profile)|about-author|author-about"
        r"|saboxplugin-wrap|elementor-author-box|post-author-bio"
    ),
    "consent": r"cookie|cookies|consent|gdpr|cmplz|onetrust|cky-consent|cookie-law-info|didomi",
    "promotion": r"cta|call-to-action|calls-to-action|testimonials?|lead-?form|hs-cta-wrapper",
    # whole names only: "toc_<section>" ids often wrap the sections the contents link to
    "toc": r"^(?:ez-|rank-math-|lwp|post-|article-|wp-block-)?(?:toc|table-of-contents)"
    r"(?:[-_](?:container|block|wrapper|wrap|widget))?$",
    "navigation": (
        r"breadcrumbs?|pagination|post-navigation|nav-links|skip-link|tags-links|cat-links"
    ),
    # hidden from a desktop reader: the desktop copy of a block shown twice, screen-reader text
    "hidden": (
        r"^(?:elementor-hidden-desktop|hidden-desktop|hide-desktop|hide-on-desktop|hidden-lg"
        r"|hidden-md|visible-xs|visible-sm|vc_hidden-lg|vc_hidden-md|d-lg-none|d-md-none|d-xl-none"
        r"|(?:md|lg|xl):hidden|fusion-no-large-visibility|mobile-only|show-on-mobile"
        r"|sr-only|screen-reader-text|visually-hidden)$"
    ),
}


def _compile(pattern: str) -> re.Pattern[str]:
    if pattern.startswith("^"):
        return re.compile(pattern)
    return re.compile(r"(?:^|[-_])(?:" + pattern + r")(?:$|[-_])")


_MATCHERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, _compile(pattern)) for kind, pattern in _KINDS.items()
)
_NEGATED = re.compile(r"(?:no|not|non|without)[-_]")
# A container holding more than this share of the page's prose is (part of) the article, whatever
# its name says: themes put "share" classes on the article body itself.
_MAX_PROSE_SHARE = 0.3
# When the containers of one kind together hold more than this share of the prose, they are the
# page (a page of "related" teasers, a thread of posts), not chrome around it.
_MAX_KIND_SHARE = 0.5
_PROSE_MIN_WORDS = 20


def _names(el: HtmlElement) -> Iterator[str]:
    for attr in ("class", "id"):
        value = el.get(attr)
        if value:
            for name in value.lower().split():
                # "no-related-posts", "no_toc_section": the name says the chrome is absent
                if not _NEGATED.match(name):
                    yield name


def _kind(el: HtmlElement, cache: dict[str, str]) -> str:
    """The kind of chrome ``el`` is named as, or "" for none."""
    for name in _names(el):
        kind = cache.get(name)
        if kind is None:
            kind = cache[name] = next((k for k, rx in _MATCHERS if rx.search(name)), "")
        if kind:
            return kind
    return ""


def prune_chrome(tree: HtmlElement) -> int:
    """Remove chrome containers from ``tree`` in place; returns how many were removed."""
    body = tree.find("body")
    if body is None:
        return 0
    total = _prose_chars(body)
    cache: dict[str, str] = {}
    found: dict[str, list[HtmlElement]] = {}
    prose: dict[str, int] = {}
    skip: set[HtmlElement] = set()
    for el in body.iter(*_CONTAINERS):
        if el in skip:
            continue
        kind = _kind(el, cache)
        if not kind or el.find(".//h1") is not None:
            continue
        text = el.text_content()
        # Removing an empty container gains nothing, and trafilatura's choices are sensitive
        # to the shape of the tree.
        if not text.strip():
            continue
        size = _prose_chars(el)
        if size > _MAX_PROSE_SHARE * total:
            continue
        found.setdefault(kind, []).append(el)
        prose[kind] = prose.get(kind, 0) + size
        skip.update(el.iter(*_CONTAINERS))
    removed = 0
    for kind, elements in found.items():
        if prose[kind] > _MAX_KIND_SHARE * total:
            continue
        for el in elements:
            el.drop_tree()
        removed += len(elements)
    return removed


def _prose_chars(el: HtmlElement) -> int:
    """Characters in paragraphs long enough to be running text."""
    size = 0
    for p in el.iter("p"):
        text = p.text_content()
        if count_words(text) >= _PROSE_MIN_WORDS:
            size += len(text)
    return size

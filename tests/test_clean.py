"""The chrome cleaner: one positive and one negative case per rule, the seeds, the gate."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.charset import decode_html
from pipeline.chrome_rules import RULE_NAMES, RULES
from pipeline.clean import MIN_WORDS_BEFORE_WEAK_CUT, clean, clean_text, looks_like_listing
from pipeline.config import CleanConfig
from pipeline.document import Document, count_words
from pipeline.errors import Drop
from pipeline.loaders import document_from_html
from pipeline.process import process

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

TITLE = "Council Approves New Budget After Long Debate"
BODY = [
    "The city council approved a new budget on Tuesday after a debate that lasted more than six "
    "hours, officials said.",
    "The plan raises spending on schools and road repairs, while cutting funds for two "
    "programmes that critics had long called wasteful and badly run.",
    "Opponents said they would challenge parts of the budget in court, arguing that the final "
    "vote broke the council's own procedural rules.",
    "The mayor, who had pushed for the increase in school spending, called the vote a victory "
    "for families and promised to publish a full breakdown of the figures next month.",
    "Council staff will now draw up contracts for the first road repairs, which are expected to "
    "begin in the spring if the weather allows.",
]
COMMENTS = [
    "JaneReader",
    "This council never learns. They did the same thing five years ago and the roads are still "
    "full of potholes, so I doubt this budget will change anything at all.",
    "Observer42",
    "Agreed, but at least the schools get something this time around, which is more than we "
    "could say last year when every programme was cut.",
]


def article(line: str, where: str = "middle", title: str | None = TITLE) -> str:
    """The test article with ``line`` at its head, in its middle, or at its tail."""
    paragraphs = list(BODY)
    if where == "head":
        paragraphs.insert(0, line)
    elif where == "tail":
        paragraphs.append(line)
    else:
        paragraphs.insert(2, line)
    return "\n\n".join(paragraphs)


def kept_lines(text: str) -> set[str]:
    return {x.strip() for x in text.splitlines() if x.strip()}


# (rule, line, where): the rule removes the line (or, for span rules, its chrome span).
POSITIVE: list[tuple[str, str, str]] = [
    ("html_comment", "<!-- Google tag (gtag.js) -->", "head"),
    ("html_comment", "!-- Google tag (gtag.js) -->", "head"),
    ("html_comment", "<!-- /wp:paragraph -->", "middle"),
    (
        "script_remnant",
        '<script async src="https://www.googletagmanager.com/gtag/js"></script>',
        "head",
    ),
    ("script_remnant", "</script>", "tail"),
    ("photo_credit", "(AP Photo/John Smith)", "middle"),
    ("photo_credit", "(Photo by Jane Doe/AFP via Getty Images)", "middle"),
    ("read_more_tail", "Continue reading →", "tail"),
    ("read_more_tail", "Read more »", "middle"),
    ("tracking_code", "window.dataLayer = window.dataLayer || [];", "head"),
    ("tracking_code", "function gtag(){dataLayer.push(arguments);}", "head"),
    ("tracking_code", "gtag('config', 'G-ABC123XYZ');", "head"),
    ("tracking_code", "fbq('track', 'PageView');", "tail"),
    ("tracking_code", "(adsbygoogle = window.adsbygoogle || []).push({});", "middle"),
    ("tracking_code", "End Google Tag Manager (noscript)", "tail"),
    ("comments_wpdiscuz", "Notify of", "tail"),
    ("comments_wpdiscuz", "Newest Most Voted", "tail"),
    ("comments_wpdiscuz", "Inline Feedbacks", "tail"),
    ("comments_wpdiscuz", "Would love your thoughts, please comment.x", "tail"),
    ("comments_disqus", "comments powered by Disqus", "tail"),
    ("comments_disqus", "Sort by Best", "tail"),
    ("comments_disqus", "Start the discussion…", "tail"),
    ("comments_wordpress", "Leave a Reply Cancel reply", "tail"),
    (
        "comments_wordpress",
        "Your email address will not be published. Required fields are marked *",
        "tail",
    ),
    ("comments_wordpress", f"12 thoughts on “{TITLE}”", "tail"),
    ("comments_wordpress", f'3 Responses to "{TITLE}"', "tail"),
    ("comments_facebook", "Facebook Comments Plugin", "tail"),
    ("comments_facebook", "Add a comment...", "tail"),
    ("comments_heading", "Comments", "tail"),
    ("comments_heading", "14 comments", "tail"),
    ("comments_heading", "View all comments", "tail"),
    ("comments_heading", "Log in with", "tail"),
    ("comments_heading", "Reply", "tail"),
    ("comments_heading", "Kommentare (14)", "tail"),
    ("comments_heading", "12 commentaires", "tail"),
    ("comments_heading", "Комментарии", "tail"),
    ("donation_amount", "0 $", "head"),
    ("donation_amount", "2,500 $", "head"),
    ("donation_amount", "$5 $10 $25", "tail"),
    ("donation_amount", "€10", "tail"),
    ("donation_cta", "Donate", "tail"),
    ("donation_cta", "Donate now", "middle"),
    ("donation_cta", "Become a patron", "middle"),
    ("donation_cta", "Buy me a coffee", "tail"),
    ("donation_cta", "Support us", "middle"),
    ("donation_cta", "We need your support", "middle"),
    ("donation_cta", "Before you go...", "tail"),
    ("donation_name", "Support The Harbour Times", "tail"),
    ("donation_name", "Support Valleyfront", "head"),
    ("donation_name", "Keep The Harbour Times free for everyone", "tail"),
    (
        "donation_appeal",
        "Independent reporting costs money. Chip in to keep the Valley Herald going.",
        "tail",
    ),
    (
        "donation_appeal",
        "Every contribution, however big or small, helps us stay independent.",
        "middle",
    ),
    (
        "donation_appeal",
        "Enjoyed this article? Please support our work with a one-off gift.",
        "tail",
    ),
    ("newsletter_cta", "Subscribe to our newsletter", "tail"),
    (
        "newsletter_cta",
        "Sign up for The Morning Brief, delivered to your inbox every weekday.",
        "middle",
    ),
    ("newsletter_cta", "Never miss a story. Get our top stories in your inbox.", "tail"),
    ("newsletter_cta", "Subscribe", "head"),
    ("follow_cta", "Follow us on Facebook and Twitter", "tail"),
    ("follow_cta", "Follow The Harbour Times on Google News for the latest updates.", "tail"),
    ("follow_cta", "For breaking news, follow us on Telegram.", "middle"),
    ("share_cta", "Share this:", "tail"),
    ("share_cta", "Share on Facebook", "middle"),
    ("share_cta", "Tweet", "tail"),
    ("share_cta", "Artikel teilen: Facebook | WhatsApp | E-Mail", "tail"),
    ("share_cta", "Partager sur Facebook", "tail"),
    ("share_cta", "Поделиться", "tail"),
    ("share_cta", "Facebook Twitter WhatsApp Email", "head"),
    ("share_cta", "Share this article: Facebook | X | LinkedIn | Email", "tail"),
    ("related_link", "Also Read: Floods Force Thousands From Their Homes", "middle"),
    ("related_link", "Read more: How the new budget will affect your taxes", "middle"),
    ("related_link", "RELATED: Mayor Faces Recall Vote", "middle"),
    ("related_link", "Related:", "tail"),
    ("related_link", "You may also like", "tail"),
    ("related_link", "More from The Harbour Times", "tail"),
    ("related_link", "See also: A short history of the city budget", "middle"),
    ("image_caption", "Click to see full-size image", "head"),
    ("image_caption", "Click to enlarge", "middle"),
    ("image_caption", "Image: Jane Doe/Getty", "middle"),
    ("image_caption", "Photo credit: John Smith", "middle"),
    ("image_caption", "AP Photo/Evan Vucci", "middle"),
    ("image_caption", "Jane Doe/Getty Images", "middle"),
    ("image_caption", "Credit:", "middle"),
    (
        "consent_banner",
        "We use cookies to improve your experience on our site and to show you "
        "relevant advertising.",
        "tail",
    ),
    ("consent_banner", "Accept all cookies", "tail"),
    ("consent_banner", "Cookie settings", "tail"),
    ("advertisement", "Advertisement", "middle"),
    ("advertisement", "Story continues below advertisement", "middle"),
    ("advertisement", "Sponsored", "head"),
    ("copyright", "© 2021 Harbour Media. All rights reserved.", "tail"),
    (
        "copyright",
        "Copyright 2024 The Associated Press. All rights reserved. This material may "
        "not be published, broadcast, rewritten or redistributed.",
        "tail",
    ),
    ("credit_line", "This article was originally published on The Conversation.", "tail"),
    ("credit_line", "(With inputs from agencies)", "tail"),
    ("credit_line", "Reporting by Jane Doe; Editing by John Smith", "tail"),
    ("affiliate_disclosure", "This post may contain affiliate links.", "head"),
    (
        "affiliate_disclosure",
        "When you buy through links on our site, we may earn an affiliate commission.",
        "head",
    ),
    ("affiliate_disclosure", "As an Amazon Associate I earn from qualifying purchases.", "tail"),
    (
        "affiliate_disclosure",
        "Disclosure: As an Affiliate Marketer, I earn from qualifying purchases.",
        "tail",
    ),
    (
        "affiliate_disclosure",
        "ExampleSite.org is supported by commissions from providers listed on our site.",
        "head",
    ),
    ("newsletter_cta", "Subscribe to travel weekly", "tail"),
    (
        "image_caption",
        "Feature image by Jane Doe, all other images via the brands mentioned.",
        "tail",
    ),
    ("shop_button", "Check price at Amazon (on sale!)", "middle"),
    ("shop_button", "View on Amazon", "middle"),
    ("shop_button", "See Packages", "middle"),
    ("lead_cta", "Get started today", "tail"),
    ("lead_cta", "Get a free quote today.", "middle"),
    ("lead_cta", "Take the next step", "tail"),
    (
        "form_consent",
        "By submitting this form, you authorize the university to contact you by SMS.",
        "tail",
    ),
    ("form_consent", "and agree to our Terms & Conditions and Privacy Policy.", "tail"),
    (
        "form_consent",
        "By subscribing to this newsletter, you agree to our terms of service and privacy policy.",
        "tail",
    ),
    (
        "form_consent",
        "By signing up, you agree to receive recurring automated SMS messages.",
        "tail",
    ),
    ("paywall", "This article is exclusive to STAT+ subscribers", "tail"),
    (
        "rating_cta",
        "Did you make one of my recipes? Please take a moment to leave a star rating.",
        "tail",
    ),
    ("contact_line", "Email: desk@example.com", "tail"),
    ("follow_name", "Follow Hardtail Canada", "tail"),
    ("dateline", "Updated October 17, 2025", "tail"),
    ("dateline", "Feb 2, 2023", "head"),
    ("dateline", "- Posted July 10, 2004", "tail"),
    ("lead_cta", "Learn more", "tail"),
    ("advertisement", "SKIP ADVERTISEMENT", "middle"),
    ("form_field", "Enter your email:", "tail"),
    ("form_field", "First Name (optional):", "tail"),
    ("form_field", "This field is for validation purposes and should be left unchanged.", "middle"),
    ("form_field", "* indicates required", "tail"),
    ("form_field", "If you are a human, ignore this field", "tail"),
    ("nav_chrome", "Skip to content", "head"),
    ("nav_chrome", "Back to top", "middle"),
    ("nav_chrome", "Tags: budget, council, taxes", "tail"),
    ("nav_chrome", "5 min read", "head"),
    ("nav_chrome", "Previous article: Floods force thousands from their homes", "tail"),
    ("byline", "By Jane Doe", "head"),
    ("byline", "Written by Jane Doe | June 1, 2024", "head"),
    ("nav_word", "Home", "head"),
    ("nav_word", "Menu", "head"),
    ("nav_word", "Terms of Use", "tail"),
    ("title_repeat", TITLE, "head"),
    ("title_repeat", TITLE.upper(), "head"),
    ("newsletter_cta", "Click here to subscribe to our newsletter.", "tail"),
    ("newsletter_cta", "Tap here to subscribe", "tail"),
    ("related_link", "Also Read- Storm season brings record rain to the coast", "middle"),
    ("donation_appeal", "If you value The Local Ledger, please support us today.", "tail"),
    # the same furniture in French, German, Spanish, Italian
    ("related_link", "Lire aussi : Le gouvernement présente son budget", "middle"),
    ("related_link", "Lesen Sie auch: Regierung legt Haushalt vor", "middle"),
    ("related_link", "Lee también: El Gobierno presenta los presupuestos", "middle"),
    ("advertisement", "Anzeige", "middle"),
    ("advertisement", "Publicité", "middle"),
    ("image_caption", "Foto: dpa", "middle"),
    ("follow_cta", "Síguenos en X y en Instagram", "tail"),
    ("follow_cta", "Suivez-nous sur Facebook", "tail"),
    ("newsletter_cta", "Abonnez-vous à notre newsletter", "tail"),
    ("newsletter_cta", "Suscríbete a nuestro boletín", "tail"),
]

# (rule, line, where): real sentences and headings that share words with the rule and survive.
NEGATIVE: list[tuple[str, str, str]] = [
    (
        "html_comment",
        "Traffic moved slowly -- about five miles an hour -- through the tunnel.",
        "middle",
    ),
    (
        "script_remnant",
        "The script for the film was rewritten three times, the producer said.",
        "middle",
    ),
    (
        "photo_credit",
        "The photo by Dorothea Lange (1936) became a symbol of the Depression.",
        "middle",
    ),
    ("read_more_tail", "She hopes the new library will help children read more", "middle"),
    (
        "tracking_code",
        "Google Tag Manager is used by many publishers to load analytics scripts, "
        "the report found.",
        "middle",
    ),
    ("comments_wpdiscuz", "Officials will notify of any changes to the schedule by email.", "tail"),
    (
        "comments_disqus",
        "Sort by best-before date when you stock the pantry, the guide advises.",
        "tail",
    ),
    (
        "comments_wordpress",
        "Leave a reply on the form and we will call you back, the agency said.",
        "tail",
    ),
    (
        "comments_facebook",
        "Add a comment to the document before you share it, the guide says.",
        "tail",
    ),
    (
        "comments_heading",
        "Comments from readers poured in after the story was published on Monday.",
        "tail",
    ),
    ("donation_amount", "$15,000", "middle"),
    ("donation_amount", "The fund raised $5 million last year.", "tail"),
    ("donation_cta", "Donate blood, the hospital urged.", "middle"),
    ("donation_cta", "Support for the plan grew.", "tail"),
    ("donation_name", "Support Your Immune System", "head"),
    ("donation_name", "Support Services", "tail"),
    ("donation_name", "Support Harbour Schools", "middle"),
    ("donation_name", "Keep Your Garden Free of Slugs", "middle"),
    (
        "donation_appeal",
        "The charity asked people to donate blood after the earthquake, and thousands did.",
        "middle",
    ),
    (
        "donation_appeal",
        "He wanted to become a member of the committee before the election.",
        "middle",
    ),
    (
        "newsletter_cta",
        "Readers who subscribe to the newsletter receive weekly tips, the company said.",
        "middle",
    ),
    ("newsletter_cta", "Sign up rates for the programme fell by a third last year.", "middle"),
    (
        "newsletter_cta",
        "Get the latest figures: digital subscriptions rose 5% and paying subscribers 3%.",
        "middle",
    ),
    (
        "follow_cta",
        "Police follow suspects on Facebook to gather evidence, the report found.",
        "middle",
    ),
    ("share_cta", "Share prices fell sharply on Tuesday.", "middle"),
    ("share_cta", "Facebook and Twitter", "middle"),
    ("share_cta", "Teilen statt besitzen: Carsharing wächst.", "middle"),
    ("comments_heading", "Kommentare des Ministers sorgten für Aufsehen.", "tail"),
    (
        "related_link",
        "Also read the report, which runs to 200 pages and details how the agency "
        "spent its budget over the last decade.",
        "middle",
    ),
    (
        "related_link",
        "Related: the mayor said the two cases were not connected, and police have "
        "found no evidence so far that links the suspects to the earlier attacks in the city.",
        "middle",
    ),
    ("related_link", "Recommended daily intake is 2,000 calories.", "middle"),
    ("image_caption", "Image is everything in politics, the strategist said.", "middle"),
    ("image_caption", "Click the link in the email to confirm your account.", "middle"),
    ("consent_banner", "Cookie sales rose 5% this year as bakeries reopened.", "middle"),
    (
        "consent_banner",
        "The regulator said the website uses cookies to track users without consent.",
        "tail",
    ),
    ("advertisement", "Advertisement revenue fell 5% in the quarter.", "middle"),
    ("copyright", "The case turned on who held the copyright to the song.", "middle"),
    ("copyright", "(c) the tenant must give 30 days' notice.", "middle"),
    (
        "credit_line",
        "This article was hard to write, the author admitted in the afterword.",
        "tail",
    ),
    ("affiliate_disclosure", "Agents earn a commission on every sale, the report said.", "middle"),
    (
        "shop_button",
        "Check the price of fuel before you set off, the motoring group said.",
        "middle",
    ),
    ("shop_button", "Shop Now or Later: How Retailers Time Their Sales", "middle"),
    ("lead_cta", "Getting started with a budget takes ten minutes, the adviser said.", "middle"),
    ("lead_cta", "Request a Quote from Three Builders First", "middle"),
    ("form_consent", "By submitting the form late, the council lost its appeal.", "middle"),
    (
        "form_consent",
        "By signing up more donors, the charity said, it could accept the city's offer.",
        "middle",
    ),
    ("form_consent", "By registering early you agree to nothing, the organisers said.", "middle"),
    ("form_field", "This field is hidden from view, the engineers said.", "middle"),
    ("form_field", "An asterisk indicates required reading in the syllabus.", "middle"),
    ("paywall", "This article is exclusive reporting from our Kabul bureau.", "middle"),
    ("rating_cta", "Did you make the deadline? Most applicants did not.", "middle"),
    ("contact_line", "Email: desk@example.com", "middle"),
    ("follow_name", "Follow the Money", "middle"),
    ("dateline", "July 18, 2024", "middle"),
    ("dateline", "Updated figures from March 3, 2024 show a rise.", "tail"),
    ("form_field", "Name: Jane Doe, 42, a teacher from the harbour district.", "middle"),
    ("form_field", "Submit your application by Friday, the council said.", "middle"),
    ("nav_chrome", "Back to top form, the striker scored twice on Saturday.", "middle"),
    ("nav_chrome", "Tag team wrestling returns to the arena.", "middle"),
    ("byline", "By Tuesday, the river had risen two metres.", "head"),
    ("nav_word", "Home", "middle"),
    ("nav_word", "Contact", "middle"),
    ("title_repeat", "Council Approves New Budget", "head"),
    # Prose that shares a rule's words: sentences about photos, subscribers, cookies, sales.
    ("comments_wordpress", "Two thoughts on “Barbie”", "middle"),
    ("comments_heading", "No comment.", "middle"),
    ("follow_cta", "Like Trump, Musk announced his own news in a post on X.", "middle"),
    (
        "follow_cta",
        "Politicians, like the senator from Ohio, now campaign heavily on TikTok and Instagram.",
        "middle",
    ),
    ("follow_cta", "Find the full policy on X's help center, the company said.", "middle"),
    (
        "newsletter_cta",
        "Customers can keep their current plan, or receive a refund; about 40,000 subscribers "
        "are affected.",
        "middle",
    ),
    (
        "newsletter_cta",
        "Never miss a deadline again, the company promised business subscribers on Monday.",
        "middle",
    ),
    (
        "consent_banner",
        "By using brown butter, the cookies get a nutty depth that plain butter cannot give.",
        "middle",
    ),
    (
        "consent_banner",
        "By using the app, users agree to terms that allow the company to share their location.",
        "middle",
    ),
    (
        "affiliate_disclosure",
        "Under the old system we earn a commission only if the home sells, said an agent who "
        "helps clients buy homes.",
        "middle",
    ),
    (
        "donation_appeal",
        "Every contribution counts, said director Maria Alvarez, whose pantry feeds 300 families.",
        "middle",
    ),
    (
        "donation_appeal",
        "She put it simply: if you value the pantry, support the levy on the November ballot.",
        "middle",
    ),
    (
        "image_caption",
        "Photographs by the soldiers themselves were later used as evidence at trial.",
        "middle",
    ),
    ("image_caption", "Pictures via social media showed flooding in the lower town.", "middle"),
    ("image_caption", "Photos/videos shared online showed long queues at the border.", "middle"),
    ("image_caption", "Credit: spreads on high-yield bonds tightened by 5 basis points.", "middle"),
    (
        "credit_line",
        "This report was published by the European Data Protection Board on Tuesday and found "
        "that most complaints were never answered.",
        "middle",
    ),
    (
        "form_consent",
        "By completing the form, you can ask the company to delete your data within 30 days, the "
        "regulator said.",
        "middle",
    ),
    ("advertisement", "Sponsored by Rep. Jane Smith, the bill passed 52-48.", "middle"),
    ("shop_button", "Check prices at several stores before buying vanilla.", "middle"),
    ("related_link", "RELATED PARTY DEALS UNDER SCRUTINY AT THE BANK", "middle"),
    ("related_link", "DON'T MISS THE DEADLINE: TAX FILING OPENS MONDAY", "middle"),
    ("advertisement", "Anzeige gegen den Fahrer wurde am Montag erstattet.", "middle"),
    ("image_caption", "Fotos zeigen, wie das Wasser in die Altstadt lief.", "middle"),
]


def _fired(rule: str, line: str, where: str) -> tuple[str, dict[str, int]]:
    result = clean_text(article(line, where), TITLE)
    return result.text, result.rules_fired


@pytest.mark.parametrize(("rule", "line", "where"), POSITIVE)
def test_rule_removes_its_chrome(rule: str, line: str, where: str) -> None:
    text, fired = _fired(rule, line, where)
    assert fired.get(rule, 0) >= 1, fired
    assert line not in text
    for paragraph in BODY:  # the article itself is untouched
        assert paragraph in text


@pytest.mark.parametrize(("rule", "line", "where"), NEGATIVE)
def test_rule_keeps_real_text(rule: str, line: str, where: str) -> None:
    text, fired = _fired(rule, line, where)
    assert rule not in fired, fired
    assert line in kept_lines(text)


def test_every_rule_has_a_positive_and_a_negative_case() -> None:
    assert {r for r, _, _ in POSITIVE} == RULE_NAMES
    assert {r for r, _, _ in NEGATIVE} == RULE_NAMES


def test_rule_names_are_unique_and_needles_are_implied_by_positives() -> None:
    assert len({r.name for r in RULES}) == len(RULES)
    by_name = {r.name: r for r in RULES}
    for rule, line, _ in POSITIVE:
        needles = by_name[rule].needles if rule in by_name else ()
        if needles:
            assert any(n in line.casefold() for n in needles), (rule, line)


def test_related_heading_takes_the_link_list_under_it() -> None:
    links = ["- Floods Force Thousands From Their Homes", "- Mayor Faces Recall Vote"]
    text = "\n".join([*BODY[:3], "Related Articles", *links, *BODY[3:]])
    result = clean_text(text, TITLE)
    assert result.text == "\n\n".join(BODY)
    assert result.rules_fired["related_link"] == 3


def test_list_after_a_related_line_with_its_own_headline_is_kept() -> None:
    steps = ["- Check the new rates online", "- Compare them with last year's bill"]
    text = "\n".join([*BODY[:3], "Read more: What the budget means for you", *steps, *BODY[3:]])
    result = clean_text(text, TITLE)
    assert all(step in kept_lines(result.text) for step in steps)


def test_donation_widget_inside_the_article_is_removed_and_lone_amounts_stay() -> None:
    widget = ["0 $", "2,500 $", "Support Orinoco Tribune"]
    text = "\n\n".join(BODY[:2] + widget + BODY[2:])
    kept = kept_lines(clean_text(text, TITLE).text)
    assert not kept & set(widget)
    assert set(BODY) <= kept
    # an amount, or a 'Support X' heading, alone inside the article is content
    for line in ("$2,500", "Support Harbour Schools"):
        text = "\n\n".join(BODY[:2] + [line] + BODY[2:])
        assert line in kept_lines(clean_text(text, TITLE).text)


def test_span_rules_keep_the_rest_of_the_line() -> None:
    caption = "Firefighters battle the blaze near the highway on Sunday."
    result = clean_text(article(f"{caption} (Photo by Jane Doe/AFP)"), TITLE)
    assert caption in kept_lines(result.text)
    assert "Photo by" not in result.text
    teaser = "The ministry said the talks would resume next week."
    result = clean_text(article(f"{teaser} Read more »"), TITLE)
    assert teaser in kept_lines(result.text)


# --- comment sections ------------------------------------------------------------------------


def _with_comments(*chrome: str) -> str:
    return "\n\n".join([*BODY, *chrome, *COMMENTS])


@pytest.mark.parametrize(
    ("chrome", "rule"),
    [
        (
            ("Notify of", "Newest Most Voted", "Inline Feedbacks", "View all comments"),
            "comments_wpdiscuz",
        ),
        (("12 Comments", "The Harbour Times", "Sort by Best"), "comments_heading"),
        ((f"2 thoughts on “{TITLE}”",), "comments_wordpress"),
        (("Comments", "Add a comment...", "Facebook Comments Plugin"), "comments_heading"),
        (("Leave a Reply",), "comments_wordpress"),
    ],
)
def test_comment_section_is_cut_with_everything_after_it(
    chrome: tuple[str, ...], rule: str
) -> None:
    result = clean_text(_with_comments(*chrome), TITLE)
    assert result.text == "\n\n".join(BODY)
    assert result.rules_fired[rule] >= len(COMMENTS)


def test_comment_list_with_reply_buttons_is_cut() -> None:
    thread = [
        "Comments",
        "JaneReader",
        "•",
        "3 hours ago",
        COMMENTS[1],
        "12",
        "Reply",
        "Observer42",
        "•",
        "1 day ago",
        COMMENTS[3],
        "4",
        "Reply",
    ]
    result = clean_text("\n".join([*BODY, *thread]), TITLE)
    assert result.text == "\n\n".join(BODY)


def test_lone_weak_comment_marker_drops_only_its_line() -> None:
    follow = "The agency received 2,000 comments during the consultation, most of them critical."
    text = "\n\n".join([*BODY[:2], "Comments", follow, *BODY[2:]])
    result = clean_text(text, TITLE)
    assert follow in result.text and BODY[-1] in result.text
    assert "Comments" not in kept_lines(result.text)


def test_weak_markers_in_the_byline_area_do_not_cut() -> None:
    text = "\n\n".join(["5 Comments", "Leave a comment", *BODY])
    result = clean_text(text, TITLE)
    assert result.text == "\n\n".join(BODY)


def test_two_weak_markers_cut_only_after_100_words_of_article() -> None:
    """Two weak markers ("Comments", "Reply") cut only once MIN_WORDS_BEFORE_WEAK_CUT words of
    article precede them: early on they are a byline's counter and button."""
    after = "Readers had a lot to say about the new budget and the road repairs it pays for."
    early = [*BODY[:2], "Comments", "Reply", after, *BODY[2:]]  # about 60 words before
    late = [*BODY, "Comments", "Reply", after]  # about 140 words before
    assert sum(len(p.split()) for p in BODY[:2]) < MIN_WORDS_BEFORE_WEAK_CUT
    assert sum(len(p.split()) for p in BODY) > MIN_WORDS_BEFORE_WEAK_CUT
    kept_early = kept_lines(clean_text("\n\n".join(early), TITLE).text)
    assert after in kept_early and BODY[-1] in kept_early
    assert after not in kept_lines(clean_text("\n\n".join(late), TITLE).text)


def test_strong_marker_before_the_article_does_not_empty_it() -> None:
    result = clean_text("\n\n".join(["Leave a Reply", *BODY]), TITLE)
    assert result.text == "\n\n".join(BODY)


def test_the_word_comments_in_prose_never_cuts() -> None:
    prose = "Leave a comment below if you disagree, the mayor told residents in a video message."
    text = "\n\n".join([*BODY[:2], prose, "View all comments", *BODY[2:]])
    result = clean_text(text, TITLE)
    assert prose in result.text and BODY[-1] in result.text


# --- title -----------------------------------------------------------------------------------


def test_title_inferred_from_a_leading_heading_and_its_repeats_dropped() -> None:
    text = "\n\n".join(["0 $", TITLE, "Support The Harbour Times", TITLE, *BODY])
    result = clean_text(text)
    assert result.title == TITLE
    assert result.text == "\n\n".join(BODY)


def test_no_title_inferred_when_the_text_starts_with_a_paragraph() -> None:
    result = clean_text("\n\n".join(BODY))
    assert result.title is None
    assert result.text == "\n\n".join(BODY)


@pytest.mark.parametrize(
    "first",
    [
        "The mayor called the plan “dead on arrival.”",  # a sentence ending inside its quote
        "“We will not back down,” she said.",
        "WASHINGTON (Reuters) -",  # a dateline on its own line
        "LONDON, May 3 (AFP) —",
    ],
)
def test_a_first_line_that_is_a_sentence_or_a_dateline_is_not_the_title(first: str) -> None:
    result = clean_text("\n\n".join([first, *BODY]))
    assert result.title is None
    assert first in kept_lines(result.text)


def test_title_with_site_suffix_matches_the_bare_headline() -> None:
    result = clean_text("\n".join([TITLE, *BODY]), f"{TITLE} | The Harbour Times")
    assert TITLE not in result.text


def test_lede_sentence_the_headline_was_cut_from_is_kept() -> None:
    headline = "Harbour authority approves dredging of the northern channel"
    lede = headline + "."
    result = clean_text("\n\n".join([lede, *BODY]), headline)
    assert result.text.startswith(lede)


def test_line_equal_to_title_inside_the_body_is_kept() -> None:
    short_title = "Budget"
    text = "\n\n".join([*BODY[:2], short_title, *BODY[2:]])
    assert short_title in kept_lines(clean_text(text, short_title).text)


# --- layout ----------------------------------------------------------------------------------


def test_layout_blank_lines_trailing_spaces_and_odd_spaces() -> None:
    nbsp = "\u00a0"
    third = BODY[2].replace(" ", nbsp, 3)
    text = f"{BODY[0]}   \n\n\n\n{BODY[1]}{nbsp}{nbsp}\n \n\t\n{third}"
    result = clean_text(text, TITLE)
    assert result.text == "\n\n".join(BODY[:3])


def test_one_paragraph_per_line_input_gets_blank_line_separators() -> None:
    result = clean_text("\n".join(BODY), TITLE)
    assert result.text == "\n\n".join(BODY)


def test_lists_stay_together_in_blank_line_separated_input() -> None:
    items = "- schools: 4% more\n- roads: 2% more\n- parks: 1% less"
    text = "\n\n".join([BODY[0], items, BODY[1]])
    assert clean_text(text, TITLE).text == text


LINES = [
    *BODY,
    *COMMENTS,
    TITLE,
    "Notify of",
    "Comments",
    "0 $",
    "$15,000",
    "Share this:",
    "Also Read: Floods Force Thousands From Their Homes",
    "Support The Harbour Times",
    "Advertisement",
    "- a list item",
    "",
]


def test_list_items_stay_together_in_one_paragraph_per_line_input() -> None:
    items = ["- schools: 4% more", "- roads: 2% more", "- parks: 1% less"]
    result = clean_text("\n".join([BODY[0], *items, BODY[1]]), TITLE)
    assert result.text == "\n\n".join([BODY[0], "\n".join(items), BODY[1]])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=30), st.booleans(), st.sampled_from([None, TITLE]))
def test_cleaning_is_idempotent(lines: list[str], blank_lines: bool, title: str | None) -> None:
    # Either layout the cleaner reads: blank-line paragraphs, or one paragraph per line.
    text = "\n\n".join(lines) if blank_lines else "\n".join(x for x in lines if x)
    once = clean_text(text, title)
    twice = clean_text(once.text, once.title)
    assert twice.text == once.text
    assert once.text == once.text.strip()
    assert "\n\n\n" not in once.text


# --- seeds -----------------------------------------------------------------------------------


def test_seed_000_keeps_the_article_without_tag_and_related_links() -> None:
    result = clean_text((SEEDS / "000_41588b3f45812b9f.txt").read_text(encoding="utf-8"))
    text = result.text
    assert text.startswith("The Taliban militants captured a key crossing")
    assert text.endswith("completely derail the gains made over the years in human rights.")
    assert "Islam Qala border crossing with Iran, located in Herat province" in text
    assert "Iran has been seeking to play a more significant role" in text
    for chrome in ("gtag", "Google tag", "Also Read", "-->"):
        assert chrome not in text
    assert result.rules_fired["related_link"] == 3
    assert result.title is None


def test_seed_003_keeps_the_article_and_loses_widget_and_comments() -> None:
    result = clean_text((SEEDS / "003_b499a852dfcc6731.txt").read_text(encoding="utf-8"))
    text = result.text
    assert result.title == "Taliban Claim Capture Of Border Crossing With Iran, Other Border Areas"
    assert text.startswith("On July 8th, Taliban seized control of a key district")
    assert text.endswith("He stressed that Iran will always be ready to facilitate more talks.")
    assert "Tariq Arian, spokesman for the Afghan interior ministry" in text
    for chrome in (
        "0 $",
        "2,500 $",
        "1,826 $",
        "Support SouthFront",
        "Taliban Claim Capture",
        "Click to see full-size image",
        "Notify of",
        "Newest Most Voted",
        "Inline Feedbacks",
        "View all comments",
        "Last edited",
        "please comment",
    ):
        assert chrome not in text, chrome
    # A reader pasted an AP paragraph about the same crossing into a comment.
    assert "spoke with the AP" not in text
    assert "Islam Qala crossing point" not in text


# --- the step and the gate -------------------------------------------------------------------


def _doc(text: str, title: str | None = None) -> Document:
    return Document(id="d1", source="test.txt", text=text, title=title)


def test_clean_step_sets_text_and_inferred_title() -> None:
    seed = SEEDS / "003_b499a852dfcc6731.txt"
    doc = clean(_doc(seed.read_text(encoding="utf-8")), CleanConfig())
    assert doc.title == "Taliban Claim Capture Of Border Crossing With Iran, Other Border Areas"
    assert doc.text.startswith("On July 8th")


def test_clean_step_keeps_a_given_title() -> None:
    doc = clean(_doc("\n\n".join(["A Different Heading Line", *BODY * 2]), TITLE), CleanConfig())
    assert doc.title == TITLE


def test_short_text_is_dropped_too_short() -> None:
    with pytest.raises(Drop) as info:
        clean(_doc("\n\n".join(BODY)), CleanConfig(min_words=200))
    assert info.value.reason == "too_short"
    assert info.value.source == "test.txt"
    assert clean(_doc("\n\n".join(BODY)), CleanConfig(min_words=80)).text


def test_text_that_is_only_chrome_is_dropped_too_short() -> None:
    chrome = "\n".join(["Home", "Share this:", "Subscribe to our newsletter", "Advertisement"] * 30)
    with pytest.raises(Drop) as info:
        clean(_doc(chrome), CleanConfig())
    assert info.value.reason == "too_short"


LISTING = "\n".join(
    [
        "Latest News",
        "Council Approves New Budget After Long Debate",
        "Floods Force Thousands From Their Homes",
        "Mayor Faces Recall Vote Over Housing Plan",
        "Harbour Bridge Reopens After Repairs",
        "Schools Brace for Teacher Shortage",
        "Local Team Wins Regional Final",
        "Police Appeal for Witnesses After Crash",
        "New Rail Line Opens to Passengers",
        "Hospital Waiting Times Fall for Third Month",
        "Farmers Warn of Poor Harvest",
        "Museum Unveils Restored Painting",
        "Storm Warning Issued for Coast",
        "Teachers Vote to Strike in March",
        "City Plans Cycle Lanes on Main Road",
    ]
)


def test_listing_page_is_dropped_not_article() -> None:
    assert looks_like_listing(LISTING)
    with pytest.raises(Drop) as info:
        clean(_doc(LISTING, "Latest News"), CleanConfig(min_words=20))
    assert info.value.reason == "not_article"


def test_article_with_headings_and_a_list_is_not_a_listing() -> None:
    sections = ["What Changes", BODY[0], "Who Pays", BODY[1], "What Happens Next", BODY[2], BODY[3]]
    items = [
        "Schools and Colleges",
        "Road Repairs",
        "Parks and Libraries",
        "Public Transport",
        "Housing Support",
        "Street Lighting",
        "Waste Collection",
        "Youth Services",
    ]
    text = "\n".join([*sections, *items, *BODY])
    assert not looks_like_listing(text)


def test_checklist_article_of_bulleted_items_is_not_a_listing() -> None:
    steps = ["12 Months Before", "Set the Budget", "10 Months Before", "Book the Vendors"]
    items = [
        "- Venue",
        "- Catering",
        "- Photography",
        "- Attire",
        "- Entertainment",
        "- Florals and decor",
        "- Photographer",
        "- Caterer",
        "- Band or DJ",
        "- Planner",
    ]
    text = "\n".join([BODY[0], *steps[:2], *items[:6], *steps[2:], *items[6:]])
    assert not looks_like_listing(text)
    # the same headlines unbulleted are a listing page
    assert looks_like_listing("\n".join([*steps, *(i[2:] for i in items)]))


def test_list_introduced_by_a_colon_line_is_not_a_listing() -> None:
    """A wire factbox: one lead paragraph, then 'Label: value' lines without bullets."""
    winners = [
        f"{award}: {name}"
        for award, name in [
            ("Best picture", "Oppenheimer"), ("Best director", "Christopher Nolan"),
            ("Best actor", "Cillian Murphy, Oppenheimer"), ("Best actress", "Emma Stone"),
            ("Supporting actor", "Robert Downey Jr."), ("Supporting actress", "Da'Vine Joy"),
            ("Original screenplay", "Anatomy of a Fall"), ("Adapted screenplay", "American"),
            ("Animated feature", "The Boy and the Heron"), ("Documentary", "20 Days"),
            ("International feature", "The Zone of Interest"), ("Original score", "Ludwig"),
        ]
    ]  # fmt: skip
    text = "\n\n".join(
        [
            "The Academy of Motion Picture Arts and Sciences handed out its awards on Sunday "
            "night in Los Angeles, with the atomic-bomb drama taking seven prizes in all.",
            "The following is a list of winners in the main categories:",
            *winners,
        ]
    )
    assert not looks_like_listing(text)
    # the same lines without the colon line that introduces them read as a list of links
    assert looks_like_listing("\n\n".join([text.split("\n\n")[0], *winners]))


def test_hard_wrapped_prose_is_not_a_listing() -> None:
    words = " ".join(BODY * 3).split()
    wrapped = "\n".join(" ".join(words[i : i + 9]) for i in range(0, len(words), 9))
    assert not looks_like_listing(wrapped)


def test_short_sentence_lines_are_not_link_like() -> None:
    lines = [
        "It isn't.",
        "Trains lose connectivity.",
        "Factories sit behind firewalls.",
        "Hospitals isolate systems.",
        "Devices move and fail.",
        "Networks drop out.",
        "Batteries run down.",
        "Users go offline.",
        "Servers are far away.",
    ]
    assert not looks_like_listing("\n".join(lines * 2))


def test_control_characters_do_not_reach_the_output() -> None:
    """A NUL or another C0 control (from a JSONL escape, a broken export), a zero-width space,
    a soft hyphen or a BOM is removed from the text and the title; tabs and line breaks are
    whitespace as before."""
    body = "\n\n".join(
        f"Paragraph {i} of the report says the harbour\x00 reopened on Monday after the storm, "
        f"offi\u00adcials\x07 said, and ships\x1b were\u200b moving again.\tCargo\ufeff resumed."
        for i in range(8)
    )
    doc = Document(id="c", source="c.jsonl:1", text=body, title="Harbour\x00 reopens")
    out = clean(doc, CleanConfig())
    assert out.title == "Harbour reopens"
    assert not any(ord(c) < 32 and c != "\n" for c in out.text)
    # zero-width characters, soft hyphens and a stray BOM go too
    assert not set(out.text) & {"\u200b", "\u00ad", "\ufeff"}
    assert "officials said" in out.text
    assert "the harbour reopened on Monday" in out.text and "moving again. Cargo" in out.text


# --- scripts written without spaces -----------------------------------------------------------

CJK = Path(__file__).parent / "fixtures" / "cjk"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("The minister said on Thursday", 5),
        ("Le président a déclaré jeudi", 5),
        ("大雨で各地", 3),  # five characters: one word per two, rounded up
        ("気象庁は、警戒を。", 5),  # the punctuation goes with its script
        ("東京 Tokyo 2024年", 4),  # "東京" and "年" (3 characters, 2 words), "Tokyo", "2024"
        ("ประเทศไทย", 5),
        ("", 0),
    ],
)
def test_words_are_counted_in_scripts_written_without_spaces(text: str, words: int) -> None:
    assert count_words(text) == words


def test_an_article_in_japanese_is_long_enough_and_its_copy_in_shift_jis_is_the_same() -> None:
    """Counted by spaces, a Japanese article is a handful of "words" and every one was
    dropped as too short; its headlines without 。 still read as a listing."""
    html = (CJK / "ja.html").read_text(encoding="utf-8")
    sjis = html.replace('charset="utf-8"', 'charset="shift_jis"').encode("shift_jis")
    texts = []
    for name, data in (("ja.html", html.encode()), ("sjis.html", sjis)):
        doc = process(document_from_html(decode_html(data), source=name, url=None), CleanConfig())
        assert doc.language == "ja"
        assert count_words(doc.text) > 250
        assert "土砂災害" in doc.text and "ホーム" not in doc.text
        texts.append(doc.text)
    assert texts[0] == texts[1]
    headlines = [
        "大雨で各地に被害 気象庁が警戒呼びかけ",
        "円相場 一時一ドル百五十円台に",
        "首相 来月の訪米を正式表明",
        "プロ野球 首位攻防戦は延長戦に",
        "新型ロケット 打ち上げに成功",
        "東京株式市場 日経平均が反発",
        "春の叙勲 四千人余りが受章",
        "高速道路で多重事故 三人けが",
        "国会 補正予算案が成立",
        "台風十号 週末に接近のおそれ",
    ]
    assert looks_like_listing("\n\n".join(headlines))

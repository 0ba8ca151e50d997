"""Regex fragments the chrome rule table (``pipeline.chrome_rules``) is written with.

Shared pieces (network names, money amounts, related-link labels, the shapes of a name or of a
call to action) live here so that the table reads as one rule per entry.
"""

from __future__ import annotations

import textwrap


def alts(block: str) -> str:
    """A non-capturing group of the alternatives written one per line in ``block``.

    A line indented deeper than the block continues the alternative above it.
    """
    alternatives: list[str] = []
    for line in textwrap.dedent(block).strip("\n").splitlines():
        if line[:1].isspace() and alternatives:
            alternatives[-1] += line.strip()
        elif line.strip():
            alternatives.append(line.strip())
    return "(?:" + "|".join(alternatives) + ")"


# A sentence boundary inside a line, or its start: calls to action are imperatives that open a
# sentence ("... today. Donate now."), while prose uses the same verbs mid-sentence.
OPEN = r"(?:^|[.!?:;|—–]\s*|\s[-–—]\s*)"
OPEN_COMMA = r"(?:^|[.!?:;|—–,]\s*|\s[-–—]\s*)(?:and |or )?(?:please )?"
NETWORKS = (
    r"(?:facebook|twitter|x|instagram|linkedin|youtube|tiktok|telegram|whatsapp|threads|bluesky"
    r"|mastodon|pinterest|reddit|google news|flipboard|snapchat|truth social|gab|vk|rumble"
    r"|substack)"
)
# Network names long enough to be a safe substring test (no "x", "vk" or "gab").
NETWORK_NEEDLES = (
    "facebook|twitter|instagram|linkedin|youtube|tiktok|telegram|whatsapp|threads|bluesky"
    "|mastodon|pinterest|reddit|google news|flipboard|snapchat|truth social|rumble|substack"
)
PROPER = r"(?-i:[A-Z0-9][\w'’.&-]*)"  # a capitalised word, as in an outlet's name
NAME = rf"{PROPER}(?:\s+{PROPER}){{0,3}}"
AMOUNT = (
    r"(?:[$€£¥₹]\s?\d[\d,.]*|\d[\d,.]*\s?[$€£¥₹]|(?:usd|eur|gbp|cad|aud)\s?\d[\d,.]*"
    r"|\d[\d,.]*\s?(?:usd|eur|gbp|cad|aud))(?:\s*(?:/\s*(?:month|mo|year|yr)|a month|per month"
    r"|monthly))?"
)
SHARE_WORD = (
    r"(?:share|shares|shared|sharing|tweet|pin it for later|pin for later|pin it|pin|print"
    r"|e-?mail|mail|copy link|copy url|link copied|sms|messenger|facebook|twitter|x|whatsapp"
    r"|telegram|linkedin|pinterest|reddit|tumblr|pocket|flipboard|threads|bluesky|mastodon|vk"
    r"|line|viber|this|article|story|post|page|on|via|to|with|click|opens|in|new|window|copy"
    r"|link|\d+[km]?|more|options|friends|save"
    r"|teilen|artikel|partager|compartir|condividi|compartilhar|поделиться|delen|udostępnij"
    r"|sur|auf|en|su|no|na|в)"
)
SHARE_VERB = (
    r"(?:share|shares|sharing|tweet|pin it|pin for later|copy link|print|e-?mail"
    r"|teilen|partager|compartir|condividi|compartilhar|поделиться|delen|udostępnij)"
)
RELATED_LABEL = alts(r"""
    also read|read also|read more|more to read|see also|must read|don'?t miss
    related(?: (?:articles?|stories|posts?|content|coverage|reading|news|links?|topics|reads))?
    recommended(?: (?:for you|reading|articles?|stories|posts?|videos?))?
    you (?:may|might) (?:also )?(?:like|enjoy|be interested in)
    further reading|more stories|more on this(?: story| topic)?
    more from (?-i:[A-Z])[^:|.!?]{0,40}
    read next|up next|what to read next|trending(?: now| stories)?
    most (?:read|popular|viewed|shared)|popular (?:posts|stories|articles)
    editor'?s'? picks|top stories|keep reading|continue reading
    suggested(?: reading| articles| stories)?|in case you missed it|icymi
    (?:à )?lire aussi|lire également|voir aussi|lesen sie auch|mehr zum thema|lee también
    leer también|ver también|leia também|veja também|leggi anche|zie ook|czytaj (?:też|także)
""")
RELATED_SEP = r"\s*(?:[:|»›>—–]|\s-\s|-(?=\s)|\.\.\.)\s*"
PHOTO_WORD = (
    r"(?:photos?|images?|pictures?|photograph|illustration|graphic|file photo|main image"
    r"|fotos?|bild|imagen|immagine"
    r"|top image|featured image|header image|lead image|cover image|hero image"
    r"|photo illustration)"
)
AGENCY = (
    r"(?-i:AP|AFP|Reuters|EPA|EPA-EFE|Getty Images|Getty|Shutterstock|iStock|iStockphoto"
    r"|Unsplash|Alamy|Pexels|Xinhua|Anadolu|Sputnik|TASS|Bloomberg|PA|dpa|ANI|PTI|IANS|Pixabay)"
)
COMMENT_NUM = r"(?:\d[\d,.]*k?|no|one|two|three|four|five|six|seven|eight|nine|ten)"
QUOTED = r"[“\"'‘«„].{1,200}[”\"'’»“]"

SUBSCRIBE_ALONE = alts(r"""
    subscribe(?: now| today| here| for free| to (?:get|unlock|continue|read)\b.{0,30})?
    subscribe to (?:us|our \w+)|subscribe for (?:the )?latest updates|subscribe to [\w .'’&-]{1,40}
    (?:our |free )?newsletters?|sign up(?: now| today| here| for free)?|join (?:now|us)
""")
SUBSCRIBE_VERB = alts(r"""
    subscribe\b|sign[- ]?up\b|join\b|never miss\b|want more\b|don'?t miss\b|receive\b
    abonnez-vous\b|inscrivez-vous\b|abonnieren sie\b|suscr[íi]bete\b|iscriviti\b|assine\b
    stay (?:updated|informed|in the loop|up to date|connected)\b|enter your e-?mail\b
    get (?:our|the (?:latest|best|top)|it|them|exclusive|free|weekly|daily|breaking)\b
    be the first to (?:know|hear)\b
""")
SUBSCRIBE_OBJECT = alts(r"""
    newsletters?|inbox|briefings?|bulletins?|mailing list|e-?mail (?:updates|alerts)
    bolet[íi]n|infolettre
    (?:breaking )?news alerts|push alerts|unlimited access|digest|your e-?mail
    (?:paying|supporting) subscriber\b
    notifications|updates from
""")
MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
# A calendar date as bylines print it: "May 3, 2024", "3 May 2024", "2024-05-03".
DATE = (
    rf"(?:{MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}|\d{{1,2}} {MONTH},? \d{{4}}"
    r"|\d{4}-\d{2}-\d{2})"
)

"""The chrome rule table: which lines of extracted article text are page furniture.

Each rule has a name (the key it is counted under), a regex, a word limit, what it does and a
one-line description. Rules describe what news sites and widely deployed plugins print
(WordPress, wpDiscuz, Disqus, Facebook's comments plugin, share and donation widgets, consent
banners), never one site's strings. The table is Python rather than JSON so that patterns can
share fragments (network names, money amounts) and be checked when the module loads.

Patterns are matched case-insensitively against one line at a time, after whitespace has been
collapsed and a leading list bullet removed (``- Facebook`` is matched as ``Facebook``).
``(?-i:...)`` marks the few places where capitals carry meaning, such as a name after
"Support". Multi-line pattern blocks hold one alternative per line. A line rule only looks at
lines of at most ``max_words`` words: a call to action is a short line that is mostly the call,
so a sentence that merely contains "share", "subscribe" or "comments" is too long, or has the
wrong shape, to match.

Actions:

- ``strip_span``: remove the matched span from the line, and the line if nothing but
  punctuation is left;
- ``drop_line``: remove the line;
- ``drop_line`` on ``related_link``: a related-links heading alone on its line also takes the
  list items ("- ...") right under it;
- ``cut``: a comment-section marker. The line is removed; a strong marker, or a marker with
  another within ``CUT_WINDOW`` lines, also removes everything after it, once the article has
  begun (see ``pipeline.clean``).

``margin_only`` rules fire only before the first or after the last line of prose: inside the
article the same line is content ("$15,000" in a table, "Home" as a heading). The exception is
a donation widget, adjacent lines of amounts and donation calls ("0 $", "2,500 $", "Support
X"), which goes wherever it stands (see ``pipeline.clean``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from pipeline.chrome_fragments import (
    AGENCY,
    AMOUNT,
    COMMENT_NUM,
    DATE,
    NAME,
    NETWORK_NEEDLES,
    NETWORKS,
    OPEN,
    OPEN_COMMA,
    PHOTO_WORD,
    QUOTED,
    RELATED_LABEL,
    RELATED_SEP,
    SHARE_VERB,
    SHARE_WORD,
    SUBSCRIBE_ALONE,
    SUBSCRIBE_OBJECT,
    SUBSCRIBE_VERB,
    alts,
)


class Action(StrEnum):
    STRIP_SPAN = "strip_span"
    DROP_LINE = "drop_line"
    CUT = "cut"


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    action: Action
    pattern: re.Pattern[str]
    doc: str
    max_words: int | None = None  # None: lines of any length
    strong: bool = True  # cut rules only: a weak marker needs a second marker close by
    margin_only: bool = False
    # A cheap prefilter: the pattern is only tried on a line whose casefolded text contains one
    # of these substrings (every match of the pattern contains one). Empty: always tried.
    needles: tuple[str, ...] = ()


def _rule(
    name: str,
    action: Action,
    pattern: str,
    doc: str,
    *,
    max_words: int | None = None,
    strong: bool = True,
    margin_only: bool = False,
    needles: str = "",
) -> Rule:
    compiled = re.compile(pattern, re.IGNORECASE)
    found = tuple(needles.split("|")) if needles else ()
    return Rule(name, action, compiled, doc, max_words, strong, margin_only, found)


# A related-links heading alone on its line: the list items right under it are links too.
RELATED_HEADING = re.compile(rf"^{RELATED_LABEL}\s*[:|»›>—–-]?\s*$", re.IGNORECASE)

S, D, C = Action.STRIP_SPAN, Action.DROP_LINE, Action.CUT

RULES: tuple[Rule, ...] = (
    # --- spans: markup and credits left inside a line ---------------------------------------
    _rule(
        "html_comment",
        S,
        r"<!--.*?(?:-->|$)|^!--.*?(?:-->|$)|^\s*-->",
        "An HTML comment, also with its '<' lost or its end on another line "
        "('!-- Google tag (gtag.js) -->').",
        needles="--",
    ),
    _rule(
        "script_remnant",
        S,
        alts(r"""
              <script\b[^>]*>.*?(?:</script>|$)|</?script\b[^>]*>
              <noscript>.*?(?:</noscript>|$)|</?noscript>|<style\b[^>]*>.*?(?:</style>|$)
          """),
        "A <script>, <noscript> or <style> element or tag left in the text.",
        needles="script|<style",
    ),
    _rule(
        "photo_credit",
        S,
        alts(r"""
              [(\[](?:(?:AP|AFP|Reuters|EPA|Getty|Xinhua|file) )?(?:photo|image|picture|photograph
                  |video|file photo|pictured)s?(?:\s+credit)?(?:\s+by\b|\s*:|\s*/
                  |\s+courtesy\b)[^()\[\]]{1,100}[)\]]
              [(\[](?:credit|image credit|photo credit|source: getty)\s*:[^()\[\]]{1,80}[)\]]
          """),
        "A photo credit in brackets inside a line: '(Photo by X/AFP)', '(AP Photo/X)'.",
        needles="photo|image|picture|video|credit|getty",
    ),
    _rule(
        "read_more_tail",
        S,
        r"(?:(?<=[.!?…”\"])|^)\s*(?:…|\.\.\.)?\s*\[?(?:read more|continue reading|read the full "
        r"(?:story|article|post)|(?:full )?story here)\s*(?:[»›→>]+|\.\.\.|…)?\]?\s*$",
        "A 'Read more' / 'Continue reading' link ending a teaser, or alone.",
        needles="read more|continue reading|read the full|story here",
    ),
    # --- tracking code ----------------------------------------------------------------------
    _rule(
        "tracking_code",
        D,
        alts(r"""
              \bwindow\.dataLayer\b|\bdataLayer\.push\s*\(|\bfunction\s+gtag\s*\(
              \bgtag\s*\(\s*['"](?:js|config|event|consent|set)['"]
              \bfbq\s*\(\s*['"](?:init|track|trackCustom|consent)['"]
              \b_gaq\.push\s*\(|\b_paq\.push\s*\(|\bga\s*\(\s*['"](?:create|send|set)['"]
              \bgoogletag\.(?:cmd|pubads|defineSlot|display)\b|\badsbygoogle\b
              ^(?:end )?(?:global site tag|google tag(?: manager)?)(?: \(gtag\.js\)| \(noscript\))?
                  (?: [-–—] google analytics)?$
              ^(?:facebook|meta) pixel code$
          """),
        "Analytics and ad-tag code or its label: window.dataLayer, gtag(...), fbq(...), "
        "googletag, adsbygoogle, 'Google tag (gtag.js)'.",
        needles="datalayer|gtag|fbq|_gaq|_paq|ga(|ga (|googletag|adsbygoogle|google tag"
        "|global site tag|pixel code",
    ),
    # --- comment sections (cut) -------------------------------------------------------------
    _rule(
        "comments_wpdiscuz",
        C,
        "^"
        + alts(r"""
              notify of(?: new (?:follow-up comments|replies to this comment))?
              (?:oldest )?newest most voted(?: oldest)?
              inline feedbacks
              would love your thoughts, please comment\.?x?
              (?:\d+ )?(?:comment|reply) threads?(?: \d+ thread replies)?
          """)
        + r"\s*$",
        "wpDiscuz (WordPress comments plugin): 'Notify of', 'Newest Most "
        "Voted', 'Inline Feedbacks', 'Would love your thoughts, please comment.'",
        max_words=12,
    ),
    _rule(
        "comments_disqus",
        C,
        "^"
        + alts(r"""
              (?:please enable javascript to view the )?comments powered by disqus\.?
              sort by (?:best|newest|oldest|top)
              start the discussion(?:…|\.\.\.|\.)?
              (?:or )?sign up with disqus\b.*
              disqus'? privacy policy
              be the first to comment\.?
          """)
        + r"\s*$",
        "Disqus: 'comments powered by Disqus', 'Sort by Best', 'Start the discussion'.",
        max_words=12,
    ),
    _rule(
        "comments_wordpress",
        C,
        "^"
        + alts(rf"""
              leave a (?:reply|comment) cancel reply|leave a reply|cancel reply
              click here to cancel reply\.?
              your email address will not be published\..*
              required fields are marked \*?
              you must be logged in to post a comment\.?
              save my name, email, and website in this browser for the next time i comment\.?
              this site uses akismet to reduce spam\..*
              comments are closed\.?
              (?:\d[\d,]*|one) (?:thoughts?|responses?|repl(?:y|ies)|comments?) (?:on|to) {QUOTED}
          """)
        + r"\s*$",
        "WordPress: 'Leave a Reply', 'Cancel reply', 'Your email address will "
        "not be published', 'N thoughts on “X”', 'N Responses to “X”'.",
        max_words=40,
    ),
    _rule(
        "comments_facebook",
        C,
        r"^(?:facebook comments plugin|add a comment(?:…|\.\.\.))\s*$",
        "Facebook comments plugin: 'Facebook Comments Plugin', 'Add a comment...'.",
        max_words=4,
    ),
    _rule(
        "comments_heading",
        C,
        "^"
        + alts(rf"""
              (?:reader |user |\d+ )?comments?(?: \(\d+\)| \d+)?
              (?:\d+ )?(?:kommentare?|commentaires?|comentarios?|comentários?|commenti|commento
                  |reacties|reactie|komentarze?|комментари[йиея]|комментарий)(?: \(\d+\)| \d+)?
              {COMMENT_NUM} (?:comments|replies|responses)|one (?:comment|reply|response)
              leave a comment|post a comment|add (?:a )?comment
              view (?:all )?(?:\d+ )?comments
              (?:show|load|hide|see|read) (?:all )?(?:\d+ )?comments
              join the (?:discussion|conversation)
              disqus|log ?in with|reply
          """)
        + r"\s*[:.]?\s*$",
        "A comments heading, counter or button ('Comments', '12 "
        "comments', 'Kommentare (14)', 'Leave a comment', 'View all comments', 'Disqus', "
        "'Log in with', 'Reply'): "
        "weak, it cuts only next to another marker.",
        max_words=6,
        strong=False,
    ),
    # --- donation widgets -------------------------------------------------------------------
    _rule(
        "donation_amount",
        D,
        rf"^{AMOUNT}(?:\s*[,/|]?\s*{AMOUNT})*$",
        "A line that is only money amounts, outside the prose: a donation widget's buttons "
        "and totals ('0 $', '2,500 $', '$5').",
        max_words=12,
        margin_only=True,
    ),
    _rule(
        "donation_cta",
        D,
        "^(?:please )?"
        + alts(r"""
              (?:support|donate to) (?:us|our (?:work|journalism|reporting|newsroom|mission|site
                  |podcast|channel)|independent journalism|quality journalism)
              donate(?: now| today| here)?
              make a (?:one-time )?(?:donation|contribution|gift)
              contribute (?:now|today)
              become a (?:patron|member|supporter|sponsor)(?: on patreon| today)?
              buy (?:me|us) a (?:coffee|beer|pizza)
              support (?:us )?on (?:patreon|ko-fi|substack|paypal)
              (?:one[- ]time|monthly|annual|yearly|recurring) (?:donation|gift|contribution)
              tip jar|we need your (?:support|help)|before you go(?:\.\.\.|…)
          """)
        + r"(?: (?:today|now|here|on patreon|via paypal))?\s*[.!]?$",
        "A short donation call to action: 'Donate', 'Support us', 'Become a patron', 'Buy me "
        "a coffee', 'We need your support'.",
        max_words=8,
    ),
    _rule(
        "donation_name",
        D,
        r"^(?:please )?(?:support|donate to)\s+(?!(?:for|of|and|your|my|his|her|their|its"
        r"|this|that|these|those|a|an|local|healthy|services?|options?|resources?|groups?"
        rf"|teams?|cent(?:er|re)s?|staff|tickets?|pages?|plans?|contacts?)\b){NAME}"
        r"(?: (?:today|now|here))?\s*[.!]?$" + rf"|^keep {NAME} free(?: for everyone)?[.!]?$",
        "'Support X', 'Donate to X', 'Keep X free' naming the outlet, at the head or tail of "
        "the text (in the body the same shape is a heading: 'Support Your Immune System').",
        max_words=8,
        margin_only=True,
    ),
    _rule(
        "donation_appeal",
        D,
        OPEN
        + "(?:please )?"
        + alts(r"""
              donate(?: today| now| here)?\s*(?:[.!]|$)
              chip in\b|every contribution\b(?=.{0,120}\b(?:us|our|we)\b)
              make a (?:donation|contribution)\b
              become a (?:member|patron|supporter|sustaining member|paying subscriber)\b
              support (?:us|our (?:work|journalism|reporting|newsroom)|independent journalism
                  |quality journalism)\b
              help (?:us|keep|support)\b.{0,60}\b(?:independent|free|going|journalism|reporting
                  |newsroom)\b
              (?:if you (?:value|enjoy|like|appreciate) (?:reading |what )?(?:us\b|our\b|we\b
                  |this\b|(?-i:[A-Z])\w*)|(?:like|enjoyed|enjoy) this (?:story|article
                  |post)|found this (?:useful|helpful))\b.{0,80}\b(?:support|donat|contribut
                  |subscri)
              our (?:journalism|reporting|work) is (?:funded|supported|made possible) by\b
              (?:this story|this article|our journalism) is (?:funded|supported) by readers\b
          """),
        "A donation appeal of a sentence or two that opens with the appeal: 'Every "
        "contribution, however big or small, ...', 'Chip in to support X', 'Donate today.'",
        max_words=35,
        needles="donat|chip in|contribut|member|patron|support|help |like this"
        "|enjoy|value|appreciate|found this|funded",
    ),
    # --- newsletter, follow and share calls -------------------------------------------------
    _rule(
        "newsletter_cta",
        D,
        alts(rf"""
              ^(?:(?:click|tap) here to )?(?:{SUBSCRIBE_ALONE})\s*[.!]?$
              {OPEN_COMMA}(?:(?:click|tap) here (?:to|and) )?{SUBSCRIBE_VERB}.{{0,120}}
                  \b{SUBSCRIBE_OBJECT}\b
          """),
        "A newsletter or subscription prompt: 'Subscribe to our newsletter', 'Sign up for "
        "...', 'Never miss a story. Join the X daily newsletter.'",
        max_words=35,
        needles="newsletter|inbox|briefing|bulletin|mailing|mail|alert|unlimited access|digest"
        "|subscri|notification|sign up|sign-up|signup|join|boletin|boletín|infolettre|abonn",
    ),
    _rule(
        "follow_cta",
        D,
        alts(rf"""
              ^follow us(?: (?:on|at|for)\b.{{0,80}})?[.!]?$
              {OPEN_COMMA}(?:(?:follow|find|connect with|join)\s+(?:us|me|@\w+|{NAME}
                  |our (?:\w+ )?(?:page|channel|account|feed)s?)|like us)\s+on\s+{NETWORKS}\b
              ^join (?:us|our)\b.{{0,40}}\b{NETWORKS}\b.{{0,40}}\b(?:channel|group|page
                  |community)\b
              ^(?:síguenos|suivez-nous|folgen sie uns|siga-nos|seguici)\s+(?:en|sur|auf|no|na
                  |su)\s+{NETWORKS}\b
          """),
        "A 'follow us' prompt: 'Follow us on X, Facebook and Instagram', 'Follow X on "
        "Google News for the latest updates', 'Stay updated — follow X on Telegram'.",
        max_words=30,
        needles="follow| x|" + NETWORK_NEEDLES,
    ),
    _rule(
        "share_cta",
        D,
        rf"^(?=.*\b{SHARE_VERB}\b|(?:.*\b{NETWORKS}\b){{2}})"
        rf"{SHARE_WORD}(?:[\s|:•·,/()!]+{SHARE_WORD})*[\s|:•·,/()!]*$",
        "A row of share buttons, made only of share words and network names ('Share this:', "
        "'Share on Facebook', 'Tweet', 'Facebook Twitter WhatsApp Email').",
        max_words=30,
        needles="share|sharing|tweet|pin |copy link|print|mail|teilen|partager|compartir"
        "|condividi|compartilhar|поделиться|delen|udostępnij|" + NETWORK_NEEDLES,
    ),
    # --- related links ----------------------------------------------------------------------
    _rule(
        "related_link",
        D,
        alts(rf"""
              ^{RELATED_LABEL}\s*[:|»›>—–-]?\s*$
              ^(?:{RELATED_LABEL}|more|watch|listen){RELATED_SEP}(?:\S+\s+){{0,19}}\S+\s*$
              ^(?-i:ALSO READ|READ ALSO|READ MORE|RELATED|SEE ALSO|MUST READ|DON'T MISS)\s+
                  (?=(?-i:\S*[a-z]))\S.*$
          """),
        "A related-article link: 'Also Read: <headline>', 'Read more: ...', 'Related:', "
        "'See also', 'Recommended', 'You may also like', 'More from X' (the label alone, or "
        "label, separator and a headline of at most 20 words).",
        max_words=30,
    ),
    # --- images -----------------------------------------------------------------------------
    _rule(
        "image_caption",
        D,
        alts(rf"""
              ^(?:click|tap)(?: here)? (?:to|for)\b.{{0,40}}\b(?:image|photo|picture|enlarge|zoom
                  |gallery|full[- ]?size|larger|fullscreen|full screen)\b.{{0,20}}$
              ^(?:enlarge|expand|zoom)(?: (?:image|photo|picture|this image))?$
              ^(?:view|open|see|launch) (?:the )?(?:full )?(?:image|photo|gallery|slideshow)
                  (?:\s*\(\d+\))?$
              ^(?:image|photo|slide) \d+ of \d+$
              ^(?=(?-i:[A-Z])){PHOTO_WORD}(?:\s+(?:credit|courtesy|source|by))?\s*(?:[:|©]\s*\S.*
                  |/\s*(?-i:[A-Z@]).*)$
              ^(?:photo|image|picture|photograph)s? (?:by|courtesy of|via)\s+(?-i:[A-Z0-9@]).*$
              ^image (?:caption|copyright|source)\b.*$
              ^(?:featured?|header|cover|top|lead|hero) (?:image|photo)s?\s*(?:by|via|courtesy of
                  |credit|:)\s*\S.{{0,200}}$
              ^(?:photo |image )credits?\s*:(?:\s*\S.*)?$|^credits?\s*:(?:\s*(?-i:[A-Z0-9@©(]).*)?$
              ^\(?{AGENCY}(?: Photo| Images)?\)?(?:\s*/\s*[^.]{{1,60}})?$
              ^.{{0,80}}/\s*{AGENCY}(?: via Getty Images)?\)?$
          """),
        "Image chrome: 'Click to see full-size image', 'Click to enlarge', 'Image: "
        "X/Getty', 'Photo credit: ...', 'AP Photo/X', a line ending in '/Getty Images'.",
        max_words=20,
    ),
    # --- banners ----------------------------------------------------------------------------
    _rule(
        "consent_banner",
        D,
        alts(r"""
              ^(?:this (?:web)?site|we|our (?:web)?site|we and our (?:\d+ )?partners
                  |this website and its partners)\b.{0,20}\buses? cookies\b.{0,300}\b(?:experience
                  |analytics|advertis\w*|personali[sz]\w*|traffic|consent|agree|accept|privacy|polic
                  (?:y|ies))
              ^by (?:continuing|using|clicking|browsing|scrolling)\b.{0,120}\b(?:you|i)\b.{0,40}
                  \b(?:agree|consent|accept|acknowledge)\w*\b.{0,120}\b(?:cookies|privacy
                  |terms|polic(?:y|ies))\b
              ^(?:accept|allow|reject|decline|refuse|manage|customi[sz]e)(?: all)? (?:cookies
                  |cookie settings|preferences|choices|options)$
              ^(?:cookie|privacy|consent) (?:settings|preferences|policy|consent|notice|choices)$
              ^(?:i accept|accept all|reject all|i agree|got it|ok(?:ay)?,? got it|agree and close)$
          """),
        "A cookie or consent banner: 'We use cookies to improve your experience ...', "
        "'Accept all cookies', 'Cookie settings'.",
        max_words=60,
        needles="cookie|continuing|using|clicking|browsing|scrolling|accept|allow|reject"
        "|decline|refuse|manage|customi|privacy|consent|agree|got it",
    ),
    _rule(
        "advertisement",
        D,
        "^"
        + alts(r"""
              advertisements?|advertisement\s*[-–—:|]\s*.{1,60}|advertising|ads?
              publicité|anzeige|werbung|publicidad|publicidade|pubblicità|advertentie|reklama
              sponsored(?: (?:content|post|links?|stories|by [^,;!?]{1,40}))?
              paid (?:content|post|partnership|promotion)|partner content
              promoted(?: (?:content|stories|links))?
              (?:story|article) continues below(?: (?:this )?advertisement)?
              continue reading (?:the main story|below)
              scroll (?:down )?to continue(?: with content| reading)?
              report this ad|ad feedback|remove ads|skip advertisement
          """)
        + r"\s*[.:]?$",
        "An ad slot label: 'Advertisement', 'Sponsored', 'Story continues below advertisement'.",
        max_words=10,
    ),
    # --- rights, credits, disclosures -------------------------------------------------------
    _rule(
        "copyright",
        D,
        alts(r"""
              ^(?:©|copyright\s*(?:©|\(c\)|\d{4})|\(c\)\s*(?:\d{4}|copyright))
              ^all (?:content|material|text|rights)\b.{0,40}(?:©|copyright|reserved)
              \ball rights reserved\b
              \bmay not be (?:re)?published, broadcast, rewritten,? or redistributed\b
              ^copyright\b.{0,80}\b(?:all rights reserved|may not be
                  |without (?:prior |written |express )*permission)
              \b(?:republication|reproduction|redistribution)\b.{0,40}\bwithout (?:(?:prior|express
                  |written) )*permission\b.{0,20}\b(?:prohibited|forbidden|not permitted)
          """),
        "A copyright or rights line: '© 2021 X. All rights reserved.', 'This material "
        "may not be published, broadcast, rewritten or redistributed.'",
        max_words=40,
        needles="©|(c)|copyright|reserved|redistributed|permission",
    ),
    _rule(
        "credit_line",
        D,
        alts(r"""
              ^this (?:story|article|piece|post) (?:was |is |has been )?
                  (?:first |originally )?(?:published|appeared|posted|republished) (?:by|on|in|at
                  |with)\b
              ^this (?:story|article) is republished from\b|^republished with permission\b
              ^\(?(?:[^()]{1,60} )?(?:staff|desk|bureau),? with (?:agency inputs|inputs from .{1,40}
                  |wires?|agencies)\)?\.?$
              ^\(?with (?:agency )?inputs? from [^()]{1,60}\)?\.?$
              ^\(?reporting by .{1,200}(?:editing|writing|additional reporting) by .{1,200}\)?\.?$
          """),
        "A republication credit: 'This story was first published by X.', '(X staff, "
        "with agency inputs)', 'Reporting by X; Editing by Y'.",
        max_words=40,
        needles="this |staff|desk|bureau|inputs|reporting by|republished",
    ),
    _rule(
        "affiliate_disclosure",
        D,
        alts(r"""
              ^(?=.*\b(?:affiliate|links?|purchases?|products?|items?|click\w*|(?:buy|shop)\w*
                  (?: something| anything| through| via)\b)).*\b(?:we|i
                  |us)\b.{0,20}\b(?:earn|receive|get)s? (?:an? )?(?:small )?
                  (?:affiliate )?commissions?\b
              \bpurchases made through (?:our |these )?links may earn\b
              \bas an amazon associate,? (?:we|i)\b|\b(?:we|i) earn from qualifying purchases\b
              \bis supported by (?:commissions|affiliate)\b
              ^(?:this|the) (?:post|article|page) (?:may )?contains? affiliate links\b
              ^(?:advertiser |affiliate )?disclosure\s*:.{0,200}\b(?:affiliate|commission|sponsor
                  |paid|compensat)
              ^advertiser disclosure$
          """),
        "An affiliate or advertiser disclosure: 'Purchases made through our links may "
        "earn us a commission.', 'As an Amazon Associate I earn from qualifying purchases.'",
        max_words=60,
        needles="commission|amazon associate|affiliate|disclosure|qualifying",
    ),
    _rule(
        "form_field",
        D,
        "^"
        + alts(r"""
              (?:enter )?(?:your )?e-?mail(?: address)?\s*(?:\((?:required|optional)\))?
                  \s*[:*]\s*\*?
              enter your e-?mail(?: address)?(?: here)?\.?
              (?:your |first |last |full )?name\s*(?:\((?:required|optional)\))?\s*[:*]\s*\*?
              if you are a human,? (?:please )?(?:ignore|leave) this field(?: blank| empty)?\.?
              this field is required\.?|(?:submit|send)(?: comment)?
              this field is (?:for validation purposes and should be left unchanged
                  |hidden when viewing the form)\.?
              (?:\*\s*)?indicates required(?: fields?)?\.?
              fields marked with an? (?:\*|asterisk) are required\.?
          """)
        + r"\s*$",
        "A sign-up or comment form field: 'Enter your email:', 'First Name "
        "(optional):', 'If you are a human, ignore this field', 'Submit', a form plugin's "
        "note ('This field is for validation purposes and should be left unchanged.', "
        "'* indicates required').",
        max_words=14,
    ),
    _rule(
        "shop_button",
        D,
        "^"
        + alts(r"""
              (?:check|see|view|compare|get|shop) (?:the )?(?:latest |current |best )?
                  (?:price|prices|pricing|deals?|offers?|packages|plans)(?: (?:at|on|from)
                  (?-i: [A-Z0-9]).{0,40})?
              (?:buy|shop|view|see|available|order|find it)(?: it| now| this)? (?:on|at) (?:amazon
                  |walmart|target|ebay|best buy|rei|etsy|home depot|lowe'?s)\b.{0,30}
              shop now|buy now|add to cart|view (?:the )?deal
          """)
        + r"\s*(?:\([^()]{1,20}\))?\s*[.!→»›]*$",
        "A shopping button: 'Check price at Amazon', 'View on Amazon', 'See packages', "
        "'Shop now', 'Add to cart'.",
        max_words=10,
    ),
    _rule(
        "lead_cta",
        D,
        "^"
        + alts(r"""
              get started(?: today| now| for free)?|get (?:a|your) (?:demo|quote|estimates?)
              download now|learn more|get (?:a|your) free (?:quote|estimate
                  |consultation|trial|demo)(?: today| now)?
              request (?:a |your )?(?:free )?(?:quote|demo|estimate|consultation|callback)
                  (?: today)?
              (?:book|schedule) (?:a |your )?(?:free )?(?:demo|call|consultation)(?: today)?
              take the next step|talk to (?:an|our) (?:expert|experts|team)(?: today)?
              start (?:your )?free trial|try (?:it )?(?:for )?free
          """)
        + r"\s*[.!→»›]*$",
        "A lead-form button: 'Get started today', 'Get a free quote', 'Request a demo', "
        "'Take the next step', 'Start free trial'.",
        max_words=8,
    ),
    _rule(
        "form_consent",
        D,
        alts(r"""
              ^by (?:submitting|completing|filling out|sending) (?:this|the|your) (?:form|request
                  |information|details),? (?:you|i)\b.{0,60}\b(?:agree|consent|authori[sz]e
                  |acknowledge|accept|confirm|understand)
              ^(?:terms of submitting this form|by clicking (?:submit|send|sign up|subscribe)\b)
              ^by (?:subscribing|signing up|registering|entering your e-?mail|clicking\b.{1,40}),?
                  (?: to [\w .'’&-]{1,40},?)? you (?:also )?(?:agree|consent|acknowledge|accept)\b
              ^(?:and |i )?agree to (?:our|the) (?:terms|privacy)\b.{0,80}\bprivacy (?:policy
                  |notice)\b
          """),
        "Small print under a lead or sign-up form: 'By submitting this form, you "
        "authorize ...', 'By subscribing to this newsletter, you agree to ...', 'and agree to "
        "our Terms & Conditions and Privacy Policy.'",
        max_words=90,
        needles="submit|completing|filling|sending|clicking|agree|subscribing|signing up"
        "|registering|entering your",
    ),
    _rule(
        "paywall",
        D,
        alts(r"""
              ^this (?:article|story|content|post) is (?:exclusive|only available|available only)
                  (?: to| for)\b.{0,40}\bsubscribers?\b.{0,20}$
              ^(?:subscribe|log ?in|sign ?in) to (?:continue|keep) reading\b.{0,40}$
              ^(?:you have|you've) (?:\d+|one|two|three) free (?:articles?|stories)
                  (?: left| remaining)\b.{0,40}$
          """),
        "A paywall notice: 'This article is exclusive to X subscribers', 'Subscribe to "
        "continue reading'.",
        max_words=20,
        needles="subscri|reading|free",
    ),
    _rule(
        "rating_cta",
        D,
        r"^(?:did you (?:make|try|cook|bake) (?:this|one of (?:my|our)) (?:recipes?|dish)\b"
        r"|(?:please )?(?:leave|give) (?:a|this (?:recipe|post)) (?:star )?rating\b"
        r"|rate this (?:recipe|article|post)\b).{0,200}$",
        "A rating prompt under a recipe or post: 'Did you make this recipe? Please leave a star "
        "rating.', 'Rate this recipe'.",
        max_words=45,
        needles="did you|rating|rate this",
    ),
    _rule(
        "contact_line",
        D,
        r"^(?:e-?mail|phone|tel|call us|fax)\s*:?\s*[\w.+-]+@[\w-]+\.[\w.]+$"
        r"|^(?:phone|tel|call us|fax)\s*:?\s*\+?[\d ().-]{7,20}$",
        "A contact line at the head or tail of the text: 'Email: desk@example.com', 'Phone: "
        "555 0100'.",
        max_words=6,
        margin_only=True,
    ),
    _rule(
        "follow_name",
        D,
        rf"^follow {NAME}\s*[.!]?$",
        "'Follow X' naming the outlet or author, at the head or tail of the text (in the body "
        "the same shape is a heading: 'Follow the Money').",
        max_words=5,
        margin_only=True,
    ),
    # --- navigation and post furniture ------------------------------------------------------
    _rule(
        "nav_chrome",
        D,
        "^"
        + alts(r"""
              skip to (?:main )?content|table of contents
              back to (?:top|blogs?|home|news|articles?|the top|all posts)|return to (?:top|blogs?
                  |home)
              jump to (?:recipe|content|navigation|comments|the list)
              print (?:this )?(?:page|article|recipe)
              (?:previous|next|prev) (?:article|post|story|page)(?:\s*[:»›«‹|]\s*.{1,120})?
              « ?(?:previous|older)|(?:next|newer) ?»|(?:older|newer) (?:posts?|entries)
              (?:load|show|view|see) more
              posted in\s*:?\s*[^.!?]{1,80}|filed under(?:\s*:\s*[^.!?]{1,80})?
              tags?(?:\s*:.{0,120})?|tagged(?: with| as)?\s*:.{0,120}|categor(?:y|ies)\s*:.{0,120}
              \d+ min(?:ute)?s? read|reading time(?:\s*:.{0,20})?
              (?:last )?updated(?: on)?\s*:?\s*\d.{0,30}
              already (?:have an account|a subscriber)\?\s*(?:log ?in|sign ?in)
              forgot (?:your )?password\??
          """)
        + r"\s*$",
        "Navigation and post furniture: 'Skip to content', 'Back to top', "
        "'Previous article: X', 'Tags: a, b', 'Filed under: X', '5 min read'.",
        max_words=25,
    ),
    _rule(
        "dateline",
        D,
        rf"^(?:(?:last )?(?:updated|modified|posted|published|reviewed)(?: on)?\s*:?\s*)?{DATE}"
        r"(?:\s*(?:at\s*)?\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?(?:\s*[a-z]{2,4})?)?\s*$",
        "A line that is only a date, or 'Updated on <date>', at the head or tail of the text "
        "(in the body a lone date can head a timeline entry).",
        max_words=10,
        margin_only=True,
    ),
    _rule(
        "byline",
        D,
        r"^(?:by|written by|posted by|published by|reviewed by|edited by|fact[- ]checked by"
        rf"|medically reviewed by)\s+{NAME}(?:\s*(?:,|\||and|&|-|–|—)\s*[^.!?]{{0,60}})?$",
        "A byline line at the head or tail of the text: 'By Jane Doe', 'Written by Jane Doe "
        "| June 1, 2024'.",
        max_words=14,
        margin_only=True,
    ),
    _rule(
        "nav_word",
        D,
        r"^(?:(?:toggle )?(?:menu|navigation|search)|close|home|log ?in|sign ?in|log ?out"
        r"|sign ?out|register|create (?:an |a free )?account|about(?: us)?|contact(?: us)?"
        r"|terms of (?:use|service)|privacy policy|accept|sitemap|careers"
        r"|advertise(?: with us)?)\s*$",
        "A lone navigation or footer word at the head or tail of the text: 'Home', 'Menu', "
        "'Search', 'Log in', 'About us', 'Contact', 'Terms of Use'.",
        max_words=4,
        margin_only=True,
    ),
)

CUT_WINDOW = 6  # non-blank lines within which a weak comment marker finds its confirmation

RULE_NAMES: frozenset[str] = frozenset(r.name for r in RULES) | {"title_repeat"}

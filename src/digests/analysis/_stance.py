"""The stance of what was said, read from the words said when the verb says only "said".

Most statements in the news come through a neutral verb ("said", "told reporters"); their stance
is in the reported words: "would not accept" refuses, "only if" sets a condition, "will pay a
price" warns, "violated" accuses, "remains committed" supports. The rules below read the parsed
complement of the reporting verb, in an order that puts the more specific reading first (a
conditional refusal is a demand, a threat that names a price is a warning, not an accusation).
The word lists are general news vocabulary, not phrases of any one article.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from spacy.tokens import Token

from digests.model import Stance

#: Nouns by which a speaker names its own side ("the government would never accept").
_SELF_NOUNS = frozenset(
    [
        "government",
        "ministry",
        "country",
        "state",
        "army",
        "administration",
        "kingdom",
        "authority",
        "movement",
        "delegation",
        "office",
        "bloc",
        "alliance",
        "union",
        "agency",
        "fund",
        "organisation",
        "organization",
        "republic",
        "party",
    ]
)
#: Where a cue inside the words is part of a noun phrase or a condition, not a statement.
_NOT_STATED = frozenset(["acl", "relcl", "pcomp", "amod", "advcl", "csubj"])
_MODALS = frozenset(["will", "would", "could", "may", "might", "shall", "'ll", "wo", "ca"])
_NEGATIONS = frozenset(["not", "n't", "never", "no"])

#: Verbs whose refusal ("will not accept") is a rejection.
_ACCEPTANCE = frozenset(
    [
        "accept",
        "allow",
        "agree",
        "recognise",
        "recognize",
        "tolerate",
        "negotiate",
        "bow",
        "permit",
        "support",
        "back",
        "carry",
        "trade",
        "sign",
        "join",
        "surrender",
        "cede",
        "compromise",
        "yield",
        "participate",
        "attend",
        "consider",
        "discuss",
        "endorse",
        "approve",
        "bind",
        "hand",
        "let",
        "budge",
        "submit",
        "comply",
        "honour",
        "honor",
        "extend",
        "renew",
        "lift",
        "withdraw",
        "retreat",
        "stop",
    ]
)
#: "There will be no truce", "we have no intention of": nouns a "no" turns into a refusal.
_REFUSED_NOUNS = frozenset(
    [
        "truce",
        "ceasefire",
        "deal",
        "agreement",
        "negotiation",
        "talks",
        "interest",
        "intention",
        "place",
        "role",
        "compromise",
        "concession",
        "question",
        "room",
        "way",
        "basis",
        "grounds",
        "merit",
        "evidence",
        "truth",
        "authority",
        "right",
        "mandate",
        "standing",
        "legitimacy",
    ]
)
#: What a negated "be" refuses to put up: "not on the table", "not negotiable".
_NOT_OFFERED = frozenset(["table", "negotiable", "matter", "sale", "option"])
#: Words that dismiss what another side said or did.
_DISMISSIVE = frozenset(
    [
        "unfounded",
        "baseless",
        "groundless",
        "false",
        "fabricated",
        "untrue",
        "absurd",
        "nonsense",
        "worthless",
        "meaningless",
        "fiction",
        "fake",
        "null",
        "void",
        "invalid",
        "illegitimate",
        "negotiable",
    ]
)
#: Words that set a condition: "only if", "unless", "provided that".
_CONDITIONS = frozenset(["unless", "provided", "providing", "condition", "precondition"])
_ONLY_BEFORE = frozenset(["if", "once", "when", "after", "as", "with", "on", "in", "from"])
_ONLY_WAY = frozenset(["way", "path", "option", "solution", "route", "condition"])
#: Verbs of wanting, which make a statement a demand ("wanted firm guarantees").
_WANTING = frozenset(["want", "seek", "insist", "wish"])
#: Readiness: "ready to host talks" proposes; "ready to defend" warns.
_READY = frozenset(["ready", "prepared", "willing", "open"])
_FORCE = frozenset(
    [
        "defend",
        "act",
        "respond",
        "retaliate",
        "strike",
        "fight",
        "attack",
        "hit",
        "use",
        "test",
        "strikes",
        "action",
        "force",
        "operation",
        "war",
    ]
)
#: Consequences, which with a modal ("will pay a price") make a warning.
_CONSEQUENCES = frozenset(
    [
        "face",
        "pay",
        "price",
        "consequence",
        "respond",
        "response",
        "retaliate",
        "retaliation",
        "strike",
        "hit",
        "target",
        "punish",
        "suffer",
        "destroy",
        "crush",
        "regard",
        "treat",
        "measure",
        "countermeasure",
        "hesitate",
        "unanswered",
        "escalate",
        "escalation",
        "invite",
        "expire",
        "soon",
        "react",
        "reciprocate",
        "defend",
        "test",
        "attack",
        "invade",
        "collapse",
        "trigger",
        "drag",
        "spiral",
        "option",
        "table",
        "harm",
        "mistake",
    ]
)
#: Alarm, which warns with or without a modal.
_ALARM = frozenset(
    [
        "alarm",
        "alarmed",
        "alarming",
        "concern",
        "concerned",
        "worried",
        "worry",
        "fear",
        "dangerous",
        "danger",
        "risk",
        "threat",
        "peril",
        "catastrophe",
        "catastrophic",
        "disaster",
        "starve",
        "starving",
        "famine",
        "unprepared",
    ]
)
#: Words that blame or condemn.
_BLAME = frozenset(
    [
        "violate",
        "violation",
        "breach",
        "pretext",
        "illegal",
        "illegally",
        "unlawful",
        "counterproductive",
        "provocation",
        "provocative",
        "provoke",
        "aggression",
        "aggressor",
        "murder",
        "crime",
        "criminal",
        "theft",
        "steal",
        "hostage",
        "hypocrisy",
        "hypocritical",
        "irresponsible",
        "destabilise",
        "destabilize",
        "destabilising",
        "destabilizing",
        "troublemaker",
        "hide",
        "undermine",
        "sabotage",
        "wreck",
        "genocide",
        "atrocity",
        "blackmail",
        "disappointed",
        "disappointing",
        "regrettable",
        "unacceptable",
        "unjust",
        "inhumane",
        "execution",
        "extrajudicial",
        "massacre",
        "bully",
        "coercion",
        "coercive",
        "interference",
        "meddle",
        "meddling",
        "propaganda",
        "cynical",
        "reckless",
        "shameful",
        "outrageous",
        "barbaric",
        "brutal",
        "lie",
        "deceive",
        "betray",
        "betrayal",
        "poison",
        "piracy",
        "colony",
        "occupation",
        "aggressive",
        "terrorism",
        "execute",
        "summarily",
        "regret",
        "punish",
        "backwards",
        "setback",
        "separatist",
        "terrorist",
        "traitor",
        "puppet",
        "extremist",
        "thug",
    ]
)
#: Verbs whose refusal is a pledge: "will not abandon the people of Haiti".
_LOYALTY = frozenset(["abandon", "desert", "forsake", "betray", "forget"])
#: Words of support: "remains committed", "welcomes", "stands with".
_SUPPORT = frozenset(
    [
        "committed",
        "support",
        "welcome",
        "solidarity",
        "essential",
        "vital",
        "positive",
        "constructive",
        "balanced",
        "progress",
        "grateful",
        "thank",
        "appreciate",
        "praise",
        "resilience",
        "remarkable",
        "endorse",
        "encouraging",
        "historic",
        "breakthrough",
        "respect",
    ]
)


def content_stance(
    tokens: Sequence[Token],
    nested: Callable[[Token], Stance | None],
    own: Callable[[Token], bool] = lambda _token: False,
) -> Stance | None:
    """The stance the reported words ``tokens`` carry, or None when they only state.

    ``nested`` gives the stance of a reporting cue inside the words ("said it opposed");
    ``own`` tells whether a name there is the speaker's own side ("said the EU had backed").
    """
    if not tokens:
        return None
    first = _readiness(tokens) or _pledged(tokens) or _conditioned(tokens)
    if first is not None:
        return first
    for token in tokens:
        stance = nested(token)
        if stance not in (None, Stance.CLAIM) and _own_subject(token, own):
            return stance
    return next((stance for rule, stance in _RULES if rule(tokens)), None)


def _pledged(tokens: Sequence[Token]) -> Stance | None:
    return Stance.SUPPORT if _pledges(tokens) else None


def _conditioned(tokens: Sequence[Token]) -> Stance | None:
    return Stance.DEMAND if _sets_condition(tokens) or _obliges(tokens) else None


def _lemma(token: Token) -> str:
    """The lower-case lemma, or nothing for a word of a name ("the Resilience Trust")."""
    return "" if token.pos_ == "PROPN" else token.lemma_.lower()


def _among(token: Token, words: frozenset[str]) -> bool:
    """Whether a word, as written or as its lemma, is one of ``words`` (never a name's)."""
    return token.pos_ != "PROPN" and (token.lower_ in words or _lemma(token) in words)


def _negated(token: Token) -> bool:
    return any(c.dep_ == "neg" or c.lower_ in ("never", "n't", "nor") for c in token.children)


def _own_subject(token: Token, own: Callable[[Token], bool]) -> bool:
    """A cue inside the words speaks for the speaker when its subject is the speaker's side:
    a pronoun, none, or a word like "the government" ("said it opposed", "said the ministry
    would offer"); not another party ("said Kigali rejects", "said the board approved")."""
    if token.dep_ in _NOT_STATED:
        return False  # "had no standing to demand anything": no demand is made
    subjects = [c for c in token.children if c.dep_ in ("nsubj", "nsubjpass")]
    return all(
        s.pos_ == "PRON" or (s.tag_ == "NN" and _lemma(s) in _SELF_NOUNS) or own(s)
        for s in subjects
    )


def _sets_condition(tokens: Sequence[Token]) -> bool:
    for token in tokens:
        lower = token.lower_
        if lower in _CONDITIONS:
            return True
        if lower == "only" and token.i + 1 < len(token.doc):
            following = token.doc[token.i + 1]
            if following.lower_ in _ONLY_BEFORE or _lemma(following) in _ONLY_WAY:
                return True  # "only if", "only with US backing", "the only path"
        if lower == "until" and _negated(token.head.head):
            return True  # "would not pull back until Hamas was disarmed"
    return False


def _passive(token: Token) -> bool:
    return any(c.dep_ in ("auxpass", "agent") for c in token.children)


def _refuses(tokens: Sequence[Token]) -> bool:
    for token in tokens:
        refusable = token.pos_ in ("VERB", "AUX") and _negated(token) and not _defiant(token)
        if refusable and (_lemma(token) in _ACCEPTANCE or _not_on_offer(token)):
            return True
        if token.lower_ == "no" and token.head.lemma_.lower() in _REFUSED_NOUNS:
            return True
    return False


def _defiant(token: Token) -> bool:
    """Negations that warn or endure rather than refuse: "will not go unanswered", "will not
    hesitate to", "would not be cowed" (but "will not be bound by" refuses)."""
    if _passive(token) and _lemma(token) not in _ACCEPTANCE:
        return True
    return _lemma(token) == "hesitate" or any(c.lower_ == "unanswered" for c in token.children)


def _not_on_offer(token: Token) -> bool:
    """ "Our weapons are not on the table", "we are not a back door", "not a matter for
    negotiation": a negated "be" that refuses, said of the speaker or of what is offered."""
    if _lemma(token) != "be":
        return False
    subjects = [c for c in token.children if c.dep_ == "nsubj"]
    first_person = any(s.lower_ in ("we", "i") or _first_person(s) for s in subjects)
    return first_person or any(t.lower_ in _NOT_OFFERED for t in token.subtree)


def _first_person(token: Token) -> bool:
    return any(c.dep_ == "poss" and c.lower_ in ("our", "my") for c in token.children)


def _dismisses(tokens: Sequence[Token]) -> bool:
    return any(t.lower_ in _DISMISSIVE for t in tokens) or _has_phrase(tokens, "pipe", "dream")


def _obliges(tokens: Sequence[Token]) -> bool:
    doc = tokens[0].doc
    for token in tokens:
        lower = token.lower_
        if lower in ("must", "should", "ought", "necessity", "require", "requires", "binding"):
            return True
        after = doc[token.i + 1].lower_ if token.i + 1 < len(doc) else ""
        if lower in ("need", "needs", "needed") and after in ("to", "for"):
            return True
        if lower in ("have", "has", "had") and after == "to" and token.dep_ != "aux":
            return True
    return False


def _wants(tokens: Sequence[Token]) -> bool:
    return any(t.pos_ == "VERB" and _lemma(t) in _WANTING and not _negated(t) for t in tokens)


def _ready_for(tokens: Sequence[Token]) -> Token | None:
    """What the speaker is "ready to" do or "open to", if anything."""
    for token in tokens:
        if token.lower_ in _READY and token.pos_ == "ADJ":
            for child in token.children:
                if child.dep_ in ("xcomp", "prep"):
                    objects = [c for c in child.children if c.dep_ == "pobj"]
                    return objects[0] if child.dep_ == "prep" and objects else child
    return None


def _readiness(tokens: Sequence[Token]) -> Stance | None:
    """ "Ready to host talks" proposes, even on conditions; "ready to defend" warns."""
    action = _ready_for(tokens)
    if action is None:
        return None
    return Stance.WARN if _among(action, _FORCE) else Stance.PROPOSE


def _threatens(tokens: Sequence[Token]) -> bool:
    if _has_phrase(tokens, "legitimate", "target") or _has_phrase(tokens, "legitimate", "targets"):
        return True
    if any(_among(t, _ALARM) and not _negated(t.head) for t in tokens):
        return True  # but not "did not pose a threat"
    modal = any(t.lower_ in _MODALS for t in tokens)
    return modal and any(_lemma(t) in _CONSEQUENCES for t in tokens)


def _blames(tokens: Sequence[Token]) -> bool:
    if _has_phrase(tokens, "double", "standards") or _has_phrase(tokens, "double", "standard"):
        return True
    return any(_among(t, _BLAME) and not _denied(t) for t in tokens)


def _denied(token: Token) -> bool:
    """ "Had nothing to hide", "did not violate": blame denied, not laid."""
    head = token.head
    return _negated(token) or head.lower_ in ("nothing", "no") or _negated(head)


def _supports(tokens: Sequence[Token]) -> bool:
    if any(_good_step(t) for t in tokens):
        return True
    return any(_lemma(t) in _SUPPORT and not _negated(t.head) for t in tokens)


def _pledges(tokens: Sequence[Token]) -> bool:
    """ "Will stand with", "remains committed to", "will not abandon": support that outranks
    the blame or threat in the same words ("stand with Moldova against Russian blackmail")."""
    for token in tokens:
        if _lemma(token) in ("stand", "solidarity") and any(
            c.dep_ == "prep" and c.lower_ == "with" for c in token.children
        ):
            return True  # "stood resolutely with", "in solidarity with"
    if any(t.lower_ == "committed" and t.dep_ in ("acomp", "oprd", "xcomp") for t in tokens):
        return True
    return any(_lemma(t) in _LOYALTY and _negated(t) for t in tokens)


#: "An important step", "a step forward": a step welcomed.
_GOOD = frozenset(
    ["important", "positive", "practical", "significant", "welcome", "major", "good", "concrete"]
)


def _good_step(token: Token) -> bool:
    if _lemma(token) != "step":
        return False
    return any(
        (c.dep_ == "amod" and c.lower_ in _GOOD) or c.lower_ == "forward" for c in token.children
    )


def _has_phrase(tokens: Sequence[Token], first: str, second: str) -> bool:
    doc = tokens[0].doc
    return any(
        t.lower_ == first and t.i + 1 < len(doc) and doc[t.i + 1].lower_ == second for t in tokens
    )


_RULES: tuple[tuple[Callable[[Sequence[Token]], bool], Stance], ...] = (
    (_dismisses, Stance.REJECT),
    (_refuses, Stance.REJECT),
    (_wants, Stance.DEMAND),
    (_threatens, Stance.WARN),
    (_blames, Stance.ACCUSE),
    (_supports, Stance.SUPPORT),
)

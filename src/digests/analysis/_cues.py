"""The reporting cues that make a sentence a position, and the stance each signals."""

from __future__ import annotations

from digests.model import Stance

#: Verbs (lemmas) whose subject states a position.
VERBS: dict[str, Stance] = {
    **dict.fromkeys(
        [
            "say",
            "state",
            "announce",
            "assert",
            "add",
            "note",
            "tell",
            "confirm",
            "declare",
            "claim",
            "stress",
            "emphasize",
            "emphasise",
            "underline",
            "indicate",
            "signal",
            "explain",
            "argue",
            "maintain",
            "reiterate",
            "acknowledge",
            "predict",
            "insist",
            "describe",
            "repeat",
            "expect",
        ],
        Stance.CLAIM,
    ),
    **dict.fromkeys(["demand", "urge", "press", "request", "appeal", "require"], Stance.DEMAND),
    **dict.fromkeys(
        [
            "accuse",
            "condemn",
            "criticise",
            "criticize",
            "blame",
            "denounce",
            "slam",
            "decry",
            "castigate",
            "lambast",
            "censure",
        ],
        Stance.ACCUSE,
    ),
    **dict.fromkeys(
        [
            "reject",
            "deny",
            "refuse",
            "oppose",
            "dismiss",
            "rebuff",
            "veto",
            "decline",
            "object",
        ],
        Stance.REJECT,
    ),
    **dict.fromkeys(["warn", "threaten", "caution"], Stance.WARN),
    **dict.fromkeys(["propose", "offer", "suggest", "float"], Stance.PROPOSE),
    **dict.fromkeys(
        [
            "support",
            "welcome",
            "back",
            "pledge",
            "agree",
            "endorse",
            "praise",
            "hail",
            "approve",
            "promise",
            "vow",
            "thank",
            "accept",
            "commend",
        ],
        Stance.SUPPORT,
    ),
}

#: Verbs that are cues only with one of these particles or prepositions ("call for").
PARTICLE_VERBS: dict[tuple[str, str], Stance] = {
    ("call", "for"): Stance.DEMAND,
    ("call", "on"): Stance.DEMAND,
    ("call", "upon"): Stance.DEMAND,
    ("push", "for"): Stance.DEMAND,
    ("rule", "out"): Stance.REJECT,
    ("turn", "down"): Stance.REJECT,
    ("insist", "on"): Stance.DEMAND,
    ("side", "with"): Stance.SUPPORT,
    ("press", "ahead"): Stance.CLAIM,
    ("push", "ahead"): Stance.CLAIM,
    ("point", "out"): Stance.CLAIM,
    ("put", "forward"): Stance.PROPOSE,
    ("speak", "out"): Stance.CLAIM,
}

#: Verbs that are cues only with one of these objects ("voiced concern", "laid out conditions").
OBJECT_VERBS: dict[tuple[str, str], Stance] = {
    ("make", "clear"): Stance.CLAIM,
    ("lay", "condition"): Stance.DEMAND,
    ("set", "condition"): Stance.DEMAND,
    ("impose", "condition"): Stance.DEMAND,
    ("voice", "concern"): Stance.WARN,
    ("express", "concern"): Stance.WARN,
    ("raise", "concern"): Stance.WARN,
    ("voice", "alarm"): Stance.WARN,
    ("sound", "alarm"): Stance.WARN,
    ("issue", "warning"): Stance.WARN,
    ("express", "support"): Stance.SUPPORT,
    ("voice", "support"): Stance.SUPPORT,
    ("express", "opposition"): Stance.REJECT,
    ("raise", "objection"): Stance.REJECT,
    ("voice", "objection"): Stance.REJECT,
    ("voice", "opposition"): Stance.REJECT,
    ("lodge", "protest"): Stance.ACCUSE,
    ("put", "proposal"): Stance.PROPOSE,
    ("make", "proposal"): Stance.PROPOSE,
    ("table", "proposal"): Stance.PROPOSE,
    ("make", "offer"): Stance.PROPOSE,
}

#: Words that mark reported hearsay rather than a statement: "is reported to", "reportedly".
HEARSAY = frozenset(["reportedly", "allegedly", "purportedly", "supposedly"])
HEARSAY_VERBS = frozenset(["report", "believe", "say", "think", "rumour", "rumor", "understand"])


#: Every surface word any cue can start with (lower case), to find candidate sentences fast.
def cue_words() -> frozenset[str]:
    lemmas = set(VERBS) | {verb for verb, _ in PARTICLE_VERBS} | {verb for verb, _ in OBJECT_VERBS}
    forms: set[str] = set()
    for lemma in lemmas:
        forms.update(_inflections(lemma))
    forms.add("according")  # "..., according to the health ministry"
    return frozenset(forms)


_IRREGULAR = {
    "say": ("said", "says", "saying"),
    "tell": ("told", "tells", "telling"),
    "make": ("made", "makes", "making"),
    "lay": ("laid", "lays", "laying"),
    "set": ("sets", "setting"),
    "put": ("puts", "putting"),
    "speak": ("spoke", "spoken", "speaks", "speaking"),
    "deny": ("denied", "denies", "denying"),
    "rebuff": ("rebuffed", "rebuffs", "rebuffing"),
    "criticize": ("criticized", "criticizes", "criticizing"),
    "criticise": ("criticised", "criticises", "criticising"),
}


def _inflections(lemma: str) -> set[str]:
    if lemma in _IRREGULAR:
        return {lemma, *_IRREGULAR[lemma]}
    stem = lemma[:-1] if lemma.endswith("e") else lemma
    past = lemma + "d" if lemma.endswith("e") else lemma + "ed"
    third = lemma + "es" if lemma.endswith(("s", "sh", "ch", "x")) else lemma + "s"
    if lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        past, third = lemma[:-1] + "ied", lemma[:-1] + "ies"
    forms = {lemma, past, third, stem + "ing"}
    if lemma in ("refer", "veto", "slam", "float", "table"):
        forms |= {lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"}
    return forms

"""Linguistic context around a match: negation and its scope, who acts, and refuted claims.

A phrase list finds words; this module decides what the sentence *does* with them. It is the
shared reason why "never stop venetoclax on your own" is safe while "you can stop venetoclax for a
week" is not, and why "some sites claim turmeric cures cancer, but there is no evidence" is safe.
Pure functions over strings, so they are easy to test one by one.
"""

from __future__ import annotations

import re

# Negation cues. Scope runs from the cue to the end of its clause (see textspans.split_clauses).
NEGATION = re.compile(
    r"\b(?:not|never|no|none|nor|cannot|can't|cant|don't|dont|doesn't|doesnt|didn't|won't|wont|"
    r"shouldn't|shouldnt|mustn't|isn't|aren't|wasn't|weren't|wouldn't|couldn't|needn't|"
    r"avoid|avoiding|refrain\s+from|rare|rarely|seldom|unlikely|hardly)\b|n't\b",
    re.I)
# Cues that look like negation but are not ("not only", "no doubt", "not just X but Y").
# Negative constructions that carry a (possibly harmful) positive claim rather than negating one:
# "no need to call", "won't matter", "not serious", "no chance it comes back".
PSEUDO_NEGATION = re.compile(
    r"(?:not\s+only|not\s+just|no\s+doubt|no\s+wonder|nothing\s+(?:to\s+worry|serious)|"
    r"no\s+(?:real\s+)?need|no\s+rush|no\s+hurry|no\s+harm|no\s+problem|no\s+risk|no\s+danger|no\s+reason\s+to\s+worry|"
    r"no\s+(?:cause|reason)\s+for|no\s+(?:chance|way)|zero\s+chance|no\s+side[- ]effects|no\s+(?:known\s+)?interactions?|"
    r"not\s+(?:a\s+)?(?:problem|big\s+deal|concern|worry|emergency)|not\s+(?:serious|urgent|dangerous|worrying|concerning|necessary)|"
    r"(?:don'?t|do\s+not|doesn'?t|does\s+not|won'?t|will\s+not|needn'?t|shouldn'?t|isn'?t|is\s+not|can'?t|cannot|can\s+not|never)\s+"
    r"(?:really\s+|even\s+|ever\s+|usually\s+)?(?:need|matter|hurt|harm|interfere|affect|be\s+a\s+problem|a\s+big\s+deal|"
    r"make\s+(?:much|a|any)\s+difference|come\s+back|return|recur|happen|occur|appear|start|develop|show\s+up|"
    r"work|works|bother|have\s+to\s+worry|worry|relapse|go\s+wrong|get\s+(?:any\s+)?side|be\s+(?:an\s+)?(?:issue|concern)))", re.I)
# An action embedded in a question to the team: "ask your doctor whether you can stop".
HYPOTHETICAL = re.compile(
    r"\b(?:ask|asking|check|checking|find\s+out|discuss|discussing|talk\s+about|confirm)\b[^.?!;]{0,50}?\b(?:whether|if|when)\b", re.I)

# A claim reported in order to be refuted, or a myth named as such.
REFUTATION = re.compile(
    r"\b(?:myths?|misconceptions?|misinformation|false\s+claims?|hoax|debunked|urban\s+legend|"
    r"(?:is|are|'s|that'?s)\s+(?:simply\s+|just\s+)?(?:not\s+true|untrue|false|wrong|incorrect|a\s+myth|misleading|unfounded|unproven)|"
    r"isn'?t\s+true|no\s+(?:good\s+|reliable\s+|solid\s+|scientific\s+|strong\s+|real\s+|clinical\s+|credible\s+|published\s+|human\s+)?(?:evidence|proof|research|studies|data|trials)|"
    r"not\s+(?:been\s+)?(?:supported|proven|shown|backed)|(?:hasn'?t|haven'?t|has\s+not|have\s+not)\s+been\s+(?:shown|proven)|"
    r"(?:lacks?|lacking)\s+(?:\w+\s+)?evidence|unproven|unsupported|not\s+evidence[- ]based|"
    r"(?:may|might|can|could|would)\s+(?:\w+\s+)?(?:interfere|interact|weaken|blunt|protect\s+(?:the\s+)?cancer|make\s+(?:\w+\s+){0,3}less\s+effective)|"
    r"(?:they|the\s+clinic|the\s+company|proponents|advocates|supporters|sellers|promoters)\s+(?:claim|claims|say|says|suggest|suggests|argue|insist|promise|promote)|"
    r"(?:some|many|certain|a\s+few)\s+(?:people|websites?|sites|sources|posts|influencers|forums|articles|blogs|books|practitioners|companies|sellers)\s+(?:\w+\s+)?(?:claim|claims|say|says|suggest|promote|insist|believe|argue|assert|advertise|tout|market)|"
    r"(?:you\s+may\s+(?:have\s+)?(?:hear|heard|read|see|seen)|you(?:\s+(?:might|will)|'ll)\s+(?:often\s+|probably\s+|also\s+)?(?:hear|read|see|come\s+across|find)|you(?:'ve|\s+have)\s+(?:probably\s+)?(?:heard|read|seen))|"
    r"(?:it\s+is|it'?s)\s+(?:a\s+)?(?:common|popular|widespread)\s+(?:belief|idea|claim|worry|fear|misconception)|"
    r"contrary\s+to\s+(?:popular\s+)?(?:belief|what)|people\s+(?:often\s+)?(?:wonder|ask|worry)|wonder(?:ing)?\s+(?:whether|if)|"
    r"(?:there\s+is|there'?s)\s+no\s+way\s+to\s+(?:know|guarantee|promise|be\s+(?:sure|certain))|"
    r"(?:no\s+one|nobody|no\s+doctor|no\s+treatment)\s+can\s+(?:promise|guarantee|say\s+for\s+(?:sure|certain))|"
    r"(?:can(?:'|no)t|can\s+not|cannot)\s+(?:promise|guarantee)|claims?\s+that|(?:is|are)\s+sometimes\s+(?:claimed|said|promoted|touted)|"
    r"(?:higher|increased|greater|raised)\s+(?:risk|rates?|chance|odds)\s+of\s+(?:dying|death|recurrence|relapse)|die\s+(?:sooner|earlier)|"
    r"more\s+likely\s+to\s+die|times\s+(?:the|as\s+high\s+a|higher)\s+(?:risk|rate)\s+of\s+(?:death|dying)|(?:worse|lower|poorer|shorter)\s+(?:survival|outcomes?)|(?:survival|outcomes?)\s+(?:is|are|was|were)\s+(?:worse|lower|poorer|shorter))\b",
    re.I)

# The care team as the one who acts ("your oncologist may lower the dose").
_TEAM = (r"(?:doctors?|oncologists?|ha?ematologists?|care\s+team|cancer\s+team|oncology\s+team|medical\s+team|"
         r"treatment\s+team|health\s*care\s+team|health\s*care\s+providers?|providers?|nurses?|nurse\s+navigator|"
         r"specialists?|pharmacists?|physicians?|consultants?|GP|prescribers?|surgeons?|team|clinicians?|"
         r"care\s+providers?|medical\s+professionals?)")
TEAM_SUBJECT = re.compile(
    rf"\b(?:(?:your|the|a|their|his|her|our|my)\s+(?:\w+\s+)?{_TEAM}|(?:most\s+|many\s+|some\s+)?(?:doctors|oncologists|ha?ematologists|specialists|clinicians|physicians|surgeons|nurses|teams))\b(?:\s+\w+){{0,3}}?\s+(?:may|might|can|could|will|would|should|must|often|sometimes|usually|typically|generally|is\s+likely\s+to|are\s+likely\s+to|decides?|recommends?|suggests?|advises?|chooses?|prescribes?|adjusts?|lowers?|reduces?|pauses?|stops?|holds?|changes?|switches?|delays?)\b",
    re.I)
TEAM_AGENT = re.compile(rf"\bby\s+(?:your|the|a)\s+(?:\w+\s+)?{_TEAM}\b", re.I)
PATIENT_SUBJECT = re.compile(r"\b(?:you|yourself|i|we)\b", re.I)


# Where a negation's scope ends before the next clause: ", so you ...", ", and it ...", "Since it
# isn't painful, it can wait" (the cue sits in a clause of its own).
SCOPE_BREAK = re.compile(
    r",\s+(?:(?:so|and|then|but|yet|which\s+means)\s+)?(?:you|you're|you'll|it|it's|they|he|she|we|i|this|that|there|"
    r"there's|your|his|her|their|most|many|some)\b|,\s+(?:so|and|but|yet|then)\b|\bso\s+(?:you|it)\b|\bwhich\s+means\b", re.I)
_SUBORDINATE = re.compile(r"\s*(?:if|when|whenever|since|because|as|once|while|unless|although|though|even\s+if)\b", re.I)
# "avoid X" negates X. When "avoid" sits inside the match it is negation only if X is itself a harmful
# act (stopping, missing, delaying: "you should avoid missing doses"); otherwise avoiding is the
# harm the rule describes ("many people use it to avoid surgery").
_AVOID = re.compile(r"avoid|avoiding|refrain\s+from", re.I)
_AVOIDED_HARM = re.compile(
    r"\s+(?:\w+\s+)?(?:stop|stopping|skip|skipping|miss|missing|delay|delaying|postpon\w*|put(?:ting)?\s+off|"
    r"cancel\w*|wait\w*|hold(?:ing)?\s+off|tak(?:e|ing)\s+(?:a\s+)?(?:break|holiday)|interrupt\w*|chang\w*|adjust\w*|"
    r"reduc\w*|lower\w*|doubl\w*|ignor\w*|leav\w*|going\s+without|self-\w+)\b", re.I)


def negated(clause: str, match_start: int, match_end: int, include_match: bool = True, strict: bool = False,
            own: tuple[tuple[int, int], ...] = ()) -> bool:
    """True when a negation cue in the clause governs the matched words.

    The cue must stand before the end of the match (inside it when `include_match`), and no
    pseudo-negation ("not only", "no need") may be the cue unless `strict` (then "you don't need
    to go to A&E" negates the referral in it). Scope is the clause, and ends early where a new
    clause starts after a comma (", so you can..."). Cues inside `own` spans belong to the claim
    itself ("you *won't* lose your hair") and negate nothing.
    """
    end = match_end if include_match else match_start
    window = clause[:end]
    for m in NEGATION.finditer(window):
        if any(s <= m.start() < e for s, e in own):
            continue
        tail = clause[m.start():m.start() + 60]
        if not strict and PSEUDO_NEGATION.match(tail):
            continue
        if m.end() < match_start and any(b.start() < match_start for b in SCOPE_BREAK.finditer(clause, m.end(), match_end)):
            continue
        # A cue inside a leading subordinate clause ("If one patch isn't enough, ...") stops at its comma.
        if m.end() < match_start and _SUBORDINATE.match(clause) and "," in clause[m.end():match_start]:
            continue
        if m.start() >= match_start and _AVOID.fullmatch(m.group(0)) and not _AVOIDED_HARM.match(clause, m.end()):
            continue
        return True
    return False


def refuted(sentence: str) -> bool:
    """True when the sentence reports or names a claim in order to refute it."""
    return bool(REFUTATION.search(sentence))


def hypothetical(clause: str, match_start: int) -> bool:
    """True when the match sits inside a question put to the care team ("ask whether you can...")."""
    return any(m.end() <= match_start + 1 for m in HYPOTHETICAL.finditer(clause[:match_start + 1]))


def team_acts(clause: str, match_start: int, match_end: int) -> bool:
    """True when the care team, not the patient, is the subject or agent of the matched action."""
    before = clause[:match_start + 1]
    subj = None
    for m in TEAM_SUBJECT.finditer(before + clause[match_start:match_end]):
        # The team named before the match, or inside it ahead of any "you" (", so oncologists stop it").
        if m.start() <= match_start or (m.start() < match_end and not PATIENT_SUBJECT.search(clause, match_start, m.start())):
            subj = m
    if subj is not None:
        between = clause[subj.end():match_start]
        # "Your doctor may say you can stop" -> the patient acts again after the team.
        if not re.search(r"\b(?:you|yourself)\s+(?:can|could|may|might|should)\b", between, re.I):
            return True
    if TEAM_AGENT.search(clause[match_start:]):
        return True
    return False


# Hedges: the statement is not a promise ("most people", "usually", "may", "we can't promise").
HEDGE = re.compile(
    r"\b(?:may|might|usually|often|generally|typically|"
    r"some\s+(?:people|patients|men|women)|likely|unlikely|probably|possibly|perhaps|hope(?:fully)?|"
    r"(?:a|good|high|strong|decent|fair|real|reasonable|excellent|small|slim)\s+chance|chances\s+are|odds\s+are|(?:good|high)\s+odds|"
    r"in\s+most\s+(?:cases|people|patients)|most\s+(?:people|patients|men|women)|"
    r"in\s+many\s+cases|for\s+many|for\s+most|tends?\s+to|aim\s+(?:is|of)|goal\s+(?:is|of)|expect(?:ed)?\s+to|"
    r"not\s+(?:always|everyone|guaranteed)|no\s+guarantee|can'?t\s+(?:promise|guarantee)|cannot\s+(?:promise|guarantee))\b", re.I)


def hedged(clause: str) -> bool:
    """True when the clause is hedged, so it cannot be a guarantee."""
    return bool(HEDGE.search(clause))

"""The signal lexicon: every pattern the deterministic signals look for, in one place.

Patterns are case-insensitive and word-bounded; they are tuned against the gold suite and checked
on the held-out one, so change them with `roleplay eval` before and after.
"""

from __future__ import annotations

import re


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)", re.MULTILINE)

_INVITE = _rx(
    r"\b(?:do|did|would|have|got)\s+you\s+(?:\w+\s+){0,3}questions?\b",
    r"\bany\s+(?:\w+\s+)?questions?\b[^.!?\n]{0,30}\?",
    r"\bwhat\s+questions\b",
    r"\banything\s+(?:else\s+)?(?:you(?:'d|\s+would)?\s+(?:like|want)\s+to\s+(?:ask|know))\b",
    r"\bwhat\s+(?:else\s+)?(?:would|do)\s+you\s+(?:like|want|wish)\s+to\s+know\b",
    r"\bquestions\s+for\s+(?:me|us)\b",
    r"\bwhat\s+(?:would|do|did|else)\s+you\s+(?:\w+\s+){0,2}(?:like|want|wish)\s+to\s+ask\b",
    r"\b(?:over\s+to\s+you|your\s+turn)\b",
    # A bare "Questions?" / "Your questions." sentence.
    r"(?:^|[.!?]\s+)(?:(?:any|your|other)\s+)?questions?(?:\s+for\s+(?:me|us))?\s*[.?!]",
)
_BEHAVIOURAL = _rx(
    r"\b(?:tell|talk)\s+(?:me|us)\s+about\s+a\s+(?:time|situation|moment|case|project|challenge|"
    r"conflict|mistake|failure|decision|disagreement)\b",
    r"\bgive\s+(?:me|us)?\s*(?:an|one|a\s+specific|a\s+concrete)\s+example\b",
    r"\b(?:describe|share|walk\s+(?:me|us)\s+through)\s+(?:a|an|one)\s+(?:time|situation|moment|"
    r"example|instance|occasion|conflict|challenge|mistake|failure|decision)\b",
    r"\b(?:can|could)\s+you\s+(?:think\s+of|recall|remember)\s+a\s+(?:time|situation)\b",
    r"\bhave\s+you\s+ever\s+(?:had\s+to|been|faced|dealt|handled|disagreed|failed|made)\b",
    r"\bwhen\s+was\s+the\s+last\s+time\b",
    r"\bwhat\s+about\s+a\s+time\b", r"^\W*and\s+a\s+time\b",
    r"\btell\s+(?:me|us)\s+about\s+(?:the|your)\s+(?:biggest|hardest|toughest|most)\b",
)
_OPEN = _rx(
    r"\btell(?:ing)?\s+(?:me|us)\b", r"\bwalk\s+(?:me|us)\s+through\b",
    r"\btalk\s+(?:me|us)\s+through\b", r"\bwhy\b", r"\bdescribe\b", r"\bexplain\b",
    r"\bhow\s+(?:would|do|did|have|will)\s+you\b", r"\bhow\s+are\s+you\s+with\b",
    r"\bwhat\s+(?:do|did|would|made|makes|interests|excites|attracted|are\s+your|is\s+your\s+"
    r"(?:approach|biggest|greatest))\b",
    r"\bwhat(?:'s|\s+is)\s+your\s+(?:process|approach|read|take|view|experience|programme|"
    r"program|background|story|thinking)\b",
    r"\bwhat\b[^?.!\n]{0,60}\blook\s+like\b", r"\bwhat\s+(?:\w+\s+){0,2}(?:did\s+you|happened)\b",
    # Follow-ups that ask for another story: "And a deal you lost?", "And the kiosk project?"
    r"^\W*(?:and\s+)?(?:what\s+about\s+)?(?:a|an|the|your)\s+(?:deal|project|time|situation|case|"
    r"example)\b",
)
_PAY = _rx(
    r"\bsalar(?:y|ies)\b", r"\bpay\b", r"\bcompensation\b", r"\bbenefits?\b", r"\bvacations?\b",
    r"\bholidays?\b", r"\bpto\b", r"\b(?:paid\s+)?time\s+off\b", r"\bbonus(?:es)?\b",
    r"\bremote(?:ly)?\b", r"\bwork(?:ing)?\s+from\s+home\b", r"\bwfh\b", r"\bhours\b",
    r"\bovertime\b", r"\bpromotions?\b", r"\bpay\s+rise\b", r"\braises?\b", r"\bequity\b",
    r"\bstock\s+options?\b", r"\bperks?\b", r"\bparental\s+leave\b",
)
_DECLINE = _rx(
    r"\b(?:you(?:'ve|\s+have)?|you\s+all)\s+(?:covered|answered)\s+(?:everything|it\s+all|all\s+of\s+"
    r"(?:it|them)|all\s+my\s+questions)\b",
    r"\bi\s+(?:don't|do\s+not|didn't)\s+(?:really\s+)?have\s+any\s+questions\b",
    r"\bno\s+questions\b", r"^\W*(?:no|nope|nah)\W*(?:thanks?|thank\s+you|i'm\s+good|i'm\s+fine|"
    r"not\s+really|i\s+think\s+(?:that's|we're)\s+(?:it|good))\b",
    r"^\W*not\s+really\b", r"^\W*(?:i'm|i\s+am)\s+(?:good|fine|all\s+set)\b",
    r"\bnothing\s+(?:from\s+me|comes\s+to\s+mind)\b",
)
_GENERIC = _rx(
    r"\bculture\b", r"\btypical\s+(?:day|week)\b", r"\bday[- ]to[- ]day\b",
    r"\bwhat\s+do\s+you\s+(?:guys\s+)?do\s+here\b",
    r"\bwhat\s+does\s+(?:the|your)\s+company\s+do\b",
)
_REFERS_BACK = _rx(
    r"\byou\s+(?:mentioned|said|described|talked\s+about|brought\s+up|raised|told\s+me)\b",
    r"\bearlier\s+you\b", r"\bgoing\s+back\s+to\b", r"\bwhen\s+you\s+said\b",
)
_HEDGE = _rx(
    r"\bi(?:'d|\s+would)\s+be\s+open\s+to\b", r"\bif\s+you\s+think\s+(?:i(?:'m|\s+am)|my)\b",
    r"\bprobably\s+not\s+as\s+\w+\s+as\b", r"\bi\s+know\s+i(?:'m|\s+am)\s+(?:probably\s+)?not\b",
    r"\bi\s+guess\b[^.?!\n]{0,40}\b(?:role|job|position|it|forward|further)\b",
    r"\bnot\s+sure\s+i(?:'m|\s+am)\s+(?:good|qualified|experienced)\s+enough\b",
)
_MORE = _rx(r"\b(?:more|other|further|else|additional)\b")
_PROCESS = _rx(
    r"\bnext\s+steps?\b", r"\b(?:the|your|hiring|interview|selection|recruitment)\s+process\b",
    r"\b(?:further|next|another|other|more|final|second|third|onsite|on-site)\s+(?:rounds?|"
    r"interviews?|stages?)\b",
    r"\bwho\s+(?:else\s+)?(?:would|will|might)\s+i\s+(?:meet|speak|talk)\b",
    r"\bwhat\s+happens\s+(?:next|now|after)\b", r"\bwhere\s+(?:are\s+you|do\s+we\s+go)\b",
    r"\bbefore\s+an\s+offer\b", r"\bwhat(?:'s|\s+is)\s+left\b", r"\b(?:an|the)\s+offer\b",
    r"\breferences\b",
    r"\b(?:call|meeting|chat|conversation)\s+with\b",
    r"\bwhat(?:'s|\s+is)\s+next\b", r"\bfrom\s+here\b",
    # Stage words, counted only in a closing question or confirmation ("So a panel next?").
    r"\b(?:panel|onsite|on-site|take-home|case\s+study|assessment|rounds?)\b",
    r"\b(?:technical|final|phone|video)\s+(?:interview|screen|test|task)\b",
)
_TIMELINE = _rx(
    r"\btimelines?\b", r"\btime\s*frame\b",
    r"\bwhen\s+(?:will|would|can|should|might|do|could)\s+(?:i|we)\s+(?:hear|expect|know|get)\b",
    r"\bwhen\s+(?:will|would|do|are)\s+(?:you|the\s+team)\s+(?:decide|make|be\s+making|get\s+back|"
    r"be\s+in\s+touch|let\s+me\s+know)\b",
    r"\bhow\s+long\b[^.?!\n]{0,40}\b(?:process|decision|take)\b", r"\bby\s+when\b",
    r"\bif\s+i\s+(?:haven't|have\s+not|don't|do\s+not)\s+(?:heard|hear)\b[^.?!\n]{0,40}\bby\b",
    r"\bwhen\b[^.?!\n]{0,40}\b(?:decide|decision|hear|get\s+back|let\s+me\s+know|be\s+in\s+touch|"
    r"know\s+more)\b",
    r"^\W*(?:and\s+)?when\s+(?:would|will|is|might)\s+that\s+be\b",
    r"\b(?:hear|decision|decide|know|call|e-?mail|contact|reply|respond|come\s+back)\b[^.?!\n]{0,30}"
    r"\bby\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|next|tomorrow|the\s+end|"
    r"end\s+of|the\s+\d+|\d+|the\s+\w+(?:st|nd|rd|th)\b)",
)
_CONFIRM_START = re.compile(
    r"^\W*(?:so|just\s+to\s+confirm|to\s+confirm|to\s+recap|great,?\s+so|ok(?:ay)?,?\s+so|"
    r"perfect,?\s+so|got\s+it,?\s+so)\b", re.IGNORECASE)
# "If I haven't heard by Wednesday ..." acknowledges the timeline without asking.
_TIME_ACK = _rx(r"\bif\s+i\s+(?:haven't|have\s+not|don't|do\s+not)\s+(?:heard|hear)\b[^.?!\n]{0,40}"
                r"\bby\b")
_CHANNEL = _rx(r"\be-?mail(?:s|ed|ing)?\b", r"\bphone\b", r"\bcall(?:s|ed|ing)?\b",
               r"\bring\b", r"\btext\b", r"\blinkedin\b", r"\bmessage\b", r"\bvoicemail\b")
_FOLLOW_VERB = _rx(
    r"\bfollow(?:ing)?[- ]?up\b", r"\breach\s+(?:out|you)\b", r"\bcontact\b",
    r"\bget\s+in\s+touch\b", r"\btouch\s+base\b", r"\bcheck\s+in\b",
    r"\bhear\s+(?:back|from)\b",
    r"\b(?:e-?mail|call|phone|text|message|ring)\s+(?:you|your|them|him|her|the\s+team)\b",
    r"\bby\s+(?:e-?mail|phone)\b", r"\bthank[- ]you\s+(?:e-?mail|note)\b",
    r"\b(?:give|gave|drop|send|sent)\s+you\s+(?:a|an|my)\s+(?:\w+\s+){0,2}(?:call|ring|e-?mail|"
    r"note|message|text|line)\b",
)
_TIME_ANCHOR = _rx(
    r"\bby\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|the\s+end|end\s+of|"
    r"next|tomorrow|then)\b",
    r"\bnext\s+(?:week|month|monday|tuesday|wednesday|thursday|friday)\b", r"\bwithin\b",
    r"\bin\s+(?:a|one|two|three|a\s+few|a\s+couple\s+of|\d+)\s+(?:days?|weeks?)\b",
    r"\bif\s+i\s+(?:haven't|have\s+not|don't|do\s+not)\s+(?:heard|hear)\b",
    r"\bthis\s+(?:week|afternoon|evening)\b", r"\btomorrow\b", r"\btoday\b",
    r"\b\d+\s+(?:business\s+|working\s+)?(?:days?|weeks?)\b",
    r"\bend\s+of\s+(?:the\s+)?(?:day|week|month)\b",
)
_METHOD_ASK = _rx(
    r"\b(?:best|preferred|easiest)\s+(?:way|method|channel|person)\b[^.?!\n]{0,40}\b(?:reach|"
    r"contact|follow|touch|get\s+in)\b",
    r"\bhow\s+(?:should|can|do|would)\s+i\s+(?:best\s+)?(?:follow\s+up|reach|contact|get\s+in\s+"
    r"touch)\b",
    r"\bis\s+(?:e-?mail|phone|a\s+call|calling)\s+(?:the\s+)?(?:best|ok|okay|fine|good|"
    r"preferred)\b",
)
_CONTACT_ASK = _rx(
    r"\bshould\s+i\s+(?:reach\s+out\s+to|contact|e-?mail|call|write\s+to|go\s+through)\b"
    r"[^.?!\n]{0,40}\bor\b",
    r"\b(?:who|whom)\s+(?:should|do|can|would)\s+i\s+(?:contact|reach|follow\s+up\s+with|"
    r"e-?mail|call)\b",
    r"\b(?:follow\s+up|be\s+in\s+touch)\s+with\s+you\s+(?:directly|or)\b",
)
_VAGUE_FOLLOW = _rx(
    r"\bi(?:'ll|\s+will)\s+(?:be\s+in\s+touch|follow\s+up|reach\s+out|keep\s+in\s+touch)\b",
    r"\bhope\s+to\s+hear\s+(?:from\s+you|back)\b", r"\blook(?:ing)?\s+forward\s+to\s+hearing\b",
    r"\bkeep\s+in\s+touch\b", r"\bspeak\s+(?:to\s+you\s+)?soon\b",
)
_ADVERB = r"(?:(?:really|very\s+much|truly|genuinely|honestly|definitely|so)\s+)?"
_JOB_ASK = _rx(
    rf"\bi(?:'d|\s+would)\s+{_ADVERB}(?:love|like|welcome|appreciate|value)\s+(?:the|this|an?)\s+"
    r"(?:opportunity|chance|role|position|job|offer)\b",
    r"\bi\s+(?:really\s+|truly\s+|definitely\s+)?want\s+(?:this|the)\s+(?:role|job|position)\b",
    r"\bi(?:'m|\s+am)\s+(?:very\s+|really\s+|genuinely\s+)?(?:interested\s+in|keen\s+on|excited\s+"
    r"about)\s+(?:this|the)\s+(?:role|position|job|opportunity)\b",
    rf"\bi(?:'d|\s+would)\s+{_ADVERB}(?:love|like)\s+to\s+(?:join|work\s+(?:with|for|on|here)|"
    r"be\s+part|come\s+on\s+board|take\s+(?:this|the)\s+(?:role|job)|run\s+(?:this|the|your)|"
    r"lead\s+(?:this|the|your)|do\s+(?:this|that|the\s+same)\b[^.?!\n]{0,30}\bhere)\b",
)
_FORWARD_ASK = _rx(
    r"\b(?:move|moving|take|taking)\s+(?:me\s+)?forward\b", r"\bnext\s+round\b",
    r"\b(?:get|getting)\s+to\s+an\s+offer\b", r"\bgo\s+through\s+to\b",
    r"\b(?:any|anything|have\s+any)\s+(?:concerns?|reservations?|hesitations?|doubts?)\b",
    r"\bgives?\s+you\s+pause\b",
    r"\banything\s+(?:that\s+)?(?:would|might|could)\s+(?:stop|prevent|hold)\b",
)
_BEGGING = _rx(
    r"\b(?:i\s+)?(?:really\s+|really,\s+really\s+|desperately\s+|badly\s+)?need\s+(?:this|the|a)\s+"
    r"(?:job|role|position|work)\b",
    r"\bplease\s+(?:hire|give\s+me|consider\s+me|pick\s+me|choose\s+me|take\s+me)\b",
    r"\bgive\s+me\s+a\s+chance\b", r"\bi(?:'ll|\s+will)\s+do\s+anything\b",
    r"\bany\s+(?:job|position|role)\s+(?:is\s+fine|will\s+do)\b",
    r"\bi(?:'ll|\s+will)\s+take\s+any\s+(?:job|position|role)\b",
    r"\bdesperate(?:ly)?\b", r"\bi(?:'m|\s+am)\s+begging\b",
)
_PRESUMPTIVE = _rx(
    r"\bwhen\s+(?:can|do|should)\s+i\s+start\b",
    r"\bdid\s+i\s+get\s+(?:it|the\s+job|the\s+role|the\s+position|this\s+job)\b",
    r"\bam\s+i\s+hired\b", r"\bwhen\s+(?:is|will\s+be)\s+my\s+first\s+day\b",
)
_INTEREST = _rx(
    r"\bexcit(?:ed|ing)\b", r"\b(?:would|'d)\s+love\s+to\b", r"\bdrawn\s+to\b",
    r"\blooking\s+forward\b", r"\bpassionate\s+about\b", r"\benthusiastic\b", r"\bkeen\b",
    r"\bthrilled\b", r"\b(?:really|very|genuinely)\s+interested\b", r"\bfascinat(?:ed|ing)\b",
    r"\bappeals\s+to\s+me\b", r"\bi\s+(?:really\s+)?want\s+(?:this|the)\s+(?:role|job)\b",
    r"\binterested\s+in\s+(?:this|the)\s+(?:role|position|job|opportunity)\b",
)
_FIT = _rx(
    r"\bfit\b", r"\bmatch(?:es)?\b", r"\balign(?:s|ed)?\b", r"\blines?\s+up\b",
    r"\bexperience\s+(?:with|in)\b", r"\bbackground\s+in\b", r"\bsimilar\s+to\b",
    r"\bexactly\s+what\b", r"\bwhat\s+you(?:'re|\s+are)\s+looking\s+for\b",
    r"\byou\s+(?:mentioned|said|described|need)\b", r"\bthe\s+kind\s+of\s+(?:work|problem)\b",
)
_NEGATIVITY = _rx(
    r"\b(?:my|the)\s+(?:old|former|previous|current|last)\s+(?:boss|manager|company|employer|team|"
    r"job)\b[^.!?\n]{0,60}\b(?:terrible|awful|toxic|incompetent|hated?|useless|idiots?|horrible|"
    r"worst|clueless|a\s+joke)\b",
    r"\bi\s+hated\s+(?:my|that|the|working)\b", r"\bany\s+job\s+(?:is\s+fine|will\s+do)\b",
    r"\bi\s+just\s+need\s+(?:something|a\s+job|anything)\b",
    r"\bi\s+(?:don't|do\s+not)\s+(?:really\s+)?care\s+(?:what|which|about\s+the)\b",
)
_I_PAST = re.compile(
    r"\bi\s+(?:\w+ly\s+|then\s+|also\s+|first\s+|just\s+)?(?:[a-z]+ed|did|made|led|built|wrote|"
    r"ran|set|took|gave|got|found|brought|drove|began|chose|spoke|told|sent|met|won|cut|put|kept|"
    r"sold|taught|thought|went|saw|left|paid|held|stood|understood|sat|rewrote|rebuilt|shipped|"
    r"split|spent|dealt|sought|fought|caught|bought|hired|fixed|moved|owned|drew|grew|knew|"
    r"overcame|undertook|oversaw)\b", re.IGNORECASE)
_I_WOULD = re.compile(r"\bi(?:'d|\s+would)\b", re.IGNORECASE)
_WE = re.compile(r"\bwe\b", re.IGNORECASE)
_RESULT = _rx(
    r"\bas\s+a\s+result\b", r"\bresult(?:ed|ing)?\s+in\b", r"\bled\s+to\b", r"\bwhich\s+meant\b",
    r"\boutcome\b",
    r"\b(?:reduc|increas|improv|sav|doubl|halv|cut|grew|boost|lower|rais)(?:ed|ing)?\b",
    r"(?<!\d)\d+(?:\.\d+)?\s?(?:%|percent\b|per\s+cent\b)", r"[$€£]\s?\d",
    r"\b\d+(?:\.\d+)?\s?(?:k|m|x|hours?|days?|weeks?|months?|users?|customers?|people|minutes?)\b",
    r"\bi\s+learn(?:ed|t)\b", r"\bthe\s+lesson\b",
)
# A speaker label inside a candidate turn: at a line start or right after a sentence ends.
_FAKE_SPEAKER = re.compile(
    # One [ \t]* per gap: adjacent optional runs backtrack cubically on long whitespace.
    r"(?:^|(?<=[.!?])(?=[ \t]))[ \t]*(?:\[[ \t]*)?(?:system|interviewer|assistant|user|"
    r"developer|evaluator|recruiter|hiring\s+manager)[ \t]*(?:\][ \t]*)?:"
    r"|\[(?:system|interviewer|assistant|developer)\]|\[T\d+\]\s*\[(?:interviewer|candidate)\]",
    re.IGNORECASE | re.MULTILINE)
_INJECTION: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("override", _rx(
        r"\b(?:ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,50}\b(?:instructions?|rubric|"
        r"rules|prompt|guidelines|criteria|everything\s+(?:above|before))\b",
        r"\bnew\s+instructions?\b")),
    ("score_request", _rx(
        r"\b(?:score|rate|grade|mark|evaluate)\s+(?:me|this|my|the\s+candidate|him|her|them|every|"
        r"all|each)\b[^.!?\n]{0,50}\b(?:5|five|10|ten|maximum|highest|full|perfect|top)\b",
        r"\bgive\s+(?:me|this|the\s+candidate|this\s+candidate)\b[^.!?\n]{0,25}\b(?:5|five|full\s+"
        r"marks|top\s+marks|a\s+perfect|the\s+highest|maximum|the\s+top)\b",
        r"\b(?:5|five)\s*(?:/\s*5|out\s+of\s+(?:5|five))\s+(?:on|for|across)\b",
        r"\b(?:5|five)\s+(?:on|for|across)\s+(?:every|all|each)\b")),
    ("rubric", _rx(r"\brubric\b", r"\b(?:evaluator|grader|scoring\s+model|judge\s+model)\b",
                   r"\bas\s+an?\s+(?:fair\s+|impartial\s+)?(?:ai|language\s+model|llm)\b")),
    ("system_prompt", _rx(r"\bsystem\s+prompt\b", r"\b(?:system|developer)\s+(?:message|"
                          r"instructions?)\b")),
    ("json_verdict", _rx(
        r"[{,]\s*\"?(?:score|scores|overall|verdict|rating|grade|passed|asked_questions|sar_answers|"
        r"answer_balance|enthusiasm|asked_for_job|next_steps|closing_recap|follow_up)\"?\s*:")),
    ("fake_speaker", _FAKE_SPEAKER),
    ("delimiter", re.compile(r"</?\s*transcript\b[^>]*>", re.IGNORECASE)),
)

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
    # Spanish, German and French invitations ("¿Tiene alguna pregunta para mí?").
    r"\b(?:alguna|algunas|otra|otras)\s+preguntas?\b", r"\b(?:haben|hast)\s+(?:sie|du)\s+"
    r"(?:noch\s+)?(?:\w+\s+)?fragen\b", r"\bavez-vous\s+des\s+questions\b",
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
    # Canned questions any candidate could ask anywhere, learned from an interview-prep list.
    r"\bwhat\s+does\s+success\s+look\s+like\b", r"\bkeeps?\s+you\s+up\s+at\s+night\b",
    r"\bwhat\s+do\s+you\s+(?:like|love|enjoy)\s+(?:most\s+)?about\s+working\b",
    r"\bwhere\s+do\s+you\s+see\s+the\s+(?:company|team)\b", r"\bcareer\s+(?:path|progression)\b",
    r"\bculture\b", r"\btypical\s+(?:day|week)\b", r"\bday[- ]to[- ]day\b",
    r"\bwhat\s+do\s+you\s+(?:guys\s+)?do\s+here\b",
    r"\bwhat\s+does\s+(?:the|your)\s+company\s+do\b",
)
_REFERS_BACK = _rx(
    r"\byou\s+(?:mentioned|said|described|talked\s+about|brought\s+up|raised|told\s+me)\b",
    r"\bearlier\s+you\b", r"\bgoing\s+back\s+to\b", r"\bwhen\s+you\s+(?:said|say)\b",
    r"\byou(?:'ve|\s+have)\s+(?:mentioned|said|described)\b", r"\bthat\s+(?:sounds|seems)\s+like\b",
    r"\b(?:is|was)\s+that\s+(?:the|because|why|what)\b",
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
    # Spanish, German and French: "el proceso", "los siguientes pasos", "die nächsten Schritte".
    r"\b(?:el|del)\s+proceso\b", r"\b(?:siguientes?|pr[óo]ximos?)\s+pasos?\b",
    r"\bn[äa]chsten?\s+schritte?\b", r"\b(?:prochaines?\s+[ée]tapes?|le\s+processus)\b",
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
    r"perfect,?\s+so|got\s+it,?\s+so|entonces|o\s+sea|also|dann\s+also|alors|donc)\b",
    re.IGNORECASE)
# "If I haven't heard by Wednesday ..." acknowledges the timeline without asking.
_TIME_ACK = _rx(r"\bif\s+i\s+(?:haven't|have\s+not|don't|do\s+not)\s+(?:heard|hear)\b[^.?!\n]{0,40}"
                r"\bby\b")
_CHANNEL = _rx(r"\be-?mail(?:s|ed|ing)?\b", r"\bphone\b", r"\bcall(?:s|ed|ing)?\b",
               r"\bring\b", r"\btext\b", r"\blinkedin\b", r"\bmessage\b", r"\bvoicemail\b",
               # Follow-up sent to a named person is written ("Should I send any follow-up to
               # ...?"); an unspecified "note" names no channel.
               r"\bsend\s+(?:\w+\s+){0,2}follow-?ups?\b",
               r"\b(?:correo|llamar|llamada|llamo|tel[ée]fono|mensaje|anruf(?:en|e)?|"
               r"telefon\w*|courriel|appel(?:er|le)?)\b")
_FOLLOW_VERB = _rx(
    r"\bfollow(?:ing)?[- ]?up\b", r"\breach\s+(?:out|you)\b", r"\bcontact\b",
    r"\bget\s+in\s+touch\b", r"\btouch\s+base\b", r"\bcheck\s+in\b",
    r"\bhear\s+(?:back|from)\b",
    r"\b(?:e-?mail|call|phone|text|message|ring)\s+(?:you|your|them|him|her|the\s+team)\b",
    r"\bby\s+(?:e-?mail|phone)\b", r"\bthank[- ]you\s+(?:e-?mail|note)\b",
    # "Give me a call" asks to be called: the candidate's follow-up goes to someone else.
    r"\b(?:give|gave|drop|send|sent|write)\s+(?!me\b|us\b)(?:\w+\s+){0,2}(?:a|an|my|any|the)\s+"
    r"(?:\w+\s+){0,2}"
    r"(?:call|ring|e-?mail|note|message|text|line|follow-?ups?)\b",
    r"\bi(?:'ll|\s+will)\s+(?:call|ring|phone|e-?mail|text|message|write)\b",
    r"\b(?:le|te|les|os)\s+(?:mando|envío|escribo|llamo|marco)\b",
    r"\bme\s+pongo\s+en\s+contacto\b",
    r"\bich\s+(?:melde|rufe)\s+mich\b", r"\bje\s+vous\s+(?:écris|appelle|relance)\b",
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
_ADVERB = r"(?:(?:really|very\s+much|truly|genuinely|honestly|definitely|so|just)\s+)?"
_JOB_ASK = _rx(
    rf"\bi(?:'d|\s+would)\s+{_ADVERB}(?:love|like|welcome|appreciate|value)\s+(?:the|this|an?)\s+"
    r"(?:opportunity|chance|role|position|job|offer)\b",
    r"\bi\s+(?:really\s+|truly\s+|definitely\s+)?want\s+(?:this|the)\s+(?:role|job|position|"
    r"post|apprenticeship|internship|placement|contract|opening|vacancy)\b",
    # Wanting to go on in the process is asking for the job ("I'd like to go through to the call
    # with Martin"); so is naming the job as the work they want ("the job I'd like to do").
    rf"\bi(?:'d|\s+would)\s+{_ADVERB}(?:like|love)\s+to\s+(?:go\s+through|move\s+(?:on|forward)|"
    r"go\s+forward|progress|come\s+back)\s+(?:to|with)\b",
    rf"\b(?:job|role|work)\s+i(?:'d|\s+would)\s+{_ADVERB}(?:like|love|want)\s+to\s+do\b",
    r"\bi(?:'d|\s+would)\s+(?:really\s+|very\s+much\s+)?(?:love|like|want)\s+(?:to\s+get\s+)?(?:this|"
    r"the)\s+(?:job|role|position|offer)\b",
    rf"\bi(?:'d|\s+would)\s+{_ADVERB}(?:love|like|welcome)\s+to\s+(?:receive|get|have)\s+(?:an|the)\s+"
    r"offer\b",
    r"\bi\s+want\s+to\s+(?:work\s+(?:here|for\s+you|with\s+you)|join)\b",
    r"\b(?:me\s+gustar[íi]a|me\s+encantar[íi]a|quiero)\s+(?:mucho\s+)?(?:trabajar|formar\s+parte|"
    r"unirme|el\s+puesto|este\s+puesto|el\s+trabajo|este\s+trabajo)\b",
    r"\bich\s+(?:möchte|würde)\s+(?:sehr\s+)?(?:gerne\s+)?(?:bei|für|mit|die\s+stelle|teil)\b",
    r"\bje\s+(?:voudrais|veux|souhaite)\s+(?:vraiment\s+)?(?:ce\s+poste|rejoindre|travailler)\b",
    rf"\bi(?:'d|\s+would)\s+{_ADVERB}(?:love|like)\s+to\s+(?:join|work\s+(?:with|for|on|here)|"
    r"be\s+part|come\s+on\s+board|take\s+(?:this|the)\s+(?:role|job)|run\s+(?:this|the|your)|"
    r"lead\s+(?:this|the|your)|do\s+(?:this|that|the\s+same)\b[^.?!\n]{0,30}\bhere)\b",
)
# Pressure instead of an ask: another offer with a deadline, an answer demanded by a date.
_ULTIMATUM = _rx(
    r"\b(?:another|other|competing|a\s+second)\s+offer\b",
    r"\b(?:need|have)\s+to\s+(?:know|hear|decide|give\s+them\s+an\s+answer)\s+by\b",
    r"\b(?:need|want)\s+an\s+answer\s+by\b", r"\bdeadline\b", r"\bor\s+i(?:'ll|\s+will)\s+"
    r"(?:take|accept|go\s+with)\b",
)
_FORWARD_ASK = _rx(
    r"\b(?:move|moving|take|taking)\s+(?:me\s+)?forward\b", r"\bnext\s+round\b",
    r"\b(?:get|getting)\s+to\s+an\s+offer\b", r"\bgo\s+through\s+to\b",
    r"\b(?:any|anything|have\s+any)\s+(?:concerns?|reservations?|hesitations?|doubts?)\b",
    r"\bgives?\s+you\s+pause\b",
    r"\banything\s+(?:that\s+)?(?:would|might|could)\s+(?:stop|prevent|hold)\b",
)
_BEGGING = _rx(
    r"\bnecesito\s+(?:mucho\s+|de\s+verdad\s+)?(?:este|el|un)\s+(?:trabajo|puesto|empleo)\b",
    r"\bpor\s+favor,?\s+(?:deme|denme|dame)\s+(?:la|una)\s+oportunidad\b",
    r"\bich\s+brauche\s+(?:diesen|den|einen|die)\s+(?:job|stelle|arbeit)\b",
    r"\bbitte\s+geben\s+sie\s+mir\s+(?:eine|die)\s+chance\b",
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
        r"\bnew\s+instructions?\b",
        # The same in other languages, as an imperative: Spanish, Portuguese, Italian, German,
        # French, Chinese, Japanese.
        r"\b(?:ignora|ignore|ignoren|ignorad|olvida|olvide|olvidad|omite|desconsidere|esque[çc]a|"
        r"dimentica|ignorier(?:e|en)?|vergiss|vergessen\s+sie|missachte|ignorez|oubliez|oublie)\b"
        r"[^.!?\n]{0,60}\b(?:instrucciones|indicaciones|reglas|r[úu]brica|instru[çc][õo]es|regras|"
        r"istruzioni|regole|anweisungen|regeln|vorgaben|bewertungsschema|instructions|consignes|"
        r"r[èe]gles|grille)\b",
        r"(?:忽略|无视|忽視|無視|忘记|忘記)[^。！？\n]{0,30}(?:指令|指示|说明|說明|规则|規則|以上|之前|前面|评分标准)",
        r"\b(?:nuevas|neue|nouvelles|novas|nuove)\s+(?:instrucciones|anweisungen|instructions|"
        r"instru[çc][õo]es|istruzioni)\b")),
    ("score_request", _rx(
        r"\b(?:score|rate|grade|mark|evaluate)\s+(?:me|this|my|the\s+candidate|him|her|them|every|"
        r"all|each)\b[^.!?\n]{0,50}\b(?:5|five|10|ten|maximum|highest|full|perfect|top)\b",
        r"\bgive\s+(?:me|this|the\s+candidate|this\s+candidate)\b[^.!?\n]{0,25}\b(?:5|five|full\s+"
        r"marks|top\s+marks|a\s+perfect|the\s+highest|maximum|the\s+top)\b",
        r"\b(?:5|five)\s*(?:/\s*5|out\s+of\s+(?:5|five))\s+(?:on|for|across)\b",
        r"\b(?:5|five)\s+(?:on|for|across)\s+(?:every|all|each)\b",
        r"\b(?:dame|denme|d[ée]me|ponme|ponle|calif[íi]came|calif[íi]quenme|punt[úu]ame|gib\s+mir|"
        r"geben\s+sie\s+mir|bewerte\s+mich|bewerten\s+sie\s+mich|donne[zr]?-moi|notez-moi|"
        r"me\s+d[êe]|dammi|datemi)\b[^.!?\n]{0,40}(?:\b(?:5|cinco|f[üu]nf|cinq|cinque|m[áa]xim[ao]|"
        r"h[öo]chste|volle\s+punktzahl|note\s+maximale|perfect[ao]|parfaite|punteggio\s+massimo)\b)",
        r"(?:给我|給我|请给|請給|打)[^。！？\n]{0,12}(?:满分|滿分|五分|5分|最高分)")),
    ("rubric", _rx(r"\brubric\b", r"\b(?:evaluator|grader|scoring\s+model|judge\s+model)\b",
                   r"\bas\s+an?\s+(?:fair\s+|impartial\s+)?(?:ai|language\s+model|llm)\b",
                   # Whoever grades, addressed in another language: the evaluator, the model.
                   r"\b(?:evaluador(?:a|es)?|calificador(?:a)?|avaliador(?:a)?|valutatore|"
                   r"bewerter(?:in)?|pr[üu]fer(?:in)?|[ée]valuateur|correcteur|r[úu]brica|"
                   r"modelo\s+de\s+lenguaje|sprachmodell|mod[èe]le\s+de\s+langage)\b",
                   r"(?:评估者|評估者|评分员|評分員|评委|評委|评分模型|語言模型|语言模型|评分标准)")),
    ("system_prompt", _rx(r"\bsystem\s+prompt\b", r"\b(?:system|developer)\s+(?:message|"
                          r"instructions?)\b")),
    ("json_verdict", _rx(
        r"[{,]\s*\"?(?:score|scores|overall|verdict|rating|grade|passed|asked_questions|sar_answers|"
        r"answer_balance|enthusiasm|asked_for_job|next_steps|closing_recap|follow_up)\"?\s*:")),
    ("fake_speaker", _FAKE_SPEAKER),
    ("delimiter", re.compile(r"</?\s*transcript\b[^>]*>", re.IGNORECASE)),
)

# --- answer length: which turns make one answer, and how long the question wanted it --------
# An interviewer turn made only of these keeps the floor with the candidate ("Mm-hm.", "Right,
# go on."): the candidate turns either side of it are one answer, as a transcript splits speech.
_BACKCHANNEL = re.compile(
    r"^\W*(?:(?:m+-?h+m+|mhm|uh-?huh|hmm+|hm|ah|oh|right|okay|ok|sure|yes|yeah|yep|yup|i\s+see|"
    r"go\s+on|go\s+ahead|carry\s+on|keep\s+going|please|got\s+it|interesting|wow|nice|great|good|"
    r"fine|noted|of\s+course|absolutely|understood|and\s+then|sí|vale|claro|ya|ja|genau|gut|"
    r"bitte|dann\s+bitte|d'accord|oui)\b[\s,.!…-]*)+$", re.IGNORECASE)
# A yes/no question ("Did you ever find out why ...?", "Are you comfortable driving?") wants a
# short answer even when it holds an open word; a request put as one ("Can you walk me through
# ...?") does not.
_YES_NO = re.compile(
    r"^\W*(?:and\s+|so\s+|but\s+)?(?:do|does|did|have|has|had|are|is|was|were|will|would|can|"
    r"could|shall|should|may|might)\s+(?:you|there|it|that|this|they|we|your|he|she|anyone)\b",
    re.IGNORECASE)
_OPEN_REQUEST = re.compile(
    r"^\W*(?:and\s+|so\s+)?(?:can|could|would|will)\s+you\s+(?:please\s+|just\s+|briefly\s+|"
    r"quickly\s+)?(?:tell|walk|talk|take|run|describe|explain|give|share|say\s+more|elaborate|"
    r"expand|start\s+by|introduce|outline|summari[sz]e)\b", re.IGNORECASE)
# Preference questions ("How do you feel about nights?") want a short answer.
_PREFERENCE = re.compile(r"\bhow\s+(?:do|would)\s+you\s+feel\s+about\b", re.IGNORECASE)
_OPEN_MORE = _rx(
    r"\b(?:walking|talking)\s+(?:me|us)\s+through\b", r"\bstart\s+(?:by|with)\b",
    r"\bintroduce\s+yourself\b", r"\b(?:your|a\s+bit\s+about\s+your)\s+background\b",
    r"\bwhat(?:'s|\s+is)\s+(?:making|drawing|bringing|taking|pulling)\s+you\b",
    r"\bwhat\s+(?:brings|brought|drew|draws)\s+you\b", r"\bwhat(?:'s|\s+has)\s+kept\s+you\b",
    r"^\W*(?:and\s+)?what\s+about\b", r"^\W*(?:and\s+)?(?:a\s+)?time\s+(?:you|when)\b",
    # Spanish, German and French open forms: the gold set holds interviews in each.
    r"\bcu[ée]nt(?:ame|eme|anos|enos|a|e)\b", r"\bh[áa]bl(?:ame|eme|anos)\b",
    r"\bdescr[íi]b(?:eme|ame|e|a)\b", r"\bexpl[íi]c(?:ame|eme|anos)\b", r"\bpor\s+qu[ée]\b",
    r"\bc[óo]mo\s+(?:\w+\s+){0,2}(?:has|hiciste|harías|gestionas|gestionarías|manejas|"
    r"afrontas|afrontarías|abordas|abordarías|lo\s+harías)\b", r"\bpres[ée]ntate\b",
    r"\berz[äa]hlen\s+sie\b", r"\bbeschreiben\s+sie\b", r"\bschildern\s+sie\b",
    r"\b(?:geben|nennen)\s+sie\s+(?:mir\s+|uns\s+)?(?:ein|einen)\b", r"\bwarum\b", r"\bwieso\b",
    r"\bweshalb\b", r"\bwie\s+(?:gehen|sind|haben|würden|sehen|machen|erklären|lösen)\s+sie\b",
    r"\bstellen\s+sie\s+sich\b[^.?!\n]{0,30}\bvor\b", r"\bsie\s+stellen\s+sich\b",
    r"\bparlez-moi\b", r"\bracontez\b", r"\bd[ée]crivez\b", r"\bpourquoi\b",
    r"\bcomment\s+(?:avez|feriez|g[ée]rez|abordez)-vous\b",
)
# The interviewer asks for a short answer ("briefly", "in a sentence or two", "the quick
# version", "in the interest of time").
_BREVITY = _rx(
    r"\bbrief(?:ly|er)?\b", r"\bquick(?:ly)?\s+(?:version|answer|one|summary|overview)\b",
    r"\b(?:short|shorter)\s+(?:version|answer|one)\b", r"\bin\s+(?:a|one)\s+(?:sentence|word|"
    r"line|nutshell|minute)\b", r"\bsentence\s+or\s+two\b", r"\bkeep\s+(?:it|this|them|answers)\s+"
    r"(?:short|brief|tight)\b", r"\bin\s+the\s+interest\s+of\s+time\b",
    r"\b(?:short|pushed|tight)\s+(?:on|for)\s+time\b", r"\bheadlines?\s+only\b",
    r"\bkurz\b", r"\bbrevemente\b", r"\ben\s+pocas\s+palabras\b", r"\ben\s+bref\b",
)
# The interviewer cuts in or moves the candidate on: the answer before ran past what was wanted.
_MOVE_ON = _rx(
    r"\b(?:let|can|could|may)\s+(?:me|i)\s+(?:just\s+)?(?:stop|cut|jump\s+in|interrupt)\b",
    r"\bsorry\s+to\s+(?:cut|interrupt|jump|stop)\b", r"\b(?:have|need|going)\s+to\s+move\s+"
    r"(?:us\s+|you\s+|things\s+)?on\b", r"\bmove\s+(?:us\s+)?on\b",
    r"\bthat(?:'s|\s+is)\s+a\s+lot\b",
    r"\bthat(?:'s|\s+was)\s+(?:very\s+)?thorough\b",
)

# --- closing recap: one thought linking a need the interviewer stated to own experience ------
_AMOUNT = (r"(?:\d[\d.,]*%?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
           r"\w+teen|\w+ty|a\s+(?:hundred|thousand|dozen|half|third|quarter)|half|zero|none)")
# The candidate points at what the interviewer said they need.
_NEED_POINTER = _rx(
    r"\byou(?:'ve|\s+have)?\s+(?:mentioned|said|described|told\s+me|explained|stressed|"
    r"talked\s+about|brought\s+up|raised)\b", r"\byou(?:'re|\s+are)\s+looking\s+for\b",
    r"\byou\s+need\b", r"\bwhat\s+you\s+(?:need|described|want|are\s+after)\b",
    # "I can run your line": the candidate's offer aimed at the employer's own need.
    r"\bi\s+(?:can|could|will|would)\s+(?:\w+\s+){0,2}your\s+\w+",
    r"\bwhat\s+(?:[\w'-]+\s+){0,3}(?:is|are)\s+looking\s+for\b", r"\bthe\s+need\s+for\b",
    r"\beverything\s+(?:i(?:'ve|\s+have)\s+heard|you(?:'ve|\s+have)\s+(?:said|told\s+me|described)|"
    r"we(?:'ve|\s+have)\s+(?:discussed|talked\s+about))\b",
    r"\byour\s+(?:biggest\s+|main\s+|top\s+|first\s+)?(?:priority|priorities|challenge|problem|"
    r"need|needs|goal|gap)\b", r"\bfrom\s+what\s+you(?:'ve)?\s+said\b",
    r"\b(?:lo\s+que\s+(?:has|ha|habéis)\s+(?:dicho|contado|comentado)|dijiste|comentaste|"
    r"mencionaste|necesit[áa]is|necesitan)\b",
    r"\b(?:sie\s+(?:haben\s+)?(?:gesagt|erwähnt|beschrieben)|wie\s+sie\s+sagten|sie\s+suchen|"
    r"sie\s+brauchen)\b",
    r"\bvous\s+(?:avez\s+(?:dit|mentionn[ée])|cherchez)\b",
)
# The candidate's own experience, told as something they did ("At Norland I took ...",
# "That's what I've been doing"), not a claimed strength ("I'm a hard worker").
_OWN_EXPERIENCE = _rx(
    r"\bi(?:'ve|\s+have)\s+(?:also\s+|already\s+|just\s+)?(?:been\s+\w+ing|done|built|led|run|"
    r"taken|made|cut|set|brought|delivered|managed|handled|fixed|rebuilt|trained|turned|won|"
    r"worked|spent|grown|reduced|launched|shipped|kept)\b",
    r"\bthat(?:'s|\s+is)\s+(?:exactly\s+)?what\s+i(?:'ve|\s+have)?\s+(?:been\s+)?(?:doing|done|did)\b",
    r"\bi(?:'ve|\s+have)\s+got\s+(?:[\w'-]+\s+){1,3}from\b",
    # Tenure told as the candidate's record ("Six years on the line, ..."), not an age.
    r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty)\s+years?\b"
    r"(?!\s+(?:old|ago|from\s+now))",
    r"\b(?:the\s+same|a\s+(?:very\s+)?similar)\s+(?:problem|thing|situation|challenge)\s+i\b",
    r"\b(?:hice|reduje|conseguí|logré|dirigí|construí|bajé|implanté|gestioné|lideré|resolví|"
    r"mejoré|he\s+(?:hecho|llevado|reducido|gestionado|dirigido))\b",
    r"\bich\s+habe\b[^.?!\n]{0,80}\b(?:ge\w+t|ge\w+en)\b",
)
# What the candidate says they want, inside a recap ("That's the work I want to do here").
_RECAP_INTEREST = _rx(
    r"\bi(?:'d|\s+would)\s+(?:really\s+|very\s+much\s+|most\s+)?(?:love|like|welcome)\s+(?:to\s+|"
    r"the\s+|this\s+)", r"\bi(?:'m|\s+am)\s+(?:really\s+|very\s+|so\s+)?(?:keen|excited|eager)\b",
    r"\b(?:work|job|role)\s+i\s+(?:really\s+)?want\s+to\s+do\b",
    r"\bi\s+(?:really\s+)?want\s+to\s+do\s+(?:it|that|this|the\s+same)\b",
    r"\bwhere\s+i(?:'d|\s+would)\s+(?:most\s+)?like\b",
    # Wanting to bring what they did to this job ("I want to bring that to your backlog").
    r"\bi\s+(?:really\s+)?(?:want|hope|plan)\s+to\s+(?:bring|do|apply|repeat|build\s+on)\s+"
    r"(?:that|this|it|the\s+same|something|what|all)\b",
    r"\b(?:can't|cannot)\s+wait\s+to\b", r"\bi(?:'d|\s+would)\s+(?:really\s+)?prefer\b",
    r"\bi\s+(?:really\s+|just\s+)?love\s+what\s+you(?:'re|\s+are)\b",
    r"\blooking\s+forward\s+to\s+(?:bringing|doing|"
    r"getting|starting|working|joining)\b",
    r"\b(?:quiero|me\s+encantaría|me\s+gustaría)\b", r"\b(?:ich\s+würde\s+(?:sehr\s+)?gerne|"
    r"möchte\s+ich)\b",
)
# A result: a number that moved, a percentage, a before-and-after.
_RECAP_RESULT = _rx(
    r"\b(?:took|brought|cut|reduced|raised|grew|got|moved|lifted|dropped)\b[^.?!\n]{0,60}\bfrom\b"
    r"[^.?!\n]{1,50}\bto\b", r"\b(?:de|von)\s+[\w-]+(?:\s+[\w-]+){0,2}\s+(?:a|auf)\s+(?:menos\s+"
    r"de\s+|unter\s+)?[\w-]+\s+(?:ppm|%|por\s+ciento|prozent)", r"(?<!\d)\d+(?:\.\d+)?\s?(?:%|"
    r"percent\b|per\s+cent\b)", r"\b\w+\s+percent\b", r"\bnone\s+of\s+them\s+(?:was|were)\b",
    r"[$€£]\s?\d", r"\b(?:went|fell|dropped|rose|grew|came\s+down|climbed)\s+from\b[^.?!\n]{1,50}"
    r"\bto\b", r"\b(?:took|brought|cut|got)\b[^.?!\n]{0,40}\b(?:down|up)\s+to\b",
    # "from nine a night to two", whatever the verb before it.
    rf"\bfrom\s+(?:about\s+)?{_AMOUNT}\b[^.?!\n]{{0,40}}\bto\s+(?:about\s+|under\s+)?{_AMOUNT}\b",
)
# Words that say where a recap starts ("If I can leave you with one thought", "To close").
_RECAP_FRAME = _rx(
    r"\bleave\s+you\s+with\b", r"\bone\s+(?:last\s+)?thought\b", r"\bbefore\s+(?:i\s+go|we\s+"
    r"(?:finish|wrap|close|end))\b", r"\bto\s+(?:close|sum\s+up|wrap\s+up|recap)\b",
    r"\bi(?:'ll|\s+will)\s+(?:just\s+)?say\b", r"\bjust\s+to\s+say\b", r"\bpara\s+cerrar\b",
    r"\bzum\s+schluss\b",
)
# A claim of fit or of a strength with nothing specific done ("I'd be a great addition").
_STRENGTH = _rx(
    r"\bi(?:'m|\s+am)\s+(?:a|an)\s+(?!bit\b|little\b)\w+",
    r"\bi(?:'m|\s+am)\s+(?:really\s+|very\s+|quite\s+)?(?:good|great|organi[sz]ed|committed|"
    r"reliable|hard-working|confident|calm|experienced|strong|quick|fast|detail-oriented|"
    r"thorough|patient)\b", r"\bmy\s+(?:\w+\s+){0,3}(?:background|experience|skills?|"
    r"strengths?|focus)\b", r"\bi\s+(?:know|build|love|care\s+about|really\s+care)\b",
    r"\bcarry\s+over\b",
)
_FIT_CLAIM = _rx(r"\b(?:fit|match(?:es)?|great\s+addition|good\s+addition|align(?:s|ed)?)\b")
_NEED_MARKER = _rx(
    r"\bwe\s+(?:really\s+)?need\b", r"\bneed\s+(?:someone|a\s+person|people|a\s+lead|somebody)\b",
    r"\blooking\s+for\b", r"\bpriorit(?:y|ies)\b", r"\bchallenge\b", r"\bproblem\b",
    r"\bbiggest\b", r"\bheadache\b", r"\bbehind\b", r"\bwhoever\b", r"\bfix(?:ing)?\b",
    r"\bstruggl\w*\b", r"\bha(?:s|ve)\s+to\b", r"\bmust\b", r"\bwould\s+(?:have|need)\s+to\b",
    r"\bneeds?\b", r"\bwant\s+(?:this|the|a|our)\s+(?:person|hire|lead)\b", r"\bworst\b",
    r"\b(?:big|main|key)\s+(?:project|thing|goal|issue)\b", r"\bsuccess\b", r"\bexpect\b",
    r"\bhard(?:est)?\s+part\b", r"\bgap\b", r"\bunder\s+control\b", r"\bif\s+they\s+can\b",
    r"\b(?:necesitamos|prioridad|problema|buscamos)\b", r"\b(?:wir\s+brauchen|suchen|"
    r"priorität|problem|herausforderung)\b",
)
_STOP = frozenset(
    "about above after again against because been before being below between both could "
    "doing during each every first from further have having here into itself just more most "
    "much other ought over really right same should some such than that their theirs them "
    "then there these they thing things think this those through under until very want were "
    "what when where which while whom will with would your yours years people someone "
    "actually going great thanks thank today still since maybe little something anything "
    "everything work role team".split())

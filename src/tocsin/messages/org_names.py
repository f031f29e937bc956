"""Whether an organization's name may be read or texted to a number that has not consented yet.

A verification code goes to someone who has not agreed to anything, in the platform's words.
The organization's name is the only part its owner chooses, so it must not be able to carry a
message of its own: a phishing sentence, a number to call back, a link. A name is shown only
when it is short and reads like a name; otherwise the code names "an organization on Tocsin"
(in the code's language: `telephony.prompts.CodeWords`) and nothing else (`shown_org_name`
returns None). Nothing is ever cut or cleaned into shape: a shortened sentence can still
mislead.

The rules, all of which must hold (after NFKC normalisation, so full-width and other
compatibility forms are judged as the characters they look like):
- at most `MAX_SHOWN_CHARACTERS` characters, at least one letter;
- letters of any script, combining marks, digits, single spaces, and only . , & ' - ( );
- letters of one script, or of scripts written together (Han, kana and Hangul, with Latin):
  no lookalikes such as "Paypal" spelt with a Cyrillic a (U+0430) or "Google" with an
  Armenian oh (U+0585);
- not a name in Cyrillic or Greek made only of letters that look like Latin ones ("Paypal"
  or "Apple" spelt wholly in Cyrillic): a whole word spelt in lookalikes;
- no run of three or more digits and no more than four digits in all (no phone numbers);
- nothing that reads as an address: no "@", no letter or digit right after a dot
  ("bank.com"), no spelled-out or spaced domain ("bank . com", "bank dot com"), no "www" or
  "http";
- none of the words that ask the listener to do something, speak to them ("your"), or name
  what a lure is about (a bank, an account, fraud, security), in the eight languages the
  marketing detector reads (`_LURE_WORDS`; compared without accents or case). A real
  organization called "Deutsche Bank IT" is then named "an organization on Tocsin": a code
  without the name costs nothing, one that reads as a bank's message costs a victim.
"""

from __future__ import annotations

import re
import unicodedata

from tocsin.telephony.prompts import DEFAULT_LANGUAGE, ENGLISH, prompts_for

MAX_SHOWN_CHARACTERS = 40
GENERIC_ORG = ENGLISH.codes.any_organization

_PUNCTUATION = frozenset(".,&'-() ")
# Scripts written together in one name; any other mix is a lookalike.
_WRITTEN_TOGETHER = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "LATIN"})
# Letters with no script of their own in their Unicode name (modifier letters).
_NO_SCRIPT = frozenset({"MODIFIER"})
# Cyrillic and Greek letters that look like Latin ones (UTS #39's confusables, the common
# part): a name made only of these is a Latin word in disguise.
_LATIN_LOOKALIKES = frozenset("АВСЕНІЈКМОРЅТХУаеіјорсѕухԁԛԝӏҺһԌԍАВЕΖΗΙΚΜΝΟΡΤΥΧαβικνορτυχ")
_DIGIT_RUN = re.compile(r"\d{3,}")
_DOT_THEN_WORD = re.compile(r"\.\w", re.UNICODE)
_SPACED_DOMAIN = re.compile(
    r"(\.|\bdot)\s*(com|net|org|info|biz|io|co|me|app|xyz|online|site|link|top|uk|us|de|fr|ru|"
    r"cn|in|br|au|ca|eu)\b",
    re.IGNORECASE,
)
_ADDRESS_WORDS = re.compile(r"\b(www|https?)\b", re.IGNORECASE)
# Words a name does not need and a lure does: a call to action, urgency, a credential, a
# second person, what a lure is about. Compared folded (lower case, no accents); a `*` ends a
# stem.
_LURE_WORDS = (
    # English
    "call",
    "press",
    "dial",
    "text",
    "reply",
    "ring",
    "visit",
    "click",
    "contact",
    "login",
    "log in",
    "sign in",
    "urgent",
    "urgently",
    "immediately",
    "now",
    "suspended",
    "locked",
    "blocked",
    "frozen",
    "verify",
    "confirm",
    "password",
    "pin",
    "otp",
    "code",
    "refund",
    "prize",
    "winner",
    "won",
    "gift",
    "payment",
    "pay",
    "owe",
    "overdue",
    "arrest",
    "warrant",
    "your",
    "you",
    "bank",
    "account",
    "card",
    "fraud",
    "security",
    "tax",
    "police",
    # Spanish
    "llame",
    "llama",
    "llamar",
    "marque",
    "pulse",
    "responda",
    "verifique",
    "urgente",
    "ahora",
    "banco",
    "cuenta",
    "tarjeta",
    "bloquead*",
    "pago",
    "reembolso",
    "contrasena",
    "su",
    "tu",
    "fraude",
    "seguridad",
    # French
    "appelez",
    "rappelez",
    "composez",
    "appuyez",
    "repondez",
    "verifiez",
    "maintenant",
    "banque",
    "compte",
    "carte",
    "bloque*",
    "paiement",
    "remboursement",
    "mot de passe",
    "votre",
    "vos",
    "securite",
    # German
    "rufen",
    "anrufen",
    "wahlen",
    "drucken",
    "antworten",
    "bestatigen",
    "dringend",
    "sofort",
    "jetzt",
    "konto",
    "karte",
    "gesperrt",
    "zahlung",
    "erstattung",
    "passwort",
    "ihre",
    "ihr",
    "betrug",
    "sicherheit",
    # Portuguese
    "ligue",
    "disque",
    "pressione",
    "agora",
    "conta",
    "cartao",
    "bloquead*",
    "pagamento",
    "senha",
    "sua",
    "seu",
    "seguranca",
    # Italian
    "chiama",
    "chiamate",
    "richiama",
    "componi",
    "premi",
    "rispondi",
    "verifica",
    "subito",
    "banca",
    "conto",
    "carta",
    "bloccat*",
    "pagamento",
    "rimborso",
    "tuo",
    "tua",
    "frode",
    "sicurezza",
    # Ukrainian
    "зателефонуйте",
    "телефонуйте",
    "дзвоніть",
    "натисніть",
    "відповідайте",
    "терміново",
    "зараз",
    "банк*",
    "рахун*",
    "картк*",
    "заблоков*",
    "платіж",
    "пароль",
    "ваш*",
    "шахрай*",
    "безпек*",
    # Russian
    "позвоните",
    "звоните",
    "перезвоните",
    "нажмите",
    "ответьте",
    "срочно",
    "сейчас",
    "счет*",
    "карт*",
    "заблокирован*",
    "платеж*",
    "мошенни*",
    "безопасност*",
)
_LURE = re.compile(
    r"(?<!\w)("
    + "|".join(
        re.escape(word.rstrip("*")) + (r"\w*" if word.endswith("*") else "") for word in _LURE_WORDS
    )
    + r")(?!\w)"
)


def shown_org_name(name: str) -> str | None:
    """The name as a code may say it, or None when it must not be said."""
    candidate = " ".join(unicodedata.normalize("NFKC", name).split())
    if not candidate or len(candidate) > MAX_SHOWN_CHARACTERS:
        return None
    if not _characters_allowed(candidate) or _looks_like_another(candidate):
        return None
    digits = sum(ch.isdigit() for ch in candidate)
    if digits > 4 or _DIGIT_RUN.search(candidate):
        return None
    if _DOT_THEN_WORD.search(candidate) or _SPACED_DOMAIN.search(candidate):
        return None
    if _ADDRESS_WORDS.search(candidate) or _LURE.search(_folded(candidate)):
        return None
    return candidate


def who_asks(name: str | None, language: str = DEFAULT_LANGUAGE) -> str:
    """How a code in `language` names the organization that asked for it."""
    words = prompts_for(language).codes
    shown = shown_org_name(name) if name else None
    return words.organization.format(name=shown) if shown else words.any_organization


def who_asks_briefly(name: str | None, language: str = DEFAULT_LANGUAGE) -> str:
    """The same, in the fewer words a one-segment text has room for."""
    words = prompts_for(language).codes
    shown = shown_org_name(name) if name else None
    return words.organization_briefly.format(name=shown) if shown else words.any_organization


def _characters_allowed(name: str) -> bool:
    has_letter = False
    for ch in name:
        category = unicodedata.category(ch)
        if category.startswith("L"):
            has_letter = True
        elif category.startswith("M"):
            # A combining mark belongs to the letter before it (Devanagari vowels, say).
            continue
        elif category == "Nd" or ch in _PUNCTUATION:
            continue
        else:
            return False
    return has_letter


def _folded(name: str) -> str:
    """Lower case without accents ("Sécurité" is "securite"), as `_LURE_WORDS` are written.
    Only combining marks go: й and ё stay letters of their own in the words above too."""
    decomposed = unicodedata.normalize("NFKD", name.lower())
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", kept)


def _looks_like_another(name: str) -> bool:
    """Letters of scripts not written together, or a Cyrillic or Greek word spelt only in
    letters that look Latin."""
    letters = [ch for ch in name if unicodedata.category(ch).startswith("L")]
    scripts = {unicodedata.name(ch, "").split(" ", 1)[0] for ch in letters} - _NO_SCRIPT
    if len(scripts) > 1 and not scripts <= _WRITTEN_TOGETHER:
        return True
    return scripts in ({"CYRILLIC"}, {"GREEK"}) and all(ch in _LATIN_LOOKALIKES for ch in letters)

# ruff: noqa: RUF001  (Ukrainian is written in Cyrillic, whose letters look like Latin ones)
"""The fixed words of a call, in every language Tocsin speaks, and how a call picks its language.

A call reads the organization's alert text as written (its template is its own, in whatever
language it was written), then Tocsin's fixed prompts in the call's language: the keypad menu, the
question before stopping calls, the confirmation after each key, the goodbyes, and the words that
introduce several alerts carried by one call. Keys and digits are the same in every language: 1
acknowledges, 2 resolves, 9 (twice) stops calls, star repeats.

The language is chosen per organization and overridden per contact and per member; the call is
placed in the first of those that is set (`resolve_language`): the contact's, else the paged
member's, else the organization's. A code no longer in the catalogue counts as unset, so a call
always has words.

Each language also says how it is spoken:
- `espeak_voice`: the espeak-ng voice the simulator and the SIP trunk use. The organization's (or
  server's) `voice` setting still chooses, when it is a voice of the call's language ("en-us" or
  "en-gb-x-rp" for English, "pt-br" for Portuguese, "es-419" for Spanish); any other voice would
  read the prompts with the wrong pronunciation rules, so the language's default voice speaks
  instead (`voice_for`).
- `locale`: the BCP-47 tag REST providers take (Twilio `<Say language>`, Plivo `<Speak language>`,
  Telnyx `language`, Vonage NCCO `language`); each provider's adapter says which it can speak.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tocsin.core.errors import InvalidInput

DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Prompts:
    """One language's fixed words. `{count}` and `{number}` are filled in by the caller."""

    code: str
    # Its name in English (the dashboard's labels are English) and in itself.
    name: str
    native_name: str
    espeak_voice: str
    locale: str
    # Read after the alert text, and again after star, an unknown key or silence.
    menu: str
    # Said after a first 9: a second 9 stops calls, star goes back.
    stop_question: str
    acknowledged: str
    resolved: str
    stopped: str
    unknown_key: str
    goodbye: str
    # Said instead of the prompt once someone else acknowledged or resolved the alert.
    closed_elsewhere: str
    # A call carrying several alerts: "{count} open alerts. Alert one: ... Alert two: ...",
    # then that 1 acknowledges them all.
    open_alerts: str
    alert_number: str
    # The numbers of the first alerts read, as words; later ones are read as digits.
    numbers: tuple[str, str, str, str, str]
    acknowledges_all: str

    def alert_label(self, index: int) -> str:
        """`alert_number` for the alert at `index` (from 0)."""
        number = self.numbers[index] if index < len(self.numbers) else str(index + 1)
        return self.alert_number.format(number=number)


ENGLISH = Prompts(
    code="en",
    name="English",
    native_name="English",
    espeak_voice="en",
    locale="en-US",
    menu=(
        "Press 1 to acknowledge, 2 to resolve, 9 to stop calls to this number, "
        "or star to repeat this message."
    ),
    stop_question=(
        "To stop all calls to this number from this organization, press 9 again. "
        "To go back, press star."
    ),
    acknowledged="Acknowledged. Thank you. Goodbye.",
    resolved="Resolved. Thank you. Goodbye.",
    stopped="This number will not be called again for this organization. Goodbye.",
    unknown_key="Sorry, that key does nothing.",
    goodbye="Goodbye.",
    closed_elsewhere="This alert has been dealt with already. Goodbye.",
    open_alerts="{count} open alerts.",
    alert_number="Alert {number}:",
    numbers=("one", "two", "three", "four", "five"),
    acknowledges_all="Pressing 1 acknowledges all {count}.",
)

SPANISH = Prompts(
    code="es",
    name="Spanish",
    native_name="Español",
    espeak_voice="es",
    locale="es-ES",
    menu=(
        "Pulse 1 para confirmar, 2 para resolver, 9 para dejar de recibir llamadas en este "
        "número, o asterisco para repetir este mensaje."
    ),
    stop_question=(
        "Para dejar de recibir todas las llamadas de esta organización en este número, pulse 9 "
        "de nuevo. Para volver, pulse asterisco."
    ),
    acknowledged="Confirmado. Gracias. Adiós.",
    resolved="Resuelto. Gracias. Adiós.",
    stopped="Este número no volverá a recibir llamadas de esta organización. Adiós.",
    unknown_key="Lo sentimos, esa tecla no tiene ninguna función.",
    goodbye="Adiós.",
    closed_elsewhere="Alguien ya se ha ocupado de esta alerta. Adiós.",
    open_alerts="{count} alertas abiertas.",
    alert_number="Alerta {number}:",
    numbers=("uno", "dos", "tres", "cuatro", "cinco"),
    acknowledges_all="Al pulsar 1 se confirman las {count}.",
)

FRENCH = Prompts(
    code="fr",
    name="French",
    native_name="Français",
    espeak_voice="fr",
    locale="fr-FR",
    menu=(
        "Appuyez sur 1 pour prendre en charge l'alerte, sur 2 pour la résoudre, sur 9 pour ne "
        "plus recevoir d'appels sur ce numéro, ou sur étoile pour réécouter ce message."
    ),
    stop_question=(
        "Pour ne plus recevoir aucun appel de cette organisation sur ce numéro, appuyez de "
        "nouveau sur 9. Pour revenir en arrière, appuyez sur étoile."
    ),
    acknowledged="Prise en charge confirmée. Merci. Au revoir.",
    resolved="Alerte résolue. Merci. Au revoir.",
    stopped="Ce numéro ne sera plus appelé pour cette organisation. Au revoir.",
    unknown_key="Désolé, cette touche n'a aucune fonction.",
    goodbye="Au revoir.",
    closed_elsewhere="Cette alerte a déjà été traitée. Au revoir.",
    open_alerts="{count} alertes en cours.",
    alert_number="Alerte numéro {number} :",
    numbers=("un", "deux", "trois", "quatre", "cinq"),
    acknowledges_all="La touche 1 les prend en charge toutes les {count}.",
)

GERMAN = Prompts(
    code="de",
    name="German",
    native_name="Deutsch",
    espeak_voice="de",
    locale="de-DE",
    menu=(
        "Drücken Sie die 1 zum Bestätigen, die 2 zum Beheben, die 9, wenn diese Nummer keine "
        "Anrufe mehr erhalten soll, oder die Sterntaste, um diese Nachricht zu wiederholen."
    ),
    stop_question=(
        "Um alle Anrufe dieser Organisation an diese Nummer zu beenden, drücken Sie erneut die "
        "9. Um zurückzugehen, drücken Sie die Sterntaste."
    ),
    acknowledged="Bestätigt. Vielen Dank. Auf Wiederhören.",
    resolved="Als behoben markiert. Vielen Dank. Auf Wiederhören.",
    stopped="Diese Nummer wird für diese Organisation nicht mehr angerufen. Auf Wiederhören.",
    unknown_key="Diese Taste ist leider nicht belegt.",
    goodbye="Auf Wiederhören.",
    closed_elsewhere="Dieser Alarm wurde bereits bearbeitet. Auf Wiederhören.",
    open_alerts="{count} offene Alarme.",
    alert_number="Alarm {number}:",
    numbers=("eins", "zwei", "drei", "vier", "fünf"),
    acknowledges_all="Die 1 bestätigt alle {count}.",
)

PORTUGUESE = Prompts(
    code="pt",
    name="Portuguese",
    native_name="Português",
    espeak_voice="pt",
    locale="pt-PT",
    menu=(
        "Marque 1 para confirmar, 2 para resolver, 9 para deixar de receber chamadas neste "
        "número, ou asterisco para repetir esta mensagem."
    ),
    stop_question=(
        "Para deixar de receber todas as chamadas desta organização neste número, marque 9 "
        "novamente. Para voltar, marque asterisco."
    ),
    acknowledged="Confirmado. Obrigado. Adeus.",
    resolved="Resolvido. Obrigado. Adeus.",
    stopped="Este número não voltará a receber chamadas desta organização. Adeus.",
    unknown_key="Lamentamos, essa tecla não tem nenhuma função.",
    goodbye="Adeus.",
    closed_elsewhere="Este alerta já foi tratado. Adeus.",
    open_alerts="{count} alertas em aberto.",
    alert_number="Alerta {number}:",
    numbers=("um", "dois", "três", "quatro", "cinco"),
    acknowledges_all="Marcar 1 confirma todos os {count}.",
)

ITALIAN = Prompts(
    code="it",
    name="Italian",
    native_name="Italiano",
    espeak_voice="it",
    locale="it-IT",
    menu=(
        "Premere 1 per confermare, 2 per risolvere, 9 per non ricevere più chiamate su questo "
        "numero, oppure asterisco per riascoltare il messaggio."
    ),
    stop_question=(
        "Per non ricevere più chiamate da questa organizzazione su questo numero, premere di "
        "nuovo 9. Per tornare indietro, premere asterisco."
    ),
    acknowledged="Confermato. Grazie. Arrivederci.",
    resolved="Risolto. Grazie. Arrivederci.",
    stopped="Questo numero non riceverà più chiamate da questa organizzazione. Arrivederci.",
    unknown_key="Spiacenti, questo tasto non ha alcuna funzione.",
    goodbye="Arrivederci.",
    closed_elsewhere="Questo allarme è già stato gestito. Arrivederci.",
    open_alerts="{count} allarmi aperti.",
    alert_number="Allarme {number}:",
    numbers=("uno", "due", "tre", "quattro", "cinque"),
    acknowledges_all="Premendo 1 si confermano tutti e {count}.",
)

# Polish and Ukrainian counts take a noun form that depends on the number (2-4 against 5 and
# more), so their counted phrases put the number last, where the noun's form does not depend on it.
POLISH = Prompts(
    code="pl",
    name="Polish",
    native_name="Polski",
    espeak_voice="pl",
    locale="pl-PL",
    menu=(
        "Naciśnij 1, aby potwierdzić, 2, aby oznaczyć jako rozwiązany, 9, aby nie otrzymywać "
        "więcej połączeń na ten numer, lub gwiazdkę, aby odsłuchać tę wiadomość ponownie."
    ),
    stop_question=(
        "Aby wyłączyć wszystkie połączenia od tej organizacji na ten numer, naciśnij ponownie "
        "9. Aby wrócić, naciśnij gwiazdkę."
    ),
    acknowledged="Potwierdzono. Dziękujemy. Do widzenia.",
    resolved="Oznaczono jako rozwiązany. Dziękujemy. Do widzenia.",
    stopped="Ten numer nie będzie już otrzymywać połączeń od tej organizacji. Do widzenia.",
    unknown_key="Niestety, ten klawisz nie ma przypisanej funkcji.",
    goodbye="Do widzenia.",
    closed_elsewhere="Ten alert został już obsłużony. Do widzenia.",
    open_alerts="Liczba otwartych alertów: {count}.",
    alert_number="Alert numer {number}:",
    numbers=("jeden", "dwa", "trzy", "cztery", "pięć"),
    acknowledges_all="Naciśnięcie 1 potwierdzi wszystkie alerty, łącznie {count}.",
)

UKRAINIAN = Prompts(
    code="uk",
    name="Ukrainian",
    native_name="Українська",
    espeak_voice="uk",
    locale="uk-UA",
    menu=(
        "Натисніть 1, щоб підтвердити, 2, щоб позначити як вирішене, 9, щоб більше не "
        "отримувати дзвінків на цей номер, або зірочку, щоб повторити це повідомлення."
    ),
    stop_question=(
        "Щоб припинити всі дзвінки від цієї організації на цей номер, натисніть 9 ще раз. "
        "Щоб повернутися, натисніть зірочку."
    ),
    acknowledged="Підтверджено. Дякуємо. До побачення.",
    resolved="Позначено як вирішене. Дякуємо. До побачення.",
    stopped="Цей номер більше не отримуватиме дзвінків від цієї організації. До побачення.",
    unknown_key="Вибачте, ця клавіша нічого не робить.",
    goodbye="До побачення.",
    closed_elsewhere="Це сповіщення вже опрацьовано. До побачення.",
    open_alerts="Кількість відкритих сповіщень: {count}.",
    alert_number="Сповіщення номер {number}:",
    numbers=("один", "два", "три", "чотири", "пʼять"),
    acknowledges_all="Натискання 1 підтвердить усі сповіщення, разом {count}.",
)

CATALOGUE: dict[str, Prompts] = {
    prompts.code: prompts
    for prompts in (ENGLISH, SPANISH, FRENCH, GERMAN, PORTUGUESE, ITALIAN, POLISH, UKRAINIAN)
}
LANGUAGES = tuple(CATALOGUE)


def prompts_for(language: str | None) -> Prompts:
    """The words of `language`; English for an unset or unknown code."""
    return CATALOGUE.get(language or DEFAULT_LANGUAGE, ENGLISH)


def check_language(code: str) -> str:
    """`code` when it is a language code of the catalogue, as written there ("es", not "ES" or
    "es-ES", which the API's description does not offer either); InvalidInput
    `unknown_language` (422) for any other, naming the ones there are."""
    if code not in CATALOGUE:
        raise InvalidInput(
            f"unknown language {code!r}; use one of {', '.join(LANGUAGES)}",
            code="unknown_language",
            details={"language": code, "languages": list(LANGUAGES)},
        )
    return code


def resolve_language(choices: Iterable[str | None]) -> str:
    """The first of `choices` (most specific first: the contact's, the member's, the
    organization's) that is a language of the catalogue; English when none is."""
    for choice in choices:
        if choice and choice in CATALOGUE:
            return choice
    return DEFAULT_LANGUAGE


def voice_for(language: str, preferred: str | None) -> str:
    """The espeak-ng voice that speaks a call in `language`: `preferred` (the organization's or
    the server's voice) when it is one of that language's voices, else the language's own."""
    if preferred and preferred.strip().lower().split("-")[0] == language:
        return preferred.strip().lower()
    return prompts_for(language).espeak_voice


def locale_matching(language: str, configured: str) -> str:
    """The BCP-47 tag a REST provider is given for `language`: the account's configured
    `language` setting when it is a variant of that language ("en-GB", "pt-BR"), else the
    language's own locale."""
    if configured.split("-")[0].lower() == language:
        return configured
    return prompts_for(language).locale

# ruff: noqa: RUF001  (Ukrainian is written in Cyrillic, whose letters look like Latin ones)
"""The fixed words of a call, in every language Tocsin speaks, and how a call picks its language.

A call reads the organization's alert text as written (its template is its own, in whatever
language it was written), then Tocsin's fixed prompts in the call's language: the keypad menu, the
question before stopping calls, the confirmation after each key, the goodbyes, and the words that
introduce several alerts carried by one call. Keys and digits are the same in every language: 1
acknowledges, 2 resolves, 9 (twice) stops calls, star repeats.

Calls and texts that are all Tocsin's own words are in the catalogue too: the test call
(`Prompts.test_call`) and a verification code, spoken or texted (`Prompts.codes`, `CodeWords`).

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
class CodeWords:
    """A verification code's words, said in a call or sent in a text (`numbers.code_delivery`).

    The code goes to someone who may not have agreed to anything, so it says who is calling
    and why, and how to stop it. `{digits}` is the code read digit by digit ("4, 1, 2, ..."),
    `{code}` the code as written, `{url}` the opt-out page, `{who}` the organization that asked,
    named by `organization` (`{name}` is a name `messages.org_names` lets a code say) or
    `any_organization`, which must fit the same sentences; in texts by `organization_briefly`.
    Texts end with `opt_out_line`, which names the keyword STOP as carriers know it.
    """

    organization: str
    organization_briefly: str
    any_organization: str
    # Asking a number's owner to accept an organization's alert calls.
    consent_call: str
    consent_text: str
    # Proving that an organization may show the number as its caller ID.
    caller_id_call: str
    caller_id_text: str
    # The public form's code that stops every call from Tocsin to the number.
    opt_out_call: str
    opt_out_text: str
    opt_out_line: str


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
    # What a test call says in place of an alert, before the menu (whose keys it lets the caller
    # try).
    test_call: str
    codes: CodeWords

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
    test_call="This is a test call from Tocsin. No alert is open.",
    codes=CodeWords(
        organization="The organization {name}, on Tocsin,",
        organization_briefly="{name} on Tocsin",
        any_organization="An organization on Tocsin",
        consent_call=(
            "Hello, this is Tocsin, an alerting service. {who} asked to send alert calls to "
            "this number. If you agreed to that, your verification code is {digits}. Again, "
            "your code is {digits}. If you did not, ignore this call; to stop all calls from "
            "Tocsin, visit {url}."
        ),
        consent_text=(
            "Tocsin code {code} (15 min). {who} asked to send you alert calls. Not you? "
            "Ignore this."
        ),
        caller_id_call=(
            "Hello, this is Tocsin, an alerting service. Your code is {digits}. Again, your "
            "code is {digits}. Typing it in proves that this number may be shown as the caller "
            "ID of alert calls placed through Tocsin. If you did not ask for this, ignore this "
            "call."
        ),
        caller_id_text=(
            "Tocsin code {code} (15 min) proves this number may be shown as the caller ID of "
            "Tocsin alert calls. Not you? Ignore this."
        ),
        opt_out_call=(
            "Hello, this is Tocsin, an alerting service. Your code to stop all calls from "
            "Tocsin to this number is {digits}. Again, your code is {digits}. If you did not "
            "ask for this, ignore this call."
        ),
        opt_out_text="Tocsin: your code to stop all Tocsin calls to this number is {code}.",
        opt_out_line="Reply STOP to opt out.",
    ),
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
    test_call="Esta es una llamada de prueba de Tocsin. No hay ninguna alerta abierta.",
    codes=CodeWords(
        organization="La organización {name}, en Tocsin,",
        organization_briefly="{name} en Tocsin",
        any_organization="Una organización en Tocsin",
        consent_call=(
            "Hola, le llamamos de Tocsin, un servicio de alertas. {who} ha solicitado enviar "
            "llamadas de alerta a este número. Si usted lo ha aceptado, su código de "
            "verificación es {digits}. Repetimos, su código es {digits}. Si no lo ha aceptado, "
            "ignore esta llamada; para dejar de recibir todas las llamadas de Tocsin, visite "
            "{url}."
        ),
        consent_text=(
            "Código de Tocsin {code} (15 min). {who} quiere enviarle llamadas de alerta. ¿No "
            "lo esperaba? Ignore este mensaje."
        ),
        caller_id_call=(
            "Hola, le llamamos de Tocsin, un servicio de alertas. Su código es {digits}. "
            "Repetimos, su código es {digits}. Al introducirlo, demuestra que este número puede "
            "mostrarse como identificador de llamada en las llamadas de alerta realizadas a "
            "través de Tocsin. Si usted no lo ha solicitado, ignore esta llamada."
        ),
        caller_id_text=(
            "Código de Tocsin {code} (15 min): prueba que este número puede mostrarse como "
            "emisor de las alertas de Tocsin. ¿No lo ha pedido? Ignore este mensaje."
        ),
        opt_out_call=(
            "Hola, le llamamos de Tocsin, un servicio de alertas. Su código para dejar de "
            "recibir todas las llamadas de Tocsin en este número es {digits}. Repetimos, su "
            "código es {digits}. Si usted no lo ha solicitado, ignore esta llamada."
        ),
        opt_out_text=(
            "Tocsin: su código para dejar de recibir todas las llamadas de Tocsin en este "
            "número es {code}."
        ),
        opt_out_line="Responda STOP para darse de baja.",
    ),
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
    test_call="Ceci est un appel de test de Tocsin. Aucune alerte n'est en cours.",
    codes=CodeWords(
        organization="L'organisation {name}, sur Tocsin,",
        organization_briefly="{name} sur Tocsin",
        any_organization="Une organisation sur Tocsin",
        consent_call=(
            "Bonjour, ici Tocsin, un service d'alertes. {who} a demandé à envoyer des appels "
            "d'alerte à ce numéro. Si vous l'avez accepté, votre code de vérification est "
            "{digits}. Je répète, votre code est {digits}. Sinon, ignorez cet appel ; pour ne "
            "plus recevoir aucun appel de Tocsin, rendez-vous sur {url}."
        ),
        consent_text=(
            "Code Tocsin {code} (15 min). {who} souhaite vous envoyer des appels d'alerte. "
            "Vous ne l'attendiez pas ? Ignorez ce message."
        ),
        caller_id_call=(
            "Bonjour, ici Tocsin, un service d'alertes. Votre code est {digits}. Je répète, "
            "votre code est {digits}. En le saisissant, vous prouvez que ce numéro peut "
            "s'afficher comme numéro de l'appelant des appels d'alerte passés par Tocsin. Si "
            "vous n'avez rien demandé, ignorez cet appel."
        ),
        caller_id_text=(
            "Code Tocsin {code} (15 min) : il prouve que ce numéro peut s'afficher comme "
            "appelant des appels d'alerte de Tocsin. Vous n'avez rien demandé ? Ignorez ce "
            "message."
        ),
        opt_out_call=(
            "Bonjour, ici Tocsin, un service d'alertes. Votre code pour ne plus recevoir aucun "
            "appel de Tocsin sur ce numéro est {digits}. Je répète, votre code est {digits}. "
            "Si vous n'avez rien demandé, ignorez cet appel."
        ),
        opt_out_text=(
            "Tocsin : votre code pour ne plus recevoir aucun appel de Tocsin sur ce numéro est "
            "{code}."
        ),
        opt_out_line="Répondez STOP pour vous désinscrire.",
    ),
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
    test_call="Dies ist ein Testanruf von Tocsin. Es liegt kein offener Alarm vor.",
    codes=CodeWords(
        organization="Die Organisation {name} auf Tocsin",
        organization_briefly="{name} auf Tocsin",
        any_organization="Eine Organisation auf Tocsin",
        consent_call=(
            "Guten Tag, hier ist Tocsin, ein Alarmierungsdienst. {who} hat darum gebeten, "
            "diese Nummer für Alarmanrufe anrufen zu dürfen. Wenn Sie dem zugestimmt haben, "
            "lautet Ihr Bestätigungscode {digits}. Noch einmal: Ihr Code lautet {digits}. "
            "Falls nicht, ignorieren Sie diesen Anruf; um alle Anrufe von Tocsin zu beenden, "
            "besuchen Sie {url}."
        ),
        consent_text=(
            "Tocsin-Code {code} (15 Min.). {who} möchte Sie für Alarme anrufen. Unerwartet? "
            "Dann ignorieren Sie diese SMS."
        ),
        caller_id_call=(
            "Guten Tag, hier ist Tocsin, ein Alarmierungsdienst. Ihr Code lautet {digits}. "
            "Noch einmal: Ihr Code lautet {digits}. Mit der Eingabe bestätigen Sie, dass diese "
            "Nummer bei Alarmanrufen über Tocsin als Rufnummer des Anrufers angezeigt werden "
            "darf. Falls Sie das nicht angefordert haben, ignorieren Sie diesen Anruf."
        ),
        caller_id_text=(
            "Tocsin-Code {code} (15 Min.): bestätigt, dass diese Nummer bei Alarmanrufen von "
            "Tocsin als Anrufer angezeigt werden darf. Unerwartet? Dann ignorieren Sie diese "
            "SMS."
        ),
        opt_out_call=(
            "Guten Tag, hier ist Tocsin, ein Alarmierungsdienst. Ihr Code, um alle Anrufe von "
            "Tocsin an diese Nummer zu beenden, lautet {digits}. Noch einmal: Ihr Code lautet "
            "{digits}. Falls Sie das nicht angefordert haben, ignorieren Sie diesen Anruf."
        ),
        opt_out_text=(
            "Tocsin: Ihr Code, um alle Anrufe von Tocsin an diese Nummer zu beenden, lautet {code}."
        ),
        opt_out_line="Zum Abmelden STOP antworten.",
    ),
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
    test_call="Esta é uma chamada de teste do Tocsin. Não há nenhum alerta em aberto.",
    codes=CodeWords(
        organization="A organização {name}, no Tocsin,",
        organization_briefly="{name} no Tocsin",
        any_organization="Uma organização no Tocsin",
        consent_call=(
            "Olá, fala o Tocsin, um serviço de alertas. {who} pediu autorização para fazer "
            "chamadas de alerta para este número. Se concordou, o seu código de verificação é "
            "{digits}. Repito, o seu código é {digits}. Se não concordou, ignore esta chamada; "
            "para deixar de receber todas as chamadas do Tocsin, visite {url}."
        ),
        consent_text=(
            "Código Tocsin {code} (15 min). {who} pediu para lhe fazer chamadas de alerta. "
            "Não esperava? Ignore esta mensagem."
        ),
        caller_id_call=(
            "Olá, fala o Tocsin, um serviço de alertas. O seu código é {digits}. Repito, o seu "
            "código é {digits}. Ao introduzi-lo, comprova que este número pode ser apresentado "
            "como identificação do chamador nas chamadas de alerta feitas através do Tocsin. Se "
            "não pediu isto, ignore esta chamada."
        ),
        caller_id_text=(
            "Código Tocsin {code} (15 min): comprova que este número pode ser apresentado como "
            "chamador nas chamadas de alerta do Tocsin. Não pediu? Ignore esta mensagem."
        ),
        opt_out_call=(
            "Olá, fala o Tocsin, um serviço de alertas. O seu código para deixar de receber "
            "todas as chamadas do Tocsin neste número é {digits}. Repito, o seu código é "
            "{digits}. Se não pediu isto, ignore esta chamada."
        ),
        opt_out_text=(
            "Tocsin: o seu código para deixar de receber todas as chamadas do Tocsin neste "
            "número é {code}."
        ),
        opt_out_line="Responda STOP para cancelar.",
    ),
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
    test_call="Questa è una chiamata di prova di Tocsin. Non ci sono allarmi aperti.",
    codes=CodeWords(
        organization="L'organizzazione {name}, su Tocsin,",
        organization_briefly="{name} su Tocsin",
        any_organization="Un'organizzazione su Tocsin",
        consent_call=(
            "Buongiorno, qui Tocsin, un servizio di allarmi. {who} ha chiesto di inviare "
            "chiamate di allarme a questo numero. Se ha dato il suo consenso, il suo codice di "
            "verifica è {digits}. Ripeto, il suo codice è {digits}. In caso contrario, ignori "
            "questa chiamata; per non ricevere più chiamate da Tocsin, visiti {url}."
        ),
        consent_text=(
            "Codice Tocsin {code} (15 min). {who} chiede di inviarle chiamate di allarme. Non "
            "se lo aspettava? Ignori questo messaggio."
        ),
        caller_id_call=(
            "Buongiorno, qui Tocsin, un servizio di allarmi. Il suo codice è {digits}. Ripeto, "
            "il suo codice è {digits}. Digitandolo, conferma che questo numero può essere "
            "mostrato come numero del chiamante nelle chiamate di allarme effettuate tramite "
            "Tocsin. Se non ha richiesto nulla, ignori questa chiamata."
        ),
        caller_id_text=(
            "Codice Tocsin {code} (15 min): conferma che questo numero può essere mostrato come "
            "chiamante delle chiamate di allarme di Tocsin. Non l'ha chiesto? Ignori questo "
            "messaggio."
        ),
        opt_out_call=(
            "Buongiorno, qui Tocsin, un servizio di allarmi. Il suo codice per non ricevere più "
            "chiamate da Tocsin su questo numero è {digits}. Ripeto, il suo codice è {digits}. "
            "Se non ha richiesto nulla, ignori questa chiamata."
        ),
        opt_out_text=(
            "Tocsin: il suo codice per non ricevere più chiamate da Tocsin su questo numero è "
            "{code}."
        ),
        opt_out_line="Risponda STOP per disiscriversi.",
    ),
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
    test_call="To jest połączenie testowe od Tocsin. Nie ma żadnego otwartego alertu.",
    codes=CodeWords(
        organization="Organizacja {name}, korzystająca z Tocsin,",
        organization_briefly="{name} (Tocsin)",
        any_organization="Organizacja korzystająca z Tocsin",
        consent_call=(
            "Dzień dobry, tu Tocsin, serwis powiadomień o alertach. {who} poprosiła o zgodę na "
            "połączenia z alertami na ten numer. Jeśli się na to zgadzasz, Twój kod "
            "weryfikacyjny to {digits}. Powtarzam, Twój kod to {digits}. Jeśli nie, zignoruj to "
            "połączenie; aby wyłączyć wszystkie połączenia od Tocsin, wejdź na stronę {url}."
        ),
        consent_text=(
            "Kod Tocsin {code} (15 min). {who} chce dzwonić do Ciebie z alertami. To pomyłka? "
            "Zignoruj tę wiadomość."
        ),
        caller_id_call=(
            "Dzień dobry, tu Tocsin, serwis powiadomień o alertach. Twój kod to {digits}. "
            "Powtarzam, Twój kod to {digits}. Jego wpisanie potwierdzi, że ten numer może być "
            "wyświetlany jako numer dzwoniącego w połączeniach z alertami wykonywanych przez "
            "Tocsin. Jeśli nie oczekujesz tego połączenia, zignoruj je."
        ),
        caller_id_text=(
            "Kod Tocsin {code} (15 min) potwierdza, że ten numer może być wyświetlany jako "
            "numer dzwoniącego w alertach Tocsin. To pomyłka? Zignoruj tę wiadomość."
        ),
        opt_out_call=(
            "Dzień dobry, tu Tocsin, serwis powiadomień o alertach. Twój kod do wyłączenia "
            "wszystkich połączeń od Tocsin na ten numer to {digits}. Powtarzam, Twój kod to "
            "{digits}. Jeśli nie oczekujesz tego połączenia, zignoruj je."
        ),
        opt_out_text=(
            "Tocsin: Twój kod do wyłączenia wszystkich połączeń od Tocsin na ten numer to {code}."
        ),
        opt_out_line="Odpowiedz STOP, aby zrezygnować.",
    ),
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
    test_call="Це тестовий дзвінок від Tocsin. Відкритих сповіщень немає.",
    codes=CodeWords(
        organization="Організація {name}, яка користується Tocsin,",
        organization_briefly="{name} (Tocsin)",
        any_organization="Організація, яка користується Tocsin,",
        consent_call=(
            "Добрий день, це Tocsin, служба оповіщення. {who} попросила дозволу телефонувати "
            "на цей номер зі сповіщеннями. Якщо Ви погодилися, Ваш код підтвердження: "
            "{digits}. Повторюю, Ваш код: {digits}. Якщо ні, проігноруйте цей дзвінок; щоб "
            "припинити всі дзвінки від Tocsin, відвідайте {url}."
        ),
        consent_text=(
            "Код Tocsin {code} (15 хв). {who} хоче телефонувати Вам зі сповіщеннями. Не "
            "очікували? Проігноруйте це повідомлення."
        ),
        caller_id_call=(
            "Добрий день, це Tocsin, служба оповіщення. Ваш код: {digits}. Повторюю, Ваш код: "
            "{digits}. Ввівши його, Ви підтвердите, що цей номер можна показувати як номер, з "
            "якого надходять дзвінки зі сповіщеннями через Tocsin. Якщо Ви цього не "
            "запитували, проігноруйте цей дзвінок."
        ),
        caller_id_text=(
            "Код Tocsin {code} (15 хв) підтверджує, що цей номер можна показувати як номер "
            "дзвінків зі сповіщеннями Tocsin. Не очікували? Проігноруйте це повідомлення."
        ),
        opt_out_call=(
            "Добрий день, це Tocsin, служба оповіщення. Ваш код, щоб припинити всі дзвінки "
            "від Tocsin на цей номер: {digits}. Повторюю, Ваш код: {digits}. Якщо Ви цього не "
            "запитували, проігноруйте цей дзвінок."
        ),
        opt_out_text="Tocsin: Ваш код, щоб припинити всі дзвінки від Tocsin на цей номер: {code}.",
        opt_out_line="Надішліть STOP, щоб відписатися.",
    ),
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

# Cyrillic phrases are Cyrillic on purpose, not Latin look-alikes.
# ruff: noqa: RUF001
"""The phrases of calls the acceptable-use policy forbids whatever their content: sales,
fundraising, political, debt-collection and survey calls, in the languages Tocsin's customers
page in (English, Spanish, French, German, Portuguese, Italian, Ukrainian, Russian).

A phrase weighs 1 or 2. Weight 1 is a word an alert may say now and then ("discount", "debt",
"survey", "election": a Raft leader election, a discount-service): it counts only next to
another. Weight 2 is a phrase addressed to a person that no failing machine says ("please
donate", "vote for", "this is an attempt to collect a debt"): one is enough. A phrase ending
in `*` matches any word it begins, for languages whose words change their endings
("пожертв*" is пожертва, пожертву, пожертви...), and forms joined by `~` are one phrase
("donate~donation": a text saying both has still said one thing, so it counts once).
Phrases are compared after `marketing.fold`: lower case, accents and marks dropped, digits as
`#`, so "promoción" and "promocion" are one phrase.

`tests/trust/test_marketing_languages.py` holds every category in every language above the
threshold and a corpus of ordinary alert texts in the same languages below it; a new phrase
must keep both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    SALES = "sales"
    FUNDRAISING = "fundraising"
    POLITICAL = "political"
    DEBT_COLLECTION = "debt_collection"
    SURVEY = "survey"


@dataclass(frozen=True)
class Phrase:
    text: str
    category: Category
    language: str
    weight: int = 1


def _phrases(category: Category, language: str, weak: str, strong: str = "") -> list[Phrase]:
    """Phrases separated by `|`: `weak` weigh 1, `strong` weigh 2."""
    return [
        Phrase(text.strip(), category, language, weight)
        for weight, listed in ((1, weak), (2, strong))
        for text in listed.split("|")
        if text.strip()
    ]


S, F, P, D, Q = (
    Category.SALES,
    Category.FUNDRAISING,
    Category.POLITICAL,
    Category.DEBT_COLLECTION,
    Category.SURVEY,
)

PHRASES: tuple[Phrase, ...] = tuple(
    # English. The first list is the detector's original one, kept as it was.
    _phrases(
        S,
        "en",
        "limited time|special offer|% off|discount|free gift|act now|call now|buy now|winner"
        "|you have won|prize|promotion|subscribe|unsubscribe|deal|sale|loan|credit score"
        "|press 1 to speak|warranty|insurance quote|congratulations|order now|lowest price"
        "|exclusive offer",
        "limited time offer|you have been selected|claim your prize",
    )
    + _phrases(
        F,
        "en",
        "donate~donation~donations|fundraiser~fundraising|charity",
        "please donate|make a donation|donate today|your gift today|support our cause",
    )
    + _phrases(
        P,
        "en",
        "voter~voters|ballot|campaign|election day|your vote|polling station",
        "vote for|re-elect|polls open|paid for by|get out and vote",
    )
    + _phrases(
        D,
        "en",
        "debt~debts|outstanding balance|past due|final notice|legal action",
        "debt collector|collection agency|outstanding debt|attempt to collect a debt"
        "|settle your debt|avoid legal action",
    )
    + _phrases(
        Q,
        "en",
        "survey|questionnaire|your opinion|your feedback",
        "take a short survey|customer satisfaction survey|answer a few questions"
        "|participate in a survey|take part in a survey",
    )
    # Spanish.
    + _phrases(
        S,
        "es",
        "oferta especial|descuento~descuentos|promocion|por tiempo limitado"
        "|compre ahora~compra ahora|llame ahora~llama ahora|ha ganado|gratis|premio|rebajas",
        "oferta por tiempo limitado|ha sido seleccionado",
    )
    + _phrases(
        F,
        "es",
        "donacion~donaciones~donativo|beneficencia",
        "haga una donacion|haz una donacion|su donacion|recaudacion de fondos|done hoy",
    )
    + _phrases(
        P,
        "es",
        "elecciones|candidato~candidata|su voto~tu voto",
        "vote por|vota por|campana electoral|jornada electoral",
    )
    + _phrases(
        D,
        "es",
        "deuda~deudas|saldo pendiente|acciones legales|aviso final",
        "agencia de cobro|cobro de deudas|pague su deuda|su deuda",
    )
    + _phrases(
        Q,
        "es",
        "encuesta|cuestionario|su opinion",
        "breve encuesta|responder unas preguntas|encuesta de satisfaccion",
    )
    # French.
    + _phrases(
        S,
        "fr",
        "offre speciale|reduction|soldes|duree limitee|appelez maintenant"
        "|achetez maintenant|vous avez gagne|gratuit|cadeau|promo",
        "offre a duree limitee|vous avez ete selectionne",
    )
    + _phrases(
        F,
        "fr",
        "association caritative",
        "faites un don|votre don|collecte de fonds|soutenez notre cause",
    )
    + _phrases(
        P,
        "fr",
        "election~elections|votre vote~votre voix",
        "votez pour|campagne electorale|bureau de vote",
    )
    + _phrases(
        D,
        "fr",
        "dette~dettes|recouvrement|impaye~impayes|poursuites judiciaires",
        "societe de recouvrement|votre dette|reglez votre dette",
    )
    + _phrases(
        Q,
        "fr",
        "sondage|enquete|quelques questions|votre avis",
        "enquete de satisfaction|repondre a quelques questions|participer a un sondage",
    )
    # German.
    + _phrases(
        S,
        "de",
        "sonderangebot|rabatt|nur fur kurze zeit|jetzt kaufen|jetzt anrufen"
        "|sie haben gewonnen|kostenlos|geschenk|gewinnspiel",
        "exklusives angebot fur sie|sie wurden ausgewahlt",
    )
    + _phrases(
        F,
        "de",
        "spende~spenden|wohltatigkeit",
        "spenden sie|ihre spende|spendenaktion|jetzt spenden",
    )
    + _phrases(
        P,
        "de",
        "kandidat~kandidatin|ihre stimme|wahltag",
        "wahlen sie|bundestagswahl|wahlkampf|geben sie ihre stimme",
    )
    + _phrases(
        D,
        "de",
        "schulden|offene forderung|mahnung~zahlungsaufforderung|rechtliche schritte"
        "|inkasso~inkassounternehmen",
        "ihre schulden|begleichen sie",
    )
    + _phrases(
        Q,
        "de",
        "umfrage|fragebogen|ihre meinung|ein paar fragen",
        "kurze umfrage|meinungsumfrage|an einer umfrage teilnehmen",
    )
    # Portuguese.
    + _phrases(
        S,
        "pt",
        "desconto~descontos|promocao|por tempo limitado|compre agora|ligue agora"
        "|voce ganhou|gratis|brinde",
        "oferta imperdivel|voce foi selecionado",
    )
    + _phrases(
        F,
        "pt",
        "doacao~doacoes|arrecadacao|caridade",
        "faca uma doacao|sua doacao|doe agora",
    )
    + _phrases(
        P,
        "pt",
        "eleicao~eleicoes|seu voto",
        "vote em|campanha eleitoral|horario eleitoral",
    )
    + _phrases(
        D,
        "pt",
        "divida~dividas|cobranca|debito em aberto|acao judicial",
        "agencia de cobranca|sua divida|quite sua divida",
    )
    + _phrases(
        Q,
        "pt",
        "pesquisa|questionario|sua opiniao",
        "pesquisa de satisfacao|responder algumas perguntas|participe da pesquisa",
    )
    # Italian.
    + _phrases(
        S,
        "it",
        "offerta speciale|sconto~sconti|promozione|tempo limitato|acquista ora|chiama ora"
        "|hai vinto|regalo|omaggio",
        "offerta a tempo limitato|sei stato selezionato",
    )
    + _phrases(
        F,
        "it",
        "donazione~donazioni|beneficenza",
        "fai una donazione|la tua donazione|raccolta fondi|dona ora",
    )
    + _phrases(
        P,
        "it",
        "elezioni|il tuo voto",
        "vota per|campagna elettorale|seggio elettorale",
    )
    + _phrases(
        D,
        "it",
        "debito~debiti|saldo insoluto|azioni legali|recupero crediti",
        "il tuo debito|salda il tuo debito",
    )
    + _phrases(
        Q,
        "it",
        "sondaggio|questionario|la tua opinione|alcune domande",
        "breve sondaggio|rispondere ad alcune domande|indagine di soddisfazione",
    )
    # Ukrainian.
    + _phrases(
        S,
        "uk",
        "знижк*|акці*|спеціальна пропозиція|купуйте зараз|телефонуйте зараз"
        "|ви виграли|безкоштовно|подарун*",
        "тільки сьогодні знижк*|вас обрано",
    )
    + _phrases(
        F,
        "uk",
        "пожертв*|благодійн*",
        "зробіть внесок|збір коштів|підтримайте нас",
    )
    + _phrases(
        P,
        "uk",
        "вибори~виборч*|кандидат*|ваш голос",
        "голосуйте за|передвиборч*|віддайте свій голос",
    )
    + _phrases(
        D,
        "uk",
        "борг~борги~боргу~заборгован*",
        "колектор*|погасіть борг|погасіть заборгованість",
    )
    + _phrases(
        Q,
        "uk",
        "опитуван*|анкет*|кілька запитань|ваша думка",
        "пройдіть опитування|дайте відповідь на кілька запитань",
    )
    # Russian. Not "долг*": it would also match "долго" (slow), which alerts say. Ukrainian's
    # "пожертв*" already finds "пожертвование".
    + _phrases(
        S,
        "ru",
        "скидк*|акци*|специальное предложение|купите сейчас|звоните сейчас"
        "|вы выиграли|бесплатно|подар*",
        "только сегодня скидк*|вы были выбраны",
    )
    + _phrases(
        F,
        "ru",
        "благотворительн*",
        "сделайте пожертвование|сбор средств|поддержите нас",
    )
    + _phrases(
        P,
        "ru",
        "выборы~выборах|кандидат*|ваш голос",
        "голосуйте за|предвыборн*|отдайте свой голос",
    )
    + _phrases(
        D,
        "ru",
        "долг~долга~долги~долгов~задолженност*|взыскани*",
        "коллектор*|ваш долг|погасите долг|погасите задолженность",
    )
    + _phrases(
        Q,
        "ru",
        "опрос~опроса~опросе|анкет*|несколько вопросов|ваше мнение",
        "пройдите опрос|ответьте на несколько вопросов",
    )
)

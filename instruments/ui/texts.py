"""Fixed texts of the survey pages (buttons, notices), in every survey language.

The questionnaire's own texts (items, consent, screening message) come from the
instrument YAML; only the survey *frame* is defined here.
"""

from __future__ import annotations

#: Languages the frame texts are available in (the instrument may offer fewer).
UI_LANGUAGES = ("en", "de")

#: Names of the languages in their own language, for the language switch.
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}

_TEXTS: dict[str, dict[str, str]] = {
    "app_title": {"en": "Alliance survey", "de": "Allianz-Befragung"},
    "language": {"en": "Language", "de": "Sprache"},
    "next": {"en": "Next", "de": "Weiter"},
    "back": {"en": "Back", "de": "Zurück"},
    "finish": {"en": "Finish", "de": "Abschließen"},
    "start": {"en": "Start the survey", "de": "Befragung beginnen"},
    "progress": {"en": "Page {page} of {n}", "de": "Seite {page} von {n}"},
    "required_mark": {"en": "required", "de": "Pflichtfrage"},
    "answer_required": {
        "en": "Please answer this question.",
        "de": "Bitte beantworten Sie diese Frage.",
    },
    "page_problems": {
        "en": "Some answers on this page are missing or could not be accepted; please see the "
        "notes next to the questions. Nothing on this page was saved yet.",
        "de": "Einige Antworten auf dieser Seite fehlen oder konnten nicht angenommen werden; "
        "bitte beachten Sie die Hinweise bei den Fragen. Diese Seite wurde noch nicht "
        "gespeichert.",
    },
    "refused_value": {
        "en": "This answer was not accepted: {detail}",
        "de": "Diese Antwort wurde nicht angenommen: {detail}",
    },
    "save_failed": {
        "en": "Your answers could not be saved just now (the connection to the database was "
        "lost). Your answers on this page are kept; please try again in a moment.",
        "de": "Ihre Antworten konnten gerade nicht gespeichert werden (die Verbindung zur "
        "Datenbank wurde unterbrochen). Ihre Antworten auf dieser Seite bleiben erhalten; "
        "bitte versuchen Sie es gleich noch einmal.",
    },
    "unavailable_title": {
        "en": "The survey is unavailable at the moment",
        "de": "Die Befragung ist im Moment nicht erreichbar",
    },
    "unavailable": {
        "en": "We cannot reach the survey database right now. Nothing you have answered is lost; "
        "please open your link again in a few minutes.",
        "de": "Die Datenbank der Befragung ist gerade nicht erreichbar. Bereits gegebene "
        "Antworten gehen nicht verloren; bitte öffnen Sie Ihren Link in einigen Minuten erneut.",
    },
    "no_token_title": {"en": "Welcome", "de": "Willkommen"},
    "no_token": {
        "en": "This survey is by invitation only. Please open the personal link from your "
        "invitation e-mail; it ends in ?t= followed by a long code.",
        "de": "Diese Befragung ist nur mit Einladung zugänglich. Bitte öffnen Sie den "
        "persönlichen Link aus Ihrer Einladung; er endet auf ?t= und einen langen Code.",
    },
    "link_problem_title": {
        "en": "This link cannot be used",
        "de": "Dieser Link kann nicht verwendet werden",
    },
    "link_problem_hint": {
        "en": "If you think this is a mistake, please contact the study team named in your "
        "invitation.",
        "de": "Wenn Sie glauben, dass es sich um einen Fehler handelt, wenden Sie sich bitte an "
        "das in Ihrer Einladung genannte Studienteam.",
    },
    "declined_title": {"en": "You have declined to take part", "de": "Sie nehmen nicht teil"},
    "declined": {
        "en": "Thank you for considering the survey. No answers have been stored. If you change "
        "your mind, you can go back and give your consent.",
        "de": "Vielen Dank, dass Sie die Befragung in Betracht gezogen haben. Es wurden keine "
        "Antworten gespeichert. Wenn Sie es sich anders überlegen, können Sie zurückgehen und "
        "Ihre Einwilligung geben.",
    },
    "back_to_consent": {"en": "Back to the consent page", "de": "Zurück zur Einwilligung"},
    "screened_out_title": {"en": "Thank you", "de": "Vielen Dank"},
    "thanks_title": {"en": "Thank you!", "de": "Vielen Dank!"},
    "thanks": {
        "en": "Your answers have been saved. The survey is complete; you can close this window.",
        "de": "Ihre Antworten wurden gespeichert. Die Befragung ist abgeschlossen; Sie können "
        "dieses Fenster schließen.",
    },
    "saved_note": {
        "en": "Each page is saved when you press Next. You can close this window at any time and "
        "continue later with your personal link.",
        "de": "Jede Seite wird gespeichert, sobald Sie auf Weiter klicken. Sie können das Fenster "
        "jederzeit schließen und später über Ihren persönlichen Link fortfahren.",
    },
    "unit": {"en": "in {unit}", "de": "in {unit}"},
    "free_text_help": {
        "en": "Optional. At most {n} characters.",
        "de": "Freiwillig. Höchstens {n} Zeichen.",
    },
}


def t(key: str, lang: str, **values: object) -> str:
    """Return the frame text ``key`` in ``lang`` (English when not translated).

    Parameters
    ----------
    key
        Text id, e.g. ``"next"``.
    lang
        Language code.
    **values
        Values for ``{name}`` fields in the text.
    """
    entry = _TEXTS[key]
    text = entry.get(lang, entry["en"])
    return text.format(**values) if values else text

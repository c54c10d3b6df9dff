"""Fixed texts of the survey pages (buttons, notices), in every survey language.

The questionnaire's own texts (items, consent, screening message) come from the
instrument YAML; only the survey *frame* is defined here.
"""

from __future__ import annotations

#: Languages the frame texts are available in (the instrument may offer fewer).
UI_LANGUAGES = ("en", "de")

#: The decimal mark of each language, for decimals shown in and read from text fields.
DECIMAL_MARK = {"en": ".", "de": ","}

#: The mark that groups the thousands of a whole number in each language ("1,000" in
#: English, "1.000" in German), read in whole-number answers.
GROUP_MARK = {"en": ",", "de": "."}

#: Names of the languages in their own language, for the language switch.
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}

#: What the withdrawal page says after what was deleted, for one answer or several:
#: the link is closed, what is kept and why, and how to take part after all.
_WITHDRAWN_REST = {
    "en": "Your personal link is now closed. If the study lead wrote to you, your e-mail "
    "address, name and firm are deleted from their contact list in this survey too. What "
    "is kept is a note that a deletion took place and the invitation itself (which firm it "
    "was for and the language it was sent in, but not when you first opened it or which "
    "language you chose), so that this link stays "
    "closed and you are sent no reminders. If you had asked for no further e-mails, your "
    "address is kept only as a scrambled code (a hash) from which it cannot be read, so "
    "that you are not written to about this survey again. If you want to take part after "
    "all, please ask the study lead for a new link.",
    "de": "Ihr persönlicher Link ist nun geschlossen. Falls die Studienleitung Ihnen "
    "geschrieben hat, sind auch Ihre E-Mail-Adresse, Ihr Name und Ihr Unternehmen aus "
    "deren Kontaktliste in dieser Befragung gelöscht. Aufbewahrt werden ein Vermerk, dass "
    "eine Löschung stattgefunden hat, und die Einladung selbst (für welches Unternehmen sie "
    "war und in welcher Sprache sie verschickt wurde, nicht aber, wann Sie sie zuerst "
    "geöffnet oder welche Sprache Sie gewählt haben), damit dieser Link "
    "geschlossen bleibt und Sie keine Erinnerungen erhalten. Falls Sie um keine weiteren "
    "E-Mails gebeten hatten, wird Ihre Adresse nur als unlesbarer Prüfwert (Hash) "
    "aufbewahrt, damit Sie zu dieser Befragung nicht erneut angeschrieben werden. Wenn Sie "
    "doch teilnehmen möchten, bitten Sie die Studienleitung um einen neuen Link.",
}

_TEXTS: dict[str, dict[str, str]] = {
    "app_title": {"en": "Alliance survey", "de": "Allianz-Befragung"},
    "language": {"en": "Language", "de": "Sprache"},
    "next": {"en": "Next", "de": "Weiter"},
    "back": {"en": "Back", "de": "Zurück"},
    "finish": {"en": "Finish", "de": "Abschließen"},
    "start": {"en": "Start the survey", "de": "Befragung beginnen"},
    "progress": {"en": "Page {page} of {n}", "de": "Seite {page} von {n}"},
    # the progress bar's name for screen readers (Streamlit's own is "progress")
    "progress_label": {"en": "Progress", "de": "Fortschritt"},
    # the name of a question's help button for screen readers, before the question
    "help_for": {"en": "Help for", "de": "Hinweis zu"},
    "required_mark": {"en": "a question that needs an answer",
                      "de": "eine Frage, die beantwortet werden muss"},
    "answer_required": {
        "en": "Please answer this question.",
        "de": "Bitte beantworten Sie diese Frage.",
    },
    "saved_elsewhere": {
        "en": "This page was saved meanwhile in another window or tab with the same link. It "
        "now shows your answers from both; please check them and press “{next}” again.",
        "de": "Diese Seite wurde inzwischen in einem anderen Fenster oder Tab mit demselben "
        "Link gespeichert. Sie zeigt jetzt Ihre Antworten aus beiden; bitte prüfen Sie sie und "
        "klicken Sie erneut auf „{next}“.",
    },
    "page_problems": {
        "en": "Some answers on this page are missing or could not be accepted; please see the "
        "notes next to the questions. Nothing on this page was saved yet.",
        "de": "Einige Antworten auf dieser Seite fehlen oder konnten nicht angenommen werden; "
        "bitte beachten Sie die Hinweise bei den Fragen. Diese Seite wurde noch nicht "
        "gespeichert.",
    },
    "unstorable_text": {
        "en": "This answer contains a character that cannot be saved (for example a NUL "
        "character from pasted content); please remove it and try again.",
        "de": "Diese Antwort enthält ein Zeichen, das nicht gespeichert werden kann (zum "
        "Beispiel ein NUL-Zeichen aus eingefügtem Inhalt); bitte entfernen Sie es und "
        "versuchen Sie es erneut.",
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
    "try_again": {"en": "Try again", "de": "Erneut versuchen"},
    # Streamlit's own dialog when the app's server cannot be reached (relabelled by
    # page_language()): the server restarting during fieldwork, a phone losing its network
    "connection_lost_title": {"en": "Connection lost", "de": "Verbindung unterbrochen"},
    "connection_lost": {
        "en": "The survey cannot reach its server at the moment. What you have entered on "
        "this page stays in this window: please keep it open. The page comes back by itself "
        "once the connection is restored, and you can then continue.",
        "de": "Die Befragung erreicht ihren Server gerade nicht. Was Sie auf dieser Seite "
        "eingegeben haben, bleibt in diesem Fenster erhalten: Bitte lassen Sie es geöffnet. "
        "Die Seite kommt von selbst zurück, sobald die Verbindung wieder besteht, und Sie "
        "können dann fortfahren.",
    },
    "close": {"en": "Close", "de": "Schließen"},
    # the same dialog on the study lead's pages (English: the pages' language)
    "connection_lost_admin": {
        "en": "The study lead's pages cannot reach the app's server at the moment (it may "
        "be restarting). What you have entered on this page stays in this window: please "
        "keep it open. The page comes back by itself once the server answers again; check "
        "the form before you save it.",
        "de": "Die Seiten der Studienleitung erreichen den Server der App gerade nicht "
        "(vielleicht startet er neu). Was Sie auf dieser Seite eingegeben haben, bleibt in "
        "diesem Fenster erhalten: Bitte lassen Sie es geöffnet. Die Seite kommt von selbst "
        "zurück, sobald der Server wieder antwortet; prüfen Sie das Formular, bevor Sie "
        "speichern.",
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
        "en": "Thank you for considering the survey. No answers of yours have been stored. If you "
        "change your mind, press “{button}” and give your consent.",
        "de": "Vielen Dank, dass Sie die Befragung in Betracht gezogen haben. Es wurden keine "
        "Antworten gespeichert. Wenn Sie es sich anders überlegen, klicken Sie auf „{button}“ "
        "und geben Sie Ihre Einwilligung.",
    },
    # Consent taken back after answering: the promise (everything is deleted) is kept,
    # but only after a second question.
    "decline_confirm_title": {
        "en": "Do you want to withdraw your consent?",
        "de": "Möchten Sie Ihre Einwilligung zurückziehen?",
    },
    "decline_confirm": {
        "en": "You have answered {n} questions. Declining now deletes all of them, and your "
        "personal link is closed.",
        "de": "Sie haben {n} Fragen beantwortet. Wenn Sie jetzt ablehnen, werden alle diese "
        "Antworten gelöscht, und Ihr persönlicher Link wird geschlossen.",
    },
    "decline_confirm_one": {
        "en": "You have answered 1 question. Declining now deletes it, and your personal link "
        "is closed.",
        "de": "Sie haben 1 Frage beantwortet. Wenn Sie jetzt ablehnen, wird diese Antwort "
        "gelöscht, und Ihr persönlicher Link wird geschlossen.",
    },
    "decline_delete": {"en": "Yes, delete and leave", "de": "Ja, löschen und beenden"},
    "decline_keep": {"en": "Keep my answers", "de": "Meine Antworten behalten"},
    "withdrawn_title": {
        "en": "You have withdrawn from the survey",
        "de": "Sie haben Ihre Teilnahme widerrufen",
    },
    "withdrawn_one": {
        "en": "The 1 answer you gave has been deleted, together with the times spent on "
        "each page; it will not appear in any data set, analysis or report. "
        + _WITHDRAWN_REST["en"],
        "de": "Die 1 Antwort, die Sie gegeben haben, wurde gelöscht, ebenso die auf jeder "
        "Seite verbrachte Zeit; sie erscheint in keinem Datensatz, keiner Auswertung und "
        "keinem Bericht. " + _WITHDRAWN_REST["de"],
    },
    "withdrawn": {
        "en": "All {n} answers you gave have been deleted, together with the times spent on "
        "each page; they will not appear in any data set, analysis or report. "
        + _WITHDRAWN_REST["en"],
        "de": "Alle {n} Antworten, die Sie gegeben haben, wurden gelöscht, ebenso die auf jeder "
        "Seite verbrachte Zeit; sie erscheinen in keinem Datensatz, keiner Auswertung und "
        "keinem Bericht. " + _WITHDRAWN_REST["de"],
    },
    "study_contact": {
        "en": "Contact of the study lead: {contact}",
        "de": "Kontakt der Studienleitung: {contact}",
    },
    "withdrawn_link": {
        "en": "You withdrew from this survey and all your answers were deleted, so this link is "
        "closed. If you want to take part after all, please ask the study lead for a new link.",
        "de": "Sie haben Ihre Teilnahme widerrufen und alle Ihre Antworten wurden gelöscht; "
        "dieser Link ist daher geschlossen. Wenn Sie doch teilnehmen möchten, bitten Sie die "
        "Studienleitung um einen neuen Link.",
    },
    # the closed link of answers the study team deleted (rights.erasure_origin): the
    # respondent had not withdrawn themselves and read that they had
    "deleted_title": {
        "en": "Your answers have been deleted",
        "de": "Ihre Antworten wurden gelöscht",
    },
    "deleted_request_link": {
        "en": "As you asked, the study team has deleted all your answers, so this link is "
        "closed. If you want to take part after all, please ask the study lead for a new link.",
        "de": "Wie von Ihnen gewünscht, hat das Studienteam alle Ihre Antworten gelöscht; "
        "dieser Link ist daher geschlossen. Wenn Sie doch teilnehmen möchten, bitten Sie die "
        "Studienleitung um einen neuen Link.",
    },
    "deleted_retention_link": {
        "en": "The period for which this study keeps its answers has ended, and the study "
        "team has deleted all answers given with this link, so the link is closed.",
        "de": "Der Zeitraum, für den diese Studie ihre Antworten aufbewahrt, ist abgelaufen; "
        "das Studienteam hat alle mit diesem Link gegebenen Antworten gelöscht, der Link ist "
        "daher geschlossen.",
    },
    "deleted_test_link": {
        "en": "This was a test link. The study team has deleted the answers given with it, "
        "so the link is closed.",
        "de": "Dies war ein Testlink. Das Studienteam hat die damit gegebenen Antworten "
        "gelöscht, der Link ist daher geschlossen.",
    },
    "expired_link": {
        "en": "This invitation expired, so the survey can no longer be answered with this "
        "link. If you would still like to take part, please ask the study team for a new link.",
        "de": "Dieser Einladungslink ist abgelaufen; die Befragung kann damit nicht mehr "
        "beantwortet werden. Wenn Sie trotzdem teilnehmen möchten, bitten Sie das Studienteam "
        "um einen neuen Link.",
    },
    # an invitation that expired while its respondent was part-way through: what becomes
    # of the answers given (kept, unless withdrawn) was not said
    "expired_kept": {
        "en": "The answers you gave before the link expired are kept for the study. To "
        "have them deleted, use \u201cWithdraw and delete my answers\u201d below.",
        "de": "Die Antworten, die Sie gegeben haben, bevor der Link abgelaufen ist, bleiben "
        "für die Studie gespeichert. Wenn Sie sie löschen lassen möchten, nutzen Sie unten "
        "\u201eTeilnahme widerrufen und Antworten löschen\u201c.",
    },
    "invalid_link": {
        "en": "This invitation link is not valid. Please check that you copied the whole link "
        "from your invitation, or ask the study team for a new one.",
        "de": "Dieser Einladungslink ist nicht gültig. Bitte prüfen Sie, ob Sie den ganzen "
        "Link aus Ihrer Einladung kopiert haben, oder bitten Sie das Studienteam um einen "
        "neuen.",
    },
    "unserved_link": {
        "en": "The survey cannot be opened with this link at the moment. Nothing you have "
        "answered is lost; please write to the study team named in your invitation.",
        "de": "Die Befragung kann mit diesem Link im Moment nicht geöffnet werden. Bereits "
        "gegebene Antworten gehen nicht verloren; bitte schreiben Sie an das in Ihrer "
        "Einladung genannte Studienteam.",
    },
    "two_tokens": {
        "en": "This link contains two different invitation codes, so we cannot tell which "
        "invitation is yours. Please open the link exactly as it appears in your invitation "
        "e-mail.",
        "de": "Dieser Link enthält zwei verschiedene Einladungscodes, daher können wir nicht "
        "erkennen, welche Einladung Ihre ist. Bitte öffnen Sie den Link genau so, wie er in "
        "Ihrer Einladungs-E-Mail steht.",
    },
    "completed_link": {
        "en": "You have already completed the survey with this link, so the answers can no "
        "longer be changed here. If an answer needs correcting, please write to the study "
        "team named in your invitation; they can correct it for you.",
        "de": "Sie haben die Befragung mit diesem Link bereits abgeschlossen. Die Antworten "
        "können daher hier nicht mehr geändert werden. Wenn eine Antwort berichtigt werden "
        "soll, schreiben Sie bitte an das in Ihrer Einladung genannte Studienteam; es kann "
        "die Antwort für Sie berichtigen.",
    },
    # the same when the study lead has given the privacy notice's contact: it is named
    "completed_link_contact": {
        "en": "You have already completed the survey with this link, so the answers can no "
        "longer be changed here. If an answer needs correcting, please write to {contact}; "
        "the study team can correct it for you.",
        "de": "Sie haben die Befragung mit diesem Link bereits abgeschlossen. Die Antworten "
        "können daher hier nicht mehr geändert werden. Wenn eine Antwort berichtigt werden "
        "soll, schreiben Sie bitte an {contact}; das Studienteam kann die Antwort für Sie "
        "berichtigen.",
    },
    "withdraw_open": {
        "en": "Withdraw and delete my answers",
        "de": "Teilnahme widerrufen und Antworten löschen",
    },
    "withdraw_explain": {
        "en": "This deletes every answer you have given in this survey and closes your link. "
        "It cannot be undone.",
        "de": "Damit werden alle Antworten gelöscht, die Sie in dieser Befragung gegeben haben, "
        "und Ihr Link wird geschlossen. Dies kann nicht rückgängig gemacht werden.",
    },
    "withdraw_failed": {
        "en": "Your answers could not be deleted just now: the survey database cannot be "
        "reached. Nothing has been changed. Please press “{button}” again in a few minutes, "
        "or write to the study team.",
        "de": "Ihre Antworten konnten gerade nicht gelöscht werden, weil die Datenbank der "
        "Befragung nicht erreichbar ist. Es wurde nichts verändert. Bitte klicken Sie in "
        "einigen Minuten erneut auf „{button}“ oder schreiben Sie an das Studienteam.",
    },
    "withdraw_confirm": {
        "en": "Yes, delete all my answers",
        "de": "Ja, alle meine Antworten löschen",
    },
    # The privacy notice promises access to one's data: a copy to download (JSON).
    "copy_open": {
        "en": "Download a copy of my answers",
        "de": "Eine Kopie meiner Antworten herunterladen",
    },
    "copy_explain": {
        "en": "The file holds every answer you have sent in this survey, with the wording of "
        "each question, when you sent each page and how long it was open, and what else is "
        "kept about your invitation (for example the firm it was for and, if the study lead "
        "wrote to you, your entry in their contact list). Answers on the page in front of "
        "you that you have not sent yet are not in it. The format is JSON, which any text "
        "editor can open.",
        "de": "Die Datei enthält jede Antwort, die Sie in dieser Befragung abgeschickt haben, "
        "mit dem Wortlaut der Frage, wann Sie jede Seite abgeschickt haben und wie lange sie "
        "geöffnet war, sowie alles, was zu Ihrer Einladung sonst aufbewahrt wird (zum "
        "Beispiel für welches Unternehmen sie war und, falls die Studienleitung Ihnen "
        "geschrieben hat, Ihr Eintrag in deren Kontaktliste). Antworten auf der aktuellen "
        "Seite, die Sie noch nicht abgeschickt haben, sind nicht enthalten. Das Format ist "
        "JSON; jeder Texteditor kann es öffnen.",
    },
    "copy_button": {"en": "Download (JSON)", "de": "Herunterladen (JSON)"},
    # the copy's file name, as it lands in the respondent's downloads folder
    "copy_file_name": {"en": "my-survey-answers.json", "de": "meine-antworten-befragung.json"},
    "copy_failed": {
        "en": "Your copy could not be made just now: the survey database cannot be reached. "
        "Please try again in a few minutes, or write to the study team.",
        "de": "Ihre Kopie konnte gerade nicht erstellt werden, weil die Datenbank der "
        "Befragung nicht erreichbar ist. Bitte versuchen Sie es in einigen Minuten erneut "
        "oder schreiben Sie an das Studienteam.",
    },
    "switch_language": {"en": "Deutsch", "de": "English"},
    # Streamlit's own keyboard link to the page's content (relabelled by page_language())
    "skip_link": {"en": "Skip to main content", "de": "Zum Hauptinhalt springen"},
    "soft_prompt": {
        "en": "You left {n} statements unanswered. Continue anyway?",
        "de": "Sie haben {n} Aussagen nicht beantwortet. Trotzdem fortfahren?",
    },
    "soft_prompt_one": {
        "en": "You left 1 statement unanswered. Continue anyway?",
        "de": "Sie haben 1 Aussage nicht beantwortet. Trotzdem fortfahren?",
    },
    "soft_answer": {"en": "Answer them", "de": "Jetzt beantworten"},
    "soft_continue": {"en": "Continue anyway", "de": "Trotzdem weiter"},
    "not_answered": {"en": "Not answered yet.", "de": "Noch nicht beantwortet."},
    "out_of_range": {
        "en": "Please enter a number from {min} to {max}.",
        "de": "Bitte geben Sie eine Zahl von {min} bis {max} ein.",
    },
    "range_hint": {"en": "from {min} to {max}", "de": "von {min} bis {max}"},
    "not_a_number": {
        "en": "Please enter a number, e.g. 2 or 1.5.",
        "de": "Bitte geben Sie eine Zahl ein, z. B. 2 oder 1,5.",
    },
    # "1,000" in English, "1.000" in German: a thousand, or one as the other language
    # writes it; asked again rather than guessed
    "ambiguous_number": {
        "en": "\u201c{typed}\u201d can be read as {whole} or as {decimal}. Please type the "
        "number without a thousands separator, e.g. {whole}; for a decimal use a point, "
        "e.g. {decimal}.",
        "de": "\u201e{typed}\u201c kann {whole} oder {decimal} bedeuten. Bitte geben Sie die "
        "Zahl ohne Tausenderpunkt ein, z. B. {whole}; Dezimalzahlen mit Komma, z. B. "
        "{decimal}.",
    },
    "not_a_whole_number": {
        "en": "Please enter a whole number, e.g. 3.",
        "de": "Bitte geben Sie eine ganze Zahl ein, z. B. 3.",
    },
    "too_long": {
        "en": "Your answer has {length} characters; at most {limit} fit. Please shorten it.",
        "de": "Ihre Antwort hat {length} Zeichen; höchstens {limit} sind möglich. Bitte kürzen "
        "Sie sie.",
    },
    "too_long_stored": {
        "en": "Your answer is a little too long to be saved: some characters, such as emoji, "
        "take up more room than one letter. Please shorten it by {n} characters.",
        "de": "Ihre Antwort ist etwas zu lang zum Speichern: Manche Zeichen, etwa Emojis, "
        "brauchen mehr Platz als ein Buchstabe. Bitte kürzen Sie sie um {n} Zeichen.",
    },
    "too_long_stored_one": {
        "en": "Your answer is a little too long to be saved: some characters, such as emoji, "
        "take up more room than one letter. Please shorten it by 1 character.",
        "de": "Ihre Antwort ist etwas zu lang zum Speichern: Manche Zeichen, etwa Emojis, "
        "brauchen mehr Platz als ein Buchstabe. Bitte kürzen Sie sie um 1 Zeichen.",
    },
    "scale_legend": {"en": "1 = {low} … {n} = {high}", "de": "1 = {low} … {n} = {high}"},
    "privacy_title": {"en": "Data protection", "de": "Datenschutz"},
    "privacy_notice": {
        "en": "Controller: {controller}\n\nContact for questions and for withdrawing: "
        "{contact}\n\nPurpose: {purpose}\n\nLegal basis: {legal_basis}\n\nRetention: "
        "{retention}\n\nYou have the right to access your data and receive a copy of it, to "
        "have it corrected or deleted, to restrict its processing, to object to it, and to "
        "lodge a complaint with a data protection supervisory authority. A copy of your "
        "answers and their deletion are at the bottom of each survey page; for anything "
        "else, write to the contact above.",
        "de": "Verantwortlich: {controller}\n\nKontakt für Fragen und für den Widerruf: "
        "{contact}\n\nZweck: {purpose}\n\nRechtsgrundlage: {legal_basis}\n\n"
        "Speicherdauer: {retention}\n\nSie haben das Recht auf Auskunft und eine Kopie Ihrer "
        "Daten, auf Berichtigung und Löschung, auf Einschränkung der Verarbeitung, auf "
        "Widerspruch gegen die Verarbeitung sowie auf Beschwerde bei einer "
        "Datenschutz-Aufsichtsbehörde. Eine Kopie Ihrer Antworten und deren Löschung finden "
        "Sie unten auf jeder Seite der Befragung; für alles Weitere schreiben Sie an den oben "
        "genannten Kontakt.",
    },
    "privacy_unset": {"en": "not stated by the study lead yet", "de": "von der Studienleitung "
                      "noch nicht angegeben"},
    "legal_basis_consent": {
        "en": "your consent (Art. 6(1)(a) GDPR)",
        "de": "Ihre Einwilligung (Art. 6 Abs. 1 lit. a DSGVO)",
    },
    "legal_basis_public_interest": {
        "en": "a task in the public interest: scientific research (Art. 6(1)(e) GDPR)",
        "de": "Aufgabe im öffentlichen Interesse: wissenschaftliche Forschung (Art. 6 Abs. 1 "
        "lit. e DSGVO)",
    },
    "legal_basis_legitimate_interest": {
        "en": "legitimate interests in research (Art. 6(1)(f) GDPR)",
        "de": "berechtigte Interessen an der Forschung (Art. 6 Abs. 1 lit. f DSGVO)",
    },
    "completion_code": {
        "en": "Your completion code: {code}",
        "de": "Ihr Abschlusscode: {code}",
    },
    "redirect": {"en": "Return to the panel", "de": "Zurück zum Panel"},
    "preview_banner": {
        "en": "Preview: this is a test response. It is kept out of exports, analyses and "
        "response rates and can be deleted on the study page.",
        "de": "Vorschau: Dies ist eine Testantwort. Sie wird nicht exportiert, nicht "
        "ausgewertet, nicht in Rücklaufquoten gezählt und kann auf der Studienseite gelöscht "
        "werden.",
    },
    "back_to_consent": {"en": "Back to the consent page", "de": "Zurück zur Einwilligung"},
    "screened_out_title": {"en": "Thank you", "de": "Vielen Dank"},
    "thanks_title": {"en": "Thank you!", "de": "Vielen Dank!"},
    "thanks": {
        "en": "Your answers have been saved. The survey is complete; you can close this window.",
        "de": "Ihre Antworten wurden gespeichert. Die Befragung ist abgeschlossen; Sie können "
        "dieses Fenster schließen.",
    },
    # Names the buttons by their labels ({start}, {next}, {finish}: see saved_note()).
    "saved_note": {
        "en": "Your answers are saved page by page: when you press “{start}” on this page, "
        "“{next}” on the following ones and “{finish}” on the last. You can close this window "
        "at any time and continue later with your personal link.",
        "de": "Ihre Antworten werden Seite für Seite gespeichert: wenn Sie auf dieser Seite auf "
        "„{start}“ klicken, auf den folgenden auf „{next}“ und auf der letzten auf "
        "„{finish}“. Sie können das Fenster jederzeit schließen und später über Ihren "
        "persönlichen Link fortfahren.",
    },
    # German units are given in the nominative plural ("Jahre"): "in Jahre" is wrong
    "unit": {"en": "in {unit}", "de": "{unit}"},
    "free_text_help": {
        "en": "Optional. At most {n} characters.",
        "de": "Freiwillig. Höchstens {n} Zeichen.",
    },
    "free_text_help_one": {
        "en": "Optional. At most 1 character.",
        "de": "Freiwillig. Höchstens 1 Zeichen.",
    },
    # a free-text question that must be answered: not called optional
    "free_text_limit": {"en": "At most {n} characters.", "de": "Höchstens {n} Zeichen."},
    "free_text_limit_one": {"en": "At most 1 character.", "de": "Höchstens 1 Zeichen."},
}

#: Texts with ``{n}`` that is not a count of things (no singular form needed).
NOT_A_COUNT = frozenset({"progress", "scale_legend"})


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


def tn(key: str, lang: str, n: int, **values: object) -> str:
    """Return the frame text ``key`` for a count ``n``: its ``key_one`` form when ``n`` is 1
    ("1 answer", not "1 answers"), else ``key`` with ``{n}`` filled in."""
    one = f"{key}_one"
    return t(one if n == 1 and one in _TEXTS else key, lang, n=n, **values)


def group_thousands(n: int, lang: str) -> str:
    """``n`` with its thousands grouped as ``lang`` writes them ("5,000", "5.000")."""
    return f"{n:,}".replace(",", GROUP_MARK.get(lang, ","))


def saved_note(lang: str) -> str:
    """The consent page's note on saving, naming the page buttons by their labels."""
    return t("saved_note", lang, start=t("start", lang), next=t("next", lang),
             finish=t("finish", lang))  # fmt: skip


def text_keys() -> list[str]:
    """Every frame text id (for the checks that every text exists in every language)."""
    return list(_TEXTS)

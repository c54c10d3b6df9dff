"""The survey page's own elements: the rating row and the scroll to the page's top.

The rating row is one choice question drawn as plain HTML radio buttons: a rating-scale
question of a block in one line, any other (industry, firm size, ...) as a list.

Streamlit's own ``st.radio`` draws every option of every question as a styled widget
with its label rendered as Markdown: on a survey page of 25 seven-point questions the
browser spends about 400 ms of JavaScript building the page after each "Next" (measured
with :mod:`benchmarks.page_profile`).  This element draws the same question as a
``<fieldset>`` with a ``<legend>`` and one native ``<input type="radio">`` per option,
which the browser builds in a few milliseconds, and which screen readers and the keyboard
(Tab to the question, arrow keys between options) handle as any web form.

It is a Streamlit component (``st.components.v2``, no iframe) placed inside the page's
form: a click changes nothing on the server until the page's button is pressed, as with
``st.radio`` in a form, and then the choice arrives with the rest of the page.  The value
kept in the session state under the widget's key is ``{"value": code}`` (or ``{}`` when
nothing is chosen); :func:`chosen_code` reads it.

The text of the question and of the options is put in the page with ``textContent``,
never as HTML, so that no wording (or a partner's name in it) can inject markup.

:func:`scroll_to_top` brings a newly shown page to its top (Streamlit keeps the scroll
position of the previous page otherwise, so the respondent would land next to "Next").
The page is brought up again at 150 and 600 ms (its elements may still be arriving), but
not once the respondent has scrolled, touched, clicked or pressed a key: a quick
respondent is not pulled back to the top under their finger.  It runs in the page itself,
once per visit of a page (the body's ``data-survey-visit`` says which visit it last ran
for); it used to be a script in a frame, a new document for the browser at every page.

:func:`page_language` marks the page's language and the number fields' keypads, and keeps
text typed into the page's fields (free text, numbers) in the tab until the page is sent,
as a rating row keeps its click.

All are one component, so that its script is loaded with the survey's first page (which
has no rating question) and not while the first page of rating questions is awaited.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

#: Registered name of the component (unique in the app).
NAME = "alliance_survey_page"

# Builds the question once per distinct content (question, options, value shown); a rerun
# that does not change them keeps the element, and with it a click not yet sent.  Each
# option's label carries data-testid="stRadioOption", so that browser tools (and the
# project's tests) find the options as they find those of st.radio.
_JS = """
function scrollTop(visit) {
  const d = document;
  if (d.body.dataset.surveyVisit === visit) return;
  // another page of the survey in the same document (not the first page it shows): the
  // keyboard was left where the pressed button had been, so the next Tab went on from
  // the middle or the end of the new page.  It starts on the new page's heading now,
  // which screen readers also read out.
  const changed = d.body.dataset.surveyVisit !== undefined;
  d.body.dataset.surveyVisit = visit;
  const top = () => {
    for (const el of d.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"], section.main')) { el.scrollTo(0, 0); }
    window.scrollTo(0, 0);
  };
  const heading = () => {
    const h = d.querySelector('div[class*="st-key-survey-section"] h2');
    if (!h || h.closest('[data-stale="true"]')) return;
    // only while the keyboard is nowhere (its button is gone) or still on the page before:
    // a field the page put it on (a message's question) keeps it
    const a = d.activeElement;
    if (a && a !== d.body && a.isConnected && !a.closest('[data-stale="true"]')) return;
    h.setAttribute("tabindex", "-1");
    h.focus({preventScroll: true});
  };
  const events = ["wheel", "touchstart", "pointerdown", "keydown"];
  const timers = [];
  const off = () => events.forEach(e => d.removeEventListener(e, stop, true));
  const stop = () => { timers.forEach(clearTimeout); off(); };
  events.forEach(e => d.addEventListener(e, stop, {capture: true, passive: true}));
  top();
  timers.push(setTimeout(top, 150), setTimeout(top, 600));
  if (changed) {
    // the new page's heading may be drawn after this element, on a busy machine late
    for (const ms of [0, 150, 600, 1200, 2500]) timers.push(setTimeout(heading, ms));
  }
  timers.push(setTimeout(off, changed ? 2600 : 650));
}

function markLanguage(lang, skip) {
  const d = document;
  if (d.documentElement.lang !== lang) d.documentElement.lang = lang;
  // Streamlit's "Skip to main content" link: its text node is changed in place, which
  // React (that drew a fixed English text) never looks at again
  const link = d.querySelector('a[data-testid="stSkipToContent"]');
  const text = link && link.firstChild;
  if (text && text.nodeType === Node.TEXT_NODE && text.nodeValue !== skip) text.nodeValue = skip;
}

function markParts(parts) {
  // the part of a page written in another language than the page (the German text of a
  // page shown in both languages): marked so, screen readers read it in that language
  for (const [key, code] of Object.entries(parts)) {
    for (const part of document.querySelectorAll(`div[class*="st-key-${CSS.escape(key)}"]`)) {
      if (part.getAttribute("lang") !== code) part.setAttribute("lang", code);
    }
  }
}

function markInvalid(pairs) {
  // a question with a message under it (an answer missing, a number out of range, a text
  // too long): its fields are marked invalid and described by the message, so that a
  // screen reader says the message with the question when the keyboard lands on it.
  // Marks of a question whose message has gone (answered and sent again) are taken off.
  const d = document;
  const wanted = new Map(pairs.map(([box, note]) => [box, note]));
  for (const el of d.querySelectorAll("[data-survey-invalid]")) {
    const box = el.closest('div[class*="st-key-w-"]');
    const cls = box && [...box.classList].find(c => c.startsWith("st-key-w-"));
    if (!wanted.has(cls)) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
      delete el.dataset.surveyInvalid;
    }
  }
  for (const [cls, noteCls] of wanted) {
    const box = d.querySelector(`.${CSS.escape(cls)}`);
    const note = d.querySelector(`.${CSS.escape(noteCls)}`);
    if (!box || !note) continue;
    if (!note.id) note.id = `survey-note-${cls}`;
    // a text field is itself invalid; options are not, their group is (ARIA's radiogroup)
    const fields = [...box.querySelectorAll("input, textarea, select")];
    const groups = box.querySelectorAll('fieldset, [role="radiogroup"]');
    for (const el of [...fields, ...groups]) {
      const option = el.type === "radio" || el.type === "checkbox";
      if (!option && el.getAttribute("aria-invalid") !== "true") el.setAttribute("aria-invalid", "true");
      if (el.getAttribute("aria-describedby") !== note.id) el.setAttribute("aria-describedby", note.id);
      el.dataset.surveyInvalid = "1";
    }
  }
}

// Streamlit's own dialog for a server that cannot be reached (the app restarted during
// fieldwork, a phone that lost its network) is titled "Connection error" and says
// "Streamlit server is not responding. Are you connected to the internet?" (on an address
// named localhost, "Is Streamlit still running? ... streamlit run yourscript.py"): in
// English on a German page, read out with the page's pronunciation, naming the tool and
// not the survey, and silent on the answers on the page, which are kept.  It is put in
// the page's language (the texts of the last page drawn: the server cannot be asked), in
// place, text node by text node: React drew the nodes and may draw the dialog again.
const LOST_TITLE = "Connection error";

function relabelLost() {
  const lost = window.surveyLost;
  if (!lost) return;
  for (const box of document.querySelectorAll('[role="dialog"]')) {
    const title = box.querySelector("h2");
    if (!title) continue;
    const shown = title.textContent.trim();
    if (shown !== LOST_TITLE && !(box.dataset.surveyLost && shown === lost.title)) continue;
    if (box.dataset.surveyLost === lost.lang && shown === lost.title) continue;
    box.dataset.surveyLost = lost.lang;
    box.setAttribute("lang", lost.lang);
    const walk = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    let first = true;
    while (walk.nextNode()) {
      const node = walk.currentNode;
      if (!node.nodeValue.trim()) continue;
      if (title.contains(node)) { node.nodeValue = lost.title; continue; }
      node.nodeValue = first ? lost.text : "";
      first = false;
    }
    // the localhost variant's command, in a box of its own with a button to copy it
    for (const code of box.querySelectorAll('[data-testid="stErrorCodeBlock"], pre')) {
      if (code.style.display !== "none") code.style.display = "none";
    }
    const close = box.querySelector("button[aria-label]");
    if (close) close.setAttribute("aria-label", lost.close);
  }
}

function watchMarks(marks) {
  // A field drawn, or drawn again, after the page's timers (a slow machine; React
  // re-creating an element) had no marks: a phone showed the letter keyboard for a
  // number.  The page's latest marks run again, once per frame at most, whenever
  // elements come or go.
  window.surveyMarks = marks;
  if (window.surveyMarksWatch) return;
  let pending = false;
  window.surveyMarksWatch = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      if (window.surveyMarks) window.surveyMarks();
    });
  });
  window.surveyMarksWatch.observe(document.body, {childList: true, subtree: true});
}

function watchLost(lost) {
  window.surveyLost = lost;
  if (window.surveyLostWatch) return;
  window.surveyLostWatch = new MutationObserver(relabelLost);
  window.surveyLostWatch.observe(document.body,
                                 {childList: true, subtree: true, characterData: true});
}

function markDescribed(pairs) {
  // a statement left empty when the soft prompt is shown: its group is described by the
  // note under it ("Not answered yet."), so that a screen reader says the note with the
  // statement when the keyboard lands on it ("Answer them" puts it on the first one).
  // Leaving a statement empty is the respondent's choice: it is not marked invalid.
  const d = document;
  const wanted = new Map();
  for (const [cls, noteCls] of pairs) {
    // answered meanwhile (the click is not sent yet): the note goes (see watchNotes)
    const box = d.querySelector(`.${CSS.escape(cls)}`);
    const note = d.querySelector(`.${CSS.escape(noteCls)}`);
    if (box && note && box.querySelector("input:checked")) note.style.display = "none";
    else wanted.set(cls, noteCls);
  }
  for (const el of d.querySelectorAll("[data-survey-described]")) {
    const box = el.closest('div[class*="st-key-w-"]');
    const cls = box && [...box.classList].find(c => c.startsWith("st-key-w-"));
    if (!wanted.has(cls)) {
      if (!el.dataset.surveyInvalid) el.removeAttribute("aria-describedby");
      delete el.dataset.surveyDescribed;
    }
  }
  for (const [cls, noteCls] of wanted) {
    const box = d.querySelector(`.${CSS.escape(cls)}`);
    const note = d.querySelector(`.${CSS.escape(noteCls)}`);
    if (!box || !note) continue;
    if (!note.id) note.id = `survey-soft-${cls}`;
    for (const el of box.querySelectorAll('fieldset, [role="radiogroup"]')) {
      if (el.getAttribute("aria-describedby") !== note.id) el.setAttribute("aria-describedby", note.id);
      el.dataset.surveyDescribed = "1";
    }
  }
}

function watchNotes() {
  // a statement answered after "Answer them": its note ("Not answered yet.") goes at once,
  // not only once the page is sent (the server hears of the click only then)
  if (window.surveyNotesWatch) return;
  window.surveyNotesWatch = true;
  document.addEventListener("change", event => {
    const box = event.target.closest && event.target.closest('div[class*="st-key-w-"]');
    const cls = box && [...box.classList].find(c => c.startsWith("st-key-w-"));
    if (!cls) return;
    const note = document.querySelector(`.${CSS.escape(cls.replace("st-key-", "st-key-softnote-"))}`);
    if (note) note.style.display = "none";
    for (const el of box.querySelectorAll("[data-survey-described]")) {
      if (!el.dataset.surveyInvalid) el.removeAttribute("aria-describedby");
      delete el.dataset.surveyDescribed;
    }
  }, true);
}

function markSwitch(names) {
  // the language switch's buttons are named in their own language ("Deutsch" on an English
  // page): marked so, screen readers say the name as it is written, not as English
  for (const button of document.querySelectorAll("button")) {
    const code = names[button.textContent.trim()];
    if (code && button.getAttribute("lang") !== code) button.setAttribute("lang", code);
  }
}

function markProgress(label, text) {
  // Streamlit's progress bar is named "progress" and read as a percentage ("16%"); in the
  // page's language it is "Progress: Page 3 of 12"
  for (const bar of document.querySelectorAll('[data-testid="stProgress"] [role="progressbar"]')) {
    if (bar.getAttribute("aria-label") !== label) bar.setAttribute("aria-label", label);
    if (bar.getAttribute("aria-valuetext") !== text) bar.setAttribute("aria-valuetext", text);
  }
}

function markLabels(helpFor) {
  // Streamlit names a question's field, option group and help button after the label's
  // Markdown source ("einverstanden\\.\u00a0\\*", "Help for ..."): screen readers read the
  // escapes out, and "Help for" in English on a German page; the name is the label as
  // shown, the help button's in the page's language
  for (const box of document.querySelectorAll('div[class*="st-key-w-"]')) {
    const shown = box.querySelector('[data-testid="stWidgetLabel"] [data-testid="stMarkdownContainer"]');
    const text = shown ? shown.textContent.replace(/\\s+/g, " ").trim() : "";
    if (!text) continue;
    for (const el of box.querySelectorAll(
        'input[aria-label], textarea[aria-label], [role="radiogroup"][aria-label]')) {
      if (el.getAttribute("aria-label") !== text) el.setAttribute("aria-label", text);
    }
    const help = box.querySelector('[data-testid="stTooltipIcon"] button');
    const name = `${helpFor} ${text}`;
    if (help && help.getAttribute("aria-label") !== name) help.setAttribute("aria-label", name);
  }
}

function markKeypads(classes, mode) {
  // the number questions' text fields: phones show their number keypad ("decimal" with a
  // decimal mark, "numeric" without); no autofill, so a shared computer does not offer
  // the figures an earlier respondent typed
  for (const cls of classes) {
    for (const input of document.querySelectorAll(`.${CSS.escape(cls)} input`)) {
      if (input.getAttribute("inputmode") !== mode) input.setAttribute("inputmode", mode);
      if (input.getAttribute("autocomplete") !== "off") input.setAttribute("autocomplete", "off");
    }
  }
}

// A click not yet sent is kept in the tab's sessionStorage until the page is sent: a
// refresh, or the browser's Back and Forward, draw the page afresh from the server, which
// knows only what was sent.  The entry holds the choice and the answer the row showed
// when it was made ("base"); it is put back only on a row drawn with that same answer.
const DRAFT = "as-draft:";

function draftSlot(name) {
  return DRAFT + (new URLSearchParams(window.location.search).get("t") || "") + ":" + name;
}

function readDraft(slot) {
  try { return JSON.parse(window.sessionStorage.getItem(slot)); } catch (e) { return null; }
}

function writeDraft(slot, entry) {
  try {
    if (entry === null) window.sessionStorage.removeItem(slot);
    else window.sessionStorage.setItem(slot, JSON.stringify(entry));
  } catch (e) { /* storage off (private mode): the click is only on screen, as before */ }
}

function forgetDrafts() {
  try {
    for (const k of Object.keys(window.sessionStorage)) {
      if (k.startsWith(DRAFT)) window.sessionStorage.removeItem(k);
    }
  } catch (e) { /* nothing kept */ }
}

// Text typed into a question's field and not yet sent is kept the same way: a refresh (a
// phone's pull-to-refresh) drew the field again with the answer last sent, and a comment
// written but not sent was gone.  The entry holds the text and the answer sent before it
// ("base", which the server gives for each field); it is put back while that is still
// the answer sent, as the page's own typing would put it (so the page's button sends it).
function typeInto(input, value) {
  const proto = input.tagName === "TEXTAREA" ? HTMLTextAreaElement.prototype
                                             : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, "value").set.call(input, value);
  input.dispatchEvent(new Event("input", {bubbles: true}));
}

function keepTyping(bases) {
  for (const [cls, base] of Object.entries(bases)) {
    const input = document.querySelector(`.${CSS.escape(cls)} :is(input, textarea)`);
    if (!input || input.dataset.asBase === base) continue;  // not drawn yet, or done
    const fresh = input.dataset.asBase === undefined;
    input.dataset.asBase = base;
    const slot = draftSlot("text:" + cls);
    const kept = readDraft(slot);
    if (kept && kept.base !== base) {
      writeDraft(slot, null);  // sent meanwhile, or the answer changed elsewhere
    } else if (kept && kept.value !== input.value && typeof kept.value === "string") {
      typeInto(input, kept.value);  // the unsent text, sent with the page
    }
    if (fresh) {
      input.addEventListener("input", () => {
        const sent = input.dataset.asBase;
        writeDraft(slot, input.value === sent ? null : {base: sent, value: input.value});
      });
    }
  }
}

// The keyboard's place after the page was drawn again with a message (an answer out of
// range, the soft prompt): the first field (or button) of the element named, once per
// request ("visit"), once the element is drawn.
function placeFocus(cls, visit) {
  const d = document;
  if (d.body.dataset.surveyFocus === visit) return;
  const box = d.querySelector(`.${CSS.escape(cls)}`);
  if (!box) return;
  // a field before a button: a question's help button ("?") comes first in its label
  const target = box.querySelector("input:checked")
      || box.querySelector("input, textarea, select") || box.querySelector("button");
  if (!target) return;
  d.body.dataset.surveyFocus = visit;
  target.focus({preventScroll: true});
  target.scrollIntoView({block: "center"});
}

export default function (component) {
  const { parentElement, data, setStateValue } = component;
  if (data.scroll !== undefined) { scrollTop(String(data.scroll)); return; }
  if (data.lang !== undefined) {
    if (data.forget) forgetDrafts();
    markLanguage(data.lang, data.skip);
    if (data.lost !== undefined) {
      const [title, text, close] = JSON.parse(data.lost);
      watchLost({lang: data.lang, title, text, close});
    }
    const decimal = data.decimal ? data.decimal.split(" ") : [];
    const whole = data.integer ? data.integer.split(" ") : [];
    const typed = data.text ? JSON.parse(data.text) : {};
    const marks = () => {  // attributes only, each set where it differs: safe to repeat
      if (data.progress !== undefined) markProgress(data.progress_label, data.progress);
      if (data.help_for !== undefined) markLabels(data.help_for);
      if (data.switch !== undefined) markSwitch(JSON.parse(data.switch));
      if (data.parts !== undefined) markParts(JSON.parse(data.parts));
      markInvalid(data.invalid !== undefined ? JSON.parse(data.invalid) : []);
      markDescribed(data.described !== undefined ? JSON.parse(data.described) : []);
      markKeypads(decimal, "decimal");
      markKeypads(whole, "numeric");
    };
    const look = () => {
      marks();
      watchNotes();
      keepTyping(typed);
      if (data.focus !== undefined) placeFocus(data.focus, data.focus_visit);
    };
    look();
    for (const ms of [150, 600]) setTimeout(look, ms);  // fields drawn after this element
    watchMarks(marks);
    return;
  }
  const sig = JSON.stringify(data);
  const old = parentElement.querySelector("fieldset.as-rating");
  if (old && old.dataset.sig === sig) return;
  const box = document.createElement("fieldset");
  box.className = data.vertical ? "as-rating as-list" : "as-rating";
  box.dataset.sig = sig;
  const legend = document.createElement("legend");
  legend.textContent = data.label;
  box.appendChild(legend);
  const row = document.createElement("div");
  row.className = "as-options";
  const slot = draftSlot(data.name);
  // the answer last sent ("base") and the one the row shows: they differ when the row is
  // drawn with a choice of this session not yet sent (after the language switch or Back);
  // the kept click, whose base is the answer sent, stays kept then, for a refresh
  const base = data.sent === undefined ? (data.value === undefined ? null : data.value)
                                       : data.sent;
  const kept = readDraft(slot);
  let shown = data.value === undefined ? null : data.value;
  const valid = kept && kept.base === base
      && data.options.some(([code]) => code === kept.value);
  if (valid && kept.value !== shown) {
    shown = kept.value;  // the unsent click, drawn again and sent with the page
    setStateValue("value", shown);
  } else if (kept && !valid) {
    writeDraft(slot, null);  // sent meanwhile, or the answer changed elsewhere
  }
  for (const [code, text] of data.options) {
    const label = document.createElement("label");
    label.setAttribute("data-testid", "stRadioOption");
    const input = document.createElement("input");
    input.type = "radio";
    input.name = data.name;
    input.value = String(code);
    input.checked = shown === code;
    input.addEventListener("change", () => {
      if (!input.checked) return;
      setStateValue("value", code);
      writeDraft(slot, code === base ? null : {base: base, value: code});
    });
    const span = document.createElement("span");
    span.className = "as-text";
    span.textContent = text;
    label.append(input, span);
    row.appendChild(label);
  }
  box.appendChild(row);
  if (old) old.replaceWith(box); else parentElement.appendChild(box);
}
"""

# Desktop and tablet: one line of equal columns, each label centred under its circle,
# words never broken inside.  Phones: the circles numbered 1-7 in one row, the option
# labels kept for screen readers only (the scale's legend is shown once per block).
_CSS = """
.as-rating { border: 0; margin: 0; padding: 0; min-width: 0; }
.as-rating legend {
  font-size: 0.875rem; font-weight: 600; line-height: 1.5; padding: 0; margin: 0 0 0.25rem 0;
  overflow-wrap: anywhere;
}
.as-rating .as-options {
  display: grid; grid-auto-flow: column; grid-auto-columns: minmax(min-content, 1fr);
  gap: 0.2rem; width: 100%;
}
.as-rating label {
  display: flex; flex-direction: column; align-items: center; text-align: center;
  gap: 0.25rem; padding: 0.25rem 0.1rem; border-radius: 0.4rem; min-width: 0;
  cursor: pointer; font-size: 0.8rem; line-height: 1.2;
}
.as-rating label:hover { background: rgba(128, 128, 128, 0.1); }
.as-rating input {
  flex: none; width: 1.15rem; height: 1.15rem; margin: 0; cursor: pointer;
  accent-color: #ff4b4b;
}
.as-rating input:focus-visible { outline: 2px solid #ff4b4b; outline-offset: 2px; }
.as-rating .as-text {
  word-break: normal; overflow-wrap: normal; hyphens: manual;
}
.as-rating.as-list .as-options {
  display: flex; flex-direction: column; align-items: flex-start; gap: 0.1rem;
}
.as-rating.as-list label {
  flex-direction: row; align-items: flex-start; text-align: left; gap: 0.5rem;
  font-size: 0.875rem; line-height: 1.3; padding: 0.2rem 0.4rem 0.2rem 0.1rem;
}
.as-rating.as-list input { margin-top: 0.05rem; }
@media (max-width: 640px) {
  .as-rating:not(.as-list) .as-options { counter-reset: option; gap: 0; }
  .as-rating:not(.as-list) label { counter-increment: option; padding: 0.2rem 0; }
  .as-rating:not(.as-list) label::after {
    content: counter(option); font-size: 0.8rem; line-height: 1;
  }
  .as-rating:not(.as-list) .as-text {
    position: absolute; width: 1px; height: 1px; overflow: hidden;
    clip: rect(0 0 0 0); white-space: nowrap;
  }
}
"""

#: Small print in the theme's own text colour, three quarters opaque.  Streamlit draws
#: captions (the consent page's note on saving, the explanation of the star, the scale's
#: legend on phones, the study lead's hints) in a grey of 3.9:1 against the white page,
#: below the 4.5:1 that small text needs to be read with low vision (WCAG 1.4.3); this
#: one is about 5.9:1, and as light on the dark theme's background.
CAPTION_CSS = """
<style>
div[data-testid="stCaptionContainer"] { color: inherit !important; opacity: 0.75; }
</style>
"""

#: Streamlit's own option buttons (``st.radio``) and checkboxes in the system's
#: high-contrast mode (forced colours): their fill is taken away, and a chosen option or a
#: ticked box looked exactly like one that is not (walk 15 fixed the consent question
#: only; the study lead's pages, "I understand that the answers are deleted for good" and
#: the kind of invitation, kept it).  A chosen circle and a ticked box are drawn in the
#: text colour, with the tick in the page's colour; the rating rows are the browser's own
#: radio buttons, which show their state by themselves.
CHOICE_CSS = """
<style>
@media (forced-colors: active) {
  label[data-testid="stRadioOption"][data-selected="true"] > div > div:first-child {
    forced-color-adjust: none; background: CanvasText !important;
    border: 2px solid CanvasText !important;
  }
  label[data-testid="stRadioOption"][data-selected="true"] > div > div:first-child > div {
    forced-color-adjust: none; background: Canvas !important;
  }
  div[data-testid="stCheckbox"] label > div:first-of-type {
    forced-color-adjust: none; background: Canvas !important;
    border: 2px solid CanvasText !important;
  }
  div[data-testid="stCheckbox"] label[data-selected="true"] > div:first-of-type {
    background: CanvasText !important;
  }
  div[data-testid="stCheckbox"] label[data-selected="true"] > div:first-of-type svg,
  div[data-testid="stCheckbox"] label[data-selected="true"] > div:first-of-type polyline {
    forced-color-adjust: none; stroke: Canvas !important; color: Canvas !important;
  }
}
</style>
"""


@functools.cache
def _mount() -> Any:
    """The component's mounting command, registered once per process."""
    import streamlit as st

    return st.components.v2.component(NAME, js=_JS, css=_CSS, isolate_styles=False)


def rating_row(key: str, label: str, options: Sequence[int], labels: Mapping[int, str],
               initial: int | None, *, vertical: bool = False,
               sent: int | None = None) -> None:
    """Draw one choice question under ``key`` (inside the page's form).

    ``initial`` is the answer shown when the session holds none for ``key`` (the stored
    answer); a value the session already holds (an unsent draft) is shown instead.
    ``vertical`` lists the options one under the other (a question outside a rating
    block, whose options are not points of one scale).  ``sent`` is the answer last sent
    (stored): the click the tab keeps for a refresh is kept against it, also while the
    row shows an unsent choice of this session (by default ``initial``, the stored
    answer).
    """
    import streamlit as st

    held = st.session_state.get(key)
    shown = chosen_code(held) if held is not None else initial
    # a tuple, not a list: Streamlit looks into a list for a data frame, importing pandas
    # (1.2 s at the first rating question a survey process draws) and testing its format
    data = {"name": key, "label": label, "value": shown, "vertical": bool(vertical),
            "options": tuple((int(code), str(labels.get(code, code))) for code in options),
            "sent": next((int(v) for v in (sent, initial) if v is not None), None)}
    default = None if held is not None or initial is None else {"value": int(initial)}
    _mount()(key=key, data=data, default=default, on_value_change=_ignore)


def scroll_to_top(visit: int) -> None:
    """Bring the page to its top once for ``visit`` (a counter of page changes)."""
    _mount()(key="survey.scroll", data={"scroll": int(visit)}, height=0)


def _classes(keys: Sequence[str]) -> str:
    """The CSS classes Streamlit gives the containers of the widgets keyed ``keys``, as one
    string (a list in a component's data makes Streamlit import pandas)."""
    return " ".join("st-key-" + "".join(c if c.isalnum() or c in "_-" else "-" for c in k)
                    for k in keys)  # fmt: skip


def page_language(lang: str, skip_label: str, decimal_fields: Sequence[str] = (),
                  integer_fields: Sequence[str] = (),
                  text_fields: Mapping[str, str] | None = None, *,
                  forget_drafts: bool = False,
                  progress: tuple[str, str] | None = None,
                  help_for: str | None = None,
                  focus: tuple[int, str] | None = None,
                  switch: Mapping[str, str] | None = None,
                  parts: Mapping[str, str] | None = None,
                  invalid: Mapping[str, str] | None = None,
                  described: Mapping[str, str] | None = None,
                  lost: Sequence[str] | None = None) -> None:
    """Give the page the language ``lang`` (the document's ``lang``, read by screen
    readers) and Streamlit's own "Skip to main content" link the label ``skip_label``;
    the text fields of the widgets keyed ``decimal_fields`` get ``inputmode="decimal"``
    (a phone's number keypad with a decimal mark instead of the full keyboard), those of
    ``integer_fields`` ``inputmode="numeric"``.  Text typed into the fields of the widgets
    keyed in ``text_fields`` (free text and numbers; each key gives the answer last sent
    as the field shows it) and not yet sent is kept by the tab until the page is sent, as
    the rating rows keep their clicks, and put back when a refresh draws the page again.
    ``forget_drafts`` drops what the tab kept (on a page without questions: the survey
    ended, was left or withdrawn).  ``progress`` names the page's progress bar for screen
    readers: its label and its value in words ("Progress", "Page 3 of 12").  With
    ``help_for`` (the words before a question in its help button's name, "Help for"), the
    questions' fields are named by their labels as shown, not by their Markdown source.
    ``focus`` (a request number and a widget's key) puts the keyboard on that widget's
    first field or button, once per request number.  ``switch`` (a language's name to its
    code, for the languages the page's switch offers) marks the switch's buttons with
    their language.  ``parts`` (the start of a container's key to a language's code)
    marks the containers whose key starts so as written in that language (the German
    part of a page shown in both languages).  ``invalid`` (a widget's key to the key of
    the container of the messages about its answer) marks the widget's fields as invalid
    (``aria-invalid``) and described by the messages (``aria-describedby``).  Streamlit's
    own dialog for a server that cannot be reached ("Connection error") is put in ``lang``
    and says that the page's answers are kept.  ``described`` (a widget's key to the key of
    the container of a note about it) describes the widget's option group by the note
    (``aria-describedby``) without marking it invalid: a statement left empty under the
    soft prompt.  ``lost`` (a title, a text and the close button's name) words that dialog
    for pages other than the survey's (the study lead's)."""
    from instruments.ui.texts import t

    # Streamlit's dialog for a server that cannot be reached, in the page's language
    if lost is None:
        lost = [t("connection_lost_title", lang), t("connection_lost", lang), t("close", lang)]
    data: dict[str, Any] = {"lang": lang, "skip": skip_label, "lost": json.dumps(list(lost))}
    if invalid:  # as JSON text: pairs of the containers' classes
        data["invalid"] = json.dumps([[_classes([k]), _classes([v])] for k, v in invalid.items()])
    if described:  # as ``invalid``
        data["described"] = json.dumps([[_classes([k]), _classes([v])]
                                        for k, v in described.items()])  # fmt: skip
    if parts:  # as JSON text, as text_fields
        data["parts"] = json.dumps(dict(parts))
    if progress is not None:
        data["progress_label"], data["progress"] = progress
    if help_for is not None:
        data["help_for"] = help_for
    if forget_drafts:
        data["forget"] = True
    if switch:  # as JSON text, as text_fields
        data["switch"] = json.dumps(dict(switch))
    if focus is not None:
        data["focus_visit"] = str(int(focus[0]))
        data["focus"] = _classes([focus[1]])
    if decimal_fields:
        data["decimal"] = _classes(decimal_fields)
    if integer_fields:
        data["integer"] = _classes(integer_fields)
    if text_fields:  # as JSON text: a dict in a component's data is looked into as well
        data["text"] = json.dumps({_classes([k]): str(v) for k, v in text_fields.items()})
    _mount()(key="survey.language_mark", height=0, data=data)


def _ignore() -> None:
    """The value's change callback (the component keeps a value only with one)."""


def chosen_code(held: Any) -> Any:
    """The code chosen in a rating row's session-state value (``None`` when none).

    Any other widget's value is returned as it is.
    """
    if isinstance(held, Mapping):
        return held.get("value")
    return held


def draft_state(value: Any) -> dict[str, Any]:
    """The session-state value of a rating row showing ``value`` (an unsent draft)."""
    return {} if value is None else {"value": int(value)}

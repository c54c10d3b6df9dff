"""Rendering helpers of the Streamlit survey app (``streamlit_app.py``).

- :mod:`instruments.ui.respondent`: the respondent flow (consent, screening,
  one page per section, thanks), backed entirely by the response store;
- :mod:`instruments.ui.admin`: the study lead's login, fieldwork dashboard,
  invitations and exports;
- :mod:`instruments.ui.fields`: what a page shows and how it is submitted
  (no Streamlit, testable on its own);
- :mod:`instruments.ui.texts`: the survey frame's texts in English and German.
"""

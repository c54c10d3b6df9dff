"""alliance-survey web app (placeholder until the survey issue lands)."""

import streamlit as st

st.set_page_config(page_title="alliance-survey", page_icon="🤝")
st.title("alliance-survey")
st.write("The respondent survey is not built yet. Use the `alliance-survey` command line.")

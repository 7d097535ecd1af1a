"""Streamlit glue shared by the pages: session state (`state`) and small components (`components`)."""

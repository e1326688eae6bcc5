"""End-to-end checks of the provider in a real Airflow deployment (``make e2e``); see ``__main__``."""

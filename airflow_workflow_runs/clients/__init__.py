"""Service clients: each service's API logic (SDK calls, status table, parsing, validation).

Nothing in this package imports Airflow, so the logic is fast to test and usable from any
orchestrator; the Airflow hooks only turn a Connection into a client's settings.
"""
